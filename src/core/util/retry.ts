// The retry loop the routes share around one operation: a 429 is waited out as the server asks and spends no
// attempt; another failure that may pass is tried again after a jittered, growing wait, until the attempts run out.
import { waitOutRateLimit, type RateLimitWait } from "./rateLimit";
import { backoffMs, sleep } from "./backoff";

/** A 429's wait as the server asked (undefined: it did not say), and the host that answered. */
export interface RateLimitAsk {
  waitMs: number | undefined;
  host: string;
}

export interface RetryOptions {
  attempts: number;
  /** The first wait between attempts (doubled each time, up to 30 s, jittered). */
  baseMs: number;
  signal?: AbortSignal;
  /** For a failure that is a rate limit: how long the server asks to wait, and which host asked. */
  rateLimit?(err: unknown): Promise<RateLimitAsk | undefined> | RateLimitAsk | undefined;
  /** What the rate limit limits and in which bucket, for the error once the waits are used up; told before each wait. */
  limited: { what: string; bucket?: string; onWait?(wait: RateLimitWait): void };
  /** Whether another attempt may succeed. */
  retryable(err: unknown): boolean;
  /** Told before each wait between attempts (the caller logs why). */
  onRetry?(err: unknown, waitMs: number): void;
}

export async function withRetries<T>(run: () => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 1, limited = 0; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (o.signal?.aborted) throw err;
      const limit = await o.rateLimit?.(err);
      if (limit) {
        await waitOutRateLimit({ ...limit, what: o.limited.what, bucket: o.limited.bucket, waited: limited++, signal: o.signal, onWait: o.limited.onWait });
        attempt--;
        continue;
      }
      if (attempt >= o.attempts || !o.retryable(err)) throw err;
      const waitMs = backoffMs({ attempt, baseMs: o.baseMs, capMs: 30_000 });
      o.onRetry?.(err, waitMs);
      await sleep(waitMs, o.signal);
    }
  }
}
