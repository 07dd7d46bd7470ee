// Read-only view of the shared Hugging Face cache (`models--org--name` folders written by `hf`,
// transformers and @huggingface/hub): which models are there, which commits, how much disk they take.
import { lstat, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { hfHome } from "../hub/token";
import { diskUsage, walk } from "./diskUsage";

export interface HfCacheModel {
  /** `org/name` (or just `name` for the few legacy models without an organization). */
  repo: string;
  /** Absolute path of the `models--org--name` folder. */
  path: string;
  /** Bytes allocated on disk for the whole folder, each inode once (snapshot symlinks cost almost nothing). */
  sizeOnDisk: number;
  /** Commit SHAs that have a snapshot folder, sorted. */
  revisions: string[];
  /** Ref name (`main`, `v1`, `refs/pr/1`) → commit SHA, from `refs/`. */
  refs: Record<string, string>;
}

/** `HF_HUB_CACHE`, `HUGGINGFACE_HUB_CACHE`, `$HF_HOME/hub`, `$XDG_CACHE_HOME/huggingface/hub`, `~/.cache/huggingface/hub`. */
export function hfHubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE || join(hfHome(env), "hub");
}

/** `models--org--name` → `org/name`; `undefined` for datasets, spaces and anything else. */
export function repoFromCacheFolder(folder: string): string | undefined {
  const m = /^models--(.+)$/.exec(folder);
  if (!m) return undefined;
  const parts = m[1]!.split("--");
  if (parts.length > 2 || parts.some((p) => p.length === 0)) return undefined;
  return parts.join("/");
}

export async function listHfCacheModels(env: NodeJS.ProcessEnv = process.env): Promise<HfCacheModel[]> {
  const root = hfHubCacheDir(env);
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return []; // no cache on this machine
  }
  const models: HfCacheModel[] = [];
  for (const folder of names.sort()) {
    const repo = repoFromCacheFolder(folder);
    if (!repo) continue;
    const path = join(root, folder);
    try {
      if (!(await lstat(path)).isDirectory()) continue;
    } catch {
      continue;
    }
    const [usage, revisions, refs] = await Promise.all([diskUsage({ root: path, listFile: () => false }), snapshotCommits(path), readRefs(path)]);
    models.push({ repo, path, sizeOnDisk: usage.bytes, revisions, refs });
  }
  return models;
}

async function snapshotCommits(repoDir: string): Promise<string[]> {
  const names = await readdir(join(repoDir, "snapshots")).catch(() => [] as string[]);
  return names.filter((n) => /^[0-9a-f]{40}$/.test(n)).sort();
}

async function readRefs(repoDir: string): Promise<Record<string, string>> {
  const refs: Record<string, string> = {};
  for await (const { path, stats } of walk(join(repoDir, "refs"))) {
    if (!stats.isFile() || stats.size > 1024) continue;
    const sha = (await readFile(join(repoDir, "refs", path), "utf8").catch(() => "")).trim();
    if (/^[0-9a-f]{40}$/.test(sha)) refs[path] = sha;
  }
  return refs;
}
