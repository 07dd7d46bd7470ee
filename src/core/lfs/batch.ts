// The Git LFS batch API, asked directly: where each object can be downloaded (href, headers, expiry), as
// git-lfs itself asks it. A 429 and a 5xx are the caller's to wait out or retry; any other answer but a plain 200
// leaves the objects to git-lfs, which words the Hub's errors (missing repo, no access) as the route knows them.
import { netFetch } from "../net/proxy";
import { retryWaitMs } from "../util/rateLimit";

const LFS_JSON = "application/vnd.git-lfs+json";
/** git-lfs sends at most 100 objects per batch request (lfs.transfer.batchSize). */
const BATCH_SIZE = 100;

export interface LfsHref {
  oid: string;
  size: number;
  href: string;
  /** Headers the batch answer asks us to send with the download (never the Hub token unless it says so). */
  header: Record<string, string>;
  /** Epoch ms after which the href is refused; undefined when the answer gave no expiry. */
  expiresAt?: number;
}

/** Why the batch API gave no usable answer; `retryable` (5xx) is worth asking again, else git-lfs gets the objects. */
export class BatchUnusable extends Error {
  constructor(message: string, readonly retryable = false) {
    super(message);
  }
}

/** The batch API answered 429: how long it asks us to wait (undefined when it did not say). */
export class BatchRateLimited extends Error {
  constructor(readonly waitMs: number | undefined, readonly host: string) {
    super(`the LFS batch API at ${host} answered 429`);
  }
}

export interface BatchOptions {
  endpoint: string;
  repo: string;
  token?: string;
  objects: ReadonlyArray<{ oid: string; size: number }>;
  signal?: AbortSignal;
}

/** Hrefs of the objects the batch API offers for download; objects it answers with an error are left out. */
export async function requestHrefs(o: BatchOptions): Promise<Map<string, LfsHref>> {
  const hrefs = new Map<string, LfsHref>();
  for (let i = 0; i < o.objects.length; i += BATCH_SIZE) {
    for (const h of await requestBatch(o, o.objects.slice(i, i + BATCH_SIZE))) hrefs.set(h.oid, h);
  }
  return hrefs;
}

async function requestBatch(o: BatchOptions, objects: BatchOptions["objects"]): Promise<LfsHref[]> {
  const url = `${o.endpoint.replace(/\/+$/, "")}/${o.repo}.git/info/lfs/objects/batch`;
  const timeout = AbortSignal.timeout(60_000);
  const res = await netFetch(url, {
    method: "POST",
    // A redirect would carry the token elsewhere; git-lfs knows how to follow one safely, so it gets those.
    redirect: "manual",
    headers: {
      Accept: LFS_JSON,
      "Content-Type": LFS_JSON,
      ...(o.token ? { Authorization: `Bearer ${o.token}` } : {}),
    },
    body: JSON.stringify({ operation: "download", transfers: ["basic"], objects: objects.map(({ oid, size }) => ({ oid, size })), hash_algo: "sha256" }),
    signal: o.signal ? AbortSignal.any([o.signal, timeout]) : timeout,
  });
  if (res.status !== 200) {
    void res.body?.cancel().catch(() => undefined);
    if (res.status === 429) throw new BatchRateLimited(retryWaitMs(res.headers), new URL(url).host);
    throw new BatchUnusable(`the LFS batch API answered ${res.status}`, res.status >= 500);
  }
  const body = (await res.json().catch(() => undefined)) as { objects?: unknown } | undefined;
  if (!Array.isArray(body?.objects)) throw new BatchUnusable("the LFS batch API answered without an objects list");
  const now = Date.now();
  const wanted = new Map(objects.map((x) => [x.oid, x.size]));
  const out: LfsHref[] = [];
  for (const entry of body.objects as BatchObject[]) {
    const download = entry?.actions?.download;
    if (typeof entry?.oid !== "string" || typeof entry.size !== "number" || wanted.get(entry.oid) !== entry.size || typeof download?.href !== "string") continue;
    const header = Object.fromEntries(Object.entries(download.header ?? {}).filter((kv): kv is [string, string] => typeof kv[1] === "string"));
    out.push({ oid: entry.oid, size: entry.size, href: download.href, header, expiresAt: expiryOf(download, now) });
  }
  return out;
}

interface BatchObject {
  oid?: unknown;
  size?: unknown;
  actions?: { download?: { href?: unknown; header?: Record<string, unknown>; expires_in?: unknown; expires_at?: unknown } };
}

function expiryOf(action: { expires_in?: unknown; expires_at?: unknown }, now: number): number | undefined {
  if (typeof action.expires_in === "number" && action.expires_in > 0) return now + action.expires_in * 1000;
  if (typeof action.expires_at === "string") {
    const at = Date.parse(action.expires_at);
    if (!Number.isNaN(at) && at > 0) return at;
  }
  return undefined;
}
