// Runs one unit of work on the worker pool: a xorb range fetched, decoded and written in place (renewing expired
// signed URLs and waiting out 429s on the way), or a range copied from the old revision of the file.
import { HttpStatusError, parseRetryAfter } from "../transport";
import type { Reconstruction } from "./cas";
import { workerError } from "./failures";
import type { FetchUnit } from "./plan";
import type { WorkerEvent, WorkerPool } from "./pool";
import type { CopyOp } from "./reuse";
import { globalSlots } from "./scheduling";

/** A reconstructed window of the file; re-queried (a new generation) when its signed URLs expire. */
export interface Window {
  start: number;
  end: number;
  generation: number;
  rec: Reconstruction;
  requery?: Promise<Reconstruction>;
}

export interface FetchTask {
  kind: "fetch";
  unit: FetchUnit;
  window: Window;
  generation: number;
  /** 429s and 403s seen so far. */
  limited: number;
  expired: number;
}

export type Task = FetchTask | { kind: "copy"; op: CopyOp };

export interface UnitContext {
  pool: WorkerPool;
  fd: number;
  /** The old revision, open for reading, when copies are planned. */
  oldFd?: number;
  stallTimeoutMs: number;
  flushBytes: number;
  /** Every started job's cancel, for an abort. */
  cancels: Set<() => void>;
  /** `counted`: the bytes came over the network (copies do not). */
  onLanded(ranges: number[], counted: boolean): void;
  onActivity(): void;
  /** Decoded length of every chunk of a fetched descriptor. */
  onChunkLens(unit: FetchUnit, lens: number[]): void;
  reconstruct(start: number, end: number): Promise<Reconstruction>;
  waitRateLimit(retryAfterMs: number | undefined, what: "xorb data"): Promise<void>;
}

const MAX_RATE_LIMITED = 6;
/** 403s per xorb range before the attempt fails: each one renews the window's signed URLs. */
const MAX_EXPIRED = 2;

export function fetchTask(unit: FetchUnit, window: Window): FetchTask {
  return { kind: "fetch", unit, window, generation: window.generation, limited: 0, expired: 0 };
}

/** Runs a task that already holds one of the global slots, and gives the slot back. */
export async function runTask(ctx: UnitContext, task: Task): Promise<void> {
  try {
    if (task.kind === "copy") await copy(ctx, task.op);
    else await fetchUnit(ctx, task);
  } finally {
    globalSlots.release();
  }
}

function copy(ctx: UnitContext, op: CopyOp): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const job = ctx.pool.run({ op: "copy", srcFd: ctx.oldFd, dstFd: ctx.fd, ...op }, (ev) => {
      if (ev.type === "landed") ctx.onLanded(ev.ranges, false);
      else if (ev.type === "error") reject(workerError(ev.error, "the old file"));
      else resolve();
    });
    ctx.cancels.add(job.cancel);
  });
}

async function fetchUnit(ctx: UnitContext, task: FetchTask): Promise<void> {
  for (;;) {
    const { unit } = task;
    const result = await new Promise<WorkerEvent>((resolve) => {
      const job = ctx.pool.run(
        {
          op: "fetch",
          url: unit.url,
          start: unit.range.bytes.start,
          end: unit.range.bytes.end,
          chunkStart: unit.range.chunks.start,
          chunkCount: unit.range.chunks.end - unit.range.chunks.start,
          fd: ctx.fd,
          placements: unit.placements.map(({ chunkStart, chunkEnd, fileStart, unpacked }) => ({ chunkStart, chunkEnd, fileStart, unpacked })),
          clipStart: unit.clipStart,
          clipEnd: unit.clipEnd,
          stallMs: ctx.stallTimeoutMs,
          flushBytes: ctx.flushBytes,
        },
        (ev) => {
          if (ev.type !== "landed") return resolve(ev);
          if (ev.wire > 0) {
            ctx.onActivity();
            globalSlots.record(ev.wire);
          }
          ctx.onLanded(ev.ranges, true);
        },
      );
      ctx.cancels.add(job.cancel);
    });
    if (result.type === "done") return ctx.onChunkLens(unit, result.chunkLens ?? []);
    if (result.type !== "error") return;
    const f = result.error;
    if (f.kind === "http" && f.status === 403 && task.expired < MAX_EXPIRED) {
      // Expired signed URL: ask for this window's reconstruction again (once for all its units) and retry.
      task.expired++;
      await renewUrl(ctx, task);
      continue;
    }
    if (f.kind === "http" && f.status === 429 && task.limited < MAX_RATE_LIMITED) {
      task.limited++;
      await ctx.waitRateLimit(parseRetryAfter(f.retryAfter ?? null), "xorb data");
      continue;
    }
    throw workerError(f, new URL(unit.url).host, unit.xorb);
  }
}

async function renewUrl(ctx: UnitContext, task: FetchTask): Promise<void> {
  const win = task.window;
  if (task.generation === win.generation && !win.requery) {
    win.requery = ctx.reconstruct(win.start, win.end).finally(() => {
      win.generation++;
      win.requery = undefined;
    });
    win.rec = await win.requery;
  } else if (win.requery) {
    await win.requery;
  }
  // A unit started before another one renewed the window just takes the fresh URL.
  task.generation = win.generation;
  const { unit } = task;
  const fresh = win.rec.fetches.get(unit.xorb)?.find((f) => f.range.bytes.start === unit.range.bytes.start && f.range.bytes.end === unit.range.bytes.end);
  if (!fresh) throw new HttpStatusError({ kind: "data", host: new URL(unit.url).host, status: 403 });
  unit.url = fresh.url;
}
