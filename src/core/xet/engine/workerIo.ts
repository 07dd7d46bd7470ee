// What the engine's worker modules share: the failure a job reports, the handles of the worker, full writes.
import { writeSync } from "node:fs";
import type { Codec } from "./codec";

/** A job failure as reported to the pool (`WorkerFailure` in pool.ts). */
export class Fail extends Error {
  constructor(readonly info: Record<string, unknown>) {
    super(String(info.message ?? info.kind));
  }
}

export interface WorkerContext {
  post(message: Record<string, unknown>): void;
  codec: Codec;
  /** Cancel functions of the jobs in progress, by job id. */
  running: Map<number, () => void>;
}

export function writeAll(fd: number, buf: Uint8Array, off: number, len: number, pos: number): void {
  while (len > 0) {
    const n = writeSync(fd, buf, off, len, pos);
    off += n;
    len -= n;
    pos += n;
  }
}

export function fsFail(err: unknown): Fail {
  const e = err as NodeJS.ErrnoException;
  return new Fail({ kind: "fs", code: e.code, message: e.message });
}
