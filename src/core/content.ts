// What a repo file's content must be and what a download delivered: the expected hash of a listed file
// (SHA-256 of the LFS oid, else the git blob id), how to compute it from bytes on disk, and the delivered record.
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { cancelledError } from "./errors";
import type { RepoFileEntry } from "./hub/api";

/** Which route delivered a model's files. */
export type DownloadMethod = "lfs" | "xet";

/** SHA-256 for LFS/Xet content; the git blob id (sha1 over `blob <size>\0` + content) for files kept in git itself. */
export type HashKind = "sha256" | "git-sha1";

/** A file as delivered and verified: what the record keeps. */
export interface DownloadedFile {
  path: string;
  size: number;
  /** Lowercase hex digest of `hashKind`. */
  hash: string;
  hashKind: HashKind;
}

/** What a finished file must be: its size and the lowercase hex digest of `kind`. */
export interface ExpectedContent {
  kind: HashKind;
  hash: string;
  size: number;
}

/** The one rule for what a listed file must hash to. Also the file's content key: equal keys, equal bytes. */
export function expectedContent(file: RepoFileEntry): ExpectedContent {
  if (file.lfs) return { kind: "sha256", hash: file.lfs.oid.replace(/^sha256:/i, "").toLowerCase(), size: file.lfs.size };
  return { kind: "git-sha1", hash: file.blobOid.toLowerCase(), size: file.size };
}

/** A fresh hash; the git blob id covers a `blob <size>\0` header before the content. */
export function createContentHash(expected: Pick<ExpectedContent, "kind" | "size">): Hash {
  if (expected.kind === "sha256") return createHash("sha256");
  return createHash("sha1").update(`blob ${expected.size}\0`);
}

/** Feeds the first `length` bytes of `path` into `hash` (streamed, never buffered whole). */
export async function feedFile(options: { hash: Hash; path: string; length: number; signal?: AbortSignal; onBytes?: (bytes: number) => void }): Promise<void> {
  if (options.length === 0) return;
  const stream = createReadStream(options.path, { start: 0, end: options.length - 1, highWaterMark: 1 << 20, signal: options.signal });
  try {
    for await (const chunk of stream) {
      options.hash.update(chunk as Buffer);
      options.onBytes?.((chunk as Buffer).length);
    }
  } catch (err) {
    if (options.signal?.aborted) throw cancelledError(err);
    throw err;
  }
}

export interface HashFileOptions {
  path: string;
  /** The kind of digest; with a `size`, only that many bytes are hashed (else the whole file, its size read first). */
  expected: { kind: HashKind; size?: number };
  signal?: AbortSignal;
  /** Called with the bytes of each chunk read, for verification progress. */
  onBytes?: (bytes: number) => void;
}

/** Lowercase hex digest of a file on disk, streamed without loading it into memory. */
export async function hashFile({ path, expected, signal, onBytes }: HashFileOptions): Promise<string> {
  const size = expected.size ?? (await stat(path)).size;
  const hash = createContentHash({ kind: expected.kind, size });
  await feedFile({ hash, path, length: size, signal, onBytes });
  return hash.digest("hex");
}

/** Which file on disk a route verified: noted at verification time, checked once more before the record is written. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

const identities = new WeakMap<DownloadedFile, FileIdentity>();

/** Notes the inode whose bytes were just verified as `file` (never written to the record). Returns `file`. */
export function noteIdentity(file: DownloadedFile, stats: { dev: number; ino: number }): DownloadedFile {
  identities.set(file, { dev: stats.dev, ino: stats.ino });
  return file;
}

/** The inode noted by `noteIdentity`, if any: a file without one is hashed again before it is recorded. */
export function identityOf(file: DownloadedFile): FileIdentity | undefined {
  return identities.get(file);
}
