// Builds one xorb on disk while a file is being added: chunk records are compressed in the background and
// appended in order to a temp file; `seal` writes the v1 footer and renames the file to its Xet hash.
import { open, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { xorbHash } from "@huggingface/xetchunk-wasm";
import { encodeChunk } from "./compress";
import { buildXorbFooter, chunkHeader, CHUNK_HEADER_BYTES, xetHex, type XorbFooter } from "./format";

export interface XorbLimits {
  /** Raw (uncompressed) bytes per xorb. */
  maxBytes: number;
  maxChunks: number;
}

export const DEFAULT_XORB_LIMITS: XorbLimits = { maxBytes: 64 * 1024 * 1024, maxChunks: 8192 };

export interface SealedXorb extends XorbFooter {
  path: string;
  /** Bytes written to the store by this seal (0 when an identical xorb already existed). */
  bytesWritten: number;
}

let tempCounter = 0;

export class XorbWriter {
  /** Set by `seal`. */
  hash?: string;
  readonly chunkHashes: Uint8Array[] = [];
  readonly chunkLengths: number[] = [];
  private readonly chunkEnds: number[] = [];
  private readonly unpackedEnds: number[] = [];
  private rawBytes = 0;
  private written = 0;
  private chain: Promise<void> = Promise.resolve();
  private failed?: unknown;

  private constructor(
    private readonly dir: string,
    private readonly tempPath: string,
    private readonly fh: FileHandle,
  ) {}

  static async create(dir: string): Promise<XorbWriter> {
    const tempPath = join(dir, `.tmp-${process.pid}-${++tempCounter}`);
    return new XorbWriter(dir, tempPath, await open(tempPath, "w"));
  }

  get count(): number {
    return this.chunkHashes.length;
  }

  fits(length: number, limits: XorbLimits): boolean {
    return this.count === 0 || (this.count < limits.maxChunks && this.rawBytes + length <= limits.maxBytes);
  }

  /** Queues a chunk; returns its index in this xorb. `data` must stay unchanged until `settled()`. */
  add(hash: Uint8Array, data: Uint8Array): number {
    const index = this.count;
    this.chunkHashes.push(hash);
    this.chunkLengths.push(data.length);
    this.rawBytes += data.length;
    this.unpackedEnds.push(this.rawBytes);
    const encoded = encodeChunk(data);
    encoded.catch(() => undefined); // observed through the chain below
    this.chain = this.chain.then(async () => {
      if (this.failed) return;
      try {
        const { scheme, payload } = await encoded;
        const header = chunkHeader({ scheme, compressedLength: payload.length, uncompressedLength: data.length });
        await this.fh.writev([header, payload]);
        this.written += CHUNK_HEADER_BYTES + payload.length;
        this.chunkEnds.push(this.written);
      } catch (err) {
        this.failed = err;
      }
    });
    return index;
  }

  /** Resolves once every chunk queued so far is on disk (bounds the memory held by pending compressions). */
  async settled(): Promise<void> {
    await this.chain;
    if (this.failed) throw new Error(`Writing xorb chunk records to ${this.tempPath} failed`, { cause: this.failed });
  }

  async seal(): Promise<SealedXorb> {
    await this.settled();
    const hash = xetHex(xorbHash(this.chunkHashes.map((h, i) => ({ hash: h, length: this.chunkLengths[i] }))));
    const footer: XorbFooter = { hash, chunkHashes: this.chunkHashes, chunkEnds: this.chunkEnds, unpackedEnds: this.unpackedEnds };
    const tail = buildXorbFooter(footer);
    await this.fh.write(tail);
    await this.fh.close();
    const path = join(this.dir, hash);
    let bytesWritten = this.written + tail.length;
    if (await exists(path)) {
      // Same chunks in the same order as a stored xorb: keep the stored one.
      await rm(this.tempPath, { force: true });
      bytesWritten = 0;
    } else {
      await rename(this.tempPath, path);
    }
    this.hash = hash;
    return { ...footer, path, bytesWritten };
  }

  async abort(): Promise<void> {
    await this.chain.catch(() => undefined);
    await this.fh.close().catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
