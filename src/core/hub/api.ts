// Hub metadata over @huggingface/hub: resolve a revision to its commit, list the files at that commit,
// search models. Every failure becomes a DownloadError whose message tells the user what to do next.
import { HubApiError, listFiles, listModels, modelInfo } from "@huggingface/hub";
import { DownloadError, type DownloadErrorCode, type ErrorDetail } from "../errors";
import { parseRateLimit, retryWaitMs, waitOutRateLimit, type RateLimitWait } from "../util/rateLimit";
import { canonicalRepoId, validateRevision, type RepoId } from "./repoId";
import { assertHubToken, redact } from "./token";
import { certificateError, isCertificateError, netFetch } from "../net/proxy";

export interface RepoFileEntry {
  path: string;
  size: number;
  /** Git blob id: of the LFS pointer for LFS files, of the content otherwise. */
  blobOid: string;
  lfs?: { oid: string; size: number };
  xetHash?: string;
}

export interface HubCallOptions {
  endpoint: string;
  token?: string;
  signal?: AbortSignal;
  /** Per request, headers and body; a Hub that stops answering must not hang the caller. Default 60 s. */
  timeoutMs?: number;
  /** Told before each wait for the Hub's rate limit to reset (a 429 is waited out, `t`+1 s, as huggingface_hub does). */
  onRateLimit?(wait: RateLimitWait): void;
  /** Longest rate-limit wait accepted; a longer one fails at once with `rate-limited`. Default one window + 1 s. */
  maxRateLimitWaitMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** Listings beyond this are not a model repo we can sensibly download; refuse instead of eating memory. */
export const MAX_LISTED_FILES = 100_000;
/**
 * One JSON answer of the Hub larger than this is refused: the library buffers whole bodies, so a broken or
 * hostile Hub streaming without end would otherwise grow memory until the process (the extension host) dies.
 * Real answers are far smaller (a tree page is under 1 MB; model info of a 100 000-file repo about 10 MB).
 */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

export interface CallState {
  /** `X-Error-Code` of the last failed response (RepoNotFound, RevisionNotFound, GatedRepo, EntryNotFound …). */
  errorCode?: string;
}

/**
 * A fetch for the library that carries our AbortSignal, remembers the Hub's error code header, caps body sizes and
 * waits out 429s (bounded, cancellable) and asks again, so a listing page or a search is repeated, not failed.
 */
export function hubFetch(signal: AbortSignal | undefined, state: CallState, timeoutMs = DEFAULT_TIMEOUT_MS, limits: Pick<HubCallOptions, "onRateLimit" | "maxRateLimitWaitMs"> = {}): typeof fetch {
  return async (input, init) => {
    for (let waited = 0; ; waited++) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const res = await netFetch(input, { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      if (res.status === 429) {
        void res.body?.cancel().catch(() => undefined);
        const host = new URL(res.url || (input instanceof Request ? input.url : String(input))).host;
        await waitOutRateLimit({
          waitMs: retryWaitMs(res.headers), host, what: "Hub API requests", bucket: parseRateLimit(res.headers)?.bucket,
          waited, maxWaitMs: limits.maxRateLimitWaitMs, signal, onWait: limits.onRateLimit,
        });
        continue;
      }
      if (!res.ok) state.errorCode = res.headers.get("x-error-code") ?? undefined;
      return limitBody(res, MAX_ANSWER_BYTES);
    }
  };
}

const NO_BODY_STATUS = new Set([101, 204, 205, 304]);

/** The same response whose body errors with a `server` DownloadError once it passes `maxBytes`. */
export function limitBody(res: Response, maxBytes: number): Response {
  if (!res.body || NO_BODY_STATUS.has(res.status)) return res;
  const path = new URL(res.url || "http://hub.invalid/").pathname;
  const tooLarge = () =>
    new DownloadError("server", `The Hub's answer for ${path} is larger than ${Math.round(maxBytes / 1024 / 1024)} MB; refusing to read it. The endpoint may not be a Hugging Face Hub.`);
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    void res.body.cancel().catch(() => undefined);
    throw tooLarge();
  }
  let seen = 0;
  const limited = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > maxBytes) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  const wrapped = new Response(limited, { status: res.status, statusText: res.statusText, headers: res.headers });
  // The library reads `url` for pagination and error messages.
  Object.defineProperty(wrapped, "url", { value: res.url });
  return wrapped;
}

interface MapContext {
  endpoint: string;
  repo: string;
  revision?: string;
  token?: string;
  state: CallState;
  signal?: AbortSignal;
  timeoutMs?: number;
}

function serverMessage(err: HubApiError, token?: string): string {
  // The library appends ". URL: …" to the server's text; the URL adds noise, not help.
  const text = err.message.replace(/\.?\s*URL: .*$/s, "").trim();
  return redact(text, token);
}

/** Turns whatever the library or fetch threw into one DownloadError. */
export function mapHubError(err: unknown, c: MapContext): DownloadError {
  if (err instanceof DownloadError) return err;
  if (c.signal?.aborted || (err as Error)?.name === "AbortError") {
    return new DownloadError("cancelled", "Cancelled.", { cause: err });
  }
  if ((err as Error)?.name === "TimeoutError") {
    const seconds = Math.round((c.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000);
    return new DownloadError("network", `The Hub at ${c.endpoint} did not answer within ${seconds} s.`, { cause: err, detail: { host: hostOf(c.endpoint) } });
  }
  const page = `${c.endpoint}/${c.repo}`;
  if (err instanceof HubApiError) {
    const code = c.state.errorCode;
    const status = err.statusCode;
    const text = serverMessage(err, c.token);
    const info: ErrorDetail = { status, host: hostOf(c.endpoint), ...(code ? { hubErrorCode: code } : {}) };
    const fail = (errorCode: DownloadErrorCode, message: string) => new DownloadError(errorCode, message, { cause: err, detail: info });
    if (code === "GatedRepo" || (status === 403 && /gated|restricted/i.test(text))) {
      if (!c.token) return fail("unauthorized", `${c.repo} is a gated model: accept its terms at ${page}, then use an access token.`);
      return fail("gated", `${c.repo} is a gated model and this token has no access yet: accept the terms at ${page} (and make sure the token can read gated repos).`);
    }
    if (status === 401) {
      if (tokenRejected(c.token, text)) return fail("unauthorized", `The Hub at ${c.endpoint} rejected the access token (invalid or expired).`);
      const tokenNote = c.token ? " (or this token cannot read it)" : "";
      return fail("unauthorized", `${c.repo} is private or does not exist${tokenNote}.`);
    }
    if (status === 403) return fail("unauthorized", `The Hub refused access to ${c.repo} (403: ${text}). Check that the token has read access.`);
    if (status === 404) {
      if (code === "RevisionNotFound" || (code !== "RepoNotFound" && /revision/i.test(text))) {
        return fail("revision-not-found", `Revision "${c.revision}" was not found in ${c.repo}. Check the branch, tag or commit at ${page}.`);
      }
      const tokenNote = c.token ? " (or this token cannot read it)" : "";
      return fail("not-found", `${c.repo} was not found on ${c.endpoint}${tokenNote}. Check the spelling at ${page}.`);
    }
    if (status === 429) return fail("server", `The Hub at ${c.endpoint} is rate-limiting requests (429). Wait a minute and try again.`);
    return fail("server", `The Hub at ${c.endpoint} answered ${status}: ${text}`);
  }
  if (err instanceof SyntaxError || isShapeError(err)) {
    return new DownloadError("server", `The Hub at ${c.endpoint} sent a malformed answer (${redact((err as Error).message, c.token)}).`, { cause: err });
  }
  if (isCertificateError(err)) return certificateError(hostOf(c.endpoint), err);
  const reason = networkReason(err);
  if (/redirect count exceeded/i.test(reason)) {
    return new DownloadError("server", `The Hub at ${c.endpoint} redirected in a loop. Check the endpoint, or try again later.`, { cause: err });
  }
  return new DownloadError("network", `Cannot reach the Hub at ${c.endpoint} (${redact(reason, c.token)}).`, { cause: err, detail: { host: hostOf(c.endpoint) } });
}

/** A TypeError from reading an answer of the wrong shape ("x is not iterable"); fetch's own failures say "fetch failed". */
function isShapeError(err: unknown): boolean {
  return err instanceof TypeError && err.message !== "fetch failed" && !(err as { cause?: unknown }).cause;
}

/** A 401 whose server text says the token itself is bad (not that the repo needs one). */
function tokenRejected(token: string | undefined, serverText: string): boolean {
  return token !== undefined && /invalid credentials|invalid token|bad credentials/i.test(serverText);
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}

function networkReason(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { code?: string; message?: string } };
  return e?.cause?.code ?? e?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

/** What the model info says before any file is touched. */
export interface RepoInfo {
  /** The canonical id the Hub names (model info `id`): differs from the asked id after a rename or for a legacy id. */
  repo: RepoId;
  /** The 40-char commit the revision points at. */
  commit: string;
  /** huggingface.co's `gated`: files need a token whose access was granted ("auto": on accepting the terms; "manual": after the authors' review). */
  gated: false | "auto" | "manual";
}

/**
 * Model info at `revision`: its commit, canonical id and `gated`. A renamed repo or a legacy id is answered with a
 * 307 to the canonical id (relative Location), which fetch follows on the same origin, token included.
 */
export async function repoInfo(options: HubCallOptions & { repo: RepoId; revision: string }): Promise<RepoInfo> {
  const { endpoint, signal } = options;
  const repo = options.repo.id;
  const revision = validateRevision(options.revision);
  const state: CallState = {};
  const ctx: MapContext = { endpoint, repo, revision, token: options.token, state, signal, timeoutMs: options.timeoutMs };
  try {
    const accessToken = assertHubToken(options.token);
    const info = await modelInfo({ name: repo, revision, hubUrl: endpoint, accessToken, additionalFields: ["sha"], fetch: hubFetch(signal, state, options.timeoutMs, options) });
    const sha = (info as { sha?: unknown }).sha;
    if (typeof sha !== "string" || !/^[0-9a-f]{40}$/.test(sha)) {
      throw new DownloadError("server", `The Hub at ${endpoint} did not return a commit for ${repo}@${revision}.`);
    }
    const gated = (info as { gated?: unknown }).gated;
    return { repo: canonicalRepoId((info as { name?: unknown }).name, options.repo), commit: sha, gated: gated === "auto" || gated === "manual" ? gated : false };
  } catch (err) {
    const mapped = mapHubError(err, ctx);
    // A Hub's model API answers a 404 with RepoNotFound or RevisionNotFound; anything else (no code, an unknown
    // route's EntryNotFound, an HTML page) may be a server that is no Hub, or a Hub URL with a path after it.
    const named = mapped.detail.hubErrorCode === "RepoNotFound" || mapped.detail.hubErrorCode === "RevisionNotFound";
    if (mapped.detail.status === 404 && !named && !(await answersLikeHub({ ...options, endpoint }))) {
      throw new DownloadError(
        "invalid-endpoint",
        `${endpoint} is not a Hugging Face Hub: its model API (${endpoint}/api/models) is not there. Check the endpoint: it is the Hub's root URL, such as https://huggingface.co, with no path after it.`,
        { cause: err, detail: mapped.detail },
      );
    }
    throw mapped;
  }
}

/** True when `${endpoint}/api/models` answers a JSON list, as every Hub does; an unreachable endpoint counts as a Hub (the network error speaks). */
async function answersLikeHub(options: HubCallOptions): Promise<boolean> {
  try {
    const res = await hubFetch(options.signal, {}, options.timeoutMs, options)(`${options.endpoint}/api/models?limit=1`, { headers: { accept: "application/json" } });
    if (!res.ok) return false;
    return Array.isArray(await res.json());
  } catch (err) {
    return !(err instanceof SyntaxError);
  }
}

/** Resolves a branch, tag or commit to the 40-char commit the Hub serves for it. */
export async function resolveCommit(options: HubCallOptions & { repo: RepoId; revision: string }): Promise<string> {
  return (await repoInfo(options)).commit;
}

/** The model info (commit, canonical id, gated) and every file in the repo at that commit, listed under the canonical id. */
export async function listRepoFiles(options: HubCallOptions & { repo: RepoId; revision: string }): Promise<RepoInfo & { files: RepoFileEntry[] }> {
  const { endpoint, signal } = options;
  const revision = validateRevision(options.revision);
  const info = await repoInfo({ ...options, revision });
  const { commit } = info;
  const repo = info.repo.id;
  const state: CallState = {};
  const ctx: MapContext = { endpoint, repo, revision, token: options.token, state, signal, timeoutMs: options.timeoutMs };
  const files: RepoFileEntry[] = [];
  try {
    const accessToken = assertHubToken(options.token);
    for await (const item of listFiles({ repo, revision: commit, recursive: true, hubUrl: endpoint, accessToken, fetch: hubFetch(signal, state, options.timeoutMs, options) })) {
      if (item.type !== "file") continue;
      if (files.length >= MAX_LISTED_FILES) {
        throw new DownloadError("server", `${repo} lists more than ${MAX_LISTED_FILES} files at ${commit.slice(0, 12)}; that is not a model repository this tool downloads.`);
      }
      files.push(toEntry(item, repo, endpoint));
    }
  } catch (err) {
    throw mapHubError(err, ctx);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { ...info, files };
}

function toEntry(item: { path: string; size: number; oid?: string; lfs?: { oid: string; size: number }; xetHash?: string }, repo: string, endpoint: string): RepoFileEntry {
  const bad = (why: string) => new DownloadError("server", `The Hub at ${endpoint} listed an unusable file in ${repo} (${JSON.stringify(String(item.path).slice(0, 200))}: ${why}).`);
  // An unsafe path is listed as it is: the download refuses it only when the selection keeps it (util/safePaths).
  if (typeof item.path !== "string") throw bad("path not a string");
  if (!Number.isSafeInteger(item.size) || item.size < 0) throw bad("bad size");
  if (typeof item.oid !== "string" || !/^[0-9a-f]{40}$/.test(item.oid)) throw bad("bad blob id");
  const entry: RepoFileEntry = { path: item.path, size: item.size, blobOid: item.oid };
  if (item.lfs) {
    if (!/^[0-9a-f]{64}$/.test(item.lfs.oid) || item.lfs.size !== item.size) throw bad("bad LFS pointer");
    entry.lfs = { oid: item.lfs.oid, size: item.lfs.size };
  }
  if (item.xetHash !== undefined) {
    if (!/^[0-9a-f]{64}$/.test(item.xetHash)) throw bad("bad Xet hash");
    entry.xetHash = item.xetHash;
  }
  return entry;
}

export interface ModelSearchHit {
  id: string;
  downloads?: number;
  likes?: number;
}

/** `GET {endpoint}/api/models?search=<query>&limit=<n>` (through the library's listModels). */
export async function searchModels(options: HubCallOptions & { query: string; limit?: number }): Promise<ModelSearchHit[]> {
  const { endpoint, signal } = options;
  const limit = Math.max(1, Math.min(options.limit ?? 20, 100));
  const state: CallState = {};
  const ctx: MapContext = { endpoint, repo: "models", token: options.token, state, signal, timeoutMs: options.timeoutMs };
  const hits: ModelSearchHit[] = [];
  try {
    const accessToken = assertHubToken(options.token);
    for await (const m of listModels({ search: { query: options.query }, limit, hubUrl: endpoint, accessToken, fetch: hubFetch(signal, state, options.timeoutMs, options) })) {
      // The library puts the Mongo `_id` in `id` and the repo id in `name`.
      if (typeof m.name !== "string") continue;
      hits.push({ id: m.name, downloads: numberOrUndefined(m.downloads), likes: numberOrUndefined(m.likes) });
      if (hits.length >= limit) break;
    }
  } catch (err) {
    if (err instanceof HubApiError) {
      const text = serverMessage(err, options.token);
      const detail: ErrorDetail = { status: err.statusCode, host: hostOf(endpoint), ...(state.errorCode ? { hubErrorCode: state.errorCode } : {}) };
      if (err.statusCode !== 401) {
        throw new DownloadError("server", `Model search failed at ${endpoint} (${err.statusCode}: ${text}).`, { cause: err, detail });
      }
      if (!tokenRejected(options.token, text)) throw new DownloadError("unauthorized", `Model search at ${endpoint} needs a valid token.`, { cause: err, detail });
    }
    throw mapHubError(err, ctx);
  }
  return hits;
}

function numberOrUndefined(n: unknown): number | undefined {
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}
