// The selected files' LFS objects into the clone's object store: in parallel ranges first (rangeFetch.ts), then
// `git lfs fetch` for whatever those leave, with byte progress read from the object store, retried on server,
// network and checksum failures; what an attempt leaves is resumed by the next.
import type { SimpleGit } from "simple-git";
import { DownloadError } from "../errors";
import { MAX_RATE_LIMIT_WAIT_MS, type RateLimitWait } from "../util/rateLimit";
import { withRetries } from "../util/retry";
import { isLfsRateLimited } from "./rateLimit";
import { watchObjectProgress } from "./objectProgress";
import { dropLfsTemporaries, dropPartialObjects, lfsBytesOnDisk, salvagePartialObjects, type LfsFile } from "./objects";
import { lfsIncludeBatches } from "./patterns";
import { ADAPTIVE_CONNECTIONS, fetchObjectsInRanges } from "./rangeFetch";

/** Failures a new `git lfs fetch` may not meet: it asks the batch API again (fresh, unexpired hrefs) and resumes. */
const RETRYABLE = new Set(["server", "network", "integrity"]);

export interface FetchObjectsOptions {
  git: SimpleGit;
  /** Where the batch API is asked for the objects' hrefs (for the parallel range requests). */
  endpoint: string;
  repo: string;
  token?: string;
  /** Connections for the parallel range requests; 0 leaves every object to `git lfs fetch`. Default: adaptive. */
  connections?: number;
  gitDir: string;
  commit: string;
  files: readonly LfsFile[];
  /** Settles when the commit is checked out, which `git lfs fetch` needs (the range requests do not wait for it). */
  checkedOut: Promise<void>;
  /** True when only `files` of the commit are wanted: git-lfs gets them as an `--include` list. */
  sparse: boolean;
  /** Runs of `git lfs fetch` before a retryable failure is final. */
  attempts: number;
  retryBaseMs: number;
  signal?: AbortSignal;
  /** The DownloadError a failed run maps to (decides whether to retry, and words the warning). */
  mapError(err: unknown): DownloadError;
  onFileProgress(p: { path: string; doneBytes: number; newBytes: number }): void;
  log?(level: "info" | "warn" | "debug", message: string): void;
  /** How long the batch API's rate limit has left (asked when git-lfs reports a 429), and who to tell about the wait. */
  rateLimitWait?(): Promise<{ waitMs: number | undefined; host: string }>;
  onRateLimit?(wait: RateLimitWait): void;
}

export interface FetchObjectsResult {
  /** Object bytes received in this run (bytes resumed from disk excluded). */
  transferred: number;
  /** Oids that were not in the object store before this run: now there, each SHA-256-checked by git-lfs. */
  fetched: Set<string>;
}

export async function fetchLfsObjects(o: FetchObjectsOptions): Promise<FetchObjectsResult> {
  const { git, gitDir, signal } = o;
  const sizes = new Map(o.files.map((f) => [f.lfs.oid, f.lfs.size]));
  const salvaged = await salvagePartialObjects(gitDir, sizes);
  if (salvaged > 0) o.log?.("info", `Resuming ${salvaged} partly downloaded LFS object(s)`);
  // Bytes a previous run left (objects, `.part` files) count as done but not as transferred.
  const missing: Array<{ path: string; oid: string; size: number; doneBytes: number }> = [];
  for (const f of o.files) {
    const onDisk = await lfsBytesOnDisk(gitDir, f);
    o.onFileProgress({ path: f.path, doneBytes: onDisk.bytes, newBytes: 0 });
    if (!onDisk.complete) missing.push({ path: f.path, oid: f.lfs.oid, size: f.lfs.size, doneBytes: onDisk.bytes });
  }
  const fetched = new Set(missing.map((m) => m.oid));
  let transferred = 0;
  if (missing.length === 0) return { transferred, fetched };

  const left = new Set(await fetchInRanges());
  if (left.size === 0) return { transferred, fetched };
  missing.splice(0, missing.length, ...missing.filter((m) => left.has(m.oid)));
  await o.checkedOut;
  o.log?.("info", `Fetching ${missing.length} LFS object(s) with git-lfs`);
  const progress = watchObjectProgress({
    gitDir,
    objects: missing,
    onProgress: (p) => {
      transferred += p.newBytes;
      o.onFileProgress(p);
    },
  });
  // A selection goes to git-lfs as include lists, in as many runs as the argument-length limit needs.
  const runs = o.sparse || left.size < sizes.size ? lfsIncludeBatches(missing.map((m) => m.path)).map((list) => [`--include=${list}`]) : [[]];
  try {
    for (const include of runs) await fetchWithRetries(["lfs", "fetch", "origin", o.commit, ...include]);
  } finally {
    await progress.stop();
  }
  return { transferred, fetched };

  /** The parallel range requests first; returns the oids they left to git-lfs. */
  async function fetchInRanges(): Promise<string[]> {
    const { connections } = o;
    const objects = [...new Map(missing.map((m) => [m.oid, { oid: m.oid, size: m.size }])).values()];
    if (connections !== undefined && connections <= 0) return objects.map((x) => x.oid);
    const pathsOf = new Map<string, string[]>();
    for (const m of missing) pathsOf.set(m.oid, [...(pathsOf.get(m.oid) ?? []), m.path]);
    o.log?.("info", `Fetching ${objects.length} LFS object(s) in parallel ranges over ${connections ?? `${ADAPTIVE_CONNECTIONS.min}–${ADAPTIVE_CONNECTIONS.max} (adaptive)`} connections`);
    const result = await fetchObjectsInRanges({
      endpoint: o.endpoint, repo: o.repo, token: o.token, gitDir, objects, connections, signal, log: o.log,
      retryBaseMs: o.retryBaseMs, onRateLimit: o.onRateLimit,
      // Two paths with the same content share one object: only the first one's bytes are new.
      onBytes: (oid, doneBytes, newBytes) => pathsOf.get(oid)!.forEach((path, i) => o.onFileProgress({ path, doneBytes, newBytes: i === 0 ? newBytes : 0 })),
    }).catch(async (err: unknown) => {
      // As after git-lfs: the partial objects are what filled the disk, so they go.
      if (err instanceof DownloadError && err.code === "disk-full") await dropLfsTemporaries(gitDir).catch(() => undefined);
      throw err;
    });
    transferred += result.transferred;
    if (result.handedOver) o.log?.("warn", `git-lfs fetches ${result.handedOver.oids.length} LFS object(s) itself: ${result.handedOver.reason}`);
    return result.handedOver?.oids ?? [];
  }

  function fetchWithRetries(args: string[]): Promise<void> {
    const run = async () => {
      try {
        await git.raw(args);
      } catch (err) {
        // Keep what arrived for the next run, unless git-lfs said the data itself was wrong or the disk is full.
        const text = String((err as Error)?.message);
        if (/expected OID/i.test(text)) await dropPartialObjects(gitDir, sizes.keys());
        else if (o.mapError(err).code === "disk-full") await dropLfsTemporaries(gitDir).catch(() => undefined);
        else await salvagePartialObjects(gitDir, sizes).catch(() => 0);
        throw err;
      }
    };
    return withRetries(run, {
      attempts: o.attempts,
      baseMs: o.retryBaseMs,
      signal,
      rateLimit: async (err) => {
        if (!o.rateLimitWait || !isLfsRateLimited(String((err as Error)?.message))) return undefined;
        const wait = await o.rateLimitWait();
        if (wait.waitMs !== undefined && wait.waitMs <= MAX_RATE_LIMIT_WAIT_MS) o.log?.("warn", `the Hub rate-limited git-lfs' batch requests; retrying in ${Math.ceil(wait.waitMs / 1000)} s`);
        return wait;
      },
      limited: { what: "Git LFS batch requests", bucket: "resolvers", onWait: o.onRateLimit },
      retryable: (err) => RETRYABLE.has(o.mapError(err).code),
      onRetry: (err, waitMs) => o.log?.("warn", `git lfs fetch failed (${o.mapError(err).message.replace(/\.$/, "")}); retrying in ${(waitMs / 1000).toFixed(1)} s`),
    });
  }
}
