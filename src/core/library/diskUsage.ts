// Walks a folder without following symlinks and adds up what it really costs on disk:
// allocated blocks, each inode once, so hard-linked LFS objects and sparse files are not over-counted.
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Stats } from "node:fs";

export interface WalkEntry {
  /** Path relative to the walked root, with forward slashes. */
  path: string;
  stats: Stats;
}

export interface DiskUsage {
  /** Bytes allocated on disk (st_blocks × 512; the apparent size where the platform reports no blocks). */
  bytes: number;
  /** Regular files not excluded by `skip`, sorted by path. */
  files: Array<{ path: string; size: number }>;
}

export function allocatedBytes(stats: Stats): number {
  return typeof stats.blocks === "number" && Number.isFinite(stats.blocks) && stats.blocks >= 0 && process.platform !== "win32"
    ? stats.blocks * 512
    : stats.size;
}

/** Depth-first walk yielding every entry under `root` (not `root` itself); never follows symlinks. */
export async function* walk(root: string, prefix = ""): AsyncGenerator<WalkEntry> {
  let names: string[];
  try {
    names = await readdir(join(root, prefix));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return;
    throw err;
  }
  names.sort();
  for (const name of names) {
    const rel = prefix ? `${prefix}/${name}` : name;
    let stats: Stats;
    try {
      stats = await lstat(join(root, rel));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // removed while we walked
      throw err;
    }
    yield { path: rel, stats };
    if (stats.isDirectory()) yield* walk(root, rel);
  }
}

/**
 * Real disk usage of everything under `root` (including `.git` and other hidden folders), and the list of
 * regular files for which `listFile(path)` is true.
 */
export async function diskUsage(options: { root: string; listFile?: (path: string) => boolean }): Promise<DiskUsage> {
  const seen = new Set<string>();
  let bytes = 0;
  const files: DiskUsage["files"] = [];
  for await (const { path, stats } of walk(options.root)) {
    const key = `${stats.dev}:${stats.ino}`;
    if (!seen.has(key)) {
      seen.add(key);
      bytes += allocatedBytes(stats);
    }
    if (stats.isFile() && (options.listFile?.(path) ?? true)) files.push({ path, size: stats.size });
  }
  return { bytes, files };
}
