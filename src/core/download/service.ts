// The download service: validate, list, select, lock, run the Xet or LFS route (falling back from Xet to
// LFS), verify, record. The one entry point the CLI and the extension call; events flow back as ProgressEvents.
import { rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { resolveEndpoint } from "../hub/endpoint";
import { listRepoFiles } from "../hub/api";
import { checkGatedAccess, gatedError, refusedByHub } from "../hub/gated";
import type { RateLimitWait } from "../util/rateLimit";
import { assertUrlOnEndpoint, mergeRevision, parseRepoId } from "../hub/repoId";
import { PARTIAL_DIR } from "../layout";
import { modelDirFor } from "../library/index";
import { commitToCache, hfHubCacheDir, seedStaging, stagingDirFor } from "../storage/hfCache";
import { readRecord, recordPath, removePending, removePendingIfAlone, writePending, writeRecord } from "../library/metadata";
import type { RepoFileEntry } from "../hub/api";
import { editedSinceRecord, filesNotOnDisk, removeModelFiles, type FileProblem } from "./onDisk";
import { downloadViaLfs } from "../lfs/route";
import { assertNoLinksInside, checkSelectedPaths } from "../util/safePaths";
import { hasSelection, selectFiles } from "../util/select";
import type { EngineOptions } from "../xet/engine/download";
import { downloadViaXet } from "../xet/route";
import { fallbackReason, shouldFallBack, unreachableHub } from "./fallback";
import { assertCloneIsOurs, dropGitLfsPartials, removeLeftovers } from "./leftovers";
import { cancelledError } from "../errors";
import { acquireModelLock } from "./lock";
import { ProgressTracker } from "./progress";
import { DownloadError, type DownloadedFile, type DownloadMethod, type DownloadOptions, type DownloadRequest, type DownloadResult, type ProgressEvent } from "./types";

export interface ServiceOptions extends DownloadOptions {
  /** Fail with `locked` when another download of the same model holds the lock this long. Default: wait (cancellable). */
  lockTimeoutMs?: number;
  /** Environment for git (PATH, HOME, proxies) and `HF_ENDPOINT`. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Sees the argument list of every git command the LFS route spawns. */
  onGitCommand?: (args: string[]) => void;
  /** Settings of the Xet engine (per-file concurrency, window size, chunk-map folder, worker pool). */
  xetEngine?: EngineOptions;
}

type Stage = Extract<ProgressEvent, { type: "stage" }>["stage"];

export async function download(request: DownloadRequest, options: ServiceOptions = {}): Promise<DownloadResult> {
  const started = Date.now();
  const { signal } = options;
  const env = options.env ?? process.env;
  let lastStage: Stage | undefined;
  const emit = (event: ProgressEvent) => {
    if (event.type === "stage") lastStage = event.stage;
    try {
      options.onProgress?.(event);
    } catch {
      // A listener's bug must not break or half-finish the download.
    }
  };
  const stage = (s: Stage, message?: string) => {
    if (s !== lastStage || message) emit(message ? { type: "stage", stage: s, message } : { type: "stage", stage: s });
  };
  const onRateLimit = (w: RateLimitWait) => emit({ type: "waiting", reason: "rate-limit", seconds: w.seconds, host: w.host });
  if (signal?.aborted) throw cancelledError();

  // Everything that reaches a URL, a folder name or git is validated before any request or process.
  // Parsed once here; every layer below takes the validated RepoId value.
  const asked = parseRepoId(request.repo);
  // The canonical id once the model info names it (a renamed repo, a legacy id such as `gpt2`).
  let repoId = asked;
  let repo = asked.id;
  const revision = mergeRevision({ repo: asked, explicit: request.revision }) ?? "main";
  const endpoint = resolveEndpoint(request.endpoint, env);
  assertUrlOnEndpoint(asked, endpoint);
  const method: DownloadMethod = request.method ?? "lfs";
  // In the Hugging Face cache the routes work in a staging folder of `models--org--name` (storage/hfCache).
  const cacheDir = request.storage === "hfCache" ? (request.cacheDir ?? hfHubCacheDir(env)) : undefined;
  const dirOf = (r: typeof repoId) => (cacheDir !== undefined ? stagingDirFor(cacheDir, r) : modelDirFor(request.modelsDir, r));
  let modelDir = dirOf(repoId);
  const { token } = request;

  try {
    stage("resolving", `${repo}@${revision} on ${endpoint}`);
    stage("listing");
    const listing = await listRepoFiles({ endpoint, token, repo: repoId, revision, signal, onRateLimit });
    const files = selectFiles({ files: listing.files, include: request.include, exclude: request.exclude });
    if (files.length === 0) {
      throw new DownloadError("not-found", `No file of ${repo}@${revision} matches the include/exclude patterns (${listing.files.length} files in the repo). Check the patterns.`);
    }
    if (listing.repo.id !== asked.id) {
      // From here on everything (git remote, resolve URLs, folder, record) uses the id the Hub names.
      repoId = listing.repo;
      repo = repoId.id;
      modelDir = dirOf(repoId);
      emit({ type: "renamed", from: asked.id, to: repo });
    }
    // The selection is checked strictly (and against this filesystem's case rules); the rest is only reported.
    const pathWarning = await checkSelectedPaths({ listed: listing.files.map((f) => f.path), selected: files.map((f) => f.path), modelDir });
    if (pathWarning) emit({ type: "log", level: "warn", message: pathWarning });
    if (listing.gated) {
      // Before the first byte: tell the user to sign in, accept the terms or wait for approval.
      await checkGatedAccess({ endpoint, repo, gated: listing.gated, commit: listing.commit, path: files[0]!.path, token, signal });
    }
    const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
    emit({ type: "plan", method, totalFiles: files.length, totalBytes });

    const lock = await acquireModelLock({
      modelDir,
      signal,
      timeoutMs: options.lockTimeoutMs,
      onWait: () => emit({ type: "log", level: "info", message: `Waiting for another download of ${repo} to finish…` }),
    });
    const routeSignal = signal ? AbortSignal.any([signal, lock.compromised]) : lock.compromised;
    const tracker = new ProgressTracker({ files, emit });
    const log = (level: "info" | "warn" | "debug", message: string) => emit({ type: "log", level, message });
    try {
      // The previous record tells which files the user changed since (kept unless asked) and which went upstream.
      const prior = await readRecord(modelDir).catch(() => undefined);
      if (cacheDir !== undefined) await seedStaging({ stagingDir: modelDir, files, revision });
      // A user's own git clone is never taken over without consent; what killed runs left beside the files goes.
      await assertCloneIsOurs({ modelDir, hasRecord: prior !== undefined, adopt: request.adoptClone });
      await removeLeftovers({ modelDir, log: (m) => log("info", m) });
      await assertNoLinksInside({ modelDir, paths: [...files.map((f) => f.path), PARTIAL_DIR] });
      // Read while the record file is there (its mtime dates the previous download).
      const edited = prior && !request.overwriteEdited ? await editedSinceRecord({ modelDir, record: prior, signal: routeSignal }) : [];
      // While files change, no record may claim the folder is complete; it is written again at the end.
      await rm(recordPath(modelDir), { force: true });
      // What this run asks for, before any byte moves: a Resume continues with it (issue 13, M4).
      if (cacheDir === undefined) {
        await writePending(modelDir, {
          version: 1, repo, revision, commit: listing.commit, method,
          ...(request.include?.length ? { include: request.include } : {}),
          ...(request.exclude?.length ? { exclude: request.exclude } : {}),
          startedAt: new Date().toISOString(),
        });
      }
      const editedSet = new Set(edited);
      const selected = new Set(files.map((f) => f.path));
      const listed = new Set(listing.files.map((f) => f.path));
      const toFetch = files.filter((f) => !editedSet.has(f.path));
      const outside = [...new Set([...listed, ...(prior?.files.map((f) => f.path) ?? [])])].filter((path) => !selected.has(path));
      // What a checkout must not touch: edited files, and (unless pruning) the complete files outside the selection.
      const keep = new Set([...edited, ...(request.prune ? [] : outside.filter((path) => listed.has(path)))]);
      const retainOids = [
        ...listing.files.filter((f) => f.lfs && keep.has(f.path)).map((f) => f.lfs!.oid),
        ...(prior?.files.filter((f) => f.hashKind === "sha256" && keep.has(f.path)).map((f) => f.hash) ?? []),
      ];
      let used: DownloadMethod = method;
      let reason: string | undefined;
      const deliver = async (via: DownloadMethod, wanted: RepoFileEntry[]): Promise<DownloadedFile[]> => {
        if (toFetch.length === 0) return [];
        if (via === "xet") {
          stage("downloading", "Downloading with Xet");
          try {
            return (
              await downloadViaXet({
                endpoint, token, repo, commit: listing.commit, files: wanted, modelDir,
                concurrency: request.concurrency ?? 4,
                stallTimeoutMs: request.stallTimeoutMs ?? 30_000,
                signal: routeSignal,
                engine: options.xetEngine,
                env,
                onFileProgress: (p) => tracker.fileProgress(p),
                log,
                onRateLimit,
              })
            ).files;
          } catch (err) {
            // A gated repo's refusal (access revoked since the check, a token endpoint saying no) is the same for Git LFS.
            if (listing.gated && refusedByHub(err, endpoint)) throw gatedError({ endpoint, repo, gated: listing.gated, token, cause: err });
            if (signal?.aborted || lock.compromised.aborted || !shouldFallBack(err, request.fallbackToLfs)) throw err;
            const deadHub = await unreachableHub(err, endpoint, routeSignal);
            if (deadHub) throw deadHub;
            reason = fallbackReason(err);
            used = "lfs";
            // Each face words the fallback itself, from this event.
            emit({ type: "fallback", from: "xet", to: "lfs", reason });
          }
        }
        // Always the whole selection: a sparse checkout of fewer files would take the others out of the folder.
        const result = await downloadViaLfs({
          endpoint, token, repo: repoId, revision, commit: listing.commit, files: toFetch,
          sparse: hasSelection(request), keep: [...keep], retainOids, modelDir, env,
          connections: request.lfsConnections,
          signal: routeSignal,
          onStage: (s, message) => stage(s, message),
          onFileProgress: (p) => tracker.fileProgress(p),
          log,
          onRateLimit,
          onCommand: options.onGitCommand,
        }).catch((err: unknown) => {
          // After a fallback the one message the user sees must tell both halves of the story.
          if (reason === undefined || !(err instanceof DownloadError) || err.code === "cancelled") throw err;
          throw new DownloadError(err.code, `Xet failed (${reason}), then Git LFS failed: ${err.message}`, { cause: err });
        });
        // A finished LFS download makes any Xet partials left by a failed attempt worthless.
        await rm(join(modelDir, PARTIAL_DIR), { recursive: true, force: true });
        return result.files;
      };
      let delivered = await deliver(method, toFetch);
      // Before the record: every file it lists is on disk, of its size, the inode that was verified. A file deleted
      // or replaced meanwhile (another process, the user) is fetched once more; if that does not hold either, no record.
      stage("verifying", CHECKING_DISK);
      let changed = await filesNotOnDisk({ modelDir, files: delivered, signal: routeSignal });
      if (changed.length > 0) {
        log("warn", `${changed.length} file(s) changed on disk while the download ran (${describeChanges(changed)}); fetching them again`);
        const again = new Set(changed.map((c) => c.path));
        const redone = new Map((await deliver(used, toFetch.filter((f) => again.has(f.path)))).map((f) => [f.path, f] as const));
        delivered = delivered.map((f) => redone.get(f.path) ?? f);
        stage("verifying", CHECKING_DISK);
        changed = await filesNotOnDisk({ modelDir, files: delivered, signal: routeSignal });
        if (changed.length > 0) {
          throw new DownloadError(
            "integrity",
            `${describeChanges(changed)}: changed on disk while the download of ${repo} ran, twice. Nothing was recorded as complete. Make sure no other program deletes or writes files in ${modelDir}, then run the download again.`,
          );
        }
      }
      // Files the new revision no longer has go, as an update means "make it that revision"; with prune, so do the
      // files outside the selection. Edited files stay, whatever the reason.
      const known = [...(prior?.files.map((f) => f.path) ?? []), ...(prior?.keptEdited ?? [])];
      const removals = new Set([...known.filter((path) => !listed.has(path)), ...(request.prune ? outside : [])]);
      for (const path of [...edited, ...selected]) removals.delete(path);
      const removed = await removeModelFiles(modelDir, removals);
      if (removed.length > 0) log("info", `Removed ${removed.length} file(s) ${request.prune ? "outside the selection or " : ""}no longer in ${revision}: ${removed.slice(0, 5).join(", ")}${removed.length > 5 ? " …" : ""}`);
      if (edited.length > 0) {
        log("warn", `Kept ${edited.length} file(s) changed since the last download, neither replaced nor recorded: ${edited.slice(0, 5).join(", ")}${edited.length > 5 ? " …" : ""}`);
      }
      for (const f of delivered) tracker.fileDone(f.path);
      tracker.flush();
      if (routeSignal.aborted) throw routeSignal.reason;
      // Partial git-lfs objects of earlier runs are worthless now, whichever route finished the model.
      await dropGitLfsPartials(modelDir);
      stage("finalizing");
      const path = cacheDir !== undefined
        ? await commitToCache({ stagingDir: modelDir, files: delivered, commit: listing.commit, revision, log })
        : (await writeRecord(modelDir, {
            version: 1, repo, revision, commit: listing.commit, method: used, endpoint,
            files: delivered, repoFileCount: listed.size, ...(edited.length > 0 ? { keptEdited: edited } : {}), completedAt: new Date().toISOString(),
          }), await removePending(modelDir), modelDir);
      return {
        repo, revision, commit: listing.commit, method: used,
        ...(reason !== undefined ? { fallbackReason: reason } : {}),
        files: delivered,
        ...(edited.length > 0 ? { keptEdited: edited } : {}),
        bytesTransferred: tracker.bytesTransferred,
        totalBytes,
        seconds: (Date.now() - started) / 1000,
        path,
      };
    } catch (err) {
      tracker.dispose();
      // Partials are what the next run resumes from, except after a full disk: they are what filled it.
      // Git LFS' too, whichever step of the route found the disk full (a checkout can, while the objects download).
      if (err instanceof DownloadError && err.code === "disk-full") {
        await rm(join(modelDir, PARTIAL_DIR), { recursive: true, force: true }).catch(() => undefined);
        await dropGitLfsPartials(modelDir);
      } else await rmdir(join(modelDir, PARTIAL_DIR)).catch(() => undefined);
      await removePendingIfAlone(modelDir).catch(() => undefined);
      if (lock.compromised.aborted && !signal?.aborted) {
        throw new DownloadError("locked", `Another process took over the download lock of ${repo} (this one stalled too long). Run the download again.`, { cause: err });
      }
      throw err;
    } finally {
      await lock.release();
    }
  } catch (err) {
    // Whatever a cancel interrupted (git killed, fetch aborted, half a hash), the caller sees one outcome.
    if (signal?.aborted) throw cancelledError(err);
    if (err instanceof DownloadError) throw err;
    throw new DownloadError("internal", `Download of ${repo} failed unexpectedly: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}

/** The stage message of the last check before the record (tests hook on it). */
export const CHECKING_DISK = "Checking that every file is still on disk";

function describeChanges(changed: readonly FileProblem[]): string {
  const shown = changed.slice(0, 3).map((c) => `${c.path}: ${c.why}`).join("; ");
  return changed.length > 3 ? `${shown}; and ${changed.length - 3} more` : shown;
}
