// The engine's calls to the Hub token endpoint and the CAS: a process-wide Xet token cache (refreshed 60 s
// before expiry and after a CAS 401) and range reconstructions, V2 first, V1 on 404/501, normalized to one shape.
import { retryWaitMs } from "../../util/rateLimit";
import { HttpStatusError } from "../transport";

export interface XetToken {
  accessToken: string;
  /** Unix seconds. */
  exp: number;
  casUrl: string;
}

export interface RangeDescriptor {
  chunks: { start: number; end: number };
  /** Inclusive byte offsets in the serialized xorb. */
  bytes: { start: number; end: number };
}

export interface Reconstruction {
  offsetIntoFirstRange: number;
  terms: Array<{ hash: string; unpackedLength: number; range: { start: number; end: number } }>;
  /** Per xorb: the signed URL of each descriptor (V1 entries become one descriptor each). */
  fetches: Map<string, Array<{ url: string; range: RangeDescriptor }>>;
}

const REFRESH_MARGIN_S = 60;
const MAX_TOKENS = 1000;
const tokens = new Map<string, Promise<XetToken>>();

export interface TokenParams {
  refreshUrl: string;
  hubToken?: string;
  fetch: typeof fetch;
  /** Drop the cached token first (the CAS answered 401 with it). */
  renew?: boolean;
}

export async function xetToken(params: TokenParams): Promise<XetToken> {
  const key = `${params.refreshUrl}\0${params.hubToken ?? ""}`;
  const cached = tokens.get(key);
  if (cached && !params.renew) {
    const token = await cached.catch(() => undefined);
    if (token && token.exp - REFRESH_MARGIN_S > Date.now() / 1000) return token;
  }
  // Single flight: every file of the same commit shares one request.
  const pending = fetchToken(params);
  tokens.set(key, pending);
  if (tokens.size > MAX_TOKENS) tokens.delete(tokens.keys().next().value!);
  pending.catch(() => tokens.get(key) === pending && tokens.delete(key));
  return pending;
}

async function fetchToken(params: TokenParams): Promise<XetToken> {
  const url = new URL(params.refreshUrl);
  const headers: Record<string, string> = {};
  if (params.hubToken) headers.Authorization = `Bearer ${params.hubToken}`;
  const response = await params.fetch(url, { headers });
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new HttpStatusError({ kind: "token", host: url.host, status: response.status, retryAfterMs: retryWaitMs(response.headers) });
  }
  const body = (await response.json()) as Partial<XetToken>;
  const accessToken = body.accessToken ?? response.headers.get("x-xet-access-token") ?? "";
  const exp = Number(body.exp ?? response.headers.get("x-xet-token-expiration"));
  const casUrl = body.casUrl ?? response.headers.get("x-xet-cas-url") ?? "";
  if (!accessToken || !Number.isFinite(exp)) throw new Error(`The Xet token endpoint ${url.host} sent no usable token`);
  return { accessToken, exp, casUrl };
}

export interface ReconstructionParams {
  /** The `xet-reconstruction-info` link (usually `/v1/…`); `/v2/` is tried first. */
  reconstructionUrl: string;
  token: XetToken;
  /** File bytes `[start, end)`. */
  start: number;
  end: number;
  fetch: typeof fetch;
}

/**
 * CAS origins that answered V2 with 404/501 for a request V1 then served: they do not speak V2, ask V1 from then on.
 * A V2 404 that V1 also answers 404 (the file is missing) says nothing about V2 and switches nothing.
 */
const v1Only = new Set<string>();

export async function queryReconstruction(params: ReconstructionParams): Promise<Reconstruction> {
  const v1 = params.reconstructionUrl;
  const v2 = v1.includes("/v1/reconstructions/") ? v1.replace("/v1/reconstructions/", "/v2/reconstructions/") : v1;
  const origin = new URL(v1).origin;
  let v2Refused = false;
  if (v2 !== v1 && !v1Only.has(origin)) {
    const answer = await request(v2, params);
    if (answer.ok) return fromV2(await answer.json());
    if (answer.status !== 404 && answer.status !== 501) throw await failure(answer, v2);
    await answer.body?.cancel().catch(() => {});
    v2Refused = true;
  }
  const answer = await request(v1, params);
  if (!answer.ok) throw await failure(answer, v1);
  const rec = fromV1(await answer.json());
  if (v2Refused) v1Only.add(origin);
  return rec;
}

/** Tests only: forget which CAS origins were found to speak V1 only. */
export function resetCasVersionMemory(): void {
  v1Only.clear();
}

function request(url: string, params: ReconstructionParams): Promise<Response> {
  return params.fetch(url, {
    headers: { Authorization: `Bearer ${params.token.accessToken}`, Range: `bytes=${params.start}-${params.end - 1}` },
  });
}

async function failure(answer: Response, url: string): Promise<HttpStatusError> {
  await answer.body?.cancel().catch(() => {});
  return new HttpStatusError({ kind: "reconstruction", host: new URL(url).host, status: answer.status, retryAfterMs: retryWaitMs(answer.headers) });
}

interface RawTerm {
  hash: string;
  unpacked_length: number;
  range: { start: number; end: number };
}

function terms(raw: RawTerm[] | undefined): Reconstruction["terms"] {
  return (raw ?? []).map((t) => ({ hash: t.hash, unpackedLength: t.unpacked_length, range: { start: t.range.start, end: t.range.end } }));
}

function fromV2(body: { offset_into_first_range?: number; terms?: RawTerm[]; xorbs?: Record<string, Array<{ url: string; ranges: RangeDescriptor[] }>> }): Reconstruction {
  const fetches: Reconstruction["fetches"] = new Map();
  for (const [hash, entries] of Object.entries(body.xorbs ?? {})) {
    // One request per descriptor: a signed URL authorizes each of its ranges alone, and single ranges stream.
    fetches.set(hash, entries.flatMap((e) => e.ranges.map((range) => ({ url: e.url, range }))));
  }
  return { offsetIntoFirstRange: body.offset_into_first_range ?? 0, terms: terms(body.terms), fetches };
}

function fromV1(body: {
  offset_into_first_range?: number;
  terms?: RawTerm[];
  fetch_info?: Record<string, Array<{ range: { start: number; end: number }; url: string; url_range: { start: number; end: number } }>>;
}): Reconstruction {
  const fetches: Reconstruction["fetches"] = new Map();
  for (const [hash, entries] of Object.entries(body.fetch_info ?? {})) {
    fetches.set(hash, entries.map((e) => ({ url: e.url, range: { chunks: e.range, bytes: e.url_range } })));
  }
  return { offsetIntoFirstRange: body.offset_into_first_range ?? 0, terms: terms(body.terms), fetches };
}
