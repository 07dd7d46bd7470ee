// Storage in the standard Hugging Face cache (`hfModels.storage: "hfCache"`, CLI `--cache`): both routes run
// unchanged in a staging folder inside `models--org--name`, seeded with hard links to the blobs already there
// (unchanged files are skipped, Git LFS reuses them as objects, the Xet engine copies unchanged chunks from the
// previous version); once verified, each file is renamed into `blobs/<hash>` (same filesystem: no copy) and
// `snapshots/<commit>/<path>` becomes a relative symlink to it, then `refs/<revision>`. The staging folder
// (git's clone and its LFS objects, which are the same inodes as the blobs) is removed: one copy on disk.
import { copyFile, link, realpath, lstat, mkdir, readFile, readdir, readlink, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import type { DownloadedFile } from "../content";
import type { RepoFileEntry } from "../hub/api";
import { expectedContent, hashFile } from "../content";
import { isCommitSha, type RepoId } from "../hub/repoId";
import { hfHubCacheDir } from "../library/hfCache";
import { withBlobLock } from "./flock";

/** Where a route works before its files become blobs; inside the repo folder so that renames never copy. */
export const STAGING_DIR = ".hf-models-staging";

export { hfHubCacheDir };

/** `<cache>/models--org--name` (a legacy id without an org: `models--name`). */
export function cacheRepoDir(cacheDir: string, repo: Pick<RepoId, "id">): string {
  return join(cacheDir, `models--${repo.id.split("/").join("--")}`);
}

export function stagingDirFor(cacheDir: string, repo: Pick<RepoId, "id">): string {
  return join(cacheRepoDir(cacheDir, repo), STAGING_DIR);
}

const exists = (p: string) => lstat(p).then(() => true, () => false);

/** The commit a ref names in `refs/`, if any. */
export async function readCacheRef(repoDir: string, revision: string): Promise<string | undefined> {
  if (isCommitSha(revision)) return revision;
  const sha = (await readFile(join(repoDir, "refs", ...revision.split("/")), "utf8").catch(() => "")).trim();
  return /^[0-9a-f]{40}$/.test(sha) ? sha : undefined;
}

/**
 * Before a route runs (under the model lock): every file whose content is already a blob is hard-linked into the
 * staging folder (the routes find it complete); a changed file gets the previous snapshot's version of the same path
 * (the Xet engine copies its unchanged chunks; Git LFS replaces it). Files already in staging (a cancelled run) stay.
 */
export async function seedStaging(options: { stagingDir: string; files: readonly RepoFileEntry[]; revision: string }): Promise<number> {
  const repoDir = dirname(options.stagingDir);
  // The revision's previous commit first, then the other snapshots, newest first (an update from another branch).
  const ref = await readCacheRef(repoDir, options.revision);
  const others = await readdir(join(repoDir, "snapshots")).catch(() => [] as string[]);
  const dated = await Promise.all(others.filter((n) => /^[0-9a-f]{40}$/.test(n) && n !== ref).map(async (n) => ({ n, t: (await stat(join(repoDir, "snapshots", n)).catch(() => undefined))?.mtimeMs ?? 0 })));
  const previous = [...(ref ? [ref] : []), ...dated.sort((a, b) => b.t - a.t).map((d) => d.n)];
  let seeded = 0;
  for (const file of options.files) {
    const target = join(options.stagingDir, ...file.path.split("/"));
    if (await exists(target)) continue;
    let source = join(repoDir, "blobs", expectedContent(file).hash);
    if (!(await exists(source))) {
      const found = await previousVersion(repoDir, previous, file.path);
      if (!found) continue;
      source = found;
    }
    await mkdir(dirname(target), { recursive: true });
    // huggingface_hub 2.0 keeps Xet files in a shared store (`<cache>/blobs/xx/<xet hash>`), the repo's blob a link to it.
    source = await realpath(source).catch(() => source);
    await link(source, target).catch(() => undefined); // another filesystem: the route fetches it, nothing is lost
    seeded++;
  }
  return seeded;
}

/** The blob (or copied file) a path had in the first of `commits` that has it. */
async function previousVersion(repoDir: string, commits: readonly string[], path: string): Promise<string | undefined> {
  for (const commit of commits) {
    const old = join(repoDir, "snapshots", commit, ...path.split("/"));
    const info = await lstat(old).catch(() => undefined);
    if (!info) continue;
    const source = info.isSymbolicLink() ? resolve(dirname(old), await readlink(old)) : old;
    if ((await stat(source).catch(() => undefined))?.isFile()) return source;
  }
  return undefined;
}

/**
 * After the service verified every delivered file in staging: blobs, snapshot links, the ref; then the staging folder
 * goes. Idempotent, so a cancel in the middle leaves what the next run finishes. Returns the snapshot folder.
 */
export async function commitToCache(options: {
  stagingDir: string;
  files: readonly DownloadedFile[];
  commit: string;
  revision: string;
  log?: (level: "info" | "warn" | "debug", message: string) => void;
}): Promise<string> {
  const { stagingDir, commit } = options;
  const repoDir = dirname(stagingDir);
  const cacheDir = dirname(repoDir);
  const lockDir = join(cacheDir, ".locks", relative(cacheDir, repoDir));
  const blobs = join(repoDir, "blobs");
  const snapshot = join(repoDir, "snapshots", commit);
  await mkdir(blobs, { recursive: true });
  await mkdir(lockDir, { recursive: true });
  let copies = 0;
  for (const file of options.files) {
    const staged = join(stagingDir, ...file.path.split("/"));
    const blob = join(blobs, file.hash);
    const pointer = join(snapshot, ...file.path.split("/"));
    // The lock huggingface_hub takes for this blob (filelock: flock(2)), held while the blob and its link are written.
    await withBlobLock(join(lockDir, `${file.hash}.lock`), options.log, async () => {
      if (await exists(blob)) await rm(staged, { force: true });
      else if (await exists(staged)) await rename(staged, blob);
      else throw new Error(`${file.path}: neither ${staged} nor ${blob} exists`);
      await mkdir(dirname(pointer), { recursive: true });
      if (await pointsTo(pointer, blob)) return;
      const temp = `${pointer}.hf-models-${process.pid}.tmp`;
      await rm(temp, { force: true });
      try {
        await symlink(relative(dirname(pointer), blob), temp);
      } catch (err) {
        // No symlinks here (Windows without developer mode, some network filesystems): a copy, as huggingface_hub does.
        if (!["EPERM", "EACCES", "ENOTSUP", "EOPNOTSUPP", "EINVAL"].includes((err as NodeJS.ErrnoException).code ?? "")) throw err;
        await copyFile(blob, temp);
        copies++;
      }
      await rename(temp, pointer);
    });
  }
  if (copies > 0) options.log?.("warn", `Symbolic links are not available in ${repoDir}: ${copies} file(s) copied into the snapshot instead`);
  if (!isCommitSha(options.revision)) {
    const ref = join(repoDir, "refs", ...options.revision.split("/"));
    await mkdir(dirname(ref), { recursive: true });
    const temp = `${ref}.hf-models-${process.pid}.tmp`;
    await writeFile(temp, commit);
    await rename(temp, ref);
  }
  await rm(stagingDir, { recursive: true, force: true });
  return snapshot;
}

async function pointsTo(pointer: string, blob: string): Promise<boolean> {
  const info = await lstat(pointer).catch(() => undefined);
  if (!info?.isSymbolicLink()) return false;
  return resolve(dirname(pointer), await readlink(pointer)) === blob && (await stat(pointer).then(() => true, () => false));
}

/** Every file of one snapshot, resolved to its blob (`hash` from the blob's name; a copied file has none). */
export async function snapshotFiles(repoDir: string, commit: string): Promise<{ path: string; target: string; blobName?: string }[]> {
  const root = join(repoDir, "snapshots", commit);
  const out: { path: string; target: string; blobName?: string }[] = [];
  const walk = async (dir: string, prefix: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const abs = join(dir, entry.name);
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(abs, path);
      else if (entry.isSymbolicLink()) {
        const target = resolve(dir, await readlink(abs));
        if ((await stat(target).catch(() => undefined))?.isDirectory()) continue;
        out.push({ path, target, blobName: dirname(target) === join(repoDir, "blobs") ? target.slice(join(repoDir, "blobs").length + 1) : undefined });
      } else if (entry.isFile()) out.push({ path, target: abs });
    }
  };
  await walk(root, "");
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * Verify of a cache snapshot, whoever wrote it (HF Models, `hf download`, transformers): each file's bytes hashed
 * against the name of its blob (SHA-256 for LFS files, the git blob id for the others). Returns the failures.
 */
export async function verifyCacheSnapshot(options: { repoDir: string; commit: string; signal?: AbortSignal }): Promise<Array<{ path: string; why: string }>> {
  const failures: Array<{ path: string; why: string }> = [];
  for (const file of await snapshotFiles(options.repoDir, options.commit)) {
    const name = file.blobName;
    if (!name || !/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(name)) {
      failures.push({ path: file.path, why: name ? `blob name ${name} is not a content hash` : "not a link to a blob" });
      continue;
    }
    const got = await hashFile({ path: file.target, expected: { kind: name.length === 64 ? "sha256" : "git-sha1" }, signal: options.signal }).catch((err: Error) => `unreadable (${err.message})`);
    if (got !== name) failures.push({ path: file.path, why: `content hashes to ${got}, the blob is named ${name}` });
  }
  return failures;
}
