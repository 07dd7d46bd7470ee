// Waiting between retries: exponential backoff with full jitter around the nominal delay, so clients that
// failed together do not retry together, and a sleep that ends early when the download is cancelled.

/** Delay before retry `attempt` (1-based): `baseMs · 2^(attempt-1)` capped at `capMs`, then scaled by 0.5–1.5. */
export function backoffMs({ attempt, baseMs, capMs, random = Math.random }: { attempt: number; baseMs: number; capMs: number; random?: () => number }): number {
  const nominal = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(nominal / 2 + random() * nominal);
}

/** Resolves after `ms`, or at once when `signal` aborts (the caller checks the signal afterwards). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
