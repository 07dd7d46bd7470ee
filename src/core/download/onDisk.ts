// What the disk says about a download before its record claims it complete: every delivered file still there, of
// its size, and the inode the route verified (only a file without a noted inode is hashed again); and which files of
// the previous record the user changed since, so that no run overwrites or removes them without being asked.
import { lstat, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { hashFile, identityOf, type DownloadedFile } from "../content";
import { RECORD_FILE } from "../layout";
import type { ModelRecord } from "../library/metadata";
import { isSafeRepoPath } from "../util/safePaths";

export interface FileProblem {
  path: string;
  why: string;
}

/** The delivered files that are not, on disk right now, what the route verified. */
export async function filesNotOnDisk(options: { modelDir: string; files: readonly DownloadedFile[]; signal?: AbortSignal }): Promise<FileProblem[]> {
  const problems: FileProblem[] = [];
  for (const file of options.files) {
    const path = join(options.modelDir, ...file.path.split("/"));
    const info = await lstat(path).catch(() => undefined);
    if (!info) problems.push({ path: file.path, why: "it is missing" });
    else if (!info.isFile()) problems.push({ path: file.path, why: "it is no longer a regular file" });
    else if (info.size !== file.size) problems.push({ path: file.path, why: `it has ${info.size} bytes, expected ${file.size}` });
    else {
      const id = identityOf(file);
      if (id && id.ino === info.ino && id.dev === info.dev) continue;
      // Another inode (or none noted): only its bytes can tell.
      const hash = await hashFile({ path, expected: { kind: file.hashKind, size: file.size }, signal: options.signal });
      if (hash !== file.hash) problems.push({ path: file.path, why: "it was replaced by other content" });
    }
  }
  return problems;
}

/**
 * Paths of the previous record whose file differs from what was recorded (a user's edit). Cheap: a size check, and a
 * hash only for a file modified after the record was written; a missing file is not an edit (it is fetched again).
 */
export async function editedSinceRecord(options: { modelDir: string; record: ModelRecord; signal?: AbortSignal }): Promise<string[]> {
  const { modelDir, record, signal } = options;
  // The record file's own mtime, from the same (coarse) filesystem clock as the files': an edit after the record was
  // written is never dated before it. A file written in the record's clock tick is merely hashed once more.
  const recordedAt = (await stat(join(modelDir, RECORD_FILE)).catch(() => undefined))?.mtimeMs ?? Date.parse(record.completedAt);
  const edited: string[] = [];
  for (const entry of record.files) {
    if (!isSafeRepoPath(entry.path)) continue;
    const path = join(modelDir, ...entry.path.split("/"));
    const info = await lstat(path).catch(() => undefined);
    if (!info) continue;
    if (!info.isFile() || info.size !== entry.size) {
      edited.push(entry.path);
      continue;
    }
    if (info.mtimeMs < recordedAt) continue;
    const hash = await hashFile({ path, expected: { kind: entry.hashKind, size: entry.size }, signal });
    if (hash !== entry.hash.toLowerCase()) edited.push(entry.path);
  }
  // Kept by an earlier run: still the user's for as long as they exist.
  for (const path of record.keptEdited ?? []) {
    if (isSafeRepoPath(path) && !edited.includes(path) && (await lstat(join(modelDir, ...path.split("/"))).catch(() => undefined))) edited.push(path);
  }
  return edited;
}

/** Removes these repo files (when present) and the folders they leave empty; returns the paths removed. */
export async function removeModelFiles(modelDir: string, paths: Iterable<string>): Promise<string[]> {
  const removed: string[] = [];
  for (const rel of paths) {
    if (!isSafeRepoPath(rel)) continue;
    const path = join(modelDir, ...rel.split("/"));
    const info = await lstat(path).catch(() => undefined);
    if (!info || info.isDirectory()) continue;
    await rm(path, { force: true });
    removed.push(rel);
    for (let dir = dirname(path); dir.length > modelDir.length && dir.startsWith(modelDir); dir = dirname(dir)) {
      if (!(await rmdir(dir).then(() => true, () => false))) break;
    }
  }
  return removed;
}
