// How many connections a download keeps open: more only while the total goodput grows with them. A fixed count is
// wrong somewhere: too few on a fast link, too many for a CDN that slows a client's crowd of connections. A hill
// climb over one-second windows: it grows by half while a step pays (10 % more bytes per second) and goes back to
// the best count it has seen when a step does not pay. The first half second is not counted: connections that are
// just opening read low, and a step up judged against them looks as if it paid. When more connections moved fewer
// bytes (a host that slows under a crowd), it goes back to the best count and, if that moves less than it did too,
// steps down at once, one at a time while fewer lose nothing. From the best count it probes one
// more and one fewer by turns now and then, so a host that changes is followed. A step down is kept only when it
// loses under 5 % against a measured best: the collapse to under 1 MB/s that huggingface_hub#4893 reports of an
// adaptive client on a fast link would take a long run of such steps, each measured.

export interface ConcurrencyOptions {
  initial: number;
  min: number;
  max: number;
  /** Length of one measurement window. Default 1000 ms. */
  windowMs?: number;
  /**
   * Bytes not counted once the first connections are open: their start (the first response's latency, a TCP window
   * still growing) reads low, and a step up judged against it looks as if it paid. Default half a window.
   */
  warmupMs?: number;
  /** Windows to stay at the best count after a step that did not pay, before probing a neighbour. Default 5. */
  holdWindows?: number;
  now?: () => number;
}

/**
 * A step up must bring 10 % more; a step down may lose 5 %; a step up that moved 10 % less means a crowded host.
 * Windows on a paced link differ by a few per cent from one to the next: narrower bands chased that noise.
 */
const GAIN = 1.1;
const KEEP = 0.95;
const CROWDED = 0.9;

export class AdaptiveConcurrency {
  private current: number;
  private best: { limit: number; rate: number };
  private windowStart: number;
  private windowBytes = 0;
  /** Until the connections open reach the limit (at the start, after each change), no window runs. */
  private settling = true;
  private warmedUp = false;
  private hold = 0;
  /** Once a step did not pay, steps are single connections. */
  private steppedBack = false;
  /** After a crowded step: the best count's rate before it, which the window back at the best count is held to. */
  private recheck: number | undefined;
  /** The neighbour the next probe from the best count tries. */
  private nextProbe: 1 | -1 = 1;
  private readonly now: () => number;
  private readonly windowMs: number;
  /** Every count taken, with the rate that led to it (for the log and tests). */
  readonly history: Array<{ limit: number; rate: number }> = [];

  constructor(private readonly o: ConcurrencyOptions) {
    this.now = o.now ?? Date.now;
    this.windowMs = o.windowMs ?? 1000;
    this.current = clamp(o.initial, o.min, o.max);
    this.best = { limit: this.current, rate: 0 };
    this.windowStart = this.now();
  }

  get limit(): number {
    return this.current;
  }

  /**
   * Counts bytes just received; at the end of a window, judges it and may change the limit. After a change, the
   * next window starts only once `inFlight` (the connections open now) has reached the new limit: a lower one takes
   * effect as requests are shed, a higher one as new ones start, and a window mixing two counts says little.
   */
  record(bytes: number, inFlight = this.current): void {
    if (this.settling) {
      if (inFlight !== this.current) return;
      this.settling = false;
      this.windowBytes = 0;
      this.windowStart = this.now() + (this.warmedUp ? 0 : (this.o.warmupMs ?? this.windowMs / 2));
      this.warmedUp = true;
      return;
    }
    if (this.now() < this.windowStart) return;
    this.windowBytes += bytes;
    const elapsed = this.now() - this.windowStart;
    if (elapsed < this.windowMs) return;
    const rate = (this.windowBytes * 1000) / elapsed;
    this.windowBytes = 0;
    this.windowStart = this.now();
    this.judge(rate);
  }

  private judge(rate: number): void {
    const before = this.current;
    const { limit: bestLimit, rate: bestRate } = this.best;
    const half = Math.max(1, Math.floor(this.current / 2));
    if (this.current === bestLimit) {
      // At the best count: note what it does now (a host's speed drifts); after a hold, probe a neighbour, one more
      // and one fewer by turns (a full link pays for a step down now and then: one window in a dozen).
      this.best.rate = rate;
      if (this.hold > 0) {
        this.hold--;
      } else if (this.recheck !== undefined && rate >= this.recheck * CROWDED) {
        // Back from a crowded step (past the window that still carried it), the best count moves about what it
        // moved before (within the band that called the step crowded): the crowd began above it. No step down yet
        // (on a 1 GiB download one fewer costs a few per cent); the usual probes follow the usual hold.
        this.recheck = undefined;
        this.hold = this.o.holdWindows ?? 5;
      } else {
        this.recheck = undefined;
        this.current = clamp(this.current + (this.steppedBack ? this.nextProbe : half), this.o.min, this.o.max);
        if (this.steppedBack) this.nextProbe = this.nextProbe === 1 ? -1 : 1;
      }
    } else if (this.current > bestLimit ? rate > bestRate * GAIN : rate >= bestRate * KEEP) {
      // More connections that paid, or fewer that lost nothing: the best count now; go on the same way.
      const way = this.current > bestLimit ? 1 : -1;
      this.best = { limit: this.current, rate };
      this.current = clamp(this.current + (this.steppedBack ? way : half), this.o.min, this.o.max);
    } else {
      this.current = bestLimit;
      this.steppedBack = true;
      // A step up that lost bytes (a host slowing under more connections) is followed soon by a step down if the
      // best count now moves less too: it may want fewer than we have. One window at the best count first, to measure
      // it again: the window right after shedding connections still carries their slowdown. Otherwise the best count
      // is held for a while.
      const crowded = before > bestLimit && rate < bestRate * CROWDED;
      this.hold = crowded ? 1 : (this.o.holdWindows ?? 5);
      if (crowded) {
        this.nextProbe = -1;
        this.recheck = bestRate;
      }
    }
    if (this.current !== before) {
      this.settling = true;
      this.history.push({ limit: this.current, rate });
    }
  }
}

function clamp(n: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, Math.round(n)));
}
