// Models on disk under `<modelsDir>/<org>/<name>/`: where a model goes, which folders are models,
// what they cost on disk, removing one safely, and asking the Hub whether a newer commit exists.
import { lstat, readFile, readdir, rm, rmdir } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { DownloadError } from "../errors";
import { isBookkeepingPath, PARTIAL_DIR, PENDING_FILE, RECORD_FILE } from "../layout";
import { resolveCommit } from "../hub/api";
import { isCommitSha, parseRepoId, type RepoId } from "../hub/repoId";
import { acquireModelLock, lockPathFor } from "../download/lock";
import { diskUsage } from "./diskUsage";
import { readPending, readRecord, type ModelRecord, type PendingDownload } from "./metadata";

export { verifyModel, type VerifyProgress, type VerifyResult } from "./verify";

export interface LocalModel {
  /** `org/name`, from the folder names. */
  repo: string;
  /** Absolute path of the model folder. */
  path: string;
  /** Missing while a download has not finished (or never wrote one). */
  record?: ModelRecord;
  /** Why the record could not be read, when it exists but is damaged. */
  recordProblem?: string;
  /** Without a record: what the unfinished download asked for (route, revision, selection), when it left its note. */
  pending?: PendingDownload;
  /** Bytes allocated on disk for the whole folder, `.git` included, each hard-linked inode once. */
  sizeOnDisk: number;
  /** The model's own files (not `.git`, not our bookkeeping), sorted by path. */
  files: Array<{ path: string; size: number }>;
}

export function modelDirFor(modelsDir: string, repo: RepoId): string {
  return join(resolve(modelsDir), repo.org, repo.name);
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function subdirs(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw err;
  }
  const out: string[] = [];
  for (const n of names.sort()) if (!n.startsWith(".") && (await isDir(join(dir, n)))) out.push(n);
  return out;
}

async function hasModelMarker(dir: string): Promise<boolean> {
  return (await exists(join(dir, RECORD_FILE))) || (await isDir(join(dir, ".git"))) || (await isDir(join(dir, PARTIAL_DIR))) || (await exists(join(dir, PENDING_FILE)));
}

/** Every `<org>/<name>` folder that holds a record, a `.git` clone or an interrupted download. */
export async function listLocalModels(modelsDir: string): Promise<LocalModel[]> {
  const root = resolve(modelsDir);
  const models: LocalModel[] = [];
  for (const org of await subdirs(root)) {
    for (const name of await subdirs(join(root, org))) {
      const path = join(root, org, name);
      let repo: string;
      try {
        repo = parseRepoId(`${org}/${name}`).id;
      } catch {
        continue; // not a folder this tool created
      }
      if (!(await hasModelMarker(path))) continue;
      const model: LocalModel = { repo, path, sizeOnDisk: 0, files: [] };
      try {
        model.record = await readRecord(path);
      } catch (err) {
        model.recordProblem = (err as Error).message;
      }
      if (!model.record) {
        const pending = await readPending(path);
        if (pending) model.pending = pending;
      }
      const usage = await diskUsage({ root: path, listFile: (p) => !isBookkeepingPath(p) });
      model.sizeOnDisk = usage.bytes;
      model.files = usage.files;
      models.push(model);
    }
  }
  return models;
}

function refuse(modelDir: string, why: string): DownloadError {
  return new DownloadError("invalid-repo", `Refusing to delete ${modelDir}: ${why}.`);
}

/**
 * Removes a model folder, then its org folder when that is left empty. Refuses anything that is not
 * `<…>/<org>/<name>` holding our record for that repo, a git clone of it, or our partial-download folder.
 */
export async function deleteModel(modelDir: string): Promise<void> {
  const dir = resolve(modelDir);
  let stats;
  try {
    stats = await lstat(dir);
  } catch (cause) {
    throw new DownloadError("not-found", `Cannot delete ${dir}: it does not exist.`, { cause });
  }
  if (stats.isSymbolicLink()) throw refuse(dir, "it is a symbolic link");
  if (!stats.isDirectory()) throw refuse(dir, "it is not a folder");
  const repo = `${basename(dirname(dir))}/${basename(dir)}`;
  try {
    parseRepoId(repo);
  } catch {
    throw refuse(dir, "it is not an <org>/<name> model folder");
  }
  if (!(await ownsFolder(dir, repo))) throw refuse(dir, `it holds no HF Models download of ${repo}`);
  // The lock every download holds (any process: the CLI, another window): never delete under a running download.
  const lock = await acquireModelLock({ modelDir: dir, timeoutMs: 0 }).catch((err: unknown) => {
    if (err instanceof DownloadError && err.code === "locked") {
      throw new DownloadError("locked", `Cannot delete ${repo} now: another process is downloading it (it holds the lock ${lockPathFor(dir)}). Wait for that download to finish or cancel it, then delete again.`, { cause: err });
    }
    throw err;
  });
  try {
    await rm(dir, { recursive: true, force: false, maxRetries: 3 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const kind = code === "EACCES" || code === "EPERM" || code === "EBUSY" ? "not-writable" : "internal";
    throw new DownloadError(kind, `Could not delete ${dir} completely: ${(err as Error).message}`, { cause: err });
  } finally {
    await lock.release();
  }
  await rmdir(dirname(dir)).catch(() => undefined); // only succeeds when the org folder is now empty
}

async function ownsFolder(dir: string, repo: string): Promise<boolean> {
  let record: ModelRecord | undefined;
  try {
    record = await readRecord(dir);
  } catch {
    record = undefined; // a damaged record still marks our folder, see below
  }
  if (record) return record.repo.toLowerCase() === repo.toLowerCase();
  if (await exists(join(dir, RECORD_FILE))) return true;
  if (await isDir(join(dir, PARTIAL_DIR))) return true;
  if (await isDir(join(dir, ".git"))) {
    const config = await readFile(join(dir, ".git", "config"), "utf8").catch(() => "");
    const urls = [...config.matchAll(/^\s*url\s*=\s*(.+?)\s*$/gm)].map((m) => m[1]!.replace(/\.git$/, "").replace(/\/+$/, ""));
    return urls.some((u) => u.toLowerCase().endsWith(`/${repo.toLowerCase()}`));
  }
  return false;
}

export interface UpdateCheck {
  upToDate: boolean;
  localCommit: string;
  remoteCommit: string;
}

/** Compares the recorded commit with the Hub's current head of the recorded revision. */
export async function checkForUpdate(options: { modelDir: string; endpoint: string; token?: string; signal?: AbortSignal }): Promise<UpdateCheck> {
  const record = await readRecord(options.modelDir);
  if (!record) {
    throw new DownloadError("not-found", `${options.modelDir} has no download record (${RECORD_FILE}); download the model first.`);
  }
  // A pinned commit never moves.
  if (isCommitSha(record.revision)) return { upToDate: true, localCommit: record.commit, remoteCommit: record.revision };
  const remoteCommit = await resolveCommit({ endpoint: options.endpoint, token: options.token, repo: parseRepoId(record.repo), revision: record.revision, signal: options.signal });
  return { upToDate: remoteCommit === record.commit, localCommit: record.commit, remoteCommit };
}
