// git-lfs (3.x) gives up on a batch 429 that carries no Retry-After and prints only the body's message, so the
// Hub's `RateLimit` header never reaches us through it: we ask the batch API ourselves how long the window has left.
import { netFetch } from "../net/proxy";
import { retryWaitMs } from "../util/rateLimit";

/** True when a failed `git lfs fetch` says the batch API rate-limited it. */
export function isLfsRateLimited(text: string): boolean {
  return /batch response:.*(rate limit|too many requests)|\b429\b.*batch|batch.*\b429\b/i.test(text);
}

/**
 * Milliseconds until the Hub lets this client call the batch API again: an empty download batch (one request of
 * the same bucket) answered 429 carries `RateLimit` (t + 1 s) or Retry-After; any other answer means now.
 */
export async function lfsBatchWaitMs(o: { endpoint: string; repo: string; token?: string; signal?: AbortSignal }): Promise<{ waitMs: number | undefined; host: string }> {
  const url = `${o.endpoint.replace(/\/+$/, "")}/${o.repo}.git/info/lfs/objects/batch`;
  const host = new URL(url).host;
  try {
    const res = await netFetch(url, {
      method: "POST",
      headers: {
        Accept: "application/vnd.git-lfs+json",
        "Content-Type": "application/vnd.git-lfs+json",
        ...(o.token ? { Authorization: `Bearer ${o.token}` } : {}),
      },
      body: JSON.stringify({ operation: "download", transfers: ["basic"], objects: [] }),
      signal: o.signal ? AbortSignal.any([o.signal, AbortSignal.timeout(30_000)]) : AbortSignal.timeout(30_000),
    });
    void res.body?.cancel().catch(() => undefined);
    return { waitMs: res.status === 429 ? retryWaitMs(res.headers) : 0, host };
  } catch {
    // The probe is advice only; without an answer, the usual 1 s wait applies.
    return { waitMs: undefined, host };
  }
}
