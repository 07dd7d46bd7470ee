// Shared pieces of the reliability suites: a small generated repo, request-log timestamps, a concurrency
// pool, and the folder check every run ends with (verified files, or nothing claimed complete).
import { existsSync } from "node:fs";
import { lstat, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DownloadResult } from "../../src/core/download/types";
import { readPending, readRecord } from "../../src/core/library/metadata";
import { gitBlobId, sha256, sha256File } from "../helpers/files";
import { lfsPointer } from "../../hub/git/build";
import type { RequestLogEntry } from "../../hub/context";
import type { LocalHub } from "../../hub/server";
import { mixedModelBytes, pseudoRandomBytes } from "../../hub/xet/sampleData";
import { sourceFiles } from "../core/download-helpers";

/** Two LFS/Xet files (one partly compressible, one not) and two small git files: every path of both routes. */
export async function writeSmallRepo(dir: string, sizes = { model: 768 * 1024 + 123, extra: 256 * 1024 + 7 }): Promise<void> {
  const files: Record<string, string | Buffer> = {
    "config.json": `${JSON.stringify({ architectures: ["ReliabilityModel"], hidden_size: 32 }, null, 2)}\n`,
    "README.md": "# rel/small\n\nGenerated for the reliability suites.\n",
    "model.safetensors": mixedModelBytes(sizes.model, 41),
    "weights/extra.bin": pseudoRandomBytes(sizes.extra, 42),
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, ".."), { recursive: true });
    await writeFile(join(dir, name), content);
  }
}

/** Time (ms since epoch) at which the hub logged each request; the log itself has no clock. */
export function stampLog(hub: LocalHub): (entry: RequestLogEntry) => number {
  const times = new WeakMap<RequestLogEntry, number>();
  const log = hub.ctx.log;
  const push = log.push.bind(log);
  log.push = (...entries: RequestLogEntry[]) => {
    for (const e of entries) times.set(e, Date.now());
    return push(...entries);
  };
  return (entry) => times.get(entry) ?? Number.NaN;
}

/** Runs `fn` over `items`, at most `limit` at once, results in order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Every file under `dir`, relative, with `/`; folders not listed. */
export async function allFiles(dir: string, prefix = ""): Promise<string[]> {
  if (!existsSync(join(dir, prefix))) return [];
  const out: string[] = [];
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await allFiles(dir, rel)));
    else out.push(rel);
  }
  return out.sort();
}

/**
 * What must hold for a model folder after any run, as a list of violations (empty = fine):
 * - success: every listed file byte-exact, the record lists exactly those files with their true hashes;
 * - failure: no record, and every model file present is either byte-exact or (LFS) still its pointer;
 * - failure: a pending note, if any, names the repo (Resume reads it); success: no pending note;
 * - always: nothing but model files, `.git` and `.hf-models*` bookkeeping, and no partial larger than its file.
 */
export async function folderViolations(options: { hub: LocalHub; repo: string; modelDir: string; result?: DownloadResult }): Promise<string[]> {
  const { hub, repo, modelDir, result } = options;
  const sources = sourceFiles(hub, repo);
  const problems: string[] = [];
  const record = await readRecord(modelDir).catch((err: Error) => {
    problems.push(`unreadable record: ${err.message}`);
    return undefined;
  });
  const maxSize = Math.max(...[...sources.values()].map((s) => s.size));
  for (const rel of await allFiles(modelDir)) {
    if (rel.startsWith(".git/") || rel === ".hf-models.json") continue;
    if (rel === ".hf-models-pending.json") {
      if (result) problems.push("the pending note is left after a successful download");
      else if ((await readPending(modelDir))?.repo !== repo) problems.push("the pending note does not name the repo Resume would continue");
      continue;
    }
    const full = join(modelDir, rel);
    const info = await lstat(full);
    if (rel.startsWith(".hf-models-partial/")) {
      if (result) problems.push(`partial ${rel} left after a successful download`);
      else if (info.size > maxSize) problems.push(`partial ${rel} is larger than any file (${info.size} bytes)`);
      continue;
    }
    const source = sources.get(rel);
    if (!source) {
      problems.push(`unexpected file ${rel}`);
      continue;
    }
    if (!info.isFile()) {
      problems.push(`${rel} is not a regular file`);
      continue;
    }
    const exact = info.size === source.size && (await sha256File(full)) === source.sha256;
    if (exact) continue;
    const isPointer = source.lfsOid !== undefined && (await readFile(full, "utf8")) === lfsPointer(source.lfsOid, source.size);
    if (result) problems.push(`${rel} is not byte-exact after a successful download`);
    else if (!isPointer) problems.push(`${rel} is neither byte-exact nor an LFS pointer after a failed download`);
  }
  if (!result) {
    if (record) problems.push("a record exists after a failed download");
    return problems;
  }
  if (!record) return [...problems, "no record after a successful download"];
  const listed = new Map(record.files.map((f) => [f.path, f]));
  if (listed.size !== sources.size) problems.push(`the record lists ${listed.size} files, the repo has ${sources.size}`);
  for (const [path, source] of sources) {
    const entry = listed.get(path);
    if (!entry) {
      problems.push(`the record misses ${path}`);
      continue;
    }
    const data = await readFile(join(modelDir, path)).catch(() => undefined);
    if (!data) {
      problems.push(`the record lists ${path}, which is missing`);
      continue;
    }
    const actual = entry.hashKind === "sha256" ? sha256(data) : gitBlobId(data);
    if (entry.hash !== actual || entry.size !== data.length) problems.push(`the record's hash or size of ${path} does not match the file`);
    const expected = source.lfsOid ?? gitBlobId(await readFile(source.source));
    if (entry.hash !== expected) problems.push(`the record's hash of ${path} is not the Hub's`);
  }
  if (record.method !== result.method || record.commit !== result.commit) problems.push("the record's method or commit differs from the result");
  return problems;
}
