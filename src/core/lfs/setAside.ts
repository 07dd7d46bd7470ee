// Files a checkout must not touch (outside a narrower selection, or edited by the user) are moved out of git's way
// while it runs and put back after: `checkout -f` and `sparse-checkout reapply` would otherwise overwrite or delete
// them. Renames only, inside the model folder; a run killed in between has them put back by the next run.
import { lstat, mkdir, readdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { isSafeRepoPath } from "../util/safePaths";

/** Inside the model folder, a `.hf-models*` name: never a model file, never tracked. */
export const SET_ASIDE_DIR = ".hf-models-kept";

/** Moves the regular files at these repo paths into the set-aside folder; returns the paths moved. */
export async function setAside(modelDir: string, paths: Iterable<string>): Promise<string[]> {
  const moved: string[] = [];
  for (const rel of paths) {
    if (!isSafeRepoPath(rel)) continue;
    const from = join(modelDir, ...rel.split("/"));
    const info = await lstat(from).catch(() => undefined);
    if (!info?.isFile()) continue;
    const to = join(modelDir, SET_ASIDE_DIR, ...rel.split("/"));
    await mkdir(dirname(to), { recursive: true });
    await rename(from, to);
    moved.push(rel);
  }
  return moved;
}

/** Puts every set-aside file back at its path (over whatever a checkout wrote there), then removes the folder. */
export async function restoreSetAside(modelDir: string): Promise<number> {
  const root = join(modelDir, SET_ASIDE_DIR);
  let restored = 0;
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(root, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        await walk(child);
        continue;
      }
      const to = join(modelDir, ...child.split("/"));
      const there = await lstat(to).catch(() => undefined);
      if (there?.isDirectory()) continue; // a folder the new revision put there: left set aside, never merged
      await mkdir(dirname(to), { recursive: true });
      await rename(join(root, ...child.split("/")), to);
      restored++;
    }
  };
  await walk("");
  // Only empty folders go; anything that could not be put back stays where the user can find it.
  await rmEmptyTree(root);
  return restored;
}

async function rmEmptyTree(dir: string): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return true;
  let empty = true;
  for (const e of entries) {
    if (!e.isDirectory() || !(await rmEmptyTree(join(dir, e.name)))) empty = false;
  }
  if (empty) await rm(dir, { recursive: true, force: true });
  return empty;
}
