// Turns whatever a failed Xet attempt threw (HubApiError, bare strings from the library's streams, socket
// errors, fs errors) into a DownloadError with a short reason, and says whether another attempt may help.
import { HubApiError } from "@huggingface/hub";
import { DownloadError } from "../errors";
import { redact } from "../hub/token";
import { certificateError, isCertificateError } from "../net/proxy";
import { HttpStatusError, requestKind, type HttpFailure } from "./transport";

export type RetryPolicy = "no" | "backoff" | "rate-limit";

export interface Classified {
  error: DownloadError;
  retry: RetryPolicy;
  retryAfterMs?: number;
}

export interface ClassifyContext {
  path: string;
  /** The attempt was aborted by the stall watchdog. */
  stalled: boolean;
  stallTimeoutMs: number;
  /** Latest HTTP failure the transport saw and nothing superseded. */
  failure?: HttpFailure;
  host?: string;
  token?: string;
}

/** An attempt's failure, already classified while the attempt's transport could still explain it. */
export class ClassifiedFailure extends Error {
  constructor(readonly classified: Classified, cause: unknown) {
    super(classified.error.message, { cause });
    this.name = "ClassifiedFailure";
  }
}

/** A finished file whose size or hash is not what the listing promised. */
export class IntegrityMismatch extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = "IntegrityMismatch";
  }
}

/** Local file-system failures a retry cannot fix (network errors carry E-codes too, so list these). */
const FS_CODES = new Set(["EACCES", "EPERM", "EROFS", "EISDIR", "ENOTDIR", "ENOTEMPTY", "EEXIST", "ENAMETOOLONG", "ELOOP", "EXDEV", "EBUSY", "EMFILE"]);

export function classifyFailure(err: unknown, ctx: ClassifyContext): Classified {
  if (err instanceof DownloadError) return { error: err, retry: "no" };
  if (ctx.stalled) {
    const seconds = +(ctx.stallTimeoutMs / 1000).toFixed(1);
    const reason = `no bytes for ${seconds} s from ${ctx.host ?? "the server"} while downloading ${ctx.path}`;
    return { error: new DownloadError("stalled", reason, { cause: err, detail: { reason, host: ctx.host } }), retry: "backoff" };
  }
  if (isCertificateError(err)) {
    // Retrying cannot make an untrusted certificate trusted; never "network", never plain HTTP instead.
    return { error: certificateError((err as { host?: string }).host || ctx.host || "the server", err), retry: "no" };
  }
  const code = errnoCode(err);
  if (code === "ENOSPC" || code === "EDQUOT") {
    const reason = `no space left on the disk while writing ${ctx.path}`;
    return { error: new DownloadError("disk-full", `No space left on the disk while writing ${ctx.path}; free some space and retry.`, { cause: err, detail: { reason } }), retry: "no" };
  }
  if (code && FS_CODES.has(code)) {
    const reason = `cannot write ${ctx.path} into the model folder (${code})`;
    return { error: new DownloadError("not-writable", `Cannot write ${ctx.path} into the model folder: ${messageOf(err)}`, { cause: err, detail: { reason } }), retry: "no" };
  }

  const text = redact(messageOf(err), ctx.token);
  const jwt = /Failed to get JWT token: (\d{3})/.exec(text);
  if (jwt) return fromStatus({ kind: "token", host: ctx.host ?? "", status: Number(jwt[1]), retryAfterMs: ctx.failure?.kind === "token" ? ctx.failure.retryAfterMs : undefined }, ctx.path, err);

  const direct = directFailure(err);
  if (direct) {
    // The library's error has no headers; the transport saw the same answer with its Retry-After.
    const seen = ctx.failure?.kind === direct.kind && ctx.failure.status === direct.status ? ctx.failure : undefined;
    return fromStatus({ ...direct, host: direct.host || seen?.host || "", retryAfterMs: direct.retryAfterMs ?? seen?.retryAfterMs }, ctx.path, err);
  }
  if (ctx.failure) return fromStatus(ctx.failure, ctx.path, err);

  if (isNetworkError(err, text)) {
    const detail = code ?? (text.length > 120 ? `${text.slice(0, 117)}...` : text);
    const reason = `the connection to ${ctx.host ?? "the server"} failed (${detail})`;
    return { error: new DownloadError("network", reason, { cause: err, detail: { reason, host: ctx.host } }), retry: "backoff" };
  }
  const message = `the Xet data for ${ctx.path} could not be read: ${text}`;
  const reason = message.length > 200 ? `${message.slice(0, 197)}...` : message;
  return { error: new DownloadError("server", message, { cause: err, detail: { reason, host: ctx.host } }), retry: "backoff" };
}

function fromStatus(failure: HttpFailure, path: string, cause: unknown): Classified {
  const { kind, status } = failure;
  const where =
    kind === "token" ? "the Xet token endpoint answered" :
    kind === "reconstruction" ? "the CAS answered" :
    kind === "data" ? "the CAS answered" : "the Hub answered";
  const what = kind === "reconstruction" ? " for reconstructions" : kind === "data" ? " for xorb data" : kind === "resolve" ? ` for ${path}` : "";
  const reason = `${where} ${status}${what}`;
  const detail = { reason, status, host: failure.host || undefined, retryAfterMs: failure.retryAfterMs };
  if (status === 429) {
    const limited = `${reason} (rate limited)`;
    return { error: new DownloadError("server", limited, { cause, detail: { ...detail, reason: limited } }), retry: "rate-limit", retryAfterMs: failure.retryAfterMs };
  }
  if (status >= 500 || status === 408) return { error: new DownloadError("server", reason, { cause, detail }), retry: "backoff" };
  // A 403 on xorb data means an expired signed URL the engine could not renew; a fresh attempt gets new ones.
  if (kind === "data" && status === 403) return { error: new DownloadError("xet-unavailable", reason, { cause, detail }), retry: "backoff" };
  if (kind === "resolve" && (status === 401 || status === 403)) return { error: new DownloadError("unauthorized", reason, { cause, detail }), retry: "no" };
  return { error: new DownloadError("xet-unavailable", reason, { cause, detail }), retry: "no" };
}

function directFailure(err: unknown): HttpFailure | undefined {
  if (err instanceof HttpStatusError) return err.failure;
  if (err instanceof HubApiError) {
    let url: URL | undefined;
    try {
      url = new URL(err.url);
    } catch {
      url = undefined;
    }
    return { kind: url ? requestKind(url) : "data", host: url?.host ?? "", status: err.statusCode };
  }
  return undefined;
}

const NETWORK_TEXT = /fetch failed|terminated|socket|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|other side closed|network|UND_ERR|stream ended early|Failed to fetch all data|Truncated chunk/i;

function isNetworkError(err: unknown, text: string): boolean {
  return (err instanceof TypeError && !/access token/i.test(text)) || NETWORK_TEXT.test(text);
}

export function messageOf(err: unknown): string {
  if (typeof err === "string") return err;
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
    return `${err.message}${cause}`;
  }
  return String(err);
}

export function errnoCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}
