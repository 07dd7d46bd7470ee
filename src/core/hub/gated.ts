// Gated repos as huggingface.co runs them: the model info and the tree are public and say `gated` ("auto" or
// "manual"); every file request answers 401 (no token) or 403 (a token without access) with
// `X-Error-Code: GatedRepo` and the Hub's own sentence (huggingface_hub utils/_http.py hf_raise_for_status,
// errors.py GatedRepoError). We ask once, before the first byte, and say exactly what to do next.
import { DownloadError, type ErrorDetail } from "../errors";
import { netFetch } from "../net/proxy";
import { redact } from "./token";
import { resolveUrl } from "./urls";

export type Gated = "auto" | "manual";

/** The Hub's sentence for a request that awaits the authors' review (manual approval). */
const PENDING = /awaiting a review/i;

/**
 * The one `gated` error, from what is known: no token at all (sign in), a token whose request awaits review
 * (wait), or a token without access (accept the terms / request access at the model page).
 */
export function gatedError(o: { endpoint: string; repo: string; gated: Gated; token?: string; hubMessage?: string; detail?: ErrorDetail; cause?: unknown }): DownloadError {
  const page = `${o.endpoint}/${o.repo}`;
  const detail: ErrorDetail = { hubErrorCode: "GatedRepo", ...o.detail };
  let message: string;
  if (!o.token) {
    message = `${o.repo} is a gated model: sign in with an access token, and accept its terms at ${page} with the same account.`;
  } else if (o.hubMessage && PENDING.test(o.hubMessage)) {
    message = `${o.repo} is a gated model and your access request is awaiting review by its authors: wait for approval (see ${page}), then download again.`;
  } else if (o.gated === "manual") {
    message = `${o.repo} is a gated model and this token's account has no access: request access at ${page}; its authors approve requests by hand, so wait for approval, then download again.`;
  } else {
    message = `${o.repo} is a gated model and this token's account has no access: accept the terms at ${page} (and make sure the token can read gated repos), then download again.`;
  }
  return new DownloadError("gated", message, { detail, ...(o.cause === undefined ? {} : { cause: o.cause }) });
}

/**
 * Before the first byte of a gated repo: without a token the answer is known (sign in); with one, a HEAD of the
 * first file's resolve URL asks the Hub whether this token may read files, as huggingface_hub's HEAD does. The
 * redirect it gets for a granted token (CDN, Xet) is not followed; only a GatedRepo refusal is an error here.
 */
export async function checkGatedAccess(o: {
  endpoint: string;
  repo: string;
  gated: Gated;
  commit: string;
  path: string;
  token?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}): Promise<void> {
  if (!o.token) throw gatedError(o);
  const url = resolveUrl({ endpoint: o.endpoint, repo: o.repo, revision: o.commit, path: o.path });
  const timeout = AbortSignal.timeout(o.timeoutMs ?? 60_000);
  let res: Response;
  try {
    res = await netFetch(url, { method: "HEAD", redirect: "manual", headers: { Authorization: `Bearer ${o.token}` }, signal: o.signal ? AbortSignal.any([o.signal, timeout]) : timeout });
  } catch {
    // The probe only sharpens the message; the download's own requests report network trouble.
    return;
  }
  if ((res.status === 401 || res.status === 403) && res.headers.get("x-error-code") === "GatedRepo") {
    const hubMessage = redact(res.headers.get("x-error-message") ?? "", o.token);
    throw gatedError({ ...o, hubMessage, detail: { status: res.status, host: new URL(url).host } });
  }
}

/** A 401/403 from the Hub itself (not an expired signed URL on the CDN/CAS host). */
export function refusedByHub(err: unknown, endpoint: string): boolean {
  if (!(err instanceof DownloadError)) return false;
  const { status, host, hubErrorCode } = err.detail;
  if (hubErrorCode === "GatedRepo" || err.code === "gated") return true;
  return (status === 401 || status === 403) && host === new URL(endpoint).host;
}
