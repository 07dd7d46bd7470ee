// Downloads one Xet file into its partial: reconstructions in windows, parallel xorb-range fetches decoded and
// written out of order by the worker pool, SHA-256 of the contiguous prefix, old-revision reuse, prompt cancel.
import { closeSync, openSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { fileDownloadInfo } from "@huggingface/hub";
import { DownloadError } from "../../errors";
import { IntegrityMismatch } from "../errors";
import { HttpStatusError } from "../transport";
import { queryReconstruction, xetToken, type Reconstruction, type XetToken } from "./cas";
import { workerError } from "./failures";
import { IntervalSet, planWindow, type PlacedTerm } from "./plan";
import { sharedPool, type WorkerEvent, type WorkerPool } from "./pool";
import { defaultChunkMapDir, openOldVersion, saveChunkMap, splitForReuse, type OldVersion } from "./reuse";
import { sleep } from "../../util/backoff";
import { globalSlots, Wake } from "./scheduling";
import { fetchTask, runTask, type Task, type UnitContext, type Window } from "./units";

export { DataFailure, StallError } from "./failures";

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

const MiB = 1024 * 1024;
const MAX_RATE_LIMITED = 6;
const RETRY_AFTER_CAP_MS = 60_000;
/** How often the landed ranges are noted beside the partial (crash resume re-fetches at most what landed since). */
const LANDED_NOTE_MS = 200;
/** Reconstruction requests in flight per file. */
const PLAN_AHEAD = 3;

export async function downloadXetFile(params: EngineFileParams): Promise<EngineResult> {
  const opts = params.options ?? {};
  const pool = opts.pool ?? sharedPool();
  const { signal, size, path } = params;
  const concurrency = Math.max(1, opts.concurrency ?? 12);
  const windowBytes = Math.max(1 << 16, opts.windowBytes ?? 16 * MiB);
  const mapDir = opts.chunkMapDir ?? defaultChunkMapDir();

  const info = await fileDownloadInfo({ repo: { type: "model", name: params.repo }, path, revision: params.commit, hubUrl: params.endpoint, accessToken: params.token, fetch: params.fetch });
  if (!info) throw new DownloadError("server", `The Hub answered 404 for ${path} at ${params.commit.slice(0, 12)}, although the listing has it.`);
  if (!info.xet) throw new DownloadError("xet-unavailable", `${path} is not stored in Xet`);
  if (info.size !== size) throw new DownloadError("integrity", `The Hub reports ${info.size} bytes for ${path}, the listing said ${size}.`);
  const xet = info.xet;
  let token: XetToken = await xetToken({ refreshUrl: xet.refreshUrl.href, hubToken: params.token, fetch: params.fetch });

  const release = pool.hold();
  const pin = Math.floor(Math.random() * 1024);
  const hashKey = `${params.partialPath}#${pin}#${Date.now()}`;
  const sidecar = landedNotePath(params.partialPath);
  const resumed = (params.resumeLanded ?? []).some(([s, e]) => e > s);
  const landed = new IntervalSet();
  const mapTerms: Array<{ term: PlacedTerm; lens?: number[] }> = [];
  const cancels = new Set<() => void>();
  const running = new Set<Promise<void>>();
  const queue: Task[] = [];
  const wake = new Wake();
  let fd: number | undefined;
  let old: OldVersion | undefined;
  let hashedTo = params.offset;
  let hashChain: Promise<WorkerEvent> = Promise.resolve({ type: "done" });
  let note: Promise<void> = Promise.resolve();
  let noting = false;
  let lastNote = Date.now();
  let reused = 0;
  let failure: unknown;
  let ok = false;

  const onLanded = (ranges: number[], counted: boolean) => {
    let fresh = 0;
    for (let i = 0; i < ranges.length; i += 2) fresh += landed.add(ranges[i], ranges[i + 1]);
    if (fresh > 0) {
      if (!counted) reused += fresh;
      params.onProgress(landed.total, counted ? fresh : 0);
    }
    advanceHash();
    if (!noting && Date.now() - lastNote >= LANDED_NOTE_MS) {
      noting = true;
      note = writeFile(sidecar, landedNote(landed))
        .catch(() => {})
        .finally(() => {
          noting = false;
          lastNote = Date.now();
        });
    }
  };

  /** Hashes on as far as the contiguous prefix reaches. */
  const advanceHash = () => {
    const reach = landed.reach(hashedTo);
    if (reach > hashedTo) {
      hashChain = pool.call({ op: "hash-update", key: hashKey, fd, from: hashedTo, to: reach }, pin);
      hashedTo = reach;
    }
  };

  const waitRateLimit = async (retryAfterMs: number | undefined, what: string) => {
    const ms = Math.min(retryAfterMs ?? 1000, RETRY_AFTER_CAP_MS);
    params.log("warn", `${path}: the CAS answered 429 for ${what} (rate limited); retrying in ${(ms / 1000).toFixed(1)} s`);
    // Waiting because the server asked is not a stall: keep the stall watchdog fed through the whole wait.
    const slice = Math.max(50, Math.floor(params.stallTimeoutMs / 2));
    for (let left = ms; left > 0; left -= slice) {
      params.onActivity();
      await sleep(Math.min(left, slice), signal);
    }
    params.onActivity();
  };

  const reconstruct = async (start: number, end: number): Promise<Reconstruction> => {
    for (let limited = 0, renewed = false; ; ) {
      try {
        // A cache hit almost always; renewed 60 s before it expires, so long downloads never present a stale token.
        token = await xetToken({ refreshUrl: xet.refreshUrl.href, hubToken: params.token, fetch: params.fetch });
        return await queryReconstruction({ reconstructionUrl: xet.reconstructionUrl.href, token, start, end, fetch: params.fetch });
      } catch (err) {
        if (!(err instanceof HttpStatusError)) throw err;
        if (err.failure.status === 401 && !renewed) {
          renewed = true;
          token = await xetToken({ refreshUrl: xet.refreshUrl.href, hubToken: params.token, fetch: params.fetch, renew: true });
          continue;
        }
        if (err.failure.status !== 429 || ++limited > MAX_RATE_LIMITED) throw err;
        await waitRateLimit(err.failure.retryAfterMs, "reconstructions");
      }
    }
  };

  /** Reconstructs `[start, end)` and queues its fetch units. */
  const queueFetches = async (start: number, end: number, withTerms: boolean) => {
    const rec = await reconstruct(start, end);
    const plan = planWindow({ start, end, reconstruction: rec });
    const window: Window = { start, end, generation: 0, rec };
    for (const unit of plan.units) queue.push(fetchTask(unit, window));
    if (withTerms) for (const term of plan.terms) if (term.fileStart < end) mapTerms.push({ term });
  };

  /** The next window: copies from the old revision where it holds the terms, fetches for the rest. */
  let nextStart = params.offset;
  const planNext = async () => {
    const start = nextStart;
    const end = Math.min(size, start + windowBytes);
    nextStart = end;
    if (!old) {
      // After a crash only the gaps between ranges that already landed are fetched.
      for (const [s, e] of landed.gaps(start, end)) await queueFetches(s, e, true);
      return;
    }
    const rec = await reconstruct(start, end);
    const plan = planWindow({ start, end, reconstruction: rec });
    const split = splitForReuse({ terms: plan.terms, start, end, index: old.index });
    for (const op of split.copies) queue.push({ kind: "copy", op });
    for (const term of plan.terms) {
      if (term.fileStart < end && old.index.locate(term) !== undefined) mapTerms.push({ term, lens: old.index.lensOf(term) });
    }
    for (const [s, e] of split.missing) await queueFetches(s, e, true);
  };

  try {
    landed.add(0, params.offset);
    for (const [s, e] of params.resumeLanded ?? []) landed.add(Math.max(0, s), Math.min(size, e));
    await writeFile(sidecar, landedNote(landed));
    fd = openSync(params.partialPath, exists(params.partialPath) ? "r+" : "w+");
    pool.post(pin, { op: "hash-init", key: hashKey });
    if (params.offset > 0) hashChain = pool.call({ op: "hash-update", key: hashKey, fd, from: 0, to: params.offset }, pin);
    advanceHash();
    if (resumed) params.log("info", `${path}: ${landed.total} of ${size} bytes already on disk; fetching the gaps`);
    if (opts.reuse !== false && params.finalPath && landed.total < size && !resumed) {
      old = await openOldVersion({ finalPath: params.finalPath, mapDir, pool, pin });
      if (old) params.log("info", `${path}: copying unchanged chunks from the local previous version`);
    }
    const ctx: UnitContext = {
      pool,
      fd,
      oldFd: old?.fd,
      stallTimeoutMs: params.stallTimeoutMs,
      // Progress messages from the workers: often enough for a smooth bar, rarely enough to cost nothing.
      flushBytes: Math.min(4 * MiB, Math.max(128 * 1024, Math.floor(size / 256))),
      cancels,
      onLanded,
      onActivity: params.onActivity,
      onChunkLens: (unit, lens) => {
        for (const entry of mapTerms) {
          if (entry.lens || !unit.placements.includes(entry.term)) continue;
          entry.lens = lens.slice(entry.term.chunkStart - unit.range.chunks.start, entry.term.chunkEnd - unit.range.chunks.start);
        }
      },
      reconstruct,
      waitRateLimit,
    };
    await schedule(ctx);

    if (landed.reach(0) < size) throw new IntegrityMismatch(`the reconstruction left bytes ${landed.reach(0)}-${size - 1} unwritten`);
    const last = await hashChain;
    if (last.type === "error") throw workerError(last.error, "the partial file");
    const digest = await pool.call({ op: "hash-digest", key: hashKey }, pin);
    if (digest.type !== "digest") throw workerError(digest.type === "error" ? digest.error : { kind: "fs", message: "no digest" }, "the partial file");
    ok = true;
    if (digest.hex === params.sha256 && params.offset === 0 && !resumed && size >= (opts.minChunkMapBytes ?? 8 * MiB)) {
      await saveChunkMap({ mapDir, sha256: digest.hex, size, terms: mapTerms }).catch((err: Error) => params.log("debug", `no chunk map for ${path}: ${err.message}`));
    }
    return { digest: digest.hex, landed: size, reused };
  } finally {
    if (!ok) {
      await hashChain.catch(() => undefined);
      pool.post(pin, { op: "hash-drop", key: hashKey });
    }
    if (fd !== undefined) closeSync(fd);
    if (old) closeSync(old.fd);
    await note;
    // Every unit has settled: the note now names exactly the ranges a rerun need not fetch again.
    if (ok) await rm(sidecar, { force: true });
    else await writeFile(sidecar, landedNote(landed)).catch(() => {});
    release();
  }

  /** Plans windows ahead and keeps up to `concurrency` units running; on any failure cancels all and waits. */
  async function schedule(ctx: UnitContext): Promise<void> {
    const planning = new Set<Promise<void>>();
    const onAbort = () => wake.fire();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        if (signal.aborted) throw signal.reason;
        if (failure !== undefined) throw failure;
        // Reconstructions are asked a few windows ahead, several at once: on a real Hub each costs a round trip.
        while (planning.size < PLAN_AHEAD && nextStart < size && queue.length < 2 * concurrency) {
          const p: Promise<void> = planNext().then(
            () => {
              planning.delete(p);
              // Windows planned side by side may land out of order: keep the queue in file order for the prefix.
              queue.sort((a, b) => startOf(a) - startOf(b));
              wake.fire();
            },
            (err) => {
              failure ??= err;
              planning.delete(p);
              wake.fire();
            },
          );
          planning.add(p);
        }
        while (running.size < concurrency && queue.length > 0 && globalSlots.take()) {
          const p: Promise<void> = runTask(ctx, queue.shift()!).then(
            () => {
              running.delete(p);
              wake.fire();
            },
            (err) => {
              running.delete(p);
              failure ??= err;
              wake.fire();
            },
          );
          running.add(p);
        }
        if (running.size === 0 && queue.length === 0 && planning.size === 0 && nextStart >= size) return;
        await wake.wait(queue.length > 0 && running.size < concurrency ? globalSlots.freed() : undefined);
      }
    } catch (err) {
      failure ??= err;
      for (const cancel of cancels) cancel();
      await Promise.allSettled([...running]);
      await Promise.allSettled([...planning]);
      throw failure;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }
}

/** The note beside a partial naming the byte ranges already written (what a crashed or stopped run leaves). */
export function landedNotePath(partialPath: string): string {
  return `${partialPath}.landed`;
}

function landedNote(landed: IntervalSet): string {
  return JSON.stringify({ landed: landed.toFlat() });
}

function startOf(task: Task): number {
  return task.kind === "copy" ? task.op.dstOff : task.unit.clipStart;
}

function exists(path: string): boolean {
  try {
    closeSync(openSync(path, "r"));
    return true;
  } catch {
    return false;
  }
}
