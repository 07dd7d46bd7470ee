// Re-hashes every file named in a model's download record and reports, per file, what is wrong:
// missing, wrong size, or different content (sha256 for LFS/Xet files, git blob sha1 for small ones).
import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { hashFile, type DownloadedFile } from "../content";
import { DownloadError } from "../errors";
import { RECORD_FILE } from "../layout";
import { isSafeRepoPath } from "../util/safePaths";
import { readRecord } from "./metadata";

export interface VerifyProgress {
  path: string;
  filesDone: number;
  totalFiles: number;
  doneBytes: number;
  totalBytes: number;
}

/** What is wrong with one file, as a word a face can phrase (the `problems` line carries the details). */
export type FileDamage = "missing" | "not-a-file" | "size" | "content" | "unreadable" | "unsafe-path";

export interface VerifyResult {
  ok: boolean;
  /** One line per damaged file, with sizes and hashes: for the log. */
  problems: string[];
  /** The damaged files, in record order. */
  damaged: Array<{ path: string; damage: FileDamage }>;
  /** Files examined (each one is either fine or has exactly one problem). */
  checked: number;
}

function throwIfCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new DownloadError("cancelled", "Verification cancelled.", { cause: signal.reason });
}

export async function verifyModel(options: { modelDir: string; signal?: AbortSignal; onProgress?: (p: VerifyProgress) => void }): Promise<VerifyResult> {
  const { modelDir, signal } = options;
  const record = await readRecord(modelDir);
  if (!record) {
    return { ok: false, problems: [`${modelDir} has no download record (${RECORD_FILE}); download the model to create one.`], damaged: [], checked: 0 };
  }
  const problems: string[] = [];
  const damaged: VerifyResult["damaged"] = [];
  const totalFiles = record.files.length;
  const totalBytes = record.files.reduce((sum, f) => sum + f.size, 0);
  let doneBytes = 0;
  let filesDone = 0;
  for (const entry of record.files) {
    throwIfCancelled(signal);
    options.onProgress?.({ path: entry.path, filesDone, totalFiles, doneBytes, totalBytes });
    const problem = await checkFile(modelDir, entry, signal, (n) => {
      doneBytes += n;
    });
    if (problem) {
      problems.push(`${entry.path}: ${problem.text}`);
      damaged.push({ path: entry.path, damage: problem.damage });
    }
    filesDone++;
    options.onProgress?.({ path: entry.path, filesDone, totalFiles, doneBytes, totalBytes });
  }
  return { ok: problems.length === 0, problems, damaged, checked: filesDone };
}

type Problem = { damage: FileDamage; text: string };

async function checkFile(modelDir: string, entry: DownloadedFile, signal: AbortSignal | undefined, onBytes: (n: number) => void): Promise<Problem | undefined> {
  if (!isSafeRepoPath(entry.path)) return { damage: "unsafe-path", text: "the record names a path outside the model folder; not checked" };
  const file = join(modelDir, ...entry.path.split("/"));
  let size: number;
  try {
    const stats = await lstat(file);
    if (!stats.isFile()) return { damage: "not-a-file", text: "not a regular file" };
    size = stats.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { damage: "missing", text: "missing" };
    return { damage: "unreadable", text: `cannot read (${(err as Error).message})` };
  }
  if (size !== entry.size) return { damage: "size", text: `size is ${size} bytes, expected ${entry.size}` };
  let actual: string;
  try {
    actual = await hashFile({ path: file, expected: { kind: entry.hashKind }, signal, onBytes });
  } catch (err) {
    throwIfCancelled(signal);
    return { damage: "unreadable", text: `cannot read (${(err as Error).message})` };
  }
  if (actual !== entry.hash.toLowerCase()) {
    const label = entry.hashKind === "sha256" ? "sha256" : "git blob id";
    return { damage: "content", text: `content changed: ${label} is ${actual}, expected ${entry.hash}` };
  }
  return undefined;
}
