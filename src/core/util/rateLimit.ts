// The Hub's rate limits, read once for every route: `RateLimit: "api";r=0;t=41` (IETF draft 9, as huggingface.co
// sends it, without Retry-After) or a plain Retry-After, turned into a bounded, cancellable wait that progress shows.
import { DownloadError } from "../errors";
import { sleep } from "./backoff";

/** What `RateLimit` and `RateLimit-Policy` say (huggingface_hub `parse_ratelimit_headers`). */
export interface RateLimitInfo {
  /** "api", "resolvers", "pages" on huggingface.co. */
  bucket: string;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
  /** From RateLimit-Policy `q=`, when sent. */
  quota?: number;
  /** From RateLimit-Policy `w=`, when sent. */
  windowSeconds?: number;
}

/** A wait the client chose because the server asked: shown in progress, never a stall. */
export interface RateLimitWait {
  seconds: number;
  /** `name:port` that answered 429. */
  host: string;
  bucket?: string;
}

/** The Hub's windows are 5 minutes: a wait longer than one window and a second is not a rate limit we sit out. */
export const MAX_RATE_LIMIT_WAIT_MS = 301_000;
/** Waits per request before the 429 is final (each is at most one window, so the limit must have reset meanwhile). */
export const MAX_RATE_LIMIT_WAITS = 5;

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

// The same patterns as huggingface_hub's `_RATELIMIT_REGEX` and `_RATELIMIT_POLICY_REGEX`.
const RATELIMIT = /"(\w+)"\s*;\s*r\s*=\s*(\d+)\s*;\s*t\s*=\s*(\d+)/;
const POLICY = /q\s*=\s*(\d+).*?w\s*=\s*(\d+)/;

export function parseRateLimit(headers: HeaderSource): RateLimitInfo | undefined {
  const m = RATELIMIT.exec(header(headers, "ratelimit") ?? "");
  if (!m) return undefined;
  const info: RateLimitInfo = { bucket: m[1], remaining: Number(m[2]), resetSeconds: Number(m[3]) };
  const p = POLICY.exec(header(headers, "ratelimit-policy") ?? "");
  if (p) {
    info.quota = Number(p[1]);
    info.windowSeconds = Number(p[2]);
  }
  return info;
}

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * How long a 429 asks us to wait, as huggingface_hub's `_http_backoff_base` reads it: the window's reset `t` + 1 s
 * when `RateLimit` says nothing remains (the +1 s covers rounding), else `Retry-After`; undefined when neither.
 */
export function retryWaitMs(headers: HeaderSource): number | undefined {
  const info = parseRateLimit(headers);
  if (info && info.remaining === 0) return (info.resetSeconds + 1) * 1000;
  return parseRetryAfter(header(headers, "retry-after"));
}

/** The error once the Hub asks for a wait beyond the bound, or keeps limiting after every wait. */
export function rateLimitedError(o: { host: string; waitMs?: number; what: string; bucket?: string; cause?: unknown }): DownloadError {
  const seconds = o.waitMs === undefined ? undefined : Math.ceil(o.waitMs / 1000);
  const limit = o.bucket ? `its "${o.bucket}" rate limit` : "its rate limit";
  const when = seconds === undefined ? "Try again later" : `Try again in ${formatWait(seconds)}`;
  const reason = `${o.host} rate-limited ${o.what}`;
  return new DownloadError(
    "rate-limited",
    `The Hub at ${o.host} has reached ${limit} for ${o.what}. ${when}; signing in with an access token raises the limit.`,
    { cause: o.cause, detail: { status: 429, host: o.host, retryAfterMs: o.waitMs, reason } },
  );
}

function formatWait(seconds: number): string {
  return seconds < 120 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}

export interface RateLimitWaitOptions {
  waitMs: number | undefined;
  host: string;
  /** For the error: "model listing", "reconstructions", "LFS objects" … */
  what: string;
  bucket?: string;
  /** Waits already made for this request; at `maxWaits` the 429 is final. */
  waited: number;
  maxWaitMs?: number;
  maxWaits?: number;
  signal?: AbortSignal;
  onWait?(wait: RateLimitWait): void;
  /** Called at least every `activityEveryMs` during the wait, so stall watchdogs see a chosen wait, not a stall. */
  onActivity?(): void;
  activityEveryMs?: number;
  /** Waited when the 429 carried neither RateLimit nor Retry-After. Default 1 s. */
  fallbackMs?: number;
}

/**
 * Sits out one 429: throws `rate-limited` when the wait is beyond the bound or the waits are used up, `cancelled`
 * when the signal aborts during the wait; otherwise announces the wait and resolves when it is over.
 */
export async function waitOutRateLimit(o: RateLimitWaitOptions): Promise<void> {
  const maxWaitMs = o.maxWaitMs ?? MAX_RATE_LIMIT_WAIT_MS;
  const waitMs = o.waitMs ?? o.fallbackMs ?? 1000;
  if (o.waited >= (o.maxWaits ?? MAX_RATE_LIMIT_WAITS) || waitMs > maxWaitMs) {
    throw rateLimitedError({ host: o.host, waitMs: o.waitMs, what: o.what, bucket: o.bucket });
  }
  o.onWait?.({ seconds: Math.ceil(waitMs / 1000), host: o.host, ...(o.bucket ? { bucket: o.bucket } : {}) });
  const slice = Math.max(50, o.activityEveryMs ?? waitMs);
  for (let left = waitMs; left > 0 && !o.signal?.aborted; left -= slice) {
    o.onActivity?.();
    await sleep(Math.min(left, slice), o.signal);
  }
  o.onActivity?.();
  if (o.signal?.aborted) throw new DownloadError("cancelled", "Cancelled while waiting for the Hub's rate limit to reset.", { cause: o.signal.reason });
}
