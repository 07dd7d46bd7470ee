// The local CAS's storage: turns files into real-format xorbs (CDC chunks, global chunk dedup, LZ4/BG4 records,
// v1 footers) under `<dataDir>/xorbs/`, and keeps the in-memory index that reconstructions and xorb ranges need.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { createChunker, fileHash, finalize, nextBlock, type Chunk } from "@huggingface/xetchunk-wasm";
import { isXetHex, parseXorbFooter, xetHex } from "./format";
import { DEFAULT_XORB_LIMITS, XorbWriter, type XorbLimits } from "./xorbWriter";

export interface XetTerm {
  /** Xorb hash (Xet hex). */
  xorb: string;
  chunkStart: number;
  /** Exclusive. */
  chunkEnd: number;
  unpackedLength: number;
}

export interface XetFileRecord {
  /** File id, Xet hex. */
  fileHash: string;
  size: number;
  /** Plain hex SHA-256 of the content. */
  sha256: string;
  terms: XetTerm[];
}

export interface XorbInfo {
  hash: string;
  path: string;
  /** Size of the stored object, footer included. */
  objectSize: number;
  chunkHashes: Uint8Array[];
  /** End offset (exclusive) of chunk k's record from the xorb start, header included (footer `chunk_boundary_offsets`). */
  chunkEnds: number[];
  /** Cumulative end of chunk k's uncompressed bytes. */
  unpackedEnds: number[];
}

export interface XetStoreStats {
  xorbs: number;
  chunks: number;
  files: number;
  /** Bytes written to `xorbs/` by this store instance. */
  bytesWritten: number;
}

interface ChunkLoc {
  xorb: XorbWriter | XorbInfo;
  index: number;
}

const READ_BLOCK = 8 * 1024 * 1024;
const PIPELINE_BLOCKS = 2;

export class XetStore {
  private readonly xorbs = new Map<string, XorbInfo>();
  private readonly files = new Map<string, XetFileRecord>();
  /** Plain-hex chunk hash → first place it is stored. */
  private readonly chunks = new Map<string, ChunkLoc>();
  private bytesWritten = 0;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly xorbDir: string,
    private readonly limits: XorbLimits,
    private readonly readBlock: number,
  ) {}

  /** Opens (creating) `<dataDir>/xorbs/` and indexes the xorbs already there, so a reused data dir dedups against them. */
  static async open(opts: {
    dataDir: string;
    /** Smaller xorbs for tests (default: the Xet limits). */
    xorbLimits?: Partial<XorbLimits>;
    /** Bytes read and chunked at a time (default 8 MiB). */
    readBlockBytes?: number;
  }): Promise<XetStore> {
    const store = new XetStore(join(opts.dataDir, "xorbs"), { ...DEFAULT_XORB_LIMITS, ...opts.xorbLimits }, opts.readBlockBytes ?? READ_BLOCK);
    await mkdir(store.xorbDir, { recursive: true });
    for (const name of (await readdir(store.xorbDir)).sort()) {
      const path = join(store.xorbDir, name);
      if (name.startsWith(".tmp-")) await rm(path, { force: true });
      else if (isXetHex(name)) store.indexXorb(await readXorbIndex(path));
    }
    return store;
  }

  /** Chunks, dedups and stores a file; adding the same content again returns the same record and writes nothing. */
  addFile(absPath: string): Promise<XetFileRecord> {
    const run = this.queue.then(() =>
      this.addFileNow(absPath).catch((err: unknown) => {
        throw new Error(`Could not add ${absPath} to the Xet store: ${(err as Error).message}`, { cause: err });
      }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  getFile(fileHash: string): XetFileRecord | undefined {
    return this.files.get(fileHash);
  }

  xorbInfo(hash: string): XorbInfo | undefined {
    return this.xorbs.get(hash);
  }

  /** Serialized xorb bytes `[start, endInclusive]` (chunk records; the footer too if asked for). */
  openXorbRange(hash: string, start: number, endInclusive: number): Readable {
    const info = this.xorbs.get(hash);
    if (!info) throw new Error(`Unknown xorb ${hash}`);
    if (start < 0 || endInclusive < start || endInclusive >= info.objectSize) {
      throw new Error(`Range ${start}-${endInclusive} is outside xorb ${hash} (${info.objectSize} bytes)`);
    }
    return createReadStream(info.path, { start, end: endInclusive });
  }

  stats(): XetStoreStats {
    return { xorbs: this.xorbs.size, chunks: this.chunks.size, files: this.files.size, bytesWritten: this.bytesWritten };
  }

  private indexXorb(info: XorbInfo): void {
    this.xorbs.set(info.hash, info);
    info.chunkHashes.forEach((h, index) => {
      const key = Buffer.from(h).toString("hex");
      if (!this.chunks.has(key)) this.chunks.set(key, { xorb: info, index });
    });
  }

  private async addFileNow(absPath: string): Promise<XetFileRecord> {
    const size = (await stat(absPath)).size;
    const sha = createHash("sha256");
    const chunker = createChunker();
    const allChunks: Chunk[] = [];
    const placed: ChunkLoc[] = [];
    const writers: XorbWriter[] = [];
    const newKeys: string[] = [];
    let writer: XorbWriter | undefined;
    let leftover: Buffer = Buffer.alloc(0);
    const inFlight: Promise<void>[] = [];

    /** Places the chunks that end in `block`; the first one may begin in `leftover` (the tail of earlier blocks). */
    const placeAll = async (chunks: Chunk[], block: Buffer): Promise<void> => {
      let offset = -leftover.length; // where the next chunk starts, relative to `block`
      for (const chunk of chunks) {
        const end = offset + chunk.length;
        const bytes = offset < 0 ? Buffer.concat([leftover, block.subarray(0, end)]) : block.subarray(offset, end);
        offset = end;
        allChunks.push(chunk);
        const key = Buffer.from(chunk.hash).toString("hex");
        const known = this.chunks.get(key);
        if (known) {
          placed.push(known);
          continue;
        }
        if (!writer || !writer.fits(bytes.length, this.limits)) {
          if (writer) await this.sealWriter(writer);
          writer = await XorbWriter.create(this.xorbDir);
          writers.push(writer);
        }
        const loc = { xorb: writer, index: writer.add(chunk.hash, bytes) };
        this.chunks.set(key, loc);
        newKeys.push(key);
        placed.push(loc);
      }
      leftover = offset < 0 ? Buffer.concat([leftover, block]) : block.subarray(offset);
    };

    const fh = await open(absPath, "r");
    try {
      for (let pos = 0; pos < size; ) {
        const block = Buffer.allocUnsafe(Math.min(this.readBlock, size - pos));
        const { bytesRead } = await fh.read(block, 0, block.length, pos);
        if (bytesRead !== block.length) throw new Error(`${absPath} changed while being added (short read at ${pos})`);
        pos += bytesRead;
        sha.update(block);
        const chunks = nextBlock(chunker, block);
        if (pos === size) {
          const last = finalize(chunker);
          if (last) chunks.push(last);
        }
        await placeAll(chunks, block);
        // Let compressions run while the next blocks are read and chunked, but at most PIPELINE_BLOCKS behind.
        if (writer) {
          const done = writer.settled();
          done.catch(() => undefined); // awaited below
          inFlight.push(done);
        }
        while (inFlight.length > PIPELINE_BLOCKS) await inFlight.shift();
      }
      await Promise.all(inFlight);
      if (writer && !writer.hash) await this.sealWriter(writer);
    } catch (err) {
      await Promise.all(writers.filter((w) => !w.hash).map((w) => w.abort()));
      throw err;
    } finally {
      await fh.close();
      // Index entries now point at sealed xorbs; those of an aborted xorb are forgotten.
      for (const key of newKeys) {
        const loc = this.chunks.get(key)!;
        if (!(loc.xorb instanceof XorbWriter)) continue;
        if (loc.xorb.hash) loc.xorb = this.xorbs.get(loc.xorb.hash)!;
        else this.chunks.delete(key);
      }
    }
    const record: XetFileRecord = {
      fileHash: xetHex(fileHash(allChunks)),
      size,
      sha256: sha.digest("hex"),
      terms: toTerms(placed, allChunks),
    };
    const existing = this.files.get(record.fileHash);
    if (existing) return existing;
    this.files.set(record.fileHash, record);
    return record;
  }

  private async sealWriter(writer: XorbWriter): Promise<void> {
    const sealed = await writer.seal();
    this.bytesWritten += sealed.bytesWritten;
    if (!this.xorbs.has(sealed.hash)) {
      const { hash, path, chunkHashes, chunkEnds, unpackedEnds } = sealed;
      this.xorbs.set(hash, { hash, path, chunkHashes, chunkEnds, unpackedEnds, objectSize: (await stat(path)).size });
    }
  }
}

function toTerms(placed: ChunkLoc[], chunks: Chunk[]): XetTerm[] {
  const terms: XetTerm[] = [];
  placed.forEach((loc, i) => {
    const xorb = loc.xorb.hash!;
    const last = terms[terms.length - 1];
    if (last && last.xorb === xorb && last.chunkEnd === loc.index) {
      last.chunkEnd++;
      last.unpackedLength += chunks[i].length;
    } else {
      terms.push({ xorb, chunkStart: loc.index, chunkEnd: loc.index + 1, unpackedLength: chunks[i].length });
    }
  });
  return terms;
}

async function readXorbIndex(path: string): Promise<XorbInfo> {
  const fh = await open(path, "r");
  try {
    const objectSize = (await fh.stat()).size;
    const lenBuf = Buffer.alloc(4);
    await fh.read(lenBuf, 0, 4, objectSize - 4);
    const tailLength = lenBuf.readUInt32LE(0) + 4;
    const tail = Buffer.alloc(tailLength);
    await fh.read(tail, 0, tailLength, objectSize - tailLength);
    const footer = parseXorbFooter(tail);
    return { ...footer, path, objectSize };
  } catch (err) {
    throw new Error(`Stored xorb ${path} has no readable footer; delete it or the data dir`, { cause: err });
  } finally {
    await fh.close();
  }
}
