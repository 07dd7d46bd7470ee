// Whether the Hub answers at all: asked after a route lost its connection, before another route tries the same host.
import { DownloadError } from "../errors";
import { netFetch } from "../net/proxy";

const PROBE_TIMEOUT_MS = 10_000;

/** True when `${endpoint}/api/models?limit=1` gets any HTTP answer (even an error status); false when nothing answers. */
export async function hubAnswers(options: { endpoint: string; signal?: AbortSignal; timeoutMs?: number }): Promise<boolean> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? PROBE_TIMEOUT_MS);
  try {
    const res = await netFetch(`${options.endpoint}/api/models?limit=1`, { signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout });
    await res.body?.cancel().catch(() => undefined);
    return true;
  } catch (err) {
    if (options.signal?.aborted) throw new DownloadError("cancelled", "Cancelled.", { cause: err });
    return false;
  }
}
