// The `fetch` the Xet route hands to @huggingface/hub: adds the attempt's AbortSignal to every request,
// keeps the Hub token on the Hub origin, reports byte activity for stall detection and remembers failures.
import { netFetch } from "../net/proxy";
import { retryWaitMs } from "../util/rateLimit";

export type RequestKind = "resolve" | "token" | "reconstruction" | "data";

/** An HTTP answer that was not 2xx/3xx, as seen on the wire (the library often turns these into bare strings). */
export interface HttpFailure {
  kind: RequestKind;
  host: string;
  status: number;
  retryAfterMs?: number;
}

/** A non-2xx answer to a request the route made itself (regular files). */
export class HttpStatusError extends Error {
  constructor(readonly failure: HttpFailure) {
    super(`HTTP ${failure.status} from ${failure.host}`);
    this.name = "HttpStatusError";
  }
}

export interface Transport {
  fetch: typeof fetch;
  /** The most recent failure that no later success of the same request superseded. */
  openFailure(): HttpFailure | undefined;
  /** Host of the most recent request, to name it in stall and network errors. */
  lastHost(): string | undefined;
}

export interface TransportOptions {
  /** Origin of the Hub (`new URL(endpoint).origin`); the only origin that may see a `Bearer hf_…` header. */
  hubOrigin: string;
  signal: AbortSignal;
  /** Called when response headers or body bytes arrive. */
  onActivity(bytes: number): void;
}

export function requestKind(url: URL): RequestKind {
  if (/\/xet-(?:read|write)-token\//.test(url.pathname)) return "token";
  if (/\/reconstructions\//.test(url.pathname)) return "reconstruction";
  if (/\/resolve\//.test(url.pathname)) return "resolve";
  return "data";
}

export { parseRetryAfter } from "../util/rateLimit";

const NO_BODY_STATUS = new Set([101, 204, 205, 304]);

export function createTransport(options: TransportOptions): Transport {
  // Keyed by kind + path without the query: a signed URL re-issued after a 403 still supersedes its failure.
  const failures = new Map<string, HttpFailure & { at: number }>();
  let counter = 0;
  let host: string | undefined;

  const guardedFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    host = url.host;
    if (url.origin !== options.hubOrigin && /^Bearer\s+hf_/i.test(request.headers.get("authorization") ?? "")) {
      request.headers.delete("authorization");
    }
    const signal = init?.signal ? AbortSignal.any([options.signal, init.signal]) : options.signal;
    const response = await netFetch(request, { signal });
    options.onActivity(0);

    const kind = requestKind(url);
    const key = `${kind} ${url.origin}${url.pathname}`;
    if (response.status >= 400) {
      failures.set(key, {
        kind,
        host: url.host,
        status: response.status,
        retryAfterMs: retryWaitMs(response.headers),
        at: ++counter,
      });
    } else {
      failures.delete(key);
    }
    if (!response.body || NO_BODY_STATUS.has(response.status)) return response;

    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          options.onActivity(chunk.byteLength);
          controller.enqueue(chunk);
        },
      }),
    );
    const wrapped = new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
    // The library reads `url` to decide where a non-Xet download comes from and to word its errors.
    Object.defineProperty(wrapped, "url", { value: response.url });
    return wrapped;
  };

  return {
    fetch: guardedFetch,
    openFailure() {
      let latest: (HttpFailure & { at: number }) | undefined;
      for (const f of failures.values()) if (!latest || f.at > latest.at) latest = f;
      if (!latest) return undefined;
      const { at: _at, ...failure } = latest;
      return failure;
    },
    lastHost: () => host,
  };
}
