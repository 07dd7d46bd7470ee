// Read-only view of the shared Hugging Face cache (`models--org--name` folders written by `hf`,
// transformers and @huggingface/hub): which models are there, which commits, how much disk they take.
import { lstat, readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { hfHome } from "../hub/token";
import { allocatedBytes, diskUsage, walk } from "./diskUsage";

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
    const [usage, shared, revisions, refs] = await Promise.all([diskUsage({ root: path, listFile: () => false }), sharedBlobBytes(path), snapshotCommits(path), readRefs(path)]);
    models.push({ repo, path, sizeOnDisk: usage.bytes + shared, revisions, refs });
  }
  return models;
}

/**
 * huggingface_hub 2.0 keeps Xet files in a store shared by every repo (`<cache>/blobs/xx/<hash>`) and makes the
 * repo's blob a link to it: those bytes are the model's too (each file once).
 */
async function sharedBlobBytes(repoDir: string): Promise<number> {
  const seen = new Set<number>();
  let bytes = 0;
  for (const name of await readdir(join(repoDir, "blobs")).catch(() => [] as string[])) {
    const blob = join(repoDir, "blobs", name);
    if (!(await lstat(blob).catch(() => undefined))?.isSymbolicLink()) continue;
    const target = await stat(blob).catch(() => undefined);
    if (!target?.isFile() || seen.has(target.ino)) continue;
    seen.add(target.ino);
    bytes += allocatedBytes(target);
  }
  return bytes;
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
