// The one shape of an attempt at one Xet-route file, whichever way its bytes come: the parameters, the stall
// watchdog and request transport around it, the classification of what it threw, and the size + hash check.
import type { RateLimitWait } from "../util/rateLimit";
import type { RepoFileEntry } from "../hub/api";
import { ClassifiedFailure, classifyFailure, IntegrityMismatch } from "./errors";
import type { ExpectedContent } from "./hashing";
import type { EngineOptions } from "./engine/download";
import { DataFailure, StallError } from "./engine/failures";
import type { TargetPaths } from "./paths";
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
  /** Settings of the Xet engine (concurrency, window, chunk maps, worker pool). */
  engine?: EngineOptions;
  /** Environment for defaults such as the chunk-map folder. */
  env: NodeJS.ProcessEnv;
  onProgress(doneBytes: number, newBytes: number): void;
  log(level: LogLevel, message: string): void;
  /** Told before each wait for a server's rate limit (429) to reset. */
  onRateLimit?(wait: RateLimitWait): void;
}

/** Bytes that came over the network during one attempt (a productive attempt earns a fresh retry budget). */
export interface AttemptTally {
  received: number;
}

/** Everything from "what is on disk" to a verified partial file; throws IntegrityMismatch or ClassifiedFailure. */
export type Attempt = (params: FileJobParams, expected: ExpectedContent, tally: AttemptTally) => Promise<void>;

/** What an attempt's body gets from its frame. */
export interface AttemptFrame {
  /** Aborted on cancel, on a sibling's failure and by the stall watchdog. */
  signal: AbortSignal;
  /** Scoped to the attempt: the signal, the Hub token on the Hub origin only, activity feeds the watchdog. */
  fetch: typeof fetch;
  /** Bytes or other signs of life: the watchdog starts over. */
  touch(): void;
}

/**
 * Runs `body` under one stall watchdog and one transport, and turns whatever it threw into a ClassifiedFailure
 * while the transport can still explain it. Integrity mismatches and aborts from outside pass through as they are.
 */
export async function inAttemptFrame<T>(params: FileJobParams, body: (frame: AttemptFrame) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const signal = AbortSignal.any([params.signal, controller.signal]);
  let stalled = false;
  const watchdog = setTimeout(() => {
    stalled = true;
    controller.abort(new Error("stalled"));
  }, params.stallTimeoutMs);
  const touch = () => watchdog.refresh();
  const transport = createTransport({ hubOrigin: new URL(params.endpoint).origin, signal, onActivity: touch });
  try {
    return await body({ signal, fetch: transport.fetch, touch });
  } catch (err) {
    if (err instanceof IntegrityMismatch || params.signal.aborted) throw err;
    // A xorb host's failure names its host itself; the transport only saw the Hub and CAS calls.
    const fromData = err instanceof StallError || err instanceof DataFailure;
    const classified = classifyFailure(err, {
      path: params.file.path,
      stalled: stalled || err instanceof StallError,
      stallTimeoutMs: params.stallTimeoutMs,
      failure: fromData ? undefined : transport.openFailure(),
      host: fromData ? err.host : transport.lastHost(),
      token: params.token,
    });
    throw new ClassifiedFailure(classified, err);
  } finally {
    clearTimeout(watchdog);
    if (!signal.aborted) controller.abort();
  }
}

/** The one check of a finished partial: exactly the listed size, exactly the listed hash. */
export function verify(digest: string, expected: ExpectedContent, written: number): void {
  if (written !== expected.size) throw new IntegrityMismatch(`got ${written} bytes, expected ${expected.size}`);
  if (digest !== expected.hash) throw new IntegrityMismatch(`expected ${expected.kind} ${expected.hash}, got ${digest}`);
}
