// Turns per-file byte counts from any route into the service's `bytes` events: monotonic totals,
// files done, a smoothed speed over a sliding window, at most ~10 events a second plus a final one.
import type { ProgressEvent } from "./types";

/** Bytes per second over the last `windowMs`, from samples of a growing byte counter. */
export class SpeedMeter {
  private readonly samples: Array<{ t: number; bytes: number }> = [];

  constructor(
    start: number,
    private readonly windowMs = 5000,
  ) {
    this.samples.push({ t: start, bytes: 0 });
  }

  /** `total` is the counter's value at time `t` (it never decreases). */
  add(t: number, total: number): void {
    this.samples.push({ t, bytes: total });
    // Keep one sample at or before the window start as the baseline.
    while (this.samples.length > 2 && this.samples[1]!.t <= t - this.windowMs) this.samples.shift();
  }

  /** 0 until a quarter second of data exists; decays when bytes stop arriving because `now` moves on. */
  rate(now: number): number {
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const from = Math.max(first.t, now - this.windowMs);
    const elapsed = now - from;
    if (elapsed < 250 || now - first.t < 250) return 0;
    // Bytes since the window start, interpolating the baseline when it lies before the window.
    const base = first.t >= from ? first.bytes : this.valueAt(from);
    return Math.max(0, ((last.bytes - base) * 1000) / elapsed);
  }

  private valueAt(t: number): number {
    let prev = this.samples[0]!;
    for (const s of this.samples) {
      if (s.t >= t) {
        if (s.t === prev.t) return s.bytes;
        return prev.bytes + ((s.bytes - prev.bytes) * (t - prev.t)) / (s.t - prev.t);
      }
      prev = s;
    }
    return prev.bytes;
  }
}

export interface Clock {
  now(): number;
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return () => clearTimeout(t);
  },
};

export interface ProgressTrackerOptions {
  files: ReadonlyArray<{ path: string; size: number }>;
  emit: (event: ProgressEvent) => void;
  /** Minimum time between two `bytes` events. Default 100 ms. */
  intervalMs?: number;
  /** Speed window. Default 5 s. */
  windowMs?: number;
  clock?: Clock;
}

/**
 * One per download (it survives a Xet → LFS fallback so totals never go backwards). Routes report
 * `fileProgress` with a file's absolute done count and the bytes that came over the network since
 * their last report; `fileDone` when a file is complete.
 */
export class ProgressTracker {
  private readonly sizes = new Map<string, number>();
  private readonly done = new Map<string, number>();
  private readonly finished = new Set<string>();
  private readonly totalBytes: number;
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly meter: SpeedMeter;
  private doneBytes = 0;
  private transferred = 0;
  private resumed = 0;
  private currentFile?: string;
  private lastEmit = Number.NEGATIVE_INFINITY;
  private cancelTimer?: () => void;

  constructor(private readonly options: ProgressTrackerOptions) {
    for (const f of options.files) this.sizes.set(f.path, f.size);
    this.totalBytes = options.files.reduce((sum, f) => sum + f.size, 0);
    this.intervalMs = options.intervalMs ?? 100;
    this.clock = options.clock ?? realClock;
    this.meter = new SpeedMeter(this.clock.now(), options.windowMs);
  }

  /** Bytes received over the network so far (resumed bytes excluded). */
  get bytesTransferred(): number {
    return this.transferred;
  }

  get filesDone(): number {
    return this.finished.size;
  }

  fileProgress({ path, doneBytes, newBytes = 0 }: { path: string; doneBytes: number; newBytes?: number }): void {
    const size = this.sizes.get(path);
    if (size === undefined) return;
    if (newBytes > 0) {
      this.transferred += newBytes;
      this.meter.add(this.clock.now(), this.transferred);
    }
    // A file's first report with nothing new and part of it done: a partial an interrupted run left.
    if (!this.done.has(path) && newBytes === 0 && doneBytes > 0 && doneBytes < size) this.resumed += doneBytes;
    const before = this.done.get(path) ?? 0;
    const after = Math.min(size, Math.max(before, doneBytes));
    this.done.set(path, after);
    this.doneBytes += after - before;
    if (after > before || newBytes > 0) this.currentFile = path;
    if (after === size) this.markFinished(path, size);
    this.schedule();
  }

  fileDone(path: string): void {
    const size = this.sizes.get(path);
    if (size === undefined) return;
    this.fileProgress({ path, doneBytes: size });
  }

  /** Emits the current totals now (the final event of a run) and stops any pending timer. */
  flush(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.emitBytes();
  }

  /** Stops the pending timer without emitting (for failed runs). */
  dispose(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private markFinished(path: string, size: number): void {
    if (this.finished.has(path)) return;
    this.finished.add(path);
    this.options.emit({ type: "file-done", path, size });
  }

  private schedule(): void {
    const now = this.clock.now();
    const wait = this.lastEmit + this.intervalMs - now;
    if (wait <= 0) {
      this.cancelTimer?.();
      this.cancelTimer = undefined;
      this.emitBytes();
    } else if (!this.cancelTimer) {
      this.cancelTimer = this.clock.setTimer(() => {
        this.cancelTimer = undefined;
        this.emitBytes();
      }, wait);
    }
  }

  private emitBytes(): void {
    const now = this.clock.now();
    this.lastEmit = now;
    this.options.emit({
      type: "bytes",
      doneBytes: this.doneBytes,
      fetchedBytes: this.transferred,
      resumedBytes: this.resumed,
      totalBytes: this.totalBytes,
      currentFile: this.currentFile,
      filesDone: this.finished.size,
      totalFiles: this.sizes.size,
      bytesPerSecond: Math.round(this.meter.rate(now)),
    });
  }
}
