// Checks downloaded files against the Hub's listing before anything is recorded as complete:
// size + SHA-256 (the LFS oid) for large files, the git blob id for files stored in git itself.
import { lstat } from "node:fs/promises";
import { join } from "node:path";
import type { RepoFileEntry } from "../hub/api";
import { cancelledError, DownloadError } from "../errors";
import { expectedContent, hashFile, noteIdentity, type DownloadedFile } from "../content";

export interface VerifyFilesOptions {
  modelDir: string;
  files: readonly RepoFileEntry[];
  signal?: AbortSignal;
  /** Called after each file checked out fine. */
  onFile?: (file: DownloadedFile) => void;
}

/** Returns one record per file or throws `integrity` naming the first file that does not match. */
export async function verifyFiles({ modelDir, files, signal, onFile }: VerifyFilesOptions): Promise<DownloadedFile[]> {
  const out: DownloadedFile[] = [];
  for (const file of files) {
    if (signal?.aborted) throw cancelledError();
    const expected = expectedContent(file);
    const { hash, kind: hashKind, size } = expected;
    const path = join(modelDir, file.path);
    let actualSize: number;
    let identity: { dev: number; ino: number };
    try {
      const info = await lstat(path);
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
    const actual = await hashFile({ path, expected, signal });
    if (actual !== hash) {
      throw new DownloadError(
        "integrity",
        `Integrity check failed for ${file.path}: its ${hashKind === "sha256" ? "SHA-256" : "git blob id"} is ${actual}, expected ${hash}. Run the download again.`,
      );
    }
    const record = noteIdentity({ path: file.path, size, hash, hashKind }, identity);
    out.push(record);
    onFile?.(record);
  }
  return out;
}
