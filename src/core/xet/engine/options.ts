// What the Xet engine takes and gives for one file: its settings, the file and where it goes, and the result.
import type { RateLimitWait } from "../../util/rateLimit";
import type { WorkerPool } from "./pool";

const MiB = 1024 * 1024;
export const MIN_WINDOW_BYTES = 16 * MiB;
export const MAX_WINDOW_BYTES = 256 * MiB;

/**
 * Bytes per reconstruction call for a file of `size` fetched over `concurrency` connections: enough windows for every
 * connection to have a range of its own (size / concurrency), never under 16 MiB (a round trip per call; small
 * files keep today's split) nor over 256 MiB (xet-core's minimum; signed URLs stay fresh, memory does not grow:
 * units stream to disk). Whole MiB.
 */
export function defaultWindowBytes(size: number, concurrency: number): number {
  const even = Math.ceil(size / Math.max(1, concurrency) / MiB) * MiB;
  return Math.min(MAX_WINDOW_BYTES, Math.max(MIN_WINDOW_BYTES, even));
}

export interface EngineOptions {
  /** Xorb ranges fetched at once for this file, fixed. Default: the adaptive count shared by every file (scheduling.ts). */
  concurrency?: number;
  /**
   * File bytes per reconstruction request (a fixed value; default `defaultWindowBytes`). A descriptor's signed URL
   * authorizes exactly its byte range, so it is fetched whole: the window is also what splits a 64 MB xorb among
   * connections. Hence the default grows with the file: small files get 16 MiB windows (every connection busy),
   * large ones up to 256 MiB, as xet-core asks, and far fewer calls per GiB.
   */
  windowBytes?: number;
  /** Where chunk maps are kept (update reuse). Default `defaultChunkMapDir()`. */
  chunkMapDir?: string;
  /** Files smaller than this get no chunk map. Default 8 MiB. */
  minChunkMapBytes?: number;
  /** Reuse chunks of the old file at `finalPath`. Default true. */
  reuse?: boolean;
  pool?: WorkerPool;
}

export interface EngineFileParams {
  endpoint: string;
  token?: string;
  repo: string;
  commit: string;
  path: string;
  size: number;
  /** Expected hex SHA-256 (the chunk map is only written for a file that matches it). */
  sha256: string;
  partialPath: string;
  /** Bytes `[0, offset)` of the partial are already right; they are hashed, not fetched. */
  offset: number;
  /** Further `[start, end)` ranges of the partial already written by an interrupted run; only the gaps are fetched. */
  resumeLanded?: Array<[number, number]>;
  /** Where the finished file goes; an older revision there is a source of unchanged chunks. */
  finalPath?: string;
  signal: AbortSignal;
  /** Used for the Hub and CAS calls (scoping of the Hub token, abort, failure memory). */
  fetch: typeof fetch;
  stallTimeoutMs: number;
  /** `doneBytes`: bytes of the file in place; `newBytes`: bytes that just came over the network. */
  onProgress(doneBytes: number, newBytes: number): void;
  onActivity(): void;
  log(level: "info" | "warn" | "debug", message: string): void;
  /** Told before each wait for a server's rate limit (429) to reset. */
  onRateLimit?(wait: RateLimitWait): void;
  options?: EngineOptions;
}

export interface EngineResult {
  digest: string;
  /** Bytes in place at the end (the file size on success). */
  landed: number;
  /** Bytes copied from the old revision instead of fetched. */
  reused: number;
}
