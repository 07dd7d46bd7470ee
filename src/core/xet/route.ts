// The Xet route: downloads the selected files of one commit into the model folder, several at once,
// through our Xet engine (small files by a plain GET), with resume, verification, stall handling and cancel.
import type { RateLimitWait } from "../util/rateLimit";
import { copyFile, mkdir, rename, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { RepoFileEntry } from "../hub/api";
import { assertHubToken } from "../hub/token";
import { cancelledError, DownloadError, isCancel } from "../errors";
import { noteIdentity, type DownloadedFile } from "../content";
import { errnoCode } from "./errors";
import type { EngineOptions } from "./engine/download";
import { downloadFileJob, type LogLevel } from "./fileJob";
import { PARTIAL_DIR, targetPaths, type TargetPaths } from "./paths";
import { ADAPTIVE_XORB_REQUESTS, globalSlots } from "./engine/scheduling";

export interface XetRouteParams {
  /** Hub base URL without a trailing slash. */
  endpoint: string;
  token?: string;
  /** `org/name`. */
  repo: string;
  /** Full commit SHA the files were listed at. */
  commit: string;
  files: RepoFileEntry[];
  /** Absolute model folder; files land at `<modelDir>/<path>`. */
  modelDir: string;
  /** Files transferred at once. */
  concurrency: number;
  /** No bytes for this long aborts an attempt (retried, then `stalled`). */
  stallTimeoutMs: number;
  signal?: AbortSignal;
  /** Settings of the Xet engine (concurrency per file, window size, chunk maps, worker pool). */
  engine?: EngineOptions;
  /** Environment for defaults such as the chunk-map folder (`HF_MODELS_XET_MAPS`, `XDG_CACHE_HOME`). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** `doneBytes` counts the whole file on disk (resumed bytes included); `newBytes` what just arrived. */
  onFileProgress(p: { path: string; doneBytes: number; newBytes: number }): void;
  log?(level: LogLevel, message: string): void;
  /** Told before each wait for a server's rate limit (429) to reset. */
  onRateLimit?(wait: RateLimitWait): void;
}

export interface XetRouteResult {
  /** In the order of `params.files`. */
  files: DownloadedFile[];
  /** File bytes received over the network in this run (resumed and skipped bytes excluded). */
  bytesTransferred: number;
}

export async function downloadViaXet(params: XetRouteParams): Promise<XetRouteResult> {
  if (params.signal?.aborted) throw cancelledError();
  assertHubToken(params.token);
  // Check every path before the first byte moves. LFS files without a xetHash (pushed recently, not migrated to Xet
  // yet) come over their resolve/CDN URL, resumable and SHA-256 verified, as huggingface_hub does for non-Xet files.
  const targets = params.files.map((file) => targetPaths({ modelDir: params.modelDir, file }));

  // Files with identical content share a partial; fetch each content once and copy it to the other paths.
  const primaryByKey = new Map<string, number>();
  const duplicates: number[] = [];
  params.files.forEach((_, i) => {
    if (primaryByKey.has(targets[i].key)) duplicates.push(i);
    else primaryByKey.set(targets[i].key, i);
  });
  // Largest first: a large file spends its time waiting on the network while the small ones keep a core busy with
  // their requests, so starting it last (listing order) adds its whole transfer to the end of the download.
  const primaries = [...primaryByKey.values()].sort((a, b) => params.files[b].size - params.files[a].size);

  const results: DownloadedFile[] = new Array(params.files.length);
  let bytesTransferred = 0;
  const stopAll = new AbortController();
  const onUserAbort = () => stopAll.abort(params.signal?.reason);
  params.signal?.addEventListener("abort", onUserAbort, { once: true });
  const log = params.log ?? (() => {});
  const env = params.env ?? process.env;
  let failure: unknown;

  let next = 0;
  const worker = async () => {
    while (next < primaries.length && !stopAll.signal.aborted) {
      const index = primaries[next++];
      const file = params.files[index];
      try {
        results[index] = await downloadFileJob({
          endpoint: params.endpoint,
          token: params.token,
          repo: params.repo,
          commit: params.commit,
          file,
          target: targets[index],
          stallTimeoutMs: params.stallTimeoutMs,
          signal: stopAll.signal,
          userSignal: params.signal,
          engine: params.engine,
          env,
          onProgress: (doneBytes, newBytes) => {
            bytesTransferred += newBytes;
            params.onFileProgress({ path: file.path, doneBytes, newBytes });
          },
          log,
          onRateLimit: params.onRateLimit,
        });
      } catch (err) {
        // The first real failure wins; the cancels it causes in sibling files are only its echo.
        if (failure === undefined || (isCancel(failure) && !isCancel(err))) failure = err;
        stopAll.abort();
        return;
      }
    }
  };
  try {
    const workers = Math.max(1, Math.min(params.concurrency || 1, primaries.length));
    await Promise.all(Array.from({ length: workers }, worker));
    if (params.engine?.concurrency === undefined) logRequestCounts(log);
    if (params.signal?.aborted) throw cancelledError();
    if (failure !== undefined) throw failure;
    for (const index of duplicates) {
      const primary = primaryByKey.get(targets[index].key)!;
      results[index] = await copyDuplicate(results[primary], targets[primary], targets[index], params.files[index].path);
      params.onFileProgress({ path: params.files[index].path, doneBytes: results[index].size, newBytes: 0 });
    }
  } finally {
    params.signal?.removeEventListener("abort", onUserAbort);
  }
  // Only when empty: partials of files outside this selection stay for a later run.
  await rmdir(join(params.modelDir, PARTIAL_DIR)).catch(() => {});
  return { files: results, bytesTransferred };
}

/** The adaptive count of xorb requests, as the LFS route logs its connections: each change and the rate behind it. */
function logRequestCounts(log: (level: LogLevel, message: string) => void): void {
  const steps = globalSlots.history.map((h) => `${(h.rate / 1e6).toFixed(0)} MB/s → ${h.limit}`);
  if (steps.length) log("debug", `Xet requests in flight: ${ADAPTIVE_XORB_REQUESTS.initial}, ${steps.join(", ")}`);
}

async function copyDuplicate(primary: DownloadedFile, from: TargetPaths, to: TargetPaths, path: string): Promise<DownloadedFile> {
  const temp = `${to.partial}.copy`;
  let copied;
  try {
    await mkdir(dirname(temp), { recursive: true });
    await copyFile(from.final, temp);
    copied = await stat(temp);
    await mkdir(dirname(to.final), { recursive: true });
    await rename(temp, to.final);
  } catch (err) {
    await rm(temp, { force: true });
    if (errnoCode(err) === "ENOSPC") throw new DownloadError("disk-full", `No space left on the disk while writing ${path}; free some space and retry.`, { cause: err });
    throw new DownloadError("not-writable", `Cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
  // A copy of verified bytes: its own inode is the one the final check expects.
  return noteIdentity({ path, size: primary.size, hash: primary.hash, hashKind: primary.hashKind }, copied);
}
