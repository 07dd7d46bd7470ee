// Verifies the checked-out files without re-reading what git-lfs just checked: each LFS file becomes a hard
// link to its object (one copy on disk), whose SHA-256 git-lfs verified while downloading it in this run.
// Objects that were already on disk are hashed first; everything else is hashed as it lies (verifyFiles).
import { chmod, lstat, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import type { RepoFileEntry } from "../hub/api";
import { DownloadError, type DownloadedFile } from "../download/types";
import { hashFile } from "../util/hash";
import { verifyFiles } from "../util/verifyFiles";
import { lfsPointerBlobId } from "./gitIndex";
import { lfsObjectPath, replaceWithLink } from "./objects";

export interface DedupeResult {
  linked: number;
  /** Bytes no longer stored twice. */
  savedBytes: number;
  /** Why linking stopped, when the filesystem refused it (the copies stay, verified by hashing them). */
  failure?: string;
}

export interface LinkVerifiedOptions {
  modelDir: string;
  gitDir: string;
  files: readonly RepoFileEntry[];
  /** Oids whose objects were downloaded (so SHA-256-checked by git-lfs) or hashed by us in this run. */
  trusted: ReadonlySet<string>;
  /** Blob id of each path in git's index: an LFS file is only linked when it is the pointer to its object. */
  indexBlobs: ReadonlyMap<string, string>;
  signal?: AbortSignal;
}

type LfsFile = RepoFileEntry & { lfs: { oid: string; size: number } };

/** Returns one record per file, in the order given, or throws `integrity` naming the first file that does not match. */
export async function linkVerifiedFiles(options: LinkVerifiedOptions): Promise<{ files: DownloadedFile[]; dedupe: DedupeResult }> {
  const { modelDir, gitDir, signal } = options;
  const trusted = new Set(options.trusted);
  const dedupe: DedupeResult = { linked: 0, savedBytes: 0 };
  const records = new Map<string, DownloadedFile>();
  const toHash: RepoFileEntry[] = [];
  // The mtime an object got for the first path linked to it; another path can share it only with the same second.
  const objectMtime = new Map<string, number>();

  /** True when `file` is now its object (or already was); false when it must be hashed as it lies. */
  const link = async (file: LfsFile): Promise<boolean> => {
    const { oid, size } = file.lfs;
    if (options.indexBlobs.get(file.path) !== lfsPointerBlobId(oid, size)) return false;
    const path = join(modelDir, file.path);
    const object = lfsObjectPath(gitDir, oid);
    const [work, stored] = await Promise.all([lstat(path).catch(() => undefined), stat(object).catch(() => undefined)]);
    // Anything else (a pointer left as is, a symbolic link, no object) gets verifyFiles' precise message.
    if (!work?.isFile() || work.size !== size || stored?.size !== size) return false;
    if (!trusted.has(oid)) {
      const { hash } = await hashFile({ path: object, kind: "sha256", signal });
      if (hash !== oid) {
        // Removed so that the next run downloads it again.
        await rm(object, { force: true });
        throw new DownloadError("integrity", `Integrity check failed for ${file.path}: its stored Git LFS object has SHA-256 ${hash}, expected ${oid}. Run the download again.`);
      }
      trusted.add(oid);
    }
    if (work.ino === stored.ino && work.dev === stored.dev) return true;
    const second = Math.floor(work.mtimeMs / 1000);
    const shared = objectMtime.get(oid);
    if (shared !== undefined && shared !== second) return false;
    // git's index recorded the checked-out file's size, mode and mtime; the object takes them over so the
    // index stays valid (ctime and inode are ignored: core.trustctime=false, core.checkStat=minimal).
    if ((stored.mode & 0o777) !== (work.mode & 0o777)) await chmod(object, work.mode & 0o777);
    await utimes(object, work.atime, work.mtime);
    objectMtime.set(oid, second);
    await replaceWithLink(object, path);
    dedupe.linked++;
    dedupe.savedBytes += size;
    return true;
  };

  for (const file of options.files) {
    if (signal?.aborted) throw new DownloadError("cancelled", "Download cancelled.");
    if (!file.lfs || dedupe.failure !== undefined) {
      toHash.push(file);
      continue;
    }
    let linked: boolean;
    try {
      linked = await link(file as LfsFile);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (err instanceof DownloadError || code === undefined || code === "ENOSPC") throw err;
      // EXDEV, EPERM, EMLINK …: the filesystem refuses hard links; the copies stay and are hashed.
      dedupe.failure = `${code}: ${(err as Error).message}`;
      linked = false;
    }
    if (linked) records.set(file.path, { path: file.path, size: file.lfs.size, hash: file.lfs.oid, hashKind: "sha256" });
    else toHash.push(file);
  }
  for (const record of await verifyFiles({ modelDir, files: toHash, signal })) records.set(record.path, record);
  return { files: options.files.map((f) => records.get(f.path)!), dedupe };
}
