// The per-file state of one engine download, as named steps: reconstruct windows, plan them (fetch or copy from the
// old revision), schedule units, note and hash what landed, and finish with the digest and the chunk map.
import { MAX_RATE_LIMIT_WAIT_MS, waitOutRateLimit } from "../../util/rateLimit";
import { closeSync, openSync } from "node:fs";
import { removeReplaced, replaceFile } from "../../util/replaceFile";
import { IntegrityMismatch } from "../errors";
import { HttpStatusError } from "../transport";
import { queryReconstruction, xetToken, type Reconstruction, type XetToken } from "./cas";
import type { EngineFileParams, EngineResult } from "./options";
import { workerError } from "./failures";
import { landedNote, landedNotePath } from "./landedNote";
import { IntervalSet, planWindow, type PlacedTerm } from "./plan";
import type { WorkerEvent, WorkerPool } from "./pool";
import { openOldVersion, saveChunkMap, splitForReuse, type OldVersion } from "./reuse";
import { ADAPTIVE_XORB_REQUESTS, globalSlots, Wake } from "./scheduling";
import { fetchTask, runTask, type Task, type UnitContext, type Window } from "./units";

const MiB = 1024 * 1024;
const MAX_RATE_LIMITED = 6;
/** How often the landed ranges are noted beside the partial (crash resume re-fetches at most what landed since). */
const LANDED_NOTE_MS = 200;
/** Reconstruction requests in flight per file. */
const PLAN_AHEAD = 3;

/** What downloadXetFile resolved before the transfer: settings, the Hub's Xet URLs and a first CAS token. */
export interface FileDownloadSetup {
  pool: WorkerPool;
  /** Xorb requests in flight for this file, fixed; undefined: the process-wide adaptive count (scheduling.ts). */
  concurrency: number | undefined;
  windowBytes: number;
  mapDir: string;
  refreshUrl: string;
  reconstructionUrl: string;
  token: XetToken;
}

export class XetFileDownload {
  private readonly pin = Math.floor(Math.random() * 1024);
  private readonly hashKey: string;
  private readonly sidecar: string;
  private readonly resumed: boolean;
  private readonly landed = new IntervalSet();
  private readonly mapTerms: Array<{ term: PlacedTerm; lens?: number[] }> = [];
  private readonly cancels = new Set<() => void>();
  private readonly running = new Set<Promise<void>>();
  private readonly queue: Task[] = [];
  private readonly wake = new Wake();
  private token: XetToken;
  private fd: number | undefined;
  private old: OldVersion | undefined;
  private hashedTo: number;
  private hashChain: Promise<WorkerEvent> = Promise.resolve({ type: "done" });
  private note: Promise<void> = Promise.resolve();
  private noting = false;
  private lastNote = Date.now();
  private reused = 0;
  private failure: unknown;
  private ok = false;
  private nextStart: number;

  constructor(private readonly params: EngineFileParams, private readonly setup: FileDownloadSetup) {
    this.token = setup.token;
    this.hashKey = `${params.partialPath}#${this.pin}#${Date.now()}`;
    this.sidecar = landedNotePath(params.partialPath);
    this.resumed = (params.resumeLanded ?? []).some(([s, e]) => e > s);
    this.hashedTo = params.offset;
    this.nextStart = params.offset;
  }

  async run(): Promise<EngineResult> {
    const { params, setup, landed } = this;
    const { size, path } = params;
    const release = setup.pool.hold();
    try {
      landed.add(0, params.offset);
      for (const [s, e] of params.resumeLanded ?? []) landed.add(Math.max(0, s), Math.min(size, e));
      await replaceFile(this.sidecar, landedNote(landed));
      this.fd = openSync(params.partialPath, exists(params.partialPath) ? "r+" : "w+");
      setup.pool.post(this.pin, { op: "hash-init", key: this.hashKey });
      if (params.offset > 0) this.hashChain = setup.pool.call({ op: "hash-update", key: this.hashKey, fd: this.fd, from: 0, to: params.offset }, this.pin);
      this.advanceHash();
      if (this.resumed) params.log("info", `${path}: ${landed.total} of ${size} bytes already on disk; fetching the gaps`);
      if (params.options?.reuse !== false && params.finalPath && landed.total < size && !this.resumed) {
        this.old = await openOldVersion({ finalPath: params.finalPath, mapDir: setup.mapDir, pool: setup.pool, pin: this.pin });
        if (this.old) params.log("info", `${path}: copying unchanged chunks from the local previous version`);
      }
      await this.schedule(this.unitContext(this.fd));
      return await this.finish();
    } finally {
      try {
        await this.cleanUp();
      } finally {
        release();
      }
    }
  }

  private unitContext(fd: number): UnitContext {
    return {
      pool: this.setup.pool,
      fd,
      oldFd: this.old?.fd,
      stallTimeoutMs: this.params.stallTimeoutMs,
      // Progress messages from the workers: often enough for a smooth bar, rarely enough to cost nothing.
      flushBytes: Math.min(4 * MiB, Math.max(128 * 1024, Math.floor(this.params.size / 256))),
      cancels: this.cancels,
      onLanded: this.onLanded,
      onActivity: this.params.onActivity,
      onChunkLens: (unit, lens) => {
        for (const entry of this.mapTerms) {
          if (entry.lens || !unit.placements.includes(entry.term)) continue;
          entry.lens = lens.slice(entry.term.chunkStart - unit.range.chunks.start, entry.term.chunkEnd - unit.range.chunks.start);
        }
      },
      reconstruct: this.reconstruct,
      waitRateLimit: this.waitRateLimit,
    };
  }

  /** Every byte written and hashed: the digest, and the chunk map a later update can reuse. */
  private async finish(): Promise<EngineResult> {
    const { params, setup, landed } = this;
    const { size, path } = params;
    if (landed.reach(0) < size) throw new IntegrityMismatch(`the reconstruction left bytes ${landed.reach(0)}-${size - 1} unwritten`);
    const last = await this.hashChain;
    if (last.type === "error") throw workerError(last.error, "the partial file");
    const digest = await setup.pool.call({ op: "hash-digest", key: this.hashKey }, this.pin);
    if (digest.type !== "digest") throw workerError(digest.type === "error" ? digest.error : { kind: "fs", message: "no digest" }, "the partial file");
    this.ok = true;
    if (digest.hex === params.sha256 && params.offset === 0 && !this.resumed && size >= (params.options?.minChunkMapBytes ?? 8 * MiB)) {
      await saveChunkMap({ mapDir: setup.mapDir, sha256: digest.hex, size, terms: this.mapTerms }).catch((err: Error) => params.log("debug", `no chunk map for ${path}: ${err.message}`));
    }
    return { digest: digest.hex, landed: size, reused: this.reused };
  }

  private async cleanUp(): Promise<void> {
    if (!this.ok) {
      await this.hashChain.catch(() => undefined);
      this.setup.pool.post(this.pin, { op: "hash-drop", key: this.hashKey });
    }
    if (this.fd !== undefined) closeSync(this.fd);
    if (this.old) closeSync(this.old.fd);
    await this.note;
    // Every unit has settled: the note now names exactly the ranges a rerun need not fetch again.
    if (this.ok) await removeReplaced(this.sidecar);
    else await replaceFile(this.sidecar, landedNote(this.landed)).catch(() => {});
  }

  private readonly onLanded = (ranges: number[], counted: boolean): void => {
    let fresh = 0;
    for (let i = 0; i < ranges.length; i += 2) fresh += this.landed.add(ranges[i], ranges[i + 1]);
    if (fresh > 0) {
      if (!counted) this.reused += fresh;
      this.params.onProgress(this.landed.total, counted ? fresh : 0);
    }
    this.advanceHash();
    if (!this.noting && Date.now() - this.lastNote >= LANDED_NOTE_MS) {
      this.noting = true;
      this.note = replaceFile(this.sidecar, landedNote(this.landed))
        .catch(() => {})
        .finally(() => {
          this.noting = false;
          this.lastNote = Date.now();
        });
    }
  };

  /** Hashes on as far as the contiguous prefix reaches. */
  private advanceHash(): void {
    const reach = this.landed.reach(this.hashedTo);
    if (reach > this.hashedTo) {
      this.hashChain = this.setup.pool.call({ op: "hash-update", key: this.hashKey, fd: this.fd, from: this.hashedTo, to: reach }, this.pin);
      this.hashedTo = reach;
    }
  }

  private readonly waitRateLimit = async (retryAfterMs: number | undefined, what: string): Promise<void> => {
    const { params } = this;
    const ms = retryAfterMs ?? 1000;
    if (ms <= MAX_RATE_LIMIT_WAIT_MS) params.log("warn", `${params.path}: the CAS answered 429 for ${what} (rate limited); retrying in ${(ms / 1000).toFixed(1)} s`);
    // Waiting because the server asked is not a stall: keep the stall watchdog fed through the whole wait. A wait
    // beyond one rate-limit window is not sat out: it fails with `rate-limited`.
    await waitOutRateLimit({
      waitMs: ms, host: new URL(this.setup.reconstructionUrl).host, what, waited: 0,
      signal: params.signal, onWait: params.onRateLimit, onActivity: params.onActivity,
      activityEveryMs: Math.floor(params.stallTimeoutMs / 2),
    });
  };

  private readonly reconstruct = async (start: number, end: number): Promise<Reconstruction> => {
    const { params, setup } = this;
    const tokenRequest = { refreshUrl: setup.refreshUrl, hubToken: params.token, fetch: params.fetch };
    for (let limited = 0, renewed = false; ; ) {
      try {
        // A cache hit almost always; renewed 60 s before it expires, so long downloads never present a stale token.
        this.token = await xetToken(tokenRequest);
        return await queryReconstruction({ reconstructionUrl: setup.reconstructionUrl, token: this.token, start, end, fetch: params.fetch });
      } catch (err) {
        if (!(err instanceof HttpStatusError)) throw err;
        if (err.failure.status === 401 && !renewed) {
          renewed = true;
          this.token = await xetToken({ ...tokenRequest, renew: true });
          continue;
        }
        if (err.failure.status !== 429 || ++limited > MAX_RATE_LIMITED) throw err;
        await this.waitRateLimit(err.failure.retryAfterMs, "reconstructions");
      }
    }
  };

  /** Reconstructs `[start, end)` and queues its fetch units. */
  private async queueFetches(start: number, end: number, withTerms: boolean): Promise<void> {
    const rec = await this.reconstruct(start, end);
    const plan = planWindow({ start, end, reconstruction: rec });
    const window: Window = { start, end, generation: 0, rec };
    for (const unit of plan.units) this.queue.push(fetchTask(unit, window));
    if (withTerms) for (const term of plan.terms) if (term.fileStart < end) this.mapTerms.push({ term });
  }

  /** The next window: copies from the old revision where it holds the terms, fetches for the rest. */
  private async planNext(): Promise<void> {
    const start = this.nextStart;
    const end = Math.min(this.params.size, start + this.setup.windowBytes);
    this.nextStart = end;
    const old = this.old;
    if (!old) {
      // After a crash only the gaps between ranges that already landed are fetched.
      for (const [s, e] of this.landed.gaps(start, end)) await this.queueFetches(s, e, true);
      return;
    }
    const rec = await this.reconstruct(start, end);
    const plan = planWindow({ start, end, reconstruction: rec });
    const split = splitForReuse({ terms: plan.terms, start, end, index: old.index });
    for (const op of split.copies) this.queue.push({ kind: "copy", op });
    for (const term of plan.terms) {
      if (term.fileStart < end && old.index.locate(term) !== undefined) this.mapTerms.push({ term, lens: old.index.lensOf(term) });
    }
    for (const [s, e] of split.missing) await this.queueFetches(s, e, true);
  }

  /** Plans windows ahead and keeps as many units running as the count allows; on any failure cancels all and waits. */
  private async schedule(ctx: UnitContext): Promise<void> {
    const { signal, size } = this.params;
    const fixed = this.setup.concurrency !== undefined;
    const concurrency = this.setup.concurrency ?? ADAPTIVE_XORB_REQUESTS.max;
    const { queue, running, wake } = this;
    const planning = new Set<Promise<void>>();
    const onAbort = () => wake.fire();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        if (signal.aborted) throw signal.reason;
        if (this.failure !== undefined) throw this.failure;
        // Reconstructions are asked a few windows ahead, several at once: on a real Hub each costs a round trip.
        while (planning.size < PLAN_AHEAD && this.nextStart < size && queue.length < 2 * concurrency) {
          const p: Promise<void> = this.planNext().then(
            () => {
              planning.delete(p);
              // Windows planned side by side may land out of order: keep the queue in file order for the prefix.
              queue.sort((a, b) => startOf(a) - startOf(b));
              wake.fire();
            },
            (err) => {
              this.failure ??= err;
              planning.delete(p);
              wake.fire();
            },
          );
          planning.add(p);
        }
        while (running.size < concurrency && queue.length > 0 && globalSlots.take(fixed)) {
          const p: Promise<void> = runTask(ctx, queue.shift()!).then(
            () => {
              running.delete(p);
              wake.fire();
            },
            (err) => {
              running.delete(p);
              this.failure ??= err;
              wake.fire();
            },
          );
          running.add(p);
        }
        if (running.size === 0 && queue.length === 0 && planning.size === 0 && this.nextStart >= size) return;
        await wake.wait(queue.length > 0 && running.size < concurrency ? globalSlots.freed() : undefined);
      }
    } catch (err) {
      this.failure ??= err;
      for (const cancel of this.cancels) cancel();
      await Promise.allSettled([...running]);
      await Promise.allSettled([...planning]);
      throw this.failure;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }
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
