// LFS objects over parallel range requests: the hrefs the batch API gives, fetched in blocks over several
// connections, written into git-lfs' own store after a SHA-256 check. Whatever this cannot do (a server that
// ignores Range, a batch answer it cannot use, a block that keeps failing) is handed to `git lfs fetch`, with
// the contiguous start of each unfinished object left where git-lfs resumes it.
import { rename, truncate } from "node:fs/promises";
import { cancelledError, DownloadError, isCancel } from "../errors";
import { AdaptiveConcurrency } from "../net/concurrency";
import { backoffMs, sleep } from "../util/backoff";
import type { RateLimitWait } from "../util/rateLimit";
import { removeReplaced } from "../util/replaceFile";
import { withRetries } from "../util/retry";
import { BatchRateLimited, BatchUnusable, requestHrefs, type LfsHref } from "./batch";
import { lfsPartPath, sizeOf } from "./objects";
import { BLOCK_BYTES, RangePart, type Block } from "./rangePart";
import { HandOver, requestRange } from "./rangeRequest";

/**
 * Connections to the object store, when not fixed by the caller: adaptive (net/concurrency.ts) from 6, as the Xet
 * route, between 2 and 16. The first step up (by half, to 9) fills the bench's WAN profile (25 MB/s per connection,
 * 200 MB/s in all); on a host that slows beyond 6 it overshoots by 3, where a start at 8 went to 12 and then stepped
 * back down through 8 and 7 (docs/PERFORMANCE.md: 112 against 104 MB/s there, a few per cent less on plain WAN).
 */
export const ADAPTIVE_CONNECTIONS = { initial: 6, min: 2, max: 16 } as const;

export interface RangeFetchOptions {
  endpoint: string;
  repo: string;
  token?: string;
  gitDir: string;
  /** Objects not yet in the store, each once. */
  objects: ReadonlyArray<{ oid: string; size: number }>;
  /** A fixed number of connections; default: adaptive (ADAPTIVE_CONNECTIONS). */
  connections?: number;
  /** Bytes per range request. Default 32 MiB. */
  blockBytes?: number;
  /** Tries per block before the rest goes to git-lfs. Default 4. */
  attempts?: number;
  retryBaseMs?: number;
  /** No byte for this long ends a request, which is then retried. Default 30 s. */
  stallMs?: number;
  signal?: AbortSignal;
  /** Growth of one object: bytes on disk now, and how many of them came in since the last call. */
  onBytes(oid: string, doneBytes: number, newBytes: number): void;
  log?(level: "info" | "warn" | "debug", message: string): void;
  /** Told before each wait for the batch API's rate limit to reset. */
  onRateLimit?(wait: RateLimitWait): void;
}

export interface RangeFetchResult {
  /** Objects now in the store, each checked against its SHA-256. */
  fetched: Set<string>;
  /** Bytes received in this run. */
  transferred: number;
  /** Objects left to `git lfs fetch`, and why (undefined when none are). */
  handedOver: { oids: string[]; reason: string } | undefined;
}

/** A request ended because the adaptive count dropped: its block is queued again, no attempt is spent. */
class Shed extends Error {}

export async function fetchObjectsInRanges(o: RangeFetchOptions): Promise<RangeFetchResult> {
  const { signal } = o;
  const stop = new AbortController();
  const linked = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const parts = new Map<string, RangePart>();
  const fetched = new Set<string>();
  const leftOver = new Set<string>();
  let transferred = 0;
  let reason: string | undefined;

  for (const obj of o.objects) {
    const part = await RangePart.open(o.gitDir, obj.oid, obj.size, o.blockBytes ?? BLOCK_BYTES);
    parts.set(obj.oid, part);
    o.onBytes(obj.oid, part.doneBytes, 0);
  }

  let hrefs: Map<string, LfsHref>;
  try {
    hrefs = await askForHrefs();
  } catch (err) {
    if (signal?.aborted) throw cancelled(err);
    if (err instanceof DownloadError) throw err;
    return finish(batchFailure(err));
  }
  for (const obj of o.objects) if (!hrefs.has(obj.oid)) leftOver.add(obj.oid);

  const queue: Array<{ part: RangePart; block: Block }> = [];
  for (const part of parts.values()) {
    if (!hrefs.has(part.oid)) continue;
    const missing = part.missingBlocks();
    if (missing.length === 0) await complete(part);
    for (const block of missing) queue.push({ part, block });
  }
  const remaining = new Map([...parts.values()].map((p) => [p.oid, p.missingBlocks().length]));

  const fixed = o.connections !== undefined ? Math.max(1, o.connections) : undefined;
  const adaptive = fixed === undefined ? new AdaptiveConcurrency(ADAPTIVE_CONNECTIONS) : undefined;
  // Requests in the order they started: when the adaptive count drops, the newest are shed at once and their
  // blocks go back to the queue, to resume where they got to.
  const running: AbortController[] = [];
  const shedExcess = () => {
    for (let i = running.length - 1; adaptive && i >= adaptive.limit; i--) running[i]!.abort();
  };
  const worker = async () => {
    for (;;) {
      // Above the adaptive count, a worker waits for its turn.
      while (adaptive && running.length >= adaptive.limit && queue.length > 0 && !linked.aborted) await sleep(50, linked);
      const item = queue.shift();
      if (!item || linked.aborted) return;
      const shed = new AbortController();
      running.push(shed);
      try {
        await fetchBlock(item.part, item.block, shed.signal);
      } catch (err) {
        if (!(err instanceof Shed)) throw err;
        queue.unshift(item);
        continue;
      } finally {
        running.splice(running.indexOf(shed), 1);
      }
      await item.part.save();
      // In the background: a failed read here shows again, and is reported, when `complete` asks for the digest.
      item.part.followHash().catch(() => undefined);
      const left = remaining.get(item.part.oid)! - 1;
      remaining.set(item.part.oid, left);
      if (left === 0) await complete(item.part);
    }
  };
  let fatal: unknown;
  const onWorkerError = (err: unknown) => {
    // The other workers' requests end with this abort; their errors say nothing new.
    if (!linked.aborted) {
      if (err instanceof DownloadError) fatal = err;
      else reason = err instanceof HandOver ? err.message : `the parallel LFS download failed (${(err as Error).message})`;
    }
    stop.abort();
  };
  await Promise.all(Array.from({ length: fixed ?? ADAPTIVE_CONNECTIONS.max }, () => worker().catch(onWorkerError)));
  if (adaptive?.history.length) {
    const steps = adaptive.history.map((h) => `${(h.rate / 1e6).toFixed(0)} MB/s → ${h.limit}`);
    o.log?.("debug", `LFS connections: ${ADAPTIVE_CONNECTIONS.initial}, ${steps.join(", ")}`);
  }
  for (const part of parts.values()) if (!fetched.has(part.oid)) await part.save();
  for (const part of parts.values()) await part.close();
  if (signal?.aborted) throw cancelled(signal.reason);
  if (fatal) throw fatal;
  return finish(reason);

  /** The first batch request: a 429 is waited out as the Hub asks, a 5xx or network failure retried after a jittered wait. */
  function askForHrefs(): Promise<Map<string, LfsHref>> {
    return withRetries(() => requestHrefs({ endpoint: o.endpoint, repo: o.repo, token: o.token, objects: o.objects, signal }), {
      attempts: Math.max(1, o.attempts ?? 4),
      baseMs: o.retryBaseMs ?? 1000,
      signal,
      rateLimit: (err) => (err instanceof BatchRateLimited ? { waitMs: err.waitMs, host: err.host } : undefined),
      limited: { what: "Git LFS batch requests", bucket: "resolvers", onWait: o.onRateLimit },
      retryable: (err) => !(err instanceof BatchUnusable && !err.retryable),
      onRetry: (err, waitMs) => o.log?.("warn", `${batchFailure(err)}; retrying in ${(waitMs / 1000).toFixed(1)} s`),
    });
  }

  async function finish(why: string | undefined): Promise<RangeFetchResult> {
    for (const part of parts.values()) if (!fetched.has(part.oid)) leftOver.add(part.oid);
    if (leftOver.size === 0) return { fetched, transferred, handedOver: undefined };
    for (const oid of leftOver) await handToGitLfs(o.gitDir, parts.get(oid)!);
    return { fetched, transferred, handedOver: { oids: [...leftOver], reason: why ?? "the LFS batch API offered no download for some objects" } };
  }

  async function complete(part: RangePart): Promise<void> {
    // discard() and store() both close the part's file first.
    const hash = await part.sha256();
    if (hash !== part.oid) {
      await part.discard();
      o.log?.("warn", `an LFS object downloaded in ranges did not match its SHA-256 (${part.oid.slice(0, 12)}…); git-lfs fetches it again`);
      leftOver.add(part.oid);
      return;
    }
    await part.store(o.gitDir);
    fetched.add(part.oid);
  }

  async function fetchBlock(part: RangePart, block: Block, shed: AbortSignal): Promise<void> {
    const attempts = Math.max(1, o.attempts ?? 4);
    for (let attempt = 1; ; attempt++) {
      const from = block.start + part.written[block.index]!;
      if (from >= block.end) return;
      let waitMs: number | undefined;
      try {
        const href = await hrefFor(part);
        const outcome = await requestRange({
          part, block, href, from,
          signal: AbortSignal.any([linked, shed]),
          stallMs: o.stallMs,
          retryBaseMs: o.retryBaseMs,
          onData: async (bytes) => {
            transferred += bytes;
            if (adaptive) {
              adaptive.record(bytes, running.length);
              shedExcess();
            }
            o.onBytes(part.oid, part.doneBytes, bytes);
            await part.saveNowAndThen();
          },
        });
        if (outcome.kind === "done") return;
        if (outcome.kind === "expired") hrefs.delete(part.oid);
        waitMs = outcome.kind === "retry" ? outcome.waitMs : 0;
      } catch (err) {
        if (shed.aborted && !linked.aborted) throw new Shed();
        if (err instanceof HandOver || err instanceof DownloadError || linked.aborted) throw err;
        if (attempt >= attempts) throw new HandOver(`an LFS download kept failing (${(err as Error).message})`);
        o.log?.("debug", `range ${from}-${block.end - 1} of ${part.oid.slice(0, 12)}… failed (${(err as Error).message}); retrying`);
        await sleep(backoffMs({ attempt, baseMs: o.retryBaseMs ?? 500, capMs: 30_000 }), linked);
        continue;
      }
      if (attempt >= attempts) throw new HandOver("the LFS object store kept refusing range requests");
      await sleep(waitMs, linked);
    }
  }

  async function hrefFor(part: RangePart): Promise<LfsHref> {
    const known = hrefs.get(part.oid);
    if (known && (known.expiresAt === undefined || known.expiresAt - Date.now() > 10_000)) return known;
    const fresh = await requestHrefs({ endpoint: o.endpoint, repo: o.repo, token: o.token, objects: [{ oid: part.oid, size: part.size }], signal: linked }).catch((err: unknown) => {
      throw err instanceof BatchUnusable ? new HandOver(err.message) : err;
    });
    const href = fresh.get(part.oid);
    if (!href) throw new HandOver(`the LFS batch API no longer offers ${part.oid.slice(0, 12)}…`);
    hrefs.set(part.oid, href);
    return href;
  }
}

/** Leaves git-lfs the part it can resume: the bytes from the start up to the first gap, as its `<oid>.part`. */
async function handToGitLfs(gitDir: string, part: RangePart): Promise<void> {
  const prefix = part.prefixBytes;
  await part.close();
  const gitLfsPart = lfsPartPath(gitDir, part.oid);
  if (prefix > 0 && prefix > ((await sizeOf(gitLfsPart)) ?? 0) && (await sizeOf(part.path)) !== undefined) {
    await truncate(part.path, prefix);
    await rename(part.path, gitLfsPart);
    await removeReplaced(`${part.path}.json`);
  } else {
    await part.discard();
  }
}

function batchFailure(err: unknown): string {
  return err instanceof BatchUnusable ? err.message : `the LFS batch API could not be reached (${(err as Error).message})`;
}

function cancelled(cause: unknown): DownloadError {
  return isCancel(cause) ? (cause as DownloadError) : cancelledError(cause);
}
