// Deleting from the standard Hugging Face cache as `hf cache delete` does: one revision (its snapshot folder, the refs
// that name it, and the blobs no other snapshot uses) or the whole model. Shared blobs are never freed early.
import { lstat, readdir, readFile, rm } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { DownloadError } from "../errors";
import { walk } from "../library/diskUsage";
import { snapshotFiles } from "./hfCache";

export interface CacheDeletion {
  /** Blob bytes freed (files whose last snapshot went). */
  freedBytes: number;
  /** Ref names removed (`main`, `v1`) because they named the deleted commit. */
  refs: string[];
}

/** Removes one snapshot of `repoDir` (`<cache>/models--org--name`); the model folder goes with its last snapshot. */
export async function deleteCacheRevision(options: { repoDir: string; commit: string }): Promise<CacheDeletion> {
  const { repoDir, commit } = options;
  if (!/^[0-9a-f]{40}$/.test(commit)) throw new DownloadError("invalid-revision", `${commit} is not a commit SHA.`);
  const snapshots = await readdir(join(repoDir, "snapshots")).catch(() => [] as string[]);
  if (!snapshots.includes(commit)) throw new DownloadError("not-found", `${repoDir} has no snapshot ${commit}.`);
  const doomed = new Set((await snapshotFiles(repoDir, commit)).map((f) => f.target));
  for (const other of snapshots.filter((c) => c !== commit)) {
    for (const f of await snapshotFiles(repoDir, other).catch(() => [])) doomed.delete(f.target);
  }
  const blobs = join(repoDir, "blobs");
  let freedBytes = 0;
  for (const target of doomed) {
    if (!target.startsWith(blobs + sep)) continue; // a copied file lives in the snapshot folder itself
    freedBytes += (await lstat(target).catch(() => undefined))?.size ?? 0;
    await rm(target, { force: true });
  }
  const refs: string[] = [];
  for await (const { path, stats } of walk(join(repoDir, "refs"))) {
    if (!stats.isFile()) continue;
    const file = join(repoDir, "refs", path);
    if ((await readFile(file, "utf8").catch(() => "")).trim() !== commit) continue;
    await rm(file, { force: true });
    refs.push(relative(join(repoDir, "refs"), file).split(sep).join("/"));
  }
  await rm(join(repoDir, "snapshots", commit), { recursive: true, force: true });
  if (snapshots.length === 1) await rm(repoDir, { recursive: true, force: true });
  return { freedBytes, refs: refs.sort() };
}
