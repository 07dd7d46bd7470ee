// The download record kept inside each model folder (`.hf-models.json`): what was fetched, from where,
// at which commit, with the hash of every file. Written atomically so a crash never leaves half a record.
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, rmdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { DownloadedFile, DownloadMethod } from "../content";
import { DownloadError } from "../errors";

import { PENDING_FILE, RECORD_FILE } from "../layout";

export interface ModelRecord {
  version: 1;
  repo: string;
  revision: string;
  commit: string;
  method: DownloadMethod;
  endpoint: string;
  files: DownloadedFile[];
  /** Files the repo had at `commit`; more than `files` when the user chose a selection. Absent in older records. */
  repoFileCount?: number;
  /** Files the user changed that the download left as they are (not in `files`): later runs keep them too. */
  keptEdited?: string[];
  /** ISO date. */
  completedAt: string;
}

export function recordPath(modelDir: string): string {
  return join(modelDir, RECORD_FILE);
}

/** The record, or `undefined` when the folder has none; throws `internal` when it exists but is unreadable. */
export async function readRecord(modelDir: string): Promise<ModelRecord | undefined> {
  const file = recordPath(modelDir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new DownloadError("internal", `Cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new DownloadError("internal", `${file} is not valid JSON; download the model again to rewrite it.`, { cause });
  }
  const problem = recordProblem(data);
  if (problem) throw new DownloadError("internal", `${file} is not a valid download record (${problem}); download the model again to rewrite it.`);
  return data as ModelRecord;
}

/** Writes to a temporary file next to the record, flushes it, then renames it over the old one. */
export async function writeRecord(modelDir: string, record: ModelRecord): Promise<void> {
  const problem = recordProblem(record);
  if (problem) throw new DownloadError("internal", `Refusing to write an invalid download record (${problem}).`);
  await writeJsonFile(recordPath(modelDir), record);
}

/**
 * A JSON file replaced whole or not at all: a temporary file beside it, flushed, renamed over it. The folder is made
 * only with `makeFolder`: a record must not bring back a model folder that was deleted meanwhile.
 */
async function writeJsonFile(target: string, value: unknown, options: { makeFolder?: boolean } = {}): Promise<void> {
  const temp = `${target}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    if (options.makeFolder) await mkdir(dirname(target), { recursive: true });
    const handle = await open(temp, "wx", 0o644);
    try {
      await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    const kind = code === "ENOSPC" ? "disk-full" : code === "EACCES" || code === "EPERM" || code === "EROFS" ? "not-writable" : "internal";
    throw new DownloadError(kind, `Cannot write ${target}: ${(err as Error).message}`, { cause: err });
  }
}

function recordProblem(data: unknown): string | undefined {
  if (typeof data !== "object" || data === null) return "not an object";
  const r = data as Record<string, unknown>;
  if (r.version !== 1) return `unsupported version ${JSON.stringify(r.version)}`;
  for (const key of ["repo", "revision", "commit", "endpoint", "completedAt"] as const) {
    if (typeof r[key] !== "string") return `"${key}" is missing`;
  }
  if (r.method !== "lfs" && r.method !== "xet") return `"method" must be "lfs" or "xet"`;
  if (!Array.isArray(r.files)) return `"files" is missing`;
  if (r.keptEdited !== undefined && !(Array.isArray(r.keptEdited) && r.keptEdited.every((p) => typeof p === "string"))) return `"keptEdited" must list paths`;
  for (const f of r.files as unknown[]) {
    const file = f as Record<string, unknown>;
    if (typeof file?.path !== "string" || typeof file.size !== "number" || typeof file.hash !== "string") return "a file entry is incomplete";
    if (file.hashKind !== "sha256" && file.hashKind !== "git-sha1") return `a file entry has an unknown hashKind`;
  }
  return undefined;
}

/**
 * What an unfinished download asked for, beside the record (`.hf-models-pending.json`): written before any byte
 * moves and removed once the record is written, so Resume continues with the same route, revision and selection,
 * keeping that route's partials (issue 13, M4).
 */
export interface PendingDownload {
  version: 1;
  repo: string;
  revision: string;
  commit: string;
  method: DownloadMethod;
  include?: string[];
  exclude?: string[];
  /** ISO date. */
  startedAt: string;
}

export function pendingPath(modelDir: string): string {
  return join(modelDir, PENDING_FILE);
}

export async function writePending(modelDir: string, pending: PendingDownload): Promise<void> {
  await writeJsonFile(pendingPath(modelDir), pending, { makeFolder: true });
}

/** The note of an unfinished download, or undefined (none, or unreadable: it is only a hint). */
export async function readPending(modelDir: string): Promise<PendingDownload | undefined> {
  try {
    const data = JSON.parse(await readFile(pendingPath(modelDir), "utf8")) as Partial<PendingDownload>;
    const strings = (v: unknown) => v === undefined || (Array.isArray(v) && v.every((x) => typeof x === "string"));
    if (data?.version !== 1 || typeof data.repo !== "string" || typeof data.revision !== "string" || typeof data.commit !== "string") return undefined;
    if ((data.method !== "lfs" && data.method !== "xet") || !strings(data.include) || !strings(data.exclude)) return undefined;
    return data as PendingDownload;
  } catch {
    return undefined;
  }
}

export async function removePending(modelDir: string): Promise<void> {
  await rm(pendingPath(modelDir), { force: true });
}

/** After a failed run that left nothing but its note (it failed before the first byte), the folder goes too. */
export async function removePendingIfAlone(modelDir: string): Promise<void> {
  const names = await readdir(modelDir).catch(() => [] as string[]);
  if (names.length !== 1 || names[0] !== PENDING_FILE) return;
  await rm(pendingPath(modelDir), { force: true });
  await rmdir(modelDir).catch(() => undefined);
}
