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
  /** Exclusive. */
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

  private constructor(
    readonly path: string,
    readonly oid: string,
    readonly size: number,
    readonly blockBytes: number,
    /** Bytes written from each block's start. */
    readonly written: number[],
  ) {}

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
    const start = index * this.blockBytes;
    return { index, start, end: start + blockLength(this.size, this.blockBytes, index) };
  }

  get doneBytes(): number {
    return this.written.reduce((a, b) => a + b, 0);
  }

  /** Bytes from the start up to the first gap. */
  get prefixBytes(): number {
    let prefix = 0;
    for (const [i, w] of this.written.entries()) {
      prefix += w;
      if (w < blockLength(this.size, this.blockBytes, i)) break;
    }
    return prefix;
  }

  /** Blocks with bytes still to come. */
  missingBlocks(): Block[] {
    return this.written.flatMap((w, i) => (w < blockLength(this.size, this.blockBytes, i) ? [this.block(i)] : []));
  }

  /**
   * Writes `chunks` one after the other at the next offset of `block` and counts them: one system call for all of
   * them, without first copying them into one buffer (a gigabyte's copy and its garbage otherwise).
   */
  async append(block: Block, chunks: readonly Buffer[]): Promise<void> {
    // Not "a+": appending mode ignores the write position.
    const fh = await (this.handle ??= open(this.path, "r+").catch(() => open(this.path, "w+")));
    let rest = chunks;
    while (rest.length > 0) {
      const { bytesWritten } = await fh.writev(rest, block.start + this.written[block.index]!);
      this.written[block.index]! += bytesWritten;
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
    const state = JSON.stringify({ size: this.size, block: this.blockBytes, written: this.written });
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
