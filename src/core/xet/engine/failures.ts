// What the engine throws for a failed worker job, shaped so the route's classifyFailure gives the same codes and
// short reasons as before: HTTP statuses of xorb hosts, stalls, network errors, corrupt data, file-system errors.
import { IntegrityMismatch } from "../errors";
import { HttpStatusError, parseRetryAfter } from "../transport";
import type { WorkerFailure } from "./pool";

/** A xorb request that saw no byte for the stall timeout. */
export class StallError extends Error {
  constructor(readonly host: string) {
    super(`no bytes from ${host}`);
    this.name = "StallError";
  }
}

/** A failure that came from a xorb host (not from the Hub or reconstruction calls). */
export class DataFailure extends Error {
  constructor(message: string, readonly host: string, readonly code?: string) {
    super(message);
    this.name = "DataFailure";
  }
}

export function workerError(f: WorkerFailure, host: string, xorb?: string): Error {
  switch (f.kind) {
    case "http":
      return new HttpStatusError({ kind: "data", host, status: f.status ?? 0, retryAfterMs: parseRetryAfter(f.retryAfter ?? null) });
    case "stall":
      return new StallError(host);
    case "integrity":
      return new IntegrityMismatch(xorb ? `the data of xorb ${xorb.slice(0, 12)}… is corrupt (${f.message})` : `${host}: ${f.message}`);
    case "fs": {
      const err = new Error(f.message ?? "file system error") as NodeJS.ErrnoException;
      if (f.code) err.code = f.code;
      return err;
    }
    case "cancelled":
      return new DataFailure("cancelled", host);
    default:
      // Worded so classifyFailure sees a network error (its detail is the errno code).
      return new DataFailure(`network error${f.code ? ` (${f.code})` : ""}: ${f.message ?? "the connection failed"}`, host, f.code ?? "ECONNRESET");
  }
}
