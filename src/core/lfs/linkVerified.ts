// Puts each LFS file in place without copying or re-reading it: the pointer file the checkout wrote is replaced by
// a hard link to its object, whose SHA-256 git-lfs checked while downloading it in this run (objects that were
// already on disk are hashed first). One copy on disk; the file is byte for byte the verified object.
import { chmod, lstat, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { cancelledError, DownloadError } from "../errors";
import { noteIdentity, type DownloadedFile } from "../content";
import { hashFile } from "../content";
import type { IndexEntry } from "./gitIndex";
import { lfsPointerBlobId } from "./gitIndex";
import { lfsObjectPath, replaceWithLink, type LfsFile } from "./objects";

export interface DedupeResult {
  linked: number;
  /** Bytes stored once instead of twice (object and working file). */
  savedBytes: number;
  /** Why linking stopped, when the filesystem refused it (the files are then checked out as copies and hashed). */
  failure?: string;
}

export interface LinkVerifiedOptions {
  modelDir: string;
  gitDir: string;
  files: readonly LfsFile[];
  /** Oids whose objects were downloaded (so SHA-256-checked by git-lfs) or hashed by us in this run. */
  trusted: ReadonlySet<string>;
  /** git's index by path: a file is only linked where the index holds the pointer to its object. */
  index: ReadonlyMap<string, IndexEntry>;
  signal?: AbortSignal;
}

export interface LinkVerifiedResult {
  /** One record per linked file. */
  linked: Map<string, DownloadedFile>;
  dedupe: DedupeResult;
}

/**
 * Hashes the stored objects of `files` that this run did not check already (`skip`), before the fetch: a working
 * file is a hard link to its object, so a file damaged or edited in place damaged the object too. A bad object is
 * deleted, so that the fetch that follows downloads exactly it again (Repair works the first time: issue 13, M3).
 * Returns the oids found good (trusted by linkVerifiedFiles) and the paths whose object was dropped.
 */
export async function dropDamagedObjects(options: { gitDir: string; files: readonly LfsFile[]; skip: ReadonlySet<string>; signal?: AbortSignal }): Promise<{ good: string[]; dropped: string[] }> {
  const good = new Set<string>();
  const bad = new Set<string>();
  const dropped: string[] = [];
  for (const file of options.files) {
    if (options.signal?.aborted) throw cancelledError();
    const { oid, size } = file.lfs;
    if (options.skip.has(oid) || good.has(oid)) continue;
    if (bad.has(oid)) {
      dropped.push(file.path);
      continue;
    }
    const object = lfsObjectPath(options.gitDir, oid);
    const stored = await stat(object).catch(() => undefined);
    if (!stored) continue;
    const hash = stored.size === size ? await hashFile({ path: object, expected: { kind: "sha256" }, signal: options.signal }) : undefined;
    if (hash === oid) {
      good.add(oid);
    } else {
      await rm(object, { force: true });
      bad.add(oid);
      dropped.push(file.path);
    }
  }
  return { good: [...good], dropped };
}

/** Links what it can; the caller checks out and hashes the files it did not link. Throws `integrity` for a bad stored object. */
export async function linkVerifiedFiles(options: LinkVerifiedOptions): Promise<LinkVerifiedResult> {
  const { modelDir, gitDir, signal } = options;
  const trusted = new Set(options.trusted);
  const dedupe: DedupeResult = { linked: 0, savedBytes: 0 };
  const linked = new Map<string, DownloadedFile>();

  for (const file of options.files) {
    if (signal?.aborted) throw cancelledError();
    const { oid, size } = file.lfs;
    const entry = options.index.get(file.path);
    if (entry?.blob !== lfsPointerBlobId(oid, size)) continue;
    const path = join(modelDir, file.path);
    const object = lfsObjectPath(gitDir, oid);
    const [work, stored] = await Promise.all([lstat(path).catch(() => undefined), stat(object).catch(() => undefined)]);
    // A symbolic link or folder in the way, or no object: the caller's checkout and hash give the precise error.
    if ((work && !work.isFile()) || stored?.size !== size) continue;
    if (!trusted.has(oid)) {
      const hash = await hashFile({ path: object, expected: { kind: "sha256" }, signal });
      if (hash !== oid) {
        // Removed so that the next run downloads it again.
        await rm(object, { force: true });
        throw new DownloadError("integrity", `Integrity check failed for ${file.path}: its stored Git LFS object has SHA-256 ${hash}, expected ${oid}. Run the download again.`);
      }
      trusted.add(oid);
    }
    if (!(work && work.ino === stored.ino && work.dev === stored.dev)) {
      if (dedupe.failure !== undefined) continue;
      try {
        if (entry.executable && (stored.mode & 0o111) === 0) await chmod(object, stored.mode | 0o111);
        await replaceWithLink(object, path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === undefined || code === "ENOSPC") throw err;
        // EXDEV, EPERM, EMLINK …: the filesystem refuses hard links; these files become copies.
        dedupe.failure = `${code}: ${(err as Error).message}`;
        continue;
      }
      dedupe.linked++;
      dedupe.savedBytes += size;
    }
    // The file is now the object's inode (linked here, or found linked already).
    linked.set(file.path, noteIdentity({ path: file.path, size, hash: oid, hashKind: "sha256" }, stored));
  }
  return { linked, dedupe };
}
