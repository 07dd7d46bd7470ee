// `npm run bench:codec`: steady-state decode speed of the engine's LZ4 decoder against lz4-napi and lz4js on the
// chunks the Hub stores for bf16 weights (BG4 split, one LZ4 frame per 64 KiB chunk), of the full chunk decode, and
// of the SHA-256 every downloaded file gets (the other fixed cost of the Xet route per byte).
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { decompressFrame as lz4jsDecompressFrame } from "lz4js";
import { createCodec, MAX_DECODED } from "../src/core/xet/engine/codec";
import { bf16Bytes } from "../test/fixtures/synthetic";
import { bg4Split } from "../hub/xet/format";

const napi = createRequire(__filename)("lz4-napi") as { compressFrameSync(data: Buffer): Buffer; decompressFrameSync(data: Buffer): Buffer };
const CHUNK = 64 * 1024;
const CHUNKS = 256;
const ROUNDS = 7;

const frames = Array.from({ length: CHUNKS }, (_, i) => napi.compressFrameSync(Buffer.from(bg4Split(bf16Bytes(i + 1, CHUNK)))));
const codec = createCodec();
const out = Buffer.allocUnsafe(MAX_DECODED + 64);
const out32 = new Uint32Array(out.buffer, out.byteOffset, out.length >> 2);
const sha256 = createHash("sha256");
const decoded = frames.map((f) => napi.decompressFrameSync(f));
const contenders: Array<[string, (frame: Buffer, index: number) => void]> = [
  ["engine LZ4 decoder", (f) => codec.decodeFrame(f)],
  ["engine LZ4 + BG4 regroup", (f) => codec.regroup(codec.decodeFrame(f), CHUNK, out, out32)],
  ["lz4-napi decompressFrameSync", (f) => napi.decompressFrameSync(f)],
  ["lz4js decompressFrame", (f) => lz4jsDecompressFrame(f, out)],
  ["SHA-256 of the decoded chunk", (_, i) => sha256.update(decoded[i])],
];

const stored = frames.reduce((n, f) => n + f.length, 0);
console.log(`${CHUNKS} bf16 chunks of ${CHUNK / 1024} KiB, stored at ${((100 * stored) / (CHUNKS * CHUNK)).toFixed(1)} %; median of ${ROUNDS} rounds after two warm-up rounds`);
for (const [name, decode] of contenders) {
  const speeds: number[] = [];
  for (let round = -2; round < ROUNDS; round++) {
    const started = process.hrtime.bigint();
    frames.forEach(decode);
    if (round >= 0) speeds.push((CHUNKS * CHUNK) / (Number(process.hrtime.bigint() - started) / 1e9) / 1e6);
  }
  speeds.sort((a, b) => a - b);
  console.log(`${name.padEnd(30)} ${speeds[ROUNDS >> 1].toFixed(0).padStart(6)} MB/s`);
}
