// Waiting primitives of the engine's scheduler: the process-wide count of xorb requests in flight (files downloading
// at once share connections instead of multiplying them) and a resettable wake-up.
import { AdaptiveConcurrency, type ConcurrencyOptions } from "../../net/concurrency";

/**
 * Xorb requests in flight across every file of the process: adaptive (net/concurrency.ts, the controller the LFS
 * route uses too) between 2 and 12, unless a download fixes its own count (`EngineOptions.concurrency`). From 6, as
 * the LFS route: a xorb request cannot be cut short (its signed URL covers exactly its range), so the first step up
 * (by half) that crowds a host lasts until enough requests have ended, and from 6 it overshoots by 3, not by 4.
 * 9 still fill the WAN profile (25 MB/s per connection, 200 MB/s in all). At most 12, the fixed count per file of
 * before: more went only as a probe on WAN in the runs measured, and each one more can overshoot a crowded host.
 * Measured in docs/PERFORMANCE.md.
 */
export const ADAPTIVE_XORB_REQUESTS = { initial: 6, min: 2, max: 12 } as const;
/** After this long with no request in flight, the next download starts the count afresh (another host, another link). */
const IDLE_RESET_MS = 10_000;

export class Slots {
  private used = 0;
  private waiters: Array<() => void> = [];
  private controller: AdaptiveConcurrency | undefined;
  private idleSince = 0;

  constructor(private readonly options: ConcurrencyOptions) {}

  /** Requests allowed in flight now. */
  get limit(): number {
    return this.controller?.limit ?? this.options.initial;
  }

  /**
   * A slot under the adaptive count, or with `fixed` under the download's own count (the caller keeps to it; the
   * process-wide ceiling still holds). A unit cannot be cut short (its signed URL covers exactly its byte range), so
   * a lower count takes effect as running units end.
   */
  take(fixed = false): boolean {
    if (this.used === 0 && (!this.controller || this.now() - this.idleSince > IDLE_RESET_MS)) this.controller = new AdaptiveConcurrency(this.options);
    if (this.used >= (fixed ? this.options.max : this.limit)) return false;
    this.used++;
    return true;
  }

  release(): void {
    this.used = Math.max(0, this.used - 1);
    if (this.used === 0) this.idleSince = this.now();
    this.wakeWaiters();
  }

  /** Bytes that just came over the network: the adaptive count's measure. A count that grew lets waiters in. */
  record(bytes: number): void {
    const before = this.limit;
    this.controller?.record(bytes, this.used);
    if (this.limit > before) this.wakeWaiters();
  }

  /** Every count the adaptive controller took since it started, with the rate that led to it. */
  get history(): ReadonlyArray<{ limit: number; rate: number }> {
    return this.controller?.history ?? [];
  }

  /** Resolves the next time a slot is released or the count grows. */
  freed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private wakeWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

export const globalSlots = new Slots(ADAPTIVE_XORB_REQUESTS);

/** A resettable signal for the scheduler loop. */
export class Wake {
  private resolve?: () => void;

  fire(): void {
    this.resolve?.();
    this.resolve = undefined;
  }

  wait(extra?: Promise<void>): Promise<void> {
    return new Promise<void>((resolve) => {
      this.resolve = resolve;
      extra?.then(resolve);
    });
  }
}
