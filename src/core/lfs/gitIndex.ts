// What git's index says about the checked-out files (the blob id of each path), and its timestamp, which
// decides whether git trusts the recorded stat data or re-reads files through git-lfs' clean filter.
import { createHash } from "node:crypto";
import { lstat, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import type { SimpleGit } from "simple-git";
import { sleep } from "../util/backoff";

/** The canonical pointer git-lfs writes for an object. */
export function lfsPointerText(oid: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`;
}

/** The git blob id of the canonical pointer git-lfs writes for an object (what the tree holds for the file). */
export function lfsPointerBlobId(oid: string, size: number): string {
  const pointer = lfsPointerText(oid, size);
  return createHash("sha1").update(`blob ${Buffer.byteLength(pointer)}\0${pointer}`).digest("hex");
}

export interface IndexEntry {
  blob: string;
  executable: boolean;
}

/** Path → blob id and mode of every stage-0 regular-file entry of the index. */
export async function indexEntries(git: SimpleGit): Promise<Map<string, IndexEntry>> {
  const out = new Map<string, IndexEntry>();
  for (const entry of (await git.raw(["ls-files", "--stage", "-z"])).split("\0")) {
    const m = /^(100644|100755) ([0-9a-f]{40,64}) 0\t(.+)$/s.exec(entry);
    if (m) out.set(m[3]!, { blob: m[2]!, executable: m[1] === "100755" });
  }
  return out;
}

const MAX_WAIT_MS = 2000;

/**
 * Git treats an entry whose mtime is not older (in whole seconds) than the index file as "racily clean":
 * every `git status` then re-reads it through the clean filter, which hashes and copies whole LFS files.
 * After a checkout the last files written usually share the index's second. Once every file is verified,
 * we wait for that second to pass and date the index to now, which is what a later rewrite by git would
 * record; a change made to a file after that gets a newer mtime and is still seen.
 * Returns whether the index was re-dated.
 */
export async function settleIndexTimestamp(options: { gitDir: string; modelDir: string; paths: readonly string[]; signal?: AbortSignal }): Promise<boolean> {
  const index = join(options.gitDir, "index");
  const indexInfo = await stat(index).catch(() => undefined);
  if (!indexInfo) return false;
  const indexSecond = Math.floor(indexInfo.mtimeMs / 1000);
  let latestSecond = Number.NEGATIVE_INFINITY;
  for (const path of options.paths) {
    const info = await lstat(join(options.modelDir, path)).catch(() => undefined);
    if (info) latestSecond = Math.max(latestSecond, Math.floor(info.mtimeMs / 1000));
  }
  const notBefore = (latestSecond + 1) * 1000;
  // Files dated in the future (a clock ahead on a network filesystem) are not worth waiting for.
  if (latestSecond < indexSecond || notBefore - Date.now() > MAX_WAIT_MS) return false;
  await sleep(notBefore - Date.now(), options.signal);
  if (options.signal?.aborted) return false;
  const now = new Date(Math.max(Date.now(), notBefore));
  await utimes(index, now, now);
  return true;
}
