// The Git LFS route: clone (or reuse) the repo with pointers only, check out exactly the selected files,
// `git lfs pull` their objects with byte progress, verify every file, then hard-link objects and files.
import { mkdir, realpath, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { SimpleGitProgressEvent } from "simple-git";
import type { RepoFileEntry } from "../hub/api";
import { DownloadError, type DownloadedFile } from "../download/types";
import { backoffMs, sleep } from "../util/backoff";
import { verifyFiles } from "../util/verifyFiles";
import { checkoutSelection, configureClone, ensureCommit, freshClone, reusableClone } from "./clone";
import { gitEnv } from "./env";
import { scrubLfsLogs } from "./logs";
import { mapGitError } from "./errors";
import { checkGitTools, createGit } from "./git";
import { dedupeWithHardLinks, dropLfsTemporaries, dropPartialObjects, lfsBytesOnDisk, salvagePartialObjects, seedObjectsFromWorkingTree, type DedupeResult } from "./objects";
import { lfsIncludeList } from "./patterns";
import { tailLfsProgress } from "./progressFile";

export interface LfsRouteParams {
  endpoint: string;
  token?: string;
  repo: string;
  revision: string;
  commit: string;
  /** The files to deliver. */
  files: RepoFileEntry[];
  /** True when include/exclude narrowed the set: only `files` are checked out (sparse) and pulled. */
  sparse: boolean;
  modelDir: string;
  /** Base environment for git (PATH, HOME, proxies). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onStage?(stage: "cloning" | "downloading" | "verifying" | "finalizing", message?: string): void;
  onFileProgress(p: { path: string; doneBytes: number; newBytes: number }): void;
  log?(level: "info" | "warn" | "debug", message: string): void;
  /** Sees the argument list of every git command spawned. */
  onCommand?(args: string[]): void;
  /** Runs of `git lfs pull` before a server, network or checksum failure is final (git-lfs also retries each object itself). Default 2. */
  pullAttempts?: number;
  /** Nominal wait before the first `git lfs pull` retry (doubled each time, jittered). Default 1000 ms. */
  retryBaseMs?: number;
}

/** Failures a new `git lfs pull` may not meet: it asks the batch API again (fresh, unexpired hrefs) and resumes. */
const RETRYABLE = new Set(["server", "network", "integrity"]);

export interface LfsRouteResult {
  files: DownloadedFile[];
  /** LFS object bytes received in this run (git's own pack transfer is not counted). */
  bytesTransferred: number;
  dedupe: DedupeResult;
}

type LfsFile = RepoFileEntry & { lfs: { oid: string; size: number } };

export async function downloadViaLfs(p: LfsRouteParams): Promise<LfsRouteResult> {
  const { endpoint, token, repo, revision, commit, modelDir, signal } = p;
  const remote = `${endpoint}/${repo}`;
  const gitDir = join(modelDir, ".git");
  const lfsFiles = p.files.filter((f): f is LfsFile => f.lfs !== undefined);
  let step = "preparing the model folder";
  const fail = (err: unknown) => mapGitError({ err, step, repo, endpoint, revision, token, signal });

  const parent = dirname(modelDir);
  try {
    await mkdir(parent, { recursive: true });
  } catch (cause) {
    throw new DownloadError("not-writable", `Cannot create ${parent}: ${(cause as Error).message}. Choose a models folder you can write to.`, { cause });
  }
  const ceilingDir = await realpath(parent);
  const env = gitEnv({ endpoint, token, baseEnv: p.env, ceilingDir });
  // Inside .git so a killed process leaves nothing behind elsewhere; only `git lfs pull` writes to it.
  const progressFile = join(gitDir, "hf-models-lfs-progress");
  let lastStage = "";
  const onGitProgress = (e: SimpleGitProgressEvent) => {
    const label = `${e.stage} ${Math.floor(e.progress / 10) * 10}%`;
    if (label === lastStage) return;
    lastStage = label;
    p.onStage?.("cloning", `git ${e.method}: ${e.stage.replace(/:+$/, "")} ${e.progress}% (${e.processed}/${e.total})`);
  };
  const makeGit = (baseDir: string) => createGit({ baseDir, env, signal, onProgress: onGitProgress, onCommand: p.onCommand });

  try {
    step = "checking git";
    await checkGitTools({ baseDir: parent, env, signal, onCommand: p.onCommand });

    step = "git clone";
    const reuse = await reusableClone({ modelDir, makeGit, log: (m) => p.log?.("warn", m) });
    p.onStage?.("cloning", reuse ? `Updating the existing clone of ${repo}` : `Cloning ${remote}`);
    if (!reuse) await freshClone({ modelDir, remote, makeGit });
    const git = makeGit(modelDir);
    step = "git fetch";
    await ensureCommit({ git, remote, revision, commit });

    step = "git checkout";
    await configureClone({ git, gitDir, log: (m) => p.log?.("warn", m) });
    const seeded = await seedObjectsFromWorkingTree({ modelDir, gitDir, files: lfsFiles, signal });
    if (seeded.length > 0) p.log?.("info", `Reusing ${seeded.length} verified file(s) already in the folder: ${seeded.join(", ")}`);
    await checkoutSelection({ git, gitDir, revision, commit, sparsePaths: p.sparse ? p.files.map((f) => f.path) : undefined });

    step = "git lfs pull";
    p.onStage?.("downloading");
    for (const f of p.files) if (!f.lfs) p.onFileProgress({ path: f.path, doneBytes: f.size, newBytes: 0 });
    const sizes = new Map(lfsFiles.map((f) => [f.lfs.oid, f.lfs.size]));
    const salvaged = await salvagePartialObjects(gitDir, sizes);
    if (salvaged > 0) p.log?.("info", `Resuming ${salvaged} partly downloaded LFS object(s)`);
    // Bytes a previous run left (objects, `.part` files) count as done but not as transferred.
    const lastDone = new Map<string, number>();
    const missing: LfsFile[] = [];
    for (const f of lfsFiles) {
      const onDisk = await lfsBytesOnDisk(gitDir, f);
      lastDone.set(f.path, onDisk.bytes);
      p.onFileProgress({ path: f.path, doneBytes: onDisk.bytes, newBytes: 0 });
      if (!onDisk.complete) missing.push(f);
    }
    let transferred = 0;
    if (lfsFiles.length > 0) {
      if (missing.length > 0) p.log?.("info", `Fetching ${missing.length} LFS object(s) with git-lfs`);
      await writeFile(progressFile, "");
      const pullGit = createGit({
        baseDir: modelDir,
        env: gitEnv({ endpoint, token, baseEnv: p.env, ceilingDir, progressFile }),
        signal,
        onCommand: p.onCommand,
      });
      const tail = tailLfsProgress({
        file: progressFile,
        onLine: (line) => {
          if (line.direction !== "download") return;
          const before = lastDone.get(line.name);
          if (before === undefined) return;
          // A restart from zero (server ignored the Range) lowers the count; only growth is new data.
          const newBytes = Math.max(0, line.doneBytes - before);
          lastDone.set(line.name, line.doneBytes);
          transferred += newBytes;
          p.onFileProgress({ path: line.name, doneBytes: line.doneBytes, newBytes });
        },
      });
      const attempts = Math.max(1, p.pullAttempts ?? 2);
      try {
        for (let attempt = 1; ; attempt++) {
          try {
            await pullGit.raw(p.sparse ? ["lfs", "pull", `--include=${lfsIncludeList(lfsFiles.map((f) => f.path))}`] : ["lfs", "pull"]);
            break;
          } catch (err) {
            // Keep what arrived for the next run, unless git-lfs said the data itself was wrong or the disk is full.
            const text = String((err as Error)?.message);
            if (/expected OID/i.test(text)) await dropPartialObjects(gitDir, sizes.keys());
            else if (/no space left on device|ENOSPC|disk quota exceeded/i.test(text)) await dropLfsTemporaries(gitDir).catch(() => undefined);
            else await salvagePartialObjects(gitDir, sizes).catch(() => 0);
            const mapped = fail(err);
            if (attempt >= attempts || signal?.aborted || !RETRYABLE.has(mapped.code)) throw err;
            const waitMs = backoffMs({ attempt, baseMs: p.retryBaseMs ?? 1000, capMs: 30_000 });
            p.log?.("warn", `git lfs pull failed (${mapped.message.replace(/\.$/, "")}); retrying in ${(waitMs / 1000).toFixed(1)} s`);
            await sleep(waitMs, signal);
          }
        }
      } finally {
        await tail.stop();
        await rm(progressFile, { force: true });
      }
    }

    step = "verification";
    p.onStage?.("verifying");
    const files = await verifyFiles({ modelDir, files: p.files, signal });
    for (const f of files) p.onFileProgress({ path: f.path, doneBytes: f.size, newBytes: 0 });

    step = "linking LFS objects";
    p.onStage?.("finalizing");
    const dedupe = await dedupeWithHardLinks({ modelDir, gitDir, files: lfsFiles });
    if (dedupe.failure) p.log?.("warn", `Could not hard-link LFS objects to the model files (${dedupe.failure}); the model takes twice its size on disk.`);
    else if (dedupe.linked > 0) p.log?.("debug", `Hard-linked ${dedupe.linked} LFS object(s), ${dedupe.savedBytes} bytes stored once instead of twice`);
    return { files, bytesTransferred: transferred, dedupe };
  } catch (err) {
    throw fail(err);
  } finally {
    await scrubLfsLogs(gitDir, token).catch(() => 0);
  }
}
