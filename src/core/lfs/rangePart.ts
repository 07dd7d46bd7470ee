// One LFS object downloaded in ranges: a file written at offsets in `.git/lfs/incomplete/hf-ranges/<oid>` and,
// beside it, how far each block got, so a later run asks only for what is missing. A block's count is saved
// after its bytes were written, so it never claims more than the file holds; the SHA-256 check at the end
// catches whatever a crash still managed to lose.
import { createHash } from "node:crypto";
import { mkdir, open, readFile, rename, rm, utimes, writeFile, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import { DownloadError } from "../errors";
import { removeReplaced, replaceFile } from "../util/replaceFile";
import { lfsObjectPath, lfsPartPath, sizeOf } from "./objects";

/** Bytes per range request: large enough that a request's latency costs little, small enough to spread a file. */
export const BLOCK_BYTES = 32 * 1024 * 1024;

const SAVE_EVERY_MS = 500;
const HASH_READ_BYTES = 4 * 1024 * 1024;
const BACKDATE_MS = 3000;

export interface Block {
  index: number;
  start: number;
  /** Exclusive; moves back when split() gives the block's second half to another request. */
  end: number;
}

export function rangesDir(gitDir: string): string {
  return join(gitDir, "lfs", "incomplete", "hf-ranges");
}

export class RangePart {
  private handle?: Promise<FileHandle>;
  private saving = Promise.resolve();
  private savedAt = 0;
  private readonly hash = createHash("sha256");
  private hashedUpTo = 0;
  private hashing = Promise.resolve();
  /** Every block by index: the layout's first (`blockBytes` each, the saved state's), then the halves split() made. */
  private readonly blocks: Block[];
  /** The layout block each block lies in. */
  private readonly layoutOf: number[];
  /** For each layout block, the indexes of the blocks it is now cut into, in file order. */
  private readonly pieces: number[][];

  private constructor(
    readonly path: string,
    readonly oid: string,
    readonly size: number,
    readonly blockBytes: number,
    /** Bytes written from each block's start. */
    readonly written: number[],
  ) {
    this.blocks = written.map((_, index) => ({ index, start: index * blockBytes, end: index * blockBytes + blockLength(size, blockBytes, index) }));
    this.layoutOf = this.blocks.map((b) => b.index);
    this.pieces = this.blocks.map((b) => [b.index]);
  }

  /** The part of `oid` as a previous run left it; a git-lfs `.part` (a prefix) counts when there is none of ours. */
  static async open(gitDir: string, oid: string, size: number, blockBytes = BLOCK_BYTES): Promise<RangePart> {
    await assertCloneThere(gitDir);
    const path = join(rangesDir(gitDir), oid);
    const count = Math.max(1, Math.ceil(size / blockBytes));
    const saved = await readState(`${path}.json`, size, blockBytes, count);
    if (saved && (await sizeOf(path)) !== undefined) return new RangePart(path, oid, size, blockBytes, saved);
    await mkdir(dirname(path), { recursive: true });
    const prefix = Math.min(size, (await sizeOf(lfsPartPath(gitDir, oid))) ?? 0);
    if (prefix > 0) await rename(lfsPartPath(gitDir, oid), path);
    else await rm(path, { force: true });
    const written = Array.from({ length: count }, (_, i) => Math.max(0, Math.min(prefix - i * blockBytes, blockLength(size, blockBytes, i))));
    return new RangePart(path, oid, size, blockBytes, written);
  }

  block(index: number): Block {
    return this.blocks[index]!;
  }

  get doneBytes(): number {
    return this.written.reduce((a, b) => a + b, 0);
  }

  /** Bytes from the start up to the first gap. */
  get prefixBytes(): number {
    let prefix = 0;
    for (let i = 0; i < this.pieces.length; i++) {
      const w = this.layoutWritten(i);
      prefix += w;
      if (w < blockLength(this.size, this.blockBytes, i)) break;
    }
    return prefix;
  }

  /** Bytes written from a layout block's start up to its first gap (what the saved state may claim). */
  private layoutWritten(layoutIndex: number): number {
    let sum = 0;
    for (const index of this.pieces[layoutIndex]!) {
      const { start, end } = this.blocks[index]!;
      sum += this.written[index]!;
      if (start + this.written[index]! < end) break;
    }
    return sum;
  }

  /** Blocks with bytes still to come. */
  missingBlocks(): Block[] {
    return this.blocks.filter((b) => b.start + this.written[b.index]! < b.end);
  }

  /**
   * Cuts the bytes still to come of `block` in two when each half has at least `minBytes`: `block` ends halfway, and
   * the second half comes back as a new block for another request. The halves' progress is saved as their layout
   * block's bytes up to the first gap, so a run killed meanwhile loses at most the second half.
   */
  split(block: Block, minBytes: number): Block | undefined {
    const from = block.start + this.written[block.index]!;
    if (block.end - from < 2 * minBytes) return undefined;
    const half: Block = { index: this.blocks.length, start: from + Math.floor((block.end - from) / 2), end: block.end };
    block.end = half.start;
    const layout = this.layoutOf[block.index]!;
    const pieces = this.pieces[layout]!;
    pieces.splice(pieces.indexOf(block.index) + 1, 0, half.index);
    this.blocks.push(half);
    this.layoutOf.push(layout);
    this.written.push(0);
    return half;
  }

  /**
   * Writes `chunks` one after the other at the next offset of `block` and counts them: one system call for all of
   * them, without first copying them into one buffer (a gigabyte's copy and its garbage otherwise). Returns how many
   * bytes were counted: fewer than given when the block's end moved back (split).
   */
  async append(block: Block, chunks: readonly Buffer[]): Promise<number> {
    // Not "a+": appending mode ignores the write position.
    const fh = await (this.handle ??= open(this.path, "r+").catch(() => open(this.path, "w+")));
    const before = this.written[block.index]!;
    let rest = chunks;
    for (;;) {
      // Never past the block's end, which split() may move back at any await: bytes there belong to its other half.
      // (Written there anyway, they would be the same bytes; only the count must not claim them.)
      rest = firstBytes(rest, block.end - (block.start + this.written[block.index]!));
      if (rest.length === 0) return this.written[block.index]! - before;
      const { bytesWritten } = await fh.writev(rest, block.start + this.written[block.index]!);
      this.written[block.index] = Math.min(this.written[block.index]! + bytesWritten, block.end - block.start);
      rest = afterBytes(rest, bytesWritten);
    }
  }

  /**
   * Feeds the SHA-256 with what lies on disk from where it stopped up to the first gap (read back from the page
   * cache), so hashing runs beside the transfer instead of after it. Calls are serialized.
   */
  followHash(): Promise<void> {
    this.hashing = this.hashing.then(() => this.hashUpTo(this.prefixBytes));
    return this.hashing;
  }

  /** The SHA-256 of the whole object as written; call when no block is missing. */
  async sha256(): Promise<string> {
    await this.followHash();
    if (this.hashedUpTo !== this.size) throw new Error(`hashed ${this.hashedUpTo} of ${this.size} bytes`);
    return this.hash.digest("hex");
  }

  private async hashUpTo(end: number): Promise<void> {
    if (end <= this.hashedUpTo) return;
    const fh = await open(this.path, "r");
    try {
      const buf = Buffer.allocUnsafe(Math.min(HASH_READ_BYTES, end - this.hashedUpTo));
      while (this.hashedUpTo < end) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - this.hashedUpTo), this.hashedUpTo);
        if (bytesRead === 0) throw new Error(`${this.path} ends at ${this.hashedUpTo}, expected ${end} bytes`);
        this.hash.update(buf.subarray(0, bytesRead));
        this.hashedUpTo += bytesRead;
      }
    } finally {
      await fh.close();
    }
  }

  /** Saves the block counts when the last save is older than half a second: what a kill -9 can cost. */
  saveNowAndThen(): Promise<void> {
    return Date.now() - this.savedAt >= SAVE_EVERY_MS ? this.save() : Promise.resolve();
  }

  /** Saves the block counts (serialized: the last save wins). */
  save(): Promise<void> {
    this.savedAt = Date.now();
    const state = JSON.stringify({ size: this.size, block: this.blockBytes, written: this.pieces.map((_, i) => this.layoutWritten(i)) });
    this.saving = this.saving.then(() => replaceFile(`${this.path}.json`, state)).catch(() => undefined);
    return this.saving;
  }

  async close(): Promise<void> {
    const fh = await this.handle?.catch(() => undefined);
    this.handle = undefined;
    await fh?.close().catch(() => undefined);
    await this.saving;
  }

  /** Moves the finished, verified file into git-lfs' object store. */
  async store(gitDir: string): Promise<void> {
    await this.close();
    if (this.size === 0) await writeFile(this.path, "");
    await assertCloneThere(gitDir);
    const target = lfsObjectPath(gitDir, this.oid);
    await mkdir(dirname(target), { recursive: true });
    // Dated a few seconds back: the model file linked to it is then older than git's index, not "racily clean",
    // and the route need not wait for the clock's next second before it dates the index (gitIndex.ts).
    const past = new Date(Date.now() - BACKDATE_MS);
    await utimes(this.path, past, past);
    await rename(this.path, target);
    await removeReplaced(`${this.path}.json`);
  }

  async discard(): Promise<void> {
    await this.close();
    await rm(this.path, { force: true });
    await removeReplaced(`${this.path}.json`);
  }
}

/** Folders are made as needed below `.git`, never `.git` itself: a clone deleted meanwhile must stay gone. */
async function assertCloneThere(gitDir: string): Promise<void> {
  if ((await sizeOf(join(gitDir, "HEAD"))) === undefined) {
    throw new DownloadError("not-writable", `The clone at ${dirname(gitDir)} is gone (its .git/HEAD is missing).`);
  }
}

/** What is left of `chunks` once their first `bytes` are written (a short write leaves part of a chunk). */
export function afterBytes(chunks: readonly Buffer[], bytes: number): readonly Buffer[] {
  let i = 0;
  while (i < chunks.length && bytes >= chunks[i]!.length) bytes -= chunks[i++]!.length;
  if (i === chunks.length) return [];
  return [chunks[i]!.subarray(bytes), ...chunks.slice(i + 1)];
}

/** The first `bytes` of `chunks` (all of them when they hold no more). */
function firstBytes(chunks: readonly Buffer[], bytes: number): readonly Buffer[] {
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    if (bytes <= 0) break;
    out.push(chunk.length > bytes ? chunk.subarray(0, bytes) : chunk);
    bytes -= chunk.length;
  }
  return out;
}

function blockLength(size: number, blockBytes: number, index: number): number {
  return Math.max(0, Math.min(blockBytes, size - index * blockBytes));
}

async function readState(path: string, size: number, blockBytes: number, count: number): Promise<number[] | undefined> {
  try {
    const state = JSON.parse(await readFile(path, "utf8")) as { size?: unknown; block?: unknown; written?: unknown };
    if (state.size !== size || state.block !== blockBytes || !Array.isArray(state.written) || state.written.length !== count) return undefined;
    return state.written.map((w, i) => (Number.isInteger(w) ? Math.max(0, Math.min(w as number, blockLength(size, blockBytes, i))) : 0));
  } catch {
    return undefined;
  }
}
