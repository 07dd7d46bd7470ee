// Downloads one repo file to its final path: resume from the partial, stream to disk while hashing,
// watch for stalls, verify size + hash, rename atomically, and retry what a new attempt can fix.
import type { Hash } from "node:crypto";
import { mkdir, open, rename, rm, stat, truncate, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import type { RepoFileEntry } from "../hub/api";
import { backoffMs, sleep } from "../util/backoff";
import { DownloadError } from "../errors";
import { type DownloadedFile } from "../download/types";
import { ClassifiedFailure, classifyFailure, IntegrityMismatch } from "./errors";
import { createContentHash, expectedContent, feedFile, hashFile, type ExpectedContent } from "./hashing";
import { engineAttempt, engineEnabled } from "./engine/attempt";
import type { TargetPaths } from "./paths";
import { openRegularSource, openXetSource } from "./sources";
import { createTransport } from "./transport";

export type LogLevel = "info" | "warn" | "debug";

export interface FileJobParams {
  endpoint: string;
  token?: string;
  repo: string;
  commit: string;
  file: RepoFileEntry;
  target: TargetPaths;
  stallTimeoutMs: number;
  /** Aborted on cancel and when a sibling file failed for good. */
  signal: AbortSignal;
  /** The caller's own signal, to tell a user cancel from a sibling's failure. */
  userSignal?: AbortSignal;
  onProgress(doneBytes: number, newBytes: number): void;
  log(level: LogLevel, message: string): void;
}

/** Failed attempts allowed per file (stalls, resets, 5xx), each resuming from the partial. */
const MAX_RETRIES = 3;
/** 429 answers are waited out separately: each endpoint may rate-limit once before it serves. */
const MAX_RATE_LIMITED = 6;
/** An attempt that wrote this much before failing earns a fresh retry budget (flaky links, huge files). */
const PROGRESS_RESETS_RETRIES = 16 * 1024 * 1024;
const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 4000;
const RETRY_AFTER_CAP_MS = 60_000;

export async function downloadFileJob(params: FileJobParams): Promise<DownloadedFile> {
  const { file, target } = params;
  const expected = expectedContent(file);
  const done: DownloadedFile = { path: file.path, size: expected.size, hash: expected.hash, hashKind: expected.kind };

  if (await alreadyComplete(target.final, expected, params.signal)) {
    params.log("debug", `${file.path} is already complete; skipping it`);
    await rm(target.partial, { force: true });
    params.onProgress(expected.size, 0);
    return done;
  }

  let failures = 0;
  let rateLimited = 0;
  let restartedAfterMismatch = false;
  for (;;) {
    throwIfAborted(params);
    const tally = { received: 0 };
    try {
      await attempt(params, expected, tally);
      await mkdir(dirname(target.final), { recursive: true });
      await rename(target.partial, target.final);
      return done;
    } catch (err) {
      throwIfAborted(params);
      if (err instanceof IntegrityMismatch) {
        await rm(target.partial, { force: true });
        if (restartedAfterMismatch) {
          throw new DownloadError("integrity", `${file.path} failed verification twice: ${err.detail}. The download was discarded.`, { cause: err });
        }
        restartedAfterMismatch = true;
        params.log("warn", `${file.path} failed verification (${err.detail}); downloading it again from zero`);
        continue;
      }
      const verdict =
        err instanceof ClassifiedFailure
          ? err.classified
          : classifyFailure(err, { path: file.path, stalled: false, stallTimeoutMs: params.stallTimeoutMs, token: params.token });
      if (verdict.error.code === "disk-full") await rm(target.partial, { force: true });
      if (tally.received >= PROGRESS_RESETS_RETRIES) failures = 0;
      let waitMs: number;
      if (verdict.retry === "rate-limit" && rateLimited < MAX_RATE_LIMITED) {
        rateLimited++;
        waitMs = Math.min(verdict.retryAfterMs ?? backoffMs({ attempt: rateLimited, baseMs: BACKOFF_BASE_MS, capMs: BACKOFF_CAP_MS }), RETRY_AFTER_CAP_MS);
      } else if (verdict.retry !== "no" && failures < MAX_RETRIES) {
        failures++;
        waitMs = backoffMs({ attempt: failures, baseMs: BACKOFF_BASE_MS, capMs: BACKOFF_CAP_MS });
      } else {
        throw verdict.error;
      }
      const reason = verdict.error.message.includes(file.path) ? verdict.error.message : `${file.path}: ${verdict.error.message}`;
      params.log("warn", `${reason}; retrying in ${(waitMs / 1000).toFixed(1)} s`);
      await sleep(waitMs, params.signal);
    }
  }
}

/** One attempt: everything from "what is on disk" to a verified partial file. Throws classified errors. */
async function attempt(params: FileJobParams, expected: ExpectedContent, tally: { received: number }): Promise<void> {
  const { file, target } = params;
  // Xet-backed files go through our own engine (parallel, out-of-order, off the main thread; engine/attempt.ts).
  if (file.lfs && engineEnabled()) return engineAttempt(params, expected, tally);
  await mkdir(dirname(target.partial), { recursive: true });
  let offset = await sizeOf(target.partial);
  if (offset > expected.size) {
    await rm(target.partial, { force: true });
    offset = 0;
  }
  let hash = createContentHash(expected);
  if (offset > 0) {
    await feedFile({ hash, path: target.partial, length: offset, signal: params.signal });
    params.log("info", `resuming ${file.path} at ${offset} of ${expected.size} bytes`);
  }
  params.onProgress(offset, 0);
  if (offset === expected.size) {
    await (await open(target.partial, "a")).close();
    return verify(hash, expected, offset);
  }

  const controller = new AbortController();
  const signal = AbortSignal.any([params.signal, controller.signal]);
  let stalled = false;
  const watchdog = new Watchdog(params.stallTimeoutMs, () => {
    stalled = true;
    controller.abort(new Error("stalled"));
  });
  const transport = createTransport({ hubOrigin: new URL(params.endpoint).origin, signal, onActivity: () => watchdog.touch() });
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let handle: FileHandle | undefined;
  let written = offset;
  try {
    const source = { endpoint: params.endpoint, token: params.token, repo: params.repo, commit: params.commit, file, offset, fetch: transport.fetch };
    const opened = await raceAbort(file.lfs ? openXetSource(source) : openRegularSource(source), signal);
    if (opened.offset !== offset) {
      await truncate(target.partial, 0);
      hash = createContentHash(expected);
      written = 0;
      params.onProgress(0, 0);
    }
    reader = opened.stream.getReader();
    handle = await open(target.partial, "a");
    for (;;) {
      const { done, value } = await raceAbort(reader.read(), signal);
      if (done) break;
      if (!value?.byteLength) continue;
      watchdog.touch();
      if (written + value.byteLength > expected.size) throw new IntegrityMismatch(`received more than the ${expected.size} listed bytes`);
      hash.update(value);
      await writeAll(handle, value);
      written += value.byteLength;
      tally.received += value.byteLength;
      params.onProgress(written, value.byteLength);
    }
  } catch (err) {
    if (err instanceof IntegrityMismatch || params.signal.aborted) throw err;
    const classified = classifyFailure(err, {
      path: file.path,
      stalled,
      stallTimeoutMs: params.stallTimeoutMs,
      failure: transport.openFailure(),
      host: transport.lastHost(),
      token: params.token,
    });
    throw new ClassifiedFailure(classified, err);
  } finally {
    watchdog.stop();
    // Not awaited: cancelling the library's stream waits for its workers, which the aborted signal ends anyway.
    reader?.cancel().catch(() => {});
    if (!signal.aborted) controller.abort();
    await handle?.close();
  }
  verify(hash, expected, written);
}

function verify(hash: Hash, expected: ExpectedContent, written: number): void {
  if (written !== expected.size) throw new IntegrityMismatch(`got ${written} bytes, expected ${expected.size}`);
  const got = hash.digest("hex");
  if (got !== expected.hash) throw new IntegrityMismatch(`expected ${expected.kind} ${expected.hash}, got ${got}`);
}

async function alreadyComplete(path: string, expected: ExpectedContent, signal: AbortSignal): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile() || info.size !== expected.size) return false;
  return (await hashFile({ path, expected, signal })) === expected.hash;
}

async function sizeOf(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  return info?.isFile() ? info.size : 0;
}

async function writeAll(handle: FileHandle, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.byteLength; ) {
    const { bytesWritten } = await handle.write(data, off, data.byteLength - off);
    off += bytesWritten;
  }
}

function throwIfAborted(params: FileJobParams): void {
  if (!params.signal.aborted) return;
  const why = params.userSignal?.aborted ? "Download cancelled" : "Stopped because another file failed";
  throw new DownloadError("cancelled", why);
}

/** Resolves or rejects with `promise`, or rejects as soon as `signal` aborts (without waiting for it). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener("abort", onAbort), resolve(v)),
      (e) => (signal.removeEventListener("abort", onAbort), reject(e)),
    );
  });
}

/** Fires `onStall` when `touch()` was not called for `timeoutMs`. */
class Watchdog {
  private timer: NodeJS.Timeout;
  constructor(timeoutMs: number, onStall: () => void) {
    this.timer = setTimeout(onStall, timeoutMs);
  }
  touch(): void {
    this.timer.refresh();
  }
  stop(): void {
    clearTimeout(this.timer);
  }
}
