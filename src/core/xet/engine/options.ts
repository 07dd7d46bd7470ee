// What the Xet engine takes and gives for one file: its settings, the file and where it goes, and the result.
import type { WorkerPool } from "./pool";

export interface EngineOptions {
  /** Xorb ranges fetched at once for this file. Default 12. */
  concurrency?: number;
  /**
   * File bytes per reconstruction request. Small windows keep signed URLs fresh, cut 64 MB xorbs into ranges that
   * several connections share (a descriptor can only be fetched whole), and bound how far writes run ahead of the
   * hashed prefix (concurrency × window), hence the hashing left at the end. Default 16 MiB.
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
  options?: EngineOptions;
}

export interface EngineResult {
  digest: string;
  /** Bytes in place at the end (the file size on success). */
  landed: number;
  /** Bytes copied from the old revision instead of fetched. */
  reused: number;
}
