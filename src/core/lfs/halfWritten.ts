// A checkout that failed part way (a full disk, a kill) leaves the files git had begun to write cut short: shorter
// than both their content and their LFS pointer. They go, so that after a failure the folder holds only whole files
// and pointers, as after any other step; the next run checks them out again.
import { lstat, rm } from "node:fs/promises";
import { join } from "node:path";
import type { RepoFileEntry } from "../hub/api";
import { isSafeRepoPath } from "../util/safePaths";
import { lfsPointerText } from "./gitIndex";

/** Removes each of `files` whose size on disk is neither its content's nor its pointer's; returns their paths. */
export async function removeHalfWrittenFiles(options: { modelDir: string; files: readonly RepoFileEntry[]; keep?: readonly string[] }): Promise<string[]> {
  const keep = new Set(options.keep);
  const removed: string[] = [];
  for (const f of options.files) {
    if (keep.has(f.path) || !isSafeRepoPath(f.path)) continue;
    const path = join(options.modelDir, ...f.path.split("/"));
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isFile() || info.size === f.size) continue;
    if (f.lfs && info.size === Buffer.byteLength(lfsPointerText(f.lfs.oid, f.lfs.size))) continue;
    await rm(path, { force: true });
    removed.push(f.path);
  }
  return removed;
}
