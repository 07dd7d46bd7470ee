// The download speed cap: one budget for every connection of the process, worker threads included. The state
// lives in a SharedArrayBuffer (the rate, and when the bytes taken so far are "paid for"), updated with
// compare-and-swap, so a thread that reads a chunk learns how long to pause before it reads more; the paused
// socket stops the sender through TCP's own flow control. This is GCRA, the virtual-scheduling form of a token
// bucket. No npm package shares one bucket across worker threads, hence these few lines.
import { sleep } from "../util/backoff";

/**
 * How far ahead of the rate a burst may run: keeps the shortest pauses out of a steady stream, and absorbs a resume
 * that comes a few milliseconds late. Every byte of it shows as overshoot in the second it is spent, on top of the
 * chunk each connection has read before it learns to pause: with 50 ms a 5 MB/s download ran its fastest second
 * 10-11 % over; with 10 ms, 4-6 % (`npm run bench -- --cap`, docs/PERFORMANCE.md).
 */
const BURST_NS = 10_000_000n;

const RATE = 0;
const PAID_UNTIL = 1;
const COUNTED = 2;

export class BandwidthLimit {
  private readonly state: BigInt64Array;

  constructor(
    readonly shared: SharedArrayBuffer = new SharedArrayBuffer(24),
    private readonly now: () => bigint = process.hrtime.bigint,
  ) {
    this.state = new BigInt64Array(shared);
  }

  /** Bytes per second for everything from now on; 0 (or less, or not finite) lifts the cap. */
  setBytesPerSecond(rate: number): void {
    const value = Number.isFinite(rate) && rate > 0 ? BigInt(Math.max(1, Math.round(rate))) : 0n;
    Atomics.store(this.state, PAID_UNTIL, this.now());
    Atomics.store(this.state, RATE, value);
  }

  get bytesPerSecond(): number {
    return Number(Atomics.load(this.state, RATE));
  }

  /** Every byte counted so far, capped or not (what the cap has seen: for tests and the benchmark). */
  get bytesCounted(): number {
    return Number(Atomics.load(this.state, COUNTED));
  }

  /** Counts `bytes` just received and says how many milliseconds to pause before reading more. */
  delayFor(bytes: number): number {
    if (bytes <= 0) return 0;
    Atomics.add(this.state, COUNTED, BigInt(bytes));
    const rate = Atomics.load(this.state, RATE);
    if (rate <= 0n) return 0;
    const cost = (BigInt(bytes) * 1_000_000_000n) / rate;
    for (;;) {
      const now = this.now();
      const paid = Atomics.load(this.state, PAID_UNTIL);
      const next = (paid > now ? paid : now) + cost;
      if (Atomics.compareExchange(this.state, PAID_UNTIL, paid, next) !== paid) continue;
      const ahead = next - now - BURST_NS;
      return ahead > 0n ? Number(ahead / 1_000_000n) : 0;
    }
  }

  /** `delayFor`, waited out (a cancel ends the wait at once). */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const ms = this.delayFor(bytes);
    if (ms > 0) await sleep(ms, signal);
  }
}

/** The process-wide cap every download shares: the user's link is one, whatever runs on it. */
export const downloadSpeedLimit = new BandwidthLimit();

/** MB/s as users write it (1 MB = 1,000,000 bytes) to bytes per second; empty, zero or invalid means no cap. */
export function megabytesPerSecond(value: unknown): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : typeof value === "number" ? value : NaN;
  return Number.isFinite(n) && n > 0 ? n * 1_000_000 : 0;
}
