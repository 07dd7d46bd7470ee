// Rate limits as huggingface.co counts them (hub-docs rate-limits.md): fixed windows per client (token, else IP)
// per bucket, every counted answer carrying `RateLimit` and `RateLimit-Policy`, and a 429 without Retry-After.
import { hubError, sendJson, type HubReq, type Route } from "./context";

export type RateBucket = "api" | "resolvers";
export type Quotas = Record<RateBucket, number>;

export interface RateLimitOptions {
  /** Length of the fixed window, seconds. Default 300, the Hub's 5 minutes; tests use a few seconds. */
  windowSeconds?: number;
  /** Requests per window of a client without a token, counted per IP. Default: the Hub's anonymous quotas. */
  anonymous?: Partial<Quotas>;
  /** Requests per window per token. Default: the Hub's free-user quotas. */
  token?: Partial<Quotas>;
}

/** hub-docs rate-limits.md, "Rate limit Tiers" (September 2025): anonymous per IP, and a free user. */
export const HUB_ANONYMOUS_QUOTAS: Quotas = { api: 500, resolvers: 3000 };
export const HUB_FREE_USER_QUOTAS: Quotas = { api: 1000, resolvers: 5000 };
export const HUB_WINDOW_SECONDS = 300;

/**
 * Which bucket a route counts in. hub-docs names "api" (every /api/ endpoint) and "resolvers" (every /resolve/ URL).
 * It does not say where the LFS batch API and the Xet CAS's reconstructions count; both hand out download URLs
 * in place of /resolve/, so they count as resolvers here (the CAS keyed by its Xet token). Git smart HTTP and the
 * CDN's data bodies (xorb ranges, LFS objects) are not counted: hub-docs names no bucket for them.
 */
const BUCKET_OF: Record<string, RateBucket> = {
  "api-search": "api",
  "api-model": "api",
  "api-tree": "api",
  "api-paths-info": "api",
  "xet-read-token": "api",
  resolve: "resolvers",
  "lfs-batch": "resolvers",
  "reconstruction-v1": "resolvers",
  "reconstruction-v2": "resolvers",
};

interface Window {
  start: number;
  count: number;
}

/** The counters of one running Hub. */
export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  readonly windowMs: number;
  private readonly quotas: { anonymous: Quotas; token: Quotas };

  constructor(options: RateLimitOptions | false | undefined, private readonly now: () => number = Date.now) {
    this.enabled = options !== false;
    const o = options || {};
    this.windowMs = Math.max(1, o.windowSeconds ?? HUB_WINDOW_SECONDS) * 1000;
    this.quotas = { anonymous: { ...HUB_ANONYMOUS_QUOTAS, ...o.anonymous }, token: { ...HUB_FREE_USER_QUOTAS, ...o.token } };
  }

  enabled: boolean;

  reset(): void {
    this.windows.clear();
  }

  /** Counts one request; the headers to send, and whether it is over the quota. */
  take(bucket: RateBucket, client: { token?: string; ip: string }): { limited: boolean; headers: Record<string, string> } {
    const quota = this.quotas[client.token ? "token" : "anonymous"][bucket];
    const key = `${bucket}\0${client.token ? `token:${client.token}` : `ip:${client.ip}`}`;
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    const limited = w.count > quota;
    const remaining = Math.max(0, quota - w.count);
    const resetSeconds = Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000));
    return {
      limited,
      headers: {
        RateLimit: `"${bucket}";r=${remaining};t=${resetSeconds}`,
        "RateLimit-Policy": `"fixed window";"${bucket}";q=${quota};w=${this.windowMs / 1000}`,
      },
    };
  }
}

/** Counts every request of a rate-limited route; over the quota, answers 429 the Hub's way before the handler runs. */
export function withRateLimits(routes: Route[]): Route[] {
  return routes.map((route): Route => {
    const bucket = BUCKET_OF[route.name];
    if (!bucket) return route;
    return {
      ...route,
      handle(r) {
        const limiter = r.ctx.rateLimits;
        if (!limiter.enabled) return route.handle(r);
        const { limited, headers } = limiter.take(bucket, { token: r.bearer, ip: r.req.socket.remoteAddress ?? "unknown" });
        if (limited) return tooManyRequests(r, bucket, route.name, headers);
        // Like the Hub, every counted answer says how much of the window is left (huggingface_hub only acts on r=0).
        for (const [name, value] of Object.entries(headers)) r.res.setHeader(name, value);
        return route.handle(r);
      },
    };
  });
}

function tooManyRequests(r: HubReq, bucket: RateBucket, route: string, headers: Record<string, string>): void {
  r.logRoute = route;
  const message = `You have exceeded our ${bucket} rate limit (${headers["RateLimit-Policy"].replace(/^"fixed window";/, "")}). Retry later or sign in with an access token for higher limits: https://huggingface.co/docs/hub/rate-limits`;
  // git-lfs prints the batch API's `message`; everything else gets the Hub's `{error}` body and X-Error-Message.
  if (route === "lfs-batch") {
    sendJson(r.res, 429, { message, documentation_url: "https://huggingface.co/docs/hub/rate-limits" }, { "Content-Type": "application/vnd.git-lfs+json", ...headers });
    return;
  }
  hubError(r.res, 429, message, undefined, headers);
}
