// Downloads one repo file to its final path: skip it when already complete, run attempts (attempt.ts) until one
// leaves a verified partial, rename it atomically, and retry what a new attempt can fix.
import { MAX_RATE_LIMIT_WAIT_MS, rateLimitedError, waitOutRateLimit } from "../util/rateLimit";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { backoffMs, sleep } from "../util/backoff";
import { DownloadError } from "../errors";
import { noteIdentity, type DownloadedFile } from "../content";
import type { FileJobParams } from "./attempt";
import { engineAttempt } from "./engine/attempt";
import { ClassifiedFailure, classifyFailure, IntegrityMismatch } from "./errors";
import { expectedContent, hashFile, type ExpectedContent } from "./hashing";
import { regularAttempt } from "./regular";

export type { FileJobParams, LogLevel } from "./attempt";

/** Failed attempts allowed per file (stalls, resets, 5xx), each resuming from the partial. */
const MAX_RETRIES = 3;
/** 429 answers are waited out separately: each endpoint may rate-limit once before it serves. */
const MAX_RATE_LIMITED = 6;
/** An attempt that wrote this much before failing earns a fresh retry budget (flaky links, huge files). */
const PROGRESS_RESETS_RETRIES = 16 * 1024 * 1024;
const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 4000;

export async function downloadFileJob(params: FileJobParams): Promise<DownloadedFile> {
  const { file, target } = params;
  const expected = expectedContent(file);
  const done: DownloadedFile = { path: file.path, size: expected.size, hash: expected.hash, hashKind: expected.kind };

  const complete = await alreadyComplete(target.final, expected, params.signal);
  if (complete) {
    params.log("debug", `${file.path} is already complete; skipping it`);
    await rm(target.partial, { force: true });
    params.onProgress(expected.size, 0);
    return noteIdentity(done, complete);
  }

  if (expected.size === 0) {
    // Nothing to fetch (the engine would write no partial at all): the empty file, checked against the listing's hash.
    await mkdir(dirname(target.partial), { recursive: true });
    await writeFile(target.partial, "");
    if ((await hashFile({ path: target.partial, expected, signal: params.signal })) !== expected.hash) {
      await rm(target.partial, { force: true });
      throw new DownloadError("integrity", `${file.path} is listed with 0 bytes but a hash that is not the empty file's; the Hub's listing is inconsistent.`);
    }
    await mkdir(dirname(target.final), { recursive: true });
    const verified = await stat(target.partial);
    await rename(target.partial, target.final);
    params.onProgress(0, 0);
    return noteIdentity(done, verified);
  }

  let failures = 0;
  let rateLimited = 0;
  let restartedAfterMismatch = false;
  for (;;) {
    throwIfAborted(params);
    const tally = { received: 0 };
    try {
      // Xet-backed files go through our engine (parallel, out of order, off the main thread); small files, and LFS
      // files not migrated to Xet yet (no xetHash), by a plain resolve GET that resumes with Range and checks SHA-256.
      await (file.lfs && file.xetHash ? engineAttempt : regularAttempt)(params, expected, tally);
      await mkdir(dirname(target.final), { recursive: true });
      const verified = await stat(target.partial);
      await rename(target.partial, target.final);
      return noteIdentity(done, verified);
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
        waitMs = verdict.retryAfterMs ?? backoffMs({ attempt: rateLimited, baseMs: BACKOFF_BASE_MS, capMs: BACKOFF_CAP_MS });
        const host = verdict.error.detail.host ?? new URL(params.endpoint).host;
        if (waitMs > MAX_RATE_LIMIT_WAIT_MS) throw rateLimitedError({ host, waitMs, what: file.path, cause: verdict.error });
        params.log("warn", `${file.path}: ${verdict.error.message}; retrying in ${(waitMs / 1000).toFixed(1)} s`);
        await waitOutRateLimit({ waitMs, host, what: file.path, waited: 0, signal: params.signal, onWait: params.onRateLimit });
        continue;
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

/** The stat data of `path` when it already holds the expected bytes. */
async function alreadyComplete(path: string, expected: ExpectedContent, signal: AbortSignal): Promise<{ dev: number; ino: number } | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile() || info.size !== expected.size) return undefined;
  return (await hashFile({ path, expected, signal })) === expected.hash ? info : undefined;
}

function throwIfAborted(params: FileJobParams): void {
  if (!params.signal.aborted) return;
  const why = params.userSignal?.aborted ? "Download cancelled" : "Stopped because another file failed";
  throw new DownloadError("cancelled", why);
}
