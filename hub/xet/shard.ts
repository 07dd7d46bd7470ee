// A reader for MDB shards (XET_SPEC §5): header, file-info and CAS-info sections, optional 200-byte footer.
// Enough to check real shards such as the gpt2 global-dedup reply; hashes come back as Xet hex.
import { xetHex } from "./format";

// "HFRepoMetaData\0" + 17 magic bytes.
const SHARD_TAG = Buffer.from("48465265706f4d6574614461746100556967456a7b815783a5bdd95ccdd14aa9", "hex");
const RECORD = 48;
const FOOTER_SIZE = 200;
const FLAG_VERIFICATION = 0x80000000;
const FLAG_METADATA_EXT = 0x40000000;

export interface ShardFile {
  fileHash: string;
  flags: number;
  entries: Array<{ xorbHash: string; xorbFlags: number; unpackedBytes: number; chunkStart: number; chunkEnd: number }>;
  verification?: string[];
  /** Plain SHA-256 hex (stored group-reversed, so its Xet hex is the usual digest text). */
  sha256?: string;
}

export interface ShardXorb {
  hash: string;
  flags: number;
  numBytesInXorb: number;
  numBytesOnDisk: number;
  chunks: Array<{ hash: string; byteRangeStart: number; unpackedBytes: number; flags: number }>;
}

export interface ShardFooter {
  version: number;
  fileInfoOffset: number;
  xorbInfoOffset: number;
  fileLookupOffset: number;
  fileLookupNumEntry: number;
  xorbLookupOffset: number;
  xorbLookupNumEntry: number;
  chunkLookupOffset: number;
  chunkLookupNumEntry: number;
  hmacKey: string;
  creationTimestamp: number;
  keyExpiry: number;
  storedBytesOnDisk: number;
  materializedBytes: number;
  storedBytes: number;
  footerOffset: number;
}

export interface Shard {
  version: number;
  footerSize: number;
  files: ShardFile[];
  xorbs: ShardXorb[];
  footer?: ShardFooter;
}

export function parseShard(data: Uint8Array): Shard {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const fail = (what: string, at: number): never => {
    throw new Error(`Invalid shard at byte ${at}: ${what}`);
  };
  if (buf.length < RECORD) fail("shorter than its header", 0);
  if (!buf.subarray(0, 32).equals(SHARD_TAG)) fail("bad header tag", 0);
  const version = Number(buf.readBigUInt64LE(32));
  const footerSize = Number(buf.readBigUInt64LE(40));
  if (version !== 2) fail(`unsupported header version ${version}`, 32);
  if (footerSize !== 0 && footerSize !== FOOTER_SIZE) fail(`unexpected footer size ${footerSize}`, 40);

  let o = RECORD;
  const need = (n: number) => {
    if (o + n > buf.length) fail(`truncated (needs ${n} more bytes)`, o);
  };
  const hashAt = (at: number) => xetHex(buf.subarray(at, at + 32));
  const isBookend = () => {
    need(RECORD);
    return buf.subarray(o, o + 32).every((b) => b === 0xff) && buf.subarray(o + 32, o + 48).every((b) => b === 0);
  };

  const files: ShardFile[] = [];
  while (!isBookend()) {
    const flags = buf.readUInt32LE(o + 32);
    const n = buf.readUInt32LE(o + 36);
    const file: ShardFile = { fileHash: hashAt(o), flags, entries: [] };
    o += RECORD;
    need(n * RECORD);
    for (let i = 0; i < n; i++, o += RECORD) {
      file.entries.push({
        xorbHash: hashAt(o),
        xorbFlags: buf.readUInt32LE(o + 32),
        unpackedBytes: buf.readUInt32LE(o + 36),
        chunkStart: buf.readUInt32LE(o + 40),
        chunkEnd: buf.readUInt32LE(o + 44),
      });
    }
    if (flags & FLAG_VERIFICATION) {
      need(n * RECORD);
      file.verification = [];
      for (let i = 0; i < n; i++, o += RECORD) file.verification.push(hashAt(o));
    }
    if (flags & FLAG_METADATA_EXT) {
      need(RECORD);
      file.sha256 = hashAt(o);
      o += RECORD;
    }
    files.push(file);
  }
  o += RECORD;

  const xorbs: ShardXorb[] = [];
  while (!isBookend()) {
    const n = buf.readUInt32LE(o + 36);
    const xorb: ShardXorb = {
      hash: hashAt(o),
      flags: buf.readUInt32LE(o + 32),
      numBytesInXorb: buf.readUInt32LE(o + 40),
      numBytesOnDisk: buf.readUInt32LE(o + 44),
      chunks: [],
    };
    o += RECORD;
    need(n * RECORD);
    for (let i = 0; i < n; i++, o += RECORD) {
      xorb.chunks.push({
        hash: hashAt(o),
        byteRangeStart: buf.readUInt32LE(o + 32),
        unpackedBytes: buf.readUInt32LE(o + 36),
        flags: buf.readUInt32LE(o + 40),
      });
    }
    xorbs.push(xorb);
  }
  o += RECORD;

  let footer: ShardFooter | undefined;
  if (footerSize === FOOTER_SIZE) {
    const at = buf.length - FOOTER_SIZE;
    if (at < o) fail("footer overlaps the sections", at);
    const u64 = (k: number) => Number(buf.readBigUInt64LE(at + k));
    footer = {
      version: u64(0),
      fileInfoOffset: u64(8),
      xorbInfoOffset: u64(16),
      fileLookupOffset: u64(24),
      fileLookupNumEntry: u64(32),
      xorbLookupOffset: u64(40),
      xorbLookupNumEntry: u64(48),
      chunkLookupOffset: u64(56),
      chunkLookupNumEntry: u64(64),
      hmacKey: hashAt(at + 72),
      creationTimestamp: u64(104),
      keyExpiry: u64(112),
      storedBytesOnDisk: u64(168),
      materializedBytes: u64(176),
      storedBytes: u64(184),
      footerOffset: u64(192),
    };
    if (footer.footerOffset !== at) fail(`footer_offset ${footer.footerOffset} is not where the footer is`, at + 192);
  }
  return { version, footerSize, files, xorbs, footer };
}
