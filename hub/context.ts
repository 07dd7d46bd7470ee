// What every route handler of the local Hub receives: the repos, the options and fault switches,
// the two origins' base URLs, and helpers for Hub-shaped errors, auth and paced data bodies.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { HostileMode } from "./hostile";
import type { HubRepo } from "./model";
import type { RateLimiter, RateLimitOptions } from "./rateLimit";
import type { XetStore } from "./xet/store";

export const FAULTS = [
  "cas-unavailable",
  "token-error",
  "xorb-reset",
  "xorb-corrupt",
  "xorb-stall",
  "url-expired",
  "slow",
  "rate-limit",
  "git-unavailable",
] as const;
export type FaultName = (typeof FAULTS)[number];

export interface SlowProfile {
  /** Added before every response on the CDN/CAS origin. */
  latencyMs: number;
  /** Cap per response body, bytes per second (0 = none). */
  perConnectionBytesPerSecond: number;
  /** Cap shared by every body on the CDN/CAS origin, bytes per second (0 = none). */
  totalBytesPerSecond: number;
  /**
   * A host that slows down under more connections, as CDNs do with one client's many: beyond this many bodies in
   * flight at once, each gets perConnection × (N / in flight)², so more connections move fewer bytes in all (0 = never).
   */
  crowdedAfter?: number;
}

export const WAN_PROFILE: SlowProfile = {
  latencyMs: 40,
  perConnectionBytesPerSecond: 25_000_000,
  totalBytesPerSecond: 200_000_000,
};

/** The WAN profile on a host that slows beyond 6 connections: 6 move 150 MB/s, 12 only 75 MB/s. */
export const SLOWING_HOST_PROFILE: SlowProfile = { ...WAN_PROFILE, crowdedAfter: 6 };

export interface HubOptions {
  faults?: Iterable<FaultName>;
  /** Hostile answers (hub/hostile.ts) switched on from the start. */
  hostile?: Iterable<HostileMode>;
  slow?: Partial<SlowProfile>;
  /** Tokens the Hub accepts. Default: any token starting with `hf_`. */
  tokens?: string[];
  /** Tokens that were granted access to gated repos. */
  gatedAccess?: string[];
  /** Tokens whose access request to a `manual` gated repo awaits the authors' review. */
  gatedPending?: string[];
  /** Lifetime of signed xorb URLs and LFS hrefs, seconds. */
  urlTtlSeconds?: number;
  /** Lifetime of Xet read tokens, seconds. */
  xetTokenTtlSeconds?: number;
  /** `Retry-After` seconds sent with the rate-limit fault's 429s. */
  retryAfterSeconds?: number;
  /** With the stall fault, how many bytes are sent before the body stops. */
  stallAfterBytes?: number;
  /** Tree page size for `Link: rel="next"` pagination. */
  treePageSize?: number;
  /** Rate limits as huggingface.co counts them (hub/rateLimit.ts): on by default with its quotas; false switches them off. */
  rateLimit?: RateLimitOptions | false;
  /**
   * Strict CAS: every signed xorb URL authorizes exactly one byte range (V2 entries carry one range each) and a
   * request for any other range, several ranges included, is 403. Default off: V2 entries sign all their ranges.
   */
  strictCas?: boolean;
  /**
   * Mirror mode: the resolve answer's `xet-auth` link (and the xet-fileinfo `refreshUrl`) names this origin instead of
   * the Hub's own, as a mirror (`HF_ENDPOINT`) forwards huggingface.co's headers. E.g. `https://huggingface.co`.
   */
  mirrorOf?: string;
}

export type Origin = "hub" | "cdn";

export interface RequestLogEntry {
  origin: Origin;
  method: string;
  path: string;
  route: string;
  status: number;
  /** Response bytes written on the socket (headers included). */
  bytes: number;
  /** What the Authorization header carried. */
  auth: "none" | "hub-token" | "xet-token" | "other";
  range?: string;
}

export interface HubContext {
  repos: Map<string, HubRepo>;
  xet: XetStore;
  options: Required<Omit<HubOptions, "faults" | "hostile" | "slow" | "tokens" | "mirrorOf" | "rateLimit">> & { tokens?: string[]; mirrorOf?: string };
  /** Former ids (renames, legacy names without a namespace) → the canonical id; answered with a 307. */
  formerIds: Map<string, string>;
  faults: Set<FaultName>;
  hostile: Set<HostileMode>;
  /** Fixed-window counters per client and bucket (hub/rateLimit.ts). */
  rateLimits: RateLimiter;
  slow: SlowProfile;
  /** Base URLs without a trailing slash. */
  hubUrl: string;
  cdnUrl: string;
  log: RequestLogEntry[];
  /** Per-fault, per-key counters so a fault can hit "the first request for X" only. */
  firstTime(fault: FaultName, key: string): boolean;
  /** Secret used to sign CDN URLs and Xet tokens. */
  secret: string;
  /** Gated repos whose terms the demo user accepted on the model page (every valid token is the demo user's). */
  grantedRepos: Set<string>;
  /** Manually gated repos the demo user asked access to, awaiting the authors' review. */
  pendingRepos: Set<string>;
  /** The `slow` fault's total bandwidth cap, shared by every CDN body. */
  pacer: Pacer;
  /** Bodies being sent under the `slow` fault right now (for `crowdedAfter`). */
  bodiesInFlight: number;
}

export interface HubReq {
  ctx: HubContext;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Regex groups of the matched route. */
  params: string[];
  /** Bearer token from Authorization, if any. */
  bearer?: string;
  /** Set by handlers: a label for the request log (defaults to the route's name). */
  logRoute?: string;
}

export interface Route {
  name: string;
  method: string | string[];
  pattern: RegExp;
  handle(r: HubReq): Promise<void> | void;
}

/** The Hub's error shape: JSON `{error}` plus `X-Error-Code` / `X-Error-Message` headers. */
export function hubError(res: ServerResponse, status: number, message: string, code?: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = { "Content-Type": "application/json", "X-Error-Message": message, ...extra };
  if (code) headers["X-Error-Code"] = code;
  res.writeHead(status, headers);
  res.end(JSON.stringify({ error: message }));
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function readBody(req: IncomingMessage, limit = 1 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req) {
    size += part.length;
    if (size > limit) throw new Error("request body too large");
    parts.push(part);
  }
  return Buffer.concat(parts);
}

/**
 * Checks that the request may read `repo`. Answers the Hub's 401/403/404 itself and returns false when not.
 * Unknown and private-without-token repos both answer 401 RepoNotFound, as the Hub does, so private names do not leak.
 * A gated repo's model info and tree are public; only file content (`files`: resolve, git, LFS batch, Xet token)
 * needs a granted token, as on huggingface.co.
 */
export function authorizeRepo(r: HubReq, repo: HubRepo | undefined, access: { files: boolean } = { files: true }): repo is HubRepo {
  const { ctx, bearer, res } = r;
  const valid = bearer !== undefined && isValidToken(ctx, bearer);
  if (bearer !== undefined && !valid) {
    hubError(res, 401, "Invalid credentials in Authorization header", undefined);
    return false;
  }
  if (!repo || (repo.private && !valid)) {
    const message = "Repository not found";
    hubError(res, repo || bearer === undefined ? 401 : 404, message, "RepoNotFound");
    return false;
  }
  if (repo.gated && access.files) {
    // The Hub's own words (huggingface_hub errors.py GatedRepoError shows the 403 one).
    if (!valid) {
      hubError(res, 401, `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`, "GatedRepo");
      return false;
    }
    if (!ctx.options.gatedAccess.includes(bearer!) && !ctx.grantedRepos.has(repo.id)) {
      const pending = repo.gated === "manual" && (ctx.options.gatedPending.includes(bearer!) || ctx.pendingRepos.has(repo.id));
      const message = pending
        ? `Your request to access model ${repo.id} is awaiting a review from the repo authors.`
        : `Access to model ${repo.id} is restricted and you are not in the authorized list. Visit ${ctx.hubUrl}/${repo.id} to ask for access.`;
      hubError(res, 403, message, "GatedRepo");
      return false;
    }
  }
  return true;
}

export function isValidToken(ctx: HubContext, token: string): boolean {
  return ctx.options.tokens ? ctx.options.tokens.includes(token) : token.startsWith("hf_");
}

/** A token bucket shared by all bodies on the CDN origin, for the `slow` fault's total cap. */
export class Pacer {
  private available = 0;
  private last = Date.now();
  /** A fixed rate, or one asked again at every take (a crowded host's). */
  constructor(private readonly rate: number | (() => number)) {}

  async take(bytes: number): Promise<void> {
    for (;;) {
      const bytesPerSecond = typeof this.rate === "number" ? this.rate : this.rate();
      if (bytesPerSecond <= 0) return;
      const now = Date.now();
      this.available = Math.min(bytesPerSecond / 10, this.available + ((now - this.last) / 1000) * bytesPerSecond);
      this.last = now;
      if (this.available >= bytes || this.available >= bytesPerSecond / 10) {
        this.available -= bytes;
        return;
      }
      await sleep(Math.max(1, ((bytes - this.available) / bytesPerSecond) * 1000));
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const SLICE = 64 * 1024;

/**
 * Writes a data body (xorb bytes, LFS object, file content) honouring the `slow` fault's latency and caps.
 * Every CDN-origin body goes through here so the WAN profile applies to all of them.
 */
export async function sendData(
  r: HubReq,
  status: number,
  headers: Record<string, string | number>,
  body: Buffer | Readable,
): Promise<void> {
  const { ctx, res } = r;
  const slow = ctx.faults.has("slow") ? ctx.slow : undefined;
  if (slow?.latencyMs) await sleep(slow.latencyMs);
  res.writeHead(status, headers);
  if (!slow) {
    if (Buffer.isBuffer(body)) res.end(body);
    else await pipeline(body, res);
    return;
  }
  const crowded = slow.crowdedAfter ?? 0;
  const perConn = new Pacer(crowded > 0 ? () => slow.perConnectionBytesPerSecond * Math.min(1, (crowded / ctx.bodiesInFlight) ** 2) : slow.perConnectionBytesPerSecond);
  const source = Buffer.isBuffer(body) ? Readable.from(sliceBuffer(body)) : body;
  ctx.bodiesInFlight++;
  try {
    for await (const piece of source) {
      for (let off = 0; off < piece.length; off += SLICE) {
        const part = piece.subarray(off, off + SLICE);
        await Promise.all([perConn.take(part.length), ctx.pacer.take(part.length)]);
        if (res.destroyed) return;
        // A client that goes away while its socket is full never drains it: the body ends there, as a CDN's would.
        if (!res.write(part)) await drainedOrClosed(res);
      }
    }
    res.end();
  } finally {
    ctx.bodiesInFlight--;
  }
}

/** Waits until the socket takes more, or the client has gone (a gone client never drains). */
export function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

function* sliceBuffer(buf: Buffer): Generator<Buffer> {
  for (let off = 0; off < buf.length; off += SLICE) yield buf.subarray(off, off + SLICE);
}
