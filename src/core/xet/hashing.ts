// Content hashes the Xet route checks against the listing: SHA-256 for LFS/Xet files, the git blob id for
// small files. Fed while bytes stream to disk, and seeded from a partial file when a download resumes.
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { RepoFileEntry } from "../hub/api";

export type HashKind = "sha256" | "git-sha1";

/** What a finished file must be: its size and the hex digest of `kind`. */
export interface ExpectedContent {
  kind: HashKind;
  hash: string;
  size: number;
}

export function expectedContent(file: RepoFileEntry): ExpectedContent {
  if (file.lfs) return { kind: "sha256", hash: file.lfs.oid.replace(/^sha256:/i, "").toLowerCase(), size: file.lfs.size };
  return { kind: "git-sha1", hash: file.blobOid.toLowerCase(), size: file.size };
}

/** A fresh hash; the git blob id covers a `blob <size>\0` header before the content. */
export function createContentHash(expected: ExpectedContent): Hash {
  if (expected.kind === "sha256") return createHash("sha256");
  return createHash("sha1").update(`blob ${expected.size}\0`);
}

/** Feeds the first `length` bytes of `path` into `hash` (streamed, never buffered whole). */
export async function feedFile(options: { hash: Hash; path: string; length: number; signal?: AbortSignal }): Promise<void> {
  if (options.length === 0) return;
  const stream = createReadStream(options.path, { start: 0, end: options.length - 1, highWaterMark: 1 << 20, signal: options.signal });
  for await (const chunk of stream) options.hash.update(chunk as Buffer);
}

/** Hex digest of the first `expected.size` bytes of a file on disk. */
export async function hashFile(options: { path: string; expected: ExpectedContent; signal?: AbortSignal }): Promise<string> {
  const hash = createContentHash(options.expected);
  await feedFile({ hash, path: options.path, length: options.expected.size, signal: options.signal });
  return hash.digest("hex");
}
