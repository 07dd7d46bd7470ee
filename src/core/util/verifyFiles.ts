// Checks downloaded files against the Hub's listing before anything is recorded as complete:
// size + SHA-256 (the LFS oid) for large files, the git blob id for files stored in git itself.
import { lstatSync, readFileSync } from "node:fs";
import { lstat } from "node:fs/promises";
import { setImmediate as nextTurn } from "node:timers/promises";
import { join } from "node:path";
import type { RepoFileEntry } from "../hub/api";
import { cancelledError, DownloadError } from "../errors";
import { createContentHash, expectedContent, hashFile, noteIdentity, type DownloadedFile } from "../content";

export interface VerifyFilesOptions {
  modelDir: string;
  files: readonly RepoFileEntry[];
  signal?: AbortSignal;
  /** Called after each file checked out fine. */
  onFile?: (file: DownloadedFile) => void;
}

/** Files checked at once: the reads of files above SMALL_FILE overlap in the thread pool. */
const AT_ONCE = 8;

/**
 * Up to this size a file is checked with synchronous calls: for a small file in the page cache, four trips through
 * libuv's thread pool (lstat, open, read, close) cost more than the read itself (1,005 files: 0.3 s of a download).
 */
const SMALL_FILE = 64 * 1024;
/** How long synchronous checks may hold the event loop before the others (progress, a cancel) get a turn. */
const SYNC_SLICE_MS = 10;

/**
 * Returns one record per file, in the listing's order, or throws `integrity` naming the first file in that order that
 * does not match (once one fails no further file is started; those already started finish, so `onFile` has seen
 * every file before the one named).
 */
export async function verifyFiles({ modelDir, files, signal, onFile }: VerifyFilesOptions): Promise<DownloadedFile[]> {
  const out: DownloadedFile[] = new Array(files.length);
  let next = 0;
  // The index of the first file that failed so far (files.length: none), and its error.
  let failed = files.length;
  let failure: unknown;
  let sliceStart = performance.now();
  const worker = async () => {
    while (next < files.length && failed === files.length) {
      if (performance.now() - sliceStart > SYNC_SLICE_MS) {
        await nextTurn();
        sliceStart = performance.now();
      }
      const index = next++;
      try {
        if (signal?.aborted) throw cancelledError();
        out[index] = await verifyFile(modelDir, files[index]!, signal);
        onFile?.(out[index]!);
      } catch (err) {
        if (index < failed) [failed, failure] = [index, err];
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, files.length) }, worker));
  if (signal?.aborted) throw cancelledError();
  if (failed < files.length) throw failure;
  return out;
}

async function verifyFile(modelDir: string, file: RepoFileEntry, signal: AbortSignal | undefined): Promise<DownloadedFile> {
  const expected = expectedContent(file);
  const { hash, kind: hashKind, size } = expected;
  const path = join(modelDir, file.path);
  const small = size <= SMALL_FILE;
  let actualSize: number;
  let identity: { dev: number; ino: number };
  try {
    const info = small ? lstatSync(path) : await lstat(path);
    identity = info;
    // A link (e.g. checked out by git from a hostile repo) is not the downloaded file, whatever it points at.
    if (!info.isFile()) {
      throw new DownloadError("integrity", `Integrity check failed for ${file.path}: it is ${info.isSymbolicLink() ? "a symbolic link" : "not a regular file"}, not the downloaded file. Remove it and run the download again.`);
    }
    actualSize = info.size;
  } catch (cause) {
    if (cause instanceof DownloadError) throw cause;
    throw new DownloadError("integrity", `Integrity check failed for ${file.path}: the file is missing after the download. Run the download again.`, { cause });
  }
  if (actualSize !== size) {
    const pointer = file.lfs && actualSize < 1024 ? " (it is still a Git LFS pointer: the object was not downloaded)" : "";
    throw new DownloadError("integrity", `Integrity check failed for ${file.path}: it has ${actualSize} bytes, expected ${size}${pointer}. Run the download again.`);
  }
  const actual = small ? createContentHash(expected).update(readFileSync(path)).digest("hex") : await hashFile({ path, expected, signal });
  if (actual !== hash) {
    throw new DownloadError(
      "integrity",
      `Integrity check failed for ${file.path}: its ${hashKind === "sha256" ? "SHA-256" : "git blob id"} is ${actual}, expected ${hash}. Run the download again.`,
    );
  }
  return noteIdentity({ path: file.path, size, hash, hashKind }, identity);
}
