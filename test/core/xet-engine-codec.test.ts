// The engine's chunk codec in isolation: LZ4 frames from two independent writers (lz4_flex via lz4-napi, with and
// without checksums, and lz4js) decode byte-exact for every match shape, corrupt frames throw without breaking the
// next decode, and the BG4 regroup inverts the Hub's split for every length.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { compress as lz4jsCompress } from "lz4js";
import { createCodec, MAX_DECODED, regroup } from "../../src/core/xet/engine/codec";
import { bf16Bytes } from "../fixtures/synthetic";
import { bg4Split } from "../../hub/xet/format";
import { pseudoRandomBytes, textBytes } from "../../hub/xet/sampleData";

const napi = createRequire(__filename)("lz4-napi") as { compressFrameSync(data: Buffer, options?: { contentChecksum?: boolean; blockChecksums?: boolean }): Buffer };
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
const framesOf = (data: Buffer) => [
  napi.compressFrameSync(data),
  napi.compressFrameSync(data, { contentChecksum: true, blockChecksums: true }),
  Buffer.from(lz4jsCompress(data)),
];

describe("Xet engine codec (LZ4 frames, BG4)", () => {
  const codec = createCodec();

  const samples: Array<[string, Buffer]> = [
    ["text", textBytes(100_000, 1)],
    ["random", pseudoRandomBytes(65_536, 2)],
    ["zeros", Buffer.alloc(131_072)],
    ["bf16", bf16Bytes(3, 90_002)],
    ["tiny", Buffer.from("abc")],
  ];

  for (const [name, data] of samples) {
    it(`decodes lz4_flex and lz4js frames of ${name} data byte-exact`, () => {
      for (const frame of framesOf(data)) assert.ok(asBuffer(codec.decodeFrame(frame)).equals(data));
    });
  }

  it("decodes every match shape byte-exact: periods 1 to 40 (overlapping copies), long runs, literals of 0 to 300 bytes", () => {
    const random = pseudoRandomBytes(131_072, 77);
    for (let seed = 0; seed < 24; seed++) {
      const parts: Buffer[] = [];
      for (let i = 0, size = 0; size < 120_000; i++) {
        const period = 1 + ((seed * 7 + i * 13) % 40);
        const unitAt = (i * 97) % 100_000;
        const literalAt = (i * 31) % 100_000;
        const part = Buffer.concat([
          random.subarray(literalAt, literalAt + ((i * 11 + seed) % 301)),
          ...Array.from({ length: 1 + ((seed + i * 5) % 90) }, () => random.subarray(unitAt, unitAt + period)),
        ]);
        parts.push(part);
        size += part.length;
      }
      const data = Buffer.concat(parts).subarray(0, 120_000 + seed);
      for (const frame of framesOf(data)) assert.ok(asBuffer(codec.decodeFrame(frame)).equals(data), `seed ${seed}`);
    }
  });

  it("throws on truncated, foreign, hostile and oversized frames instead of returning bytes", () => {
    const frame = napi.compressFrameSync(textBytes(50_000, 9));
    assert.throws(() => codec.decodeFrame(frame.subarray(0, frame.length - 20)), /truncated LZ4/);
    const badMagic = Buffer.from(frame);
    badMagic[0] = 0;
    assert.throws(() => codec.decodeFrame(badMagic), /not an LZ4 frame/);
    // A match pointing before the start of the output: token 0x00 literals, offset 0xffff.
    const evil = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82, 0x05, 0, 0, 0, 0x10, 0x41, 0xff, 0xff, 0x00, 0, 0, 0, 0]);
    assert.throws(() => codec.decodeFrame(evil), /corrupt LZ4 match/);
    assert.throws(() => createCodec(1000).decodeFrame(frame), /LZ4 (output|frame) too large/);
  });

  it("after every single-byte corruption of a frame (thrown or not), the next good frame decodes exactly", () => {
    const data = bf16Bytes(5, 65_536);
    const frame = napi.compressFrameSync(data);
    for (let i = 7; i < frame.length; i += 37) {
      const bad = Buffer.from(frame);
      bad[i] ^= 0x5a;
      try {
        assert.ok(codec.decodeFrame(bad).length <= MAX_DECODED);
      } catch (err) {
        assert.match((err as Error).message, /LZ4/);
      }
      assert.ok(asBuffer(codec.decodeFrame(frame)).equals(data), `after corrupting byte ${i}`);
    }
  });

  it("regroups BG4 splits of every length mod 4 (word transpose and byte tail), including the spec vector", () => {
    assert.deepEqual([...bg4Split(Uint8Array.from([1, 2, 3, 4, 5, 6]))], [1, 5, 2, 6, 3, 4]);
    const out = Buffer.alloc(MAX_DECODED + 64);
    const out32 = new Uint32Array(out.buffer, out.byteOffset, out.length >> 2);
    for (const n of [0, 1, 2, 3, 4, 5, 6, 15, 16, 17, 18, 19, 65_536, 65_537, 65_538, 65_539, 131_071, 131_072]) {
      const data = pseudoRandomBytes(n, n + 1);
      out.fill(0xee);
      regroup(bg4Split(data), n, out, out32);
      assert.ok(out.subarray(0, n).equals(data), `length ${n}`);
    }
  });
});
