// Byte-level Xet formats the local CAS writes and tests read back: "Xet hex" hash strings, chunk records
// (8-byte header + payload, schemes 0/1/2), the byte-grouping-4 transform and the v1 xorb footer (XET_SPEC §3.7, §4).
import { decompress as lz4Decompress } from "lz4js";

export const CHUNK_HEADER_BYTES = 8;
export const MAX_CHUNK_BYTES = 131_072;

export enum ChunkScheme {
  None = 0,
  LZ4 = 1,
  ByteGroupingLZ4 = 2,
}

/** Raw 32 bytes → Xet hex (each 8-byte group printed byte-reversed). */
export function xetHex(raw: Uint8Array): string {
  if (raw.length !== 32) throw new Error(`A Xet hash is 32 bytes, got ${raw.length}`);
  let out = "";
  for (let group = 0; group < 32; group += 8) {
    for (let i = group + 7; i >= group; i--) out += HEX[raw[i]];
  }
  return out;
}

/** Xet hex → raw 32 bytes. */
export function rawFromXetHex(hex: string): Uint8Array {
  if (!isXetHex(hex)) throw new Error(`Not a 64-character lowercase hex hash: ${JSON.stringify(hex)}`);
  const raw = new Uint8Array(32);
  for (let group = 0; group < 32; group += 8) {
    for (let i = 0; i < 8; i++) raw[group + 7 - i] = parseInt(hex.slice((group + i) * 2, (group + i) * 2 + 2), 16);
  }
  return raw;
}

export function isXetHex(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Byte-grouping-4 split: bytes at positions 0,4,8… then 1,5,9… then 2,… then 3,… (remainders go to the first groups). */
export function bg4Split(input: Uint8Array): Uint8Array {
  const n = input.length;
  const q = n >> 2;
  const r = n & 3;
  const out = new Uint8Array(n);
  const starts = [0, q + (r >= 1 ? 1 : 0), 0, 0];
  starts[2] = starts[1] + q + (r >= 2 ? 1 : 0);
  starts[3] = starts[2] + q + (r >= 3 ? 1 : 0);
  // Four source words at a time become one word per group (4x fewer stores than a byte loop).
  const data = input.byteOffset % 4 === 0 ? input : new Uint8Array(input); // (Buffer#slice would not copy)
  const words = new Uint32Array(data.buffer, data.byteOffset, q);
  const dv = new DataView(out.buffer);
  const [, s1, s2, s3] = starts;
  const q4 = q - (q % 4);
  for (let j = 0; j < q4; j += 4) {
    const a = words[j];
    const b = words[j + 1];
    const c = words[j + 2];
    const d = words[j + 3];
    dv.setUint32(j, (a & 0xff) | ((b & 0xff) << 8) | ((c & 0xff) << 16) | ((d & 0xff) << 24), true);
    dv.setUint32(s1 + j, ((a >>> 8) & 0xff) | (b & 0xff00) | ((c & 0xff00) << 8) | ((d & 0xff00) << 16), true);
    dv.setUint32(s2 + j, ((a >>> 16) & 0xff) | ((b >>> 8) & 0xff00) | (c & 0xff0000) | ((d & 0xff0000) << 8), true);
    dv.setUint32(s3 + j, (a >>> 24) | ((b >>> 16) & 0xff00) | ((c >>> 8) & 0xff0000) | (d & 0xff000000), true);
  }
  for (let j = q4; j < q; j++) {
    for (let g = 0; g < 4; g++) out[starts[g] + j] = data[4 * j + g];
  }
  for (let g = 0; g < r; g++) out[starts[g] + q] = data[4 * q + g];
  return out;
}

export function bg4Regroup(grouped: Uint8Array): Uint8Array {
  const n = grouped.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (let g = 0; g < 4; g++) {
    for (let i = g; i < n; i += 4) out[i] = grouped[o++];
  }
  return out;
}

export function chunkHeader({ scheme, compressedLength, uncompressedLength }: { scheme: ChunkScheme; compressedLength: number; uncompressedLength: number }): Buffer {
  const header = Buffer.alloc(CHUNK_HEADER_BYTES);
  header[0] = 0;
  header.writeUIntLE(compressedLength, 1, 3);
  header[4] = scheme;
  header.writeUIntLE(uncompressedLength, 5, 3);
  return header;
}

export interface ChunkRecord {
  scheme: ChunkScheme;
  compressedLength: number;
  uncompressedLength: number;
  /** Offset of the record's header in the buffer it was parsed from. */
  offset: number;
  payload: Uint8Array;
}

/** Parses the chunk records of `data` back to back (no footer), validating headers like the reference reader. */
export function parseChunkRecords(data: Uint8Array): ChunkRecord[] {
  const records: ChunkRecord[] = [];
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  while (offset < view.length) {
    if (view.length - offset < CHUNK_HEADER_BYTES) throw new Error(`Truncated chunk header at byte ${offset}`);
    if (view[offset] !== 0) throw new Error(`Unsupported chunk version ${view[offset]} at byte ${offset}`);
    const compressedLength = view.readUIntLE(offset + 1, 3);
    const scheme = view[offset + 4] as ChunkScheme;
    const uncompressedLength = view.readUIntLE(offset + 5, 3);
    if (scheme > 2) throw new Error(`Unknown compression scheme ${scheme} at byte ${offset}`);
    if (uncompressedLength > MAX_CHUNK_BYTES) throw new Error(`Chunk at byte ${offset} claims ${uncompressedLength} bytes (> 128 KiB)`);
    const end = offset + CHUNK_HEADER_BYTES + compressedLength;
    if (end > view.length) throw new Error(`Truncated chunk payload at byte ${offset}`);
    records.push({ scheme, compressedLength, uncompressedLength, offset, payload: view.subarray(offset + CHUNK_HEADER_BYTES, end) });
    offset = end;
  }
  return records;
}

/** Decodes one record with the same lz4js the stock client vendors. */
export function decodeChunkRecord(record: Pick<ChunkRecord, "scheme" | "payload" | "uncompressedLength">): Uint8Array {
  let out: Uint8Array;
  if (record.scheme === ChunkScheme.None) out = record.payload;
  else if (record.scheme === ChunkScheme.LZ4) out = lz4Decompress(record.payload, record.uncompressedLength);
  else out = bg4Regroup(lz4Decompress(record.payload, record.uncompressedLength));
  if (out.length !== record.uncompressedLength) {
    throw new Error(`Chunk decoded to ${out.length} bytes, header says ${record.uncompressedLength}`);
  }
  return out;
}

export interface XorbFooter {
  /** Xet hex. */
  hash: string;
  /** Raw 32-byte chunk hashes in order. */
  chunkHashes: Uint8Array[];
  /** End offset (exclusive) of chunk k's record, header included, from the xorb start. */
  chunkEnds: number[];
  /** Cumulative end of chunk k's uncompressed bytes. */
  unpackedEnds: number[];
}

const IDENT = Buffer.from("XETBLOB");
const IDENT_HASHES = Buffer.from("XBLBHSH");
const IDENT_BOUNDARIES = Buffer.from("XBLBBND");

/** `XorbObjectInfoV1` followed by its u32 `info_length` (XET_SPEC §4.4). */
export function buildXorbFooter(footer: XorbFooter): Buffer {
  const n = footer.chunkHashes.length;
  const infoLength = 92 + 40 * n;
  const out = Buffer.alloc(infoLength + 4);
  let o = 0;
  o += IDENT.copy(out, o);
  out[o++] = 1;
  o += Buffer.from(rawFromXetHex(footer.hash)).copy(out, o);
  o += IDENT_HASHES.copy(out, o);
  out[o++] = 0;
  o = out.writeUInt32LE(n, o);
  for (const h of footer.chunkHashes) o += Buffer.from(h.buffer, h.byteOffset, 32).copy(out, o);
  o += IDENT_BOUNDARIES.copy(out, o);
  out[o++] = 1;
  o = out.writeUInt32LE(n, o);
  for (const end of footer.chunkEnds) o = out.writeUInt32LE(end, o);
  for (const end of footer.unpackedEnds) o = out.writeUInt32LE(end, o);
  o = out.writeUInt32LE(n, o);
  o = out.writeUInt32LE(52 + 40 * n, o);
  o = out.writeUInt32LE(40 + 8 * n, o);
  o += 16; // nonce buffer, zero
  out.writeUInt32LE(infoLength, o);
  return out;
}

/** Parses the footer at the end of a whole serialized xorb (`tail` must hold at least the footer and its length). */
export function parseXorbFooter(tail: Buffer): XorbFooter {
  const infoLength = tail.readUInt32LE(tail.length - 4);
  const start = tail.length - 4 - infoLength;
  if (start < 0) throw new Error(`Xorb footer claims ${infoLength} bytes, only ${tail.length - 4} available`);
  const f = tail.subarray(start, tail.length - 4);
  const fail = (what: string): never => {
    throw new Error(`Invalid xorb footer: ${what}`);
  };
  if (!f.subarray(0, 7).equals(IDENT)) fail("missing XETBLOB ident");
  if (f[7] !== 1) fail(`version ${f[7]} (only 1 is supported)`);
  const hash = xetHex(f.subarray(8, 40));
  let o = 40;
  if (!f.subarray(o, o + 7).equals(IDENT_HASHES) || f[o + 7] !== 0) fail("bad hash section ident");
  const n = f.readUInt32LE(o + 8);
  if (infoLength !== 92 + 40 * n) fail(`length ${infoLength} does not match ${n} chunks`);
  o += 12;
  const chunkHashes: Uint8Array[] = [];
  for (let i = 0; i < n; i++, o += 32) chunkHashes.push(new Uint8Array(f.subarray(o, o + 32)));
  if (!f.subarray(o, o + 7).equals(IDENT_BOUNDARIES) || f[o + 7] !== 1) fail("bad boundary section ident");
  if (f.readUInt32LE(o + 8) !== n) fail("boundary section chunk count differs");
  o += 12;
  const chunkEnds: number[] = [];
  const unpackedEnds: number[] = [];
  for (let i = 0; i < n; i++, o += 4) chunkEnds.push(f.readUInt32LE(o));
  for (let i = 0; i < n; i++, o += 4) unpackedEnds.push(f.readUInt32LE(o));
  if (f.readUInt32LE(o) !== n || f.readUInt32LE(o + 4) !== 52 + 40 * n || f.readUInt32LE(o + 8) !== 40 + 8 * n) {
    fail("tail counts/offsets inconsistent");
  }
  return { hash, chunkHashes, chunkEnds, unpackedEnds };
}

export function footerLength(numChunks: number): number {
  return 96 + 40 * numChunks;
}
