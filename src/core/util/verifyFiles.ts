// Checks downloaded files against the Hub's listing before anything is recorded as complete:
// size + SHA-256 (the LFS oid) for large files, the git blob id for files stored in git itself.
import { lstat } from "node:fs/promises";
import { join } from "node:path";
import type { RepoFileEntry } from "../hub/api";
import { DownloadError } from "../errors";
import { type DownloadedFile } from "../download/types";
import { hashFile } from "./hash";

export interface VerifyFilesOptions {
  modelDir: string;
  files: readonly RepoFileEntry[];
  signal?: AbortSignal;
  /** Called after each file checked out fine. */
  onFile?: (file: DownloadedFile) => void;
}

/** What a file must hash to. */
export function expectedHash(file: RepoFileEntry): Pick<DownloadedFile, "hash" | "hashKind"> {
  return file.lfs ? { hash: file.lfs.oid, hashKind: "sha256" } : { hash: file.blobOid, hashKind: "git-sha1" };
}

/** Returns one record per file or throws `integrity` naming the first file that does not match. */
export async function verifyFiles({ modelDir, files, signal, onFile }: VerifyFilesOptions): Promise<DownloadedFile[]> {
  const out: DownloadedFile[] = [];
  for (const file of files) {
    if (signal?.aborted) throw new DownloadError("cancelled", "Download cancelled.");
    const { hash, hashKind } = expectedHash(file);
    const size = file.lfs?.size ?? file.size;
    const path = join(modelDir, file.path);
    let actualSize: number;
    try {
      const info = await lstat(path);
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
    const actual = await hashFile({ path, kind: hashKind, signal });
    if (actual.hash !== hash) {
      throw new DownloadError(
        "integrity",
        `Integrity check failed for ${file.path}: its ${hashKind === "sha256" ? "SHA-256" : "git blob id"} is ${actual.hash}, expected ${hash}. Run the download again.`,
      );
    }
    const record: DownloadedFile = { path: file.path, size, hash, hashKind };
    out.push(record);
    onFile?.(record);
  }
  return out;
}
