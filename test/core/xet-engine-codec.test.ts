// The engine's chunk codec in isolation: LZ4 frames from two different writers (lz4_flex via lz4-napi, with and
// without checksums, and lz4js) decode byte-exact, BG4 regroup inverts the Hub's split for every length mod 4,
// and corrupt frames throw instead of producing bytes.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { compress as lz4jsCompress } from "lz4js";
import { codecModule } from "../../src/core/xet/engine/codec";
import { bf16Bytes } from "../fixtures/synthetic";
import { bg4Split } from "../hub/xet/format";
import { pseudoRandomBytes, textBytes } from "../hub/xet/sampleData";

const napi = createRequire(__filename)("lz4-napi") as { compressFrameSync(data: Buffer, options?: { contentChecksum?: boolean; blockChecksums?: boolean }): Buffer };

describe("Xet engine codec (LZ4 frames, BG4)", () => {
  const codec = codecModule();
  const out = Buffer.alloc(128 * 1024 + 64);
  const out32 = new Uint32Array(out.buffer, out.byteOffset, out.length >> 2);

  const samples: Array<[string, Buffer]> = [
    ["text", textBytes(100_000, 1)],
    ["random", pseudoRandomBytes(65_536, 2)],
    ["zeros", Buffer.alloc(131_072)],
    ["bf16", bf16Bytes(3, 90_002)],
    ["tiny", Buffer.from("abc")],
  ];

  for (const [name, data] of samples) {
    it(`decodes lz4_flex and lz4js frames of ${name} data byte-exact`, () => {
      const frames = [napi.compressFrameSync(data), napi.compressFrameSync(data, { contentChecksum: true, blockChecksums: true }), Buffer.from(lz4jsCompress(data))];
      for (const frame of frames) {
        const n = codec.decodeFrame(frame, out);
        assert.equal(n, data.length);
        assert.ok(out.subarray(0, n).equals(data));
      }
    });
  }

  it("regroups BG4 splits of every length mod 4, including the spec vector", () => {
    assert.deepEqual([...bg4Split(Uint8Array.from([1, 2, 3, 4, 5, 6]))], [1, 5, 2, 6, 3, 4]);
    for (const n of [6, 1, 2, 3, 4, 65_536, 65_537, 65_538, 65_539, 131_072]) {
      const data = pseudoRandomBytes(n, n);
      codec.regroup(bg4Split(data), n, out, out32);
      assert.ok(out.subarray(0, n).equals(data), `length ${n}`);
    }
  });

  it("throws on corrupt frames instead of returning bytes", () => {
    const frame = napi.compressFrameSync(textBytes(50_000, 9));
    assert.throws(() => codec.decodeFrame(frame.subarray(0, frame.length - 20), out), /truncated LZ4/);
    const badMagic = Buffer.from(frame);
    badMagic[0] = 0;
    assert.throws(() => codec.decodeFrame(badMagic, out), /not an LZ4 frame/);
    assert.throws(() => codec.decodeFrame(frame, Buffer.alloc(1000)), /LZ4/, "output larger than the buffer");
    // A match pointing before the start of the output: token 0x00 literals, offset 0xffff.
    const evil = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82, 0x05, 0, 0, 0, 0x10, 0x41, 0xff, 0xff, 0x00, 0, 0, 0, 0]);
    assert.throws(() => codec.decodeFrame(evil, out), /corrupt LZ4 match/);
  });
});
