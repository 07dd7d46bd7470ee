// Chooses and produces a chunk record's payload: LZ4 frame of the raw bytes (scheme 1) or of their
// byte-grouping-4 split (scheme 2), whichever is smaller, raw (scheme 0) when neither shrinks the chunk (as hf.js does).
import { createRequire } from "node:module";
import { compress as lz4jsCompress } from "lz4js";
import { bg4Split, ChunkScheme } from "./format";

interface Lz4Napi {
  compressFrame(data: Uint8Array): Promise<Buffer>;
  compressFrameSync(data: Buffer): Buffer;
}

// lz4-napi (native lz4_flex frames, run on libuv's thread pool) is an optional speed-up; lz4js is the fallback.
const napi: Lz4Napi | undefined = (() => {
  try {
    return createRequire(__filename)("lz4-napi") as Lz4Napi;
  } catch {
    return undefined;
  }
})();

export const lz4Backend: "lz4-napi" | "lz4js" = napi ? "lz4-napi" : "lz4js";

async function lz4Frame(data: Uint8Array): Promise<Uint8Array> {
  return napi ? napi.compressFrame(data) : lz4jsCompress(data);
}

export interface EncodedChunk {
  scheme: ChunkScheme;
  payload: Uint8Array;
}

/** Tries LZ4 and BG4+LZ4 and keeps the smallest; raw when compression does not shrink the chunk. */
export async function encodeChunk(raw: Uint8Array): Promise<EncodedChunk> {
  const [lz4, bg4] = await Promise.all([lz4Frame(raw), lz4Frame(bg4Split(raw))]);
  const best = bg4.length < lz4.length ? { scheme: ChunkScheme.ByteGroupingLZ4, payload: bg4 } : { scheme: ChunkScheme.LZ4, payload: lz4 };
  return best.payload.length >= raw.length ? { scheme: ChunkScheme.None, payload: raw } : best;
}
