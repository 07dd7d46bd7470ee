// The clone's LFS object store (`.git/lfs/objects/<aa>/<bb>/<oid>`): what is already there, what a
// previous run left half-done, seeding it from verified files already in the model folder, and clearing out
// what the checkout no longer uses.
import { randomBytes } from "node:crypto";
import { link, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { RepoFileEntry } from "../hub/api";
import { walk } from "../library/diskUsage";
import { hashFile } from "../content";

/** A listed file stored in Git LFS. */
export type LfsFile = RepoFileEntry & { lfs: { oid: string; size: number } };

export function lfsObjectPath(gitDir: string, oid: string): string {
  return join(gitDir, "lfs", "objects", oid.slice(0, 2), oid.slice(2, 4), oid);
}

/** Where git-lfs keeps a partly downloaded object; it resumes from it with a Range request. */
export function lfsPartPath(gitDir: string, oid: string): string {
  return join(gitDir, "lfs", "incomplete", `${oid}.part`);
}

/** The size of `path`, or undefined when it does not exist (or cannot be read). */
export async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** Bytes of `file` already on disk in the object store: its full size when stored, else the `.part` length. */
export async function lfsBytesOnDisk(gitDir: string, file: LfsFile): Promise<{ complete: boolean; bytes: number }> {
  if ((await sizeOf(lfsObjectPath(gitDir, file.lfs.oid))) === file.lfs.size) return { complete: true, bytes: file.lfs.size };
  return { complete: false, bytes: Math.min(file.lfs.size, (await sizeOf(lfsPartPath(gitDir, file.lfs.oid))) ?? 0) };
}

/**
 * git-lfs (3.x) downloads into `incomplete/<oid><random digits>` and renames that to `<oid>.part` only
 * when the transfer fails inside git-lfs; a killed git-lfs (our cancel, a crash) leaves the random name,
 * which no later run resumes. We do that rename ourselves, keeping the longest partial per object.
 * Only files shorter than the object qualify: the single-stream download writes sequentially, so they are
 * a valid prefix; the multi-stream download of newer releases pre-sizes its file, so it is never kept.
 * Returns the number of partial objects made resumable.
 */
export async function salvagePartialObjects(gitDir: string, sizes: ReadonlyMap<string, number>): Promise<number> {
  const dir = join(gitDir, "lfs", "incomplete");
  const salvaged = new Set<string>();
  for (const name of await namesIn(dir)) {
    const m = /^([0-9a-f]{64})\d+$/.exec(name);
    const size = m ? sizes.get(m[1]!) : undefined;
    if (!m || size === undefined) continue;
    const leftover = join(dir, name);
    const part = lfsPartPath(gitDir, m[1]!);
    const [have, current] = await Promise.all([sizeOf(leftover), sizeOf(part)]);
    if (have !== undefined && have > 0 && have < size - 1 && have > (current ?? 0)) {
      await rename(leftover, part);
      salvaged.add(m[1]!);
    } else {
      await rm(leftover, { force: true });
    }
  }
  return salvaged.size;
}

/** Removes the `.part` files of these objects (after git-lfs found one corrupt, so the next run starts clean). */
export async function dropPartialObjects(gitDir: string, oids: Iterable<string>): Promise<void> {
  for (const oid of oids) await rm(lfsPartPath(gitDir, oid), { force: true });
}

/**
 * Empties git-lfs' `incomplete/` and `tmp/` folders. After a full disk the partial objects are exactly what
 * filled it: keeping them for a resume would leave the disk full, so they go (finished objects stay).
 */
export async function dropLfsTemporaries(gitDir: string): Promise<void> {
  for (const sub of ["incomplete", "tmp"]) {
    const dir = join(gitDir, "lfs", sub);
    for (const name of await namesIn(dir)) await rm(join(dir, name), { recursive: true, force: true });
  }
}

/**
 * Deletes the objects (and `.part` files) of a previous checkout once a run has delivered its files: every object
 * not in `keep` that no working file links to. After an update the old version of each changed file would
 * otherwise stay in `.git/lfs/objects`, unseen, for good. An object with another link (a file of the folder the
 * checkout did not touch, a user's own link) stays.
 */
export async function pruneObjects(gitDir: string, keep: ReadonlySet<string>): Promise<{ removed: number; bytes: number }> {
  const pruned = { removed: 0, bytes: 0 };
  for (const [sub, name] of [["objects", /^([0-9a-f]{64})$/], ["incomplete", /^([0-9a-f]{64})\.part$/]] as const) {
    const root = join(gitDir, "lfs", sub);
    for await (const { path, stats } of walk(root)) {
      const oid = name.exec(basename(path))?.[1];
      if (!oid || keep.has(oid) || !stats.isFile() || stats.nlink > 1) continue;
      await rm(join(root, path), { force: true });
      pruned.removed++;
      pruned.bytes += stats.size;
    }
  }
  return pruned;
}

/** The names in `dir`; none when it does not exist (or cannot be read). */
export async function namesIn(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/**
 * Makes `target` a hard link to `source`. `target` is removed before the rename instead of being renamed
 * over: ext4 (auto_da_alloc) writes out a file renamed over another at once, which made the record's fsync
 * wait ~1 s per GiB just downloaded. `target` is missing for a moment only (a rerun's checkout restores it);
 * the link to a temporary name comes first, so a filesystem that refuses links leaves `target` untouched.
 */
export async function replaceWithLink(source: string, target: string): Promise<void> {
  const temp = `${target}.hf-link-${randomBytes(4).toString("hex")}`;
  await link(source, temp);
  try {
    await rm(target, { force: true });
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Files a previous Xet run (or a copy) left in the model folder are put into the object store when their
 * SHA-256 matches, so git-lfs checks them out locally instead of downloading them again.
 */
export async function seedObjectsFromWorkingTree(options: {
  modelDir: string;
  gitDir: string;
  files: readonly RepoFileEntry[];
  signal?: AbortSignal;
}): Promise<string[]> {
  const seeded: string[] = [];
  for (const file of options.files) {
    if (!file.lfs) continue;
    const object = lfsObjectPath(options.gitDir, file.lfs.oid);
    if ((await sizeOf(object)) === file.lfs.size) continue;
    const path = join(options.modelDir, file.path);
    if ((await sizeOf(path)) !== file.lfs.size) continue;
    const hash = await hashFile({ path, expected: { kind: "sha256" }, signal: options.signal });
    if (hash !== file.lfs.oid) continue;
    await mkdir(join(object, ".."), { recursive: true });
    await replaceWithLink(path, object);
    seeded.push(file.path);
  }
  return seeded;
}
