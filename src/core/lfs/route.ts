// The Git LFS route: clone (or reuse) the repo, check out the selected files with pointers for LFS files and get
// their objects (in parallel ranges, else `git lfs fetch`, with byte progress; for a fresh clone the two run side by
// side), then make each LFS file a hard link to its verified object and record the links' stat data in git's index
// (one copy on disk, no copy and no re-hash); whatever cannot be linked is checked out through the smudge filter and
// hashed, like every file stored in git itself.
import { existsSync } from "node:fs";
import { mkdir, realpath, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { SimpleGit, SimpleGitProgressEvent } from "simple-git";
import type { RepoFileEntry } from "../hub/api";
import type { RepoId } from "../hub/repoId";
import { DownloadError } from "../errors";
import { type DownloadedFile } from "../content";
import { formatBytes } from "../util/format";
import { sideBySide } from "../util/sideBySide";
import { verifyFiles } from "../util/verifyFiles";
import { explainFailedCheck } from "./conversion";
import { checkoutSelection, configureClone, ensureCommit, freshClone, installLfsLocally, reusableClone } from "./clone";
import { gitEnv } from "./env";
import { mapGitError } from "./errors";
import { fetchLfsObjects, type FetchObjectsResult } from "./fetchObjects";
import { lfsBatchWaitMs } from "./rateLimit";
import type { RateLimitWait } from "../util/rateLimit";
import { checkGitTools, createGit } from "./git";
import { indexEntries, settleIndexTimestamp } from "./gitIndex";
import { recordStatInIndex } from "./indexStat";
import { dropDamagedObjects, linkVerifiedFiles, type DedupeResult } from "./linkVerified";
import { scrubLfsLogs } from "./logs";
import { pruneObjects, seedObjectsFromWorkingTree, type LfsFile } from "./objects";
import { removeHalfWrittenFiles } from "./halfWritten";
import { restoreSetAside, setAside } from "./setAside";

export interface LfsRouteParams {
  endpoint: string;
  token?: string;
  repo: RepoId;
  revision: string;
  commit: string;
  /** The files to deliver. */
  files: RepoFileEntry[];
  /** True when include/exclude narrowed the set: only `files` are checked out (sparse) and fetched. */
  sparse: boolean;
  /** Repo paths whose files the checkout must leave as they are (outside a narrower selection, edited by the user). */
  keep?: readonly string[];
  /** LFS objects to keep even when no file of this run uses them (those of the kept files). */
  retainOids?: readonly string[];
  modelDir: string;
  /** Base environment for git (PATH, HOME, proxies). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onStage?(stage: "cloning" | "downloading" | "verifying" | "finalizing", message?: string): void;
  onFileProgress(p: { path: string; doneBytes: number; newBytes: number }): void;
  log?(level: "info" | "warn" | "debug", message: string): void;
  /** Sees the argument list of every git command spawned. */
  onCommand?(args: string[]): void;
  /** Runs of `git lfs fetch` before a server, network or checksum failure is final (git-lfs also retries each object itself). Default 2. */
  fetchAttempts?: number;
  /** Nominal wait before the first `git lfs fetch` retry (doubled each time, jittered). Default 1000 ms. */
  retryBaseMs?: number;
  /** Connections for LFS objects in parallel ranges; 0 leaves them all to `git lfs fetch`. Default: adaptive, 2–16. */
  connections?: number;
  /** Told before each wait for the Hub's rate limit on the batch API to reset. */
  onRateLimit?(wait: RateLimitWait): void;
}

export interface LfsRouteResult {
  files: DownloadedFile[];
  /** LFS object bytes received in this run (git's own pack transfer is not counted). */
  bytesTransferred: number;
  dedupe: DedupeResult;
}

export async function downloadViaLfs(p: LfsRouteParams): Promise<LfsRouteResult> {
  const { endpoint, token, revision, commit, modelDir, signal } = p;
  const repo = p.repo.id;
  const remote = `${endpoint}/${repo}`;
  const gitDir = join(modelDir, ".git");
  const lfsFiles = p.files.filter((f): f is LfsFile => f.lfs !== undefined);
  let step = "preparing the model folder";
  let cloned = false;
  const fail = (err: unknown, at = step) => mapGitError({ err, step: at, repo, endpoint, revision, token, signal });

  const parent = dirname(modelDir);
  try {
    await mkdir(parent, { recursive: true });
  } catch (cause) {
    throw new DownloadError("not-writable", `Cannot create ${parent}: ${(cause as Error).message}. Choose a models folder you can write to.`, { cause });
  }
  // When the objects download while git checks out a fresh clone, a failure on one side stops the other.
  const otherSideFailed = new AbortController();
  const routeSignal = signal ? AbortSignal.any([signal, otherSideFailed.signal]) : otherSideFailed.signal;
  const ceilingDir = await realpath(parent);
  const env = gitEnv({ endpoint, token, baseEnv: p.env, ceilingDir, repo });
  let lastStage = "";
  let downloading = false;
  const onGitProgress = (e: SimpleGitProgressEvent) => {
    const label = `${e.stage} ${Math.floor(e.progress / 10) * 10}%`;
    // A checkout beside the object download must not take the stage back to cloning.
    if (label === lastStage || downloading) return;
    lastStage = label;
    p.onStage?.("cloning", `git ${e.method}: ${e.stage.replace(/:+$/, "")} ${e.progress}% (${e.processed}/${e.total})`);
  };
  const makeGit = (baseDir: string) => createGit({ baseDir, env, signal: routeSignal, onProgress: onGitProgress, onCommand: p.onCommand });
  // For the fallbacks only: git-lfs' filters on, paths taken literally.
  const smudgingGit = () =>
    createGit({ baseDir: modelDir, env: { ...gitEnv({ endpoint, token, baseEnv: p.env, ceilingDir, repo, smudge: true }), GIT_LITERAL_PATHSPECS: "1" }, signal: routeSignal, onCommand: p.onCommand });

  let lfsInstalled = Promise.resolve();
  try {
    step = "checking git";
    await checkGitTools({ baseDir: parent, env, signal: routeSignal, onCommand: p.onCommand });

    step = "git clone";
    const reuse = await reusableClone({ modelDir, makeGit, log: (m) => p.log?.("warn", m) });
    p.onStage?.("cloning", reuse ? `Updating the existing clone of ${repo}` : `Cloning ${remote}`);
    if (!reuse) await freshClone({ modelDir, remote, makeGit });
    cloned = true;
    const git = makeGit(modelDir);

    // Before the fetch, so that it finds these objects in place instead of downloading them.
    const seeded = await seedObjectsFromWorkingTree({ modelDir, gitDir, files: lfsFiles, signal: routeSignal });
    if (seeded.length > 0) p.log?.("info", `Reusing ${seeded.length} verified file(s) already in the folder: ${seeded.join(", ")}`);
    const seededOids = lfsFiles.filter((f) => seeded.includes(f.path)).map((f) => f.lfs.oid);

    const checkOut = async () => {
      let at = "git fetch";
      try {
        await ensureCommit({ git, remote, revision, commit });
        at = "git checkout";
        await configureClone({ git, gitDir, fresh: !reuse });
        // Files a killed run set aside go back first; then the ones this run keeps step out of the checkout's way.
        await restoreSetAside(modelDir);
        await setAside(modelDir, p.keep ?? []);
        try {
          await checkoutSelection({ git, gitDir, revision, commit, sparsePaths: p.sparse ? p.files.map((f) => f.path) : undefined, lfsFilter: reuse });
        } finally {
          await restoreSetAside(modelDir);
        }
      } catch (err) {
        if (at === "git checkout") {
          const removed = await removeHalfWrittenFiles({ modelDir, files: p.files, keep: p.keep }).catch(() => []);
          if (removed.length > 0) p.log?.("info", `Removed ${removed.length} file(s) the failed checkout left half written: ${removed.join(", ")}`);
        }
        throw fail(err, at);
      }
      // Git LFS' filters and hooks (for git status and the user's own git lfs commands) are installed while the objects
      // download: git-lfs takes ~0.2 s to read its configuration, and nothing before the end needs them. After the
      // checkout, so its post-checkout hook does not run either. Its own git instance: an instance runs one at a time.
      lfsInstalled = installLfsLocally({
        git: makeGit(modelDir),
        // A cancel (or a failure of the download beside it) kills it too: that is no failure to warn about.
        log: (m) => {
          if (!routeSignal.aborted) p.log?.("warn", m);
        },
      });
    };
    const fetchObjects = (checkedOut: Promise<void>) => {
      downloading = true;
      p.onStage?.("downloading");
      for (const f of p.files) if (!f.lfs) p.onFileProgress({ path: f.path, doneBytes: f.size, newBytes: 0 });
      return fetchLfsObjects({
        git, gitDir, commit, files: lfsFiles, sparse: p.sparse, checkedOut,
        endpoint, repo, token, connections: p.connections,
        attempts: Math.max(1, p.fetchAttempts ?? 2),
        retryBaseMs: p.retryBaseMs ?? 1000,
        signal: routeSignal,
        mapError: (err) => fail(err, "git lfs fetch"),
        onFileProgress: p.onFileProgress,
        log: p.log,
        rateLimitWait: () => lfsBatchWaitMs({ endpoint, repo, token, signal: routeSignal }),
        onRateLimit: p.onRateLimit,
      }).catch((err: unknown) => Promise.reject(fail(err, "git lfs fetch")));
    };

    let checked: { good: string[]; dropped: string[] } = { good: [], dropped: [] };
    let fetchResult: FetchObjectsResult;
    if (reuse) {
      step = "git checkout";
      await checkOut();
      // A file damaged in place damaged its (hard-linked) object: such objects go now, so the fetch gets them again.
      checked = await dropDamagedObjects({ gitDir, files: lfsFiles, skip: new Set(seededOids), signal: routeSignal });
      if (checked.dropped.length > 0) p.log?.("warn", `Downloading again ${checked.dropped.length} file(s) whose stored Git LFS object was damaged: ${checked.dropped.join(", ")}`);
      step = "git lfs fetch";
      fetchResult = await fetchObjects(Promise.resolve());
    } else {
      // A fresh clone has no stored object to check, so the objects download while git checks out the pointers.
      step = "git checkout and git lfs fetch";
      const checkedOut = checkOut();
      [, fetchResult] = await sideBySide(otherSideFailed, checkedOut, fetchObjects(checkedOut));
    }
    const { fetched, transferred } = fetchResult;
    await lfsInstalled;

    step = "verification";
    p.onStage?.("verifying");
    const { linked, dedupe } = await linkVerifiedFiles({
      modelDir, gitDir, files: lfsFiles, signal,
      trusted: new Set([...fetched, ...seededOids, ...checked.good]),
      index: await indexEntries(git),
    });
    const rest = p.files.filter((f) => !linked.has(f.path));
    const unlinked = rest.filter((f) => f.lfs).map((f) => f.path);
    if (unlinked.length > 0) {
      // Pointers still: they get their content from the objects through the smudge filter (a copy each).
      for (const path of unlinked) await rm(join(modelDir, path), { force: true });
      for (let i = 0; i < unlinked.length; i += 500) await smudgingGit().raw(["checkout", "--", ...unlinked.slice(i, i + 500)]);
    }
    const verified = new Set<string>();
    const hashed = await verifyFiles({ modelDir, files: rest, signal, onFile: (f) => verified.add(f.path) }).catch(async (err: unknown) => {
      throw await explainFailedCheck({ err, git, modelDir, file: rest.find((f) => !verified.has(f.path)) });
    });
    const byPath = new Map([...linked, ...hashed.map((f) => [f.path, f] as const)]);
    const files = p.files.map((f) => byPath.get(f.path)!);
    for (const f of files) p.onFileProgress({ path: f.path, doneBytes: f.size, newBytes: 0 });

    step = "finalizing";
    p.onStage?.("finalizing");
    const linkedPaths = [...linked.keys()];
    if (!(await recordStatInIndex({ gitDir, modelDir, paths: linkedPaths }))) {
      // An index layout we do not rewrite (v4, split index): git re-reads the linked files once, through git-lfs.
      // Not `update-index --refresh`: it takes a changed size for changed content and never runs the clean filter.
      p.log?.("info", "Refreshing git's index through git-lfs (its layout is not one HF Models updates itself)");
      // The files are verified already; an update that fails only leaves git status wrong, so it is not an error.
      await updateIndexEntries(smudgingGit(), linkedPaths).catch((err: Error) => p.log?.("warn", `git update-index failed: ${err.message}`));
    }
    await settleIndexTimestamp({ gitDir, modelDir, paths: lfsFiles.map((f) => f.path), signal });
    await pruneSuperseded(gitDir, [...lfsFiles.map((f) => f.lfs.oid), ...(p.retainOids ?? [])], p.log);
    if (dedupe.failure) p.log?.("warn", `Could not hard-link LFS objects to the model files (${dedupe.failure}); the model takes twice its size on disk.`);
    else if (dedupe.linked > 0) p.log?.("debug", `Hard-linked ${dedupe.linked} LFS object(s), ${dedupe.savedBytes} bytes stored once instead of twice`);
    return { files, bytesTransferred: transferred, dedupe };
  } catch (err) {
    // git run in a folder that is gone fails with "spawn git ENOENT" or "not a git repository": say what happened.
    if (cloned && !signal?.aborted && !existsSync(gitDir)) {
      throw new DownloadError(
        "not-writable",
        `The model folder ${modelDir}${existsSync(modelDir) ? " lost its .git folder" : " was deleted"} while the download ran (during ${step}); nothing was recorded as complete. Make sure no other program removes it, then run the download again.`,
        { cause: err },
      );
    }
    throw fail(err);
  } finally {
    // Never rejects; awaited so that no git-lfs process writes into a folder the caller may clean up next.
    await lfsInstalled;
    await scrubLfsLogs(gitDir, token).catch(() => 0);
  }
}

/** `git update-index -- <paths>` in batches that stay far below the argument-length limit. */
async function updateIndexEntries(git: SimpleGit, paths: readonly string[]): Promise<void> {
  for (let i = 0; i < paths.length; i += 500) await git.raw(["update-index", "--", ...paths.slice(i, i + 500)]);
}

/** Frees what an update left behind: the objects of the files' previous versions. Failing to is only a warning. */
async function pruneSuperseded(gitDir: string, keep: readonly string[], log: LfsRouteParams["log"]): Promise<void> {
  try {
    const { removed, bytes } = await pruneObjects(gitDir, new Set(keep));
    if (removed > 0) log?.("info", `Removed ${removed} LFS object(s) the checkout no longer uses, ${formatBytes(bytes)} freed`);
  } catch (err) {
    log?.("warn", `Could not remove LFS objects the checkout no longer uses: ${(err as Error).message}`);
  }
}
