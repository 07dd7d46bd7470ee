// Files the listing does not store in Xet (small regular files, and LFS files not migrated to Xet yet): a plain
// resolve GET from where the partial ends (Range), streamed to disk while hashing (SHA-256 for LFS files), as one
// attempt of the route's file job.
import { retryWaitMs } from "../util/rateLimit";
import { mkdir, open, rm, stat, truncate, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import type { RepoFileEntry } from "../hub/api";
import { resolveUrl } from "../hub/urls";
import { DownloadError } from "../errors";
import { inAttemptFrame, verify, type Attempt } from "./attempt";
import { IntegrityMismatch } from "./errors";
import { createContentHash, feedFile } from "./hashing";
import { HttpStatusError, requestKind } from "./transport";
import { downloadSpeedLimit } from "../net/bandwidth";

export interface SourceParams {
  endpoint: string;
  token?: string;
  repo: string;
  commit: string;
  file: RepoFileEntry;
  /** Bytes already on disk; the stream starts here when the server can. */
  offset: number;
  fetch: typeof fetch;
}

export interface OpenedSource {
  stream: ReadableStream<Uint8Array>;
  /** Where the stream really starts: `offset`, or 0 when the server answered the whole file. */
  offset: number;
}

export const regularAttempt: Attempt = async (params, expected, tally) => {
  const { file, target } = params;
  await mkdir(dirname(target.partial), { recursive: true });
  let offset = await sizeOf(target.partial);
  if (offset > expected.size) {
    await rm(target.partial, { force: true });
    offset = 0;
  }
  let hash = createContentHash(expected);
  if (offset > 0) {
    await feedFile({ hash, path: target.partial, length: offset, signal: params.signal });
    params.log("info", `resuming ${file.path} at ${offset} of ${expected.size} bytes`);
  }
  params.onProgress(offset, 0);
  if (offset === expected.size) {
    await (await open(target.partial, "a")).close();
    return verify(hash.digest("hex"), expected, offset);
  }

  await inAttemptFrame(params, async ({ signal, fetch, touch }) => {
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let handle: FileHandle | undefined;
    let written = offset;
    try {
      const source = { endpoint: params.endpoint, token: params.token, repo: params.repo, commit: params.commit, file, offset, fetch };
      const opened = await raceAbort(openRegularSource(source), signal);
      if (opened.offset !== offset) {
        await truncate(target.partial, 0);
        hash = createContentHash(expected);
        written = 0;
        params.onProgress(0, 0);
      }
      reader = opened.stream.getReader();
      handle = await open(target.partial, "a");
      for (;;) {
        const { done, value } = await raceAbort(reader.read(), signal);
        if (done) break;
        if (!value?.byteLength) continue;
        touch();
        if (written + value.byteLength > expected.size) throw new IntegrityMismatch(`received more than the ${expected.size} listed bytes`);
        hash.update(value);
        await writeAll(handle, value);
        written += value.byteLength;
        tally.received += value.byteLength;
        params.onProgress(written, value.byteLength);
        await downloadSpeedLimit.take(value.byteLength, signal);
      }
    } finally {
      // Not awaited: a stalled body may never settle its cancel; the frame's abort ends the request anyway.
      reader?.cancel().catch(() => {});
      await handle?.close();
    }
    verify(hash.digest("hex"), expected, written);
  });
};

const MAX_REDIRECTS = 5;

export async function openRegularSource(params: SourceParams): Promise<OpenedSource> {
  const hubOrigin = new URL(params.endpoint).origin;
  let url = new URL(resolveUrl({ endpoint: params.endpoint, repo: params.repo, revision: params.commit, path: params.file.path }));
  let offset = params.offset;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = {};
    if (params.token && url.origin === hubOrigin) headers.Authorization = `Bearer ${params.token}`;
    if (offset > 0) headers.Range = `bytes=${offset}-`;
    const response = await params.fetch(url, { headers, redirect: "manual" });
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel().catch(() => {});
      url = new URL(location, url);
      continue;
    }
    if (response.status === 416 && offset > 0) {
      // The partial is not a prefix the server recognises; start over.
      await response.body?.cancel().catch(() => {});
      offset = 0;
      hop--;
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw new HttpStatusError({ kind: requestKind(url), host: url.host, status: response.status, retryAfterMs: retryWaitMs(response.headers) });
    }
    const rangeStart = /^bytes (\d+)-/.exec(response.headers.get("content-range") ?? "")?.[1];
    const start = response.status === 206 && rangeStart !== undefined ? Number(rangeStart) : 0;
    if (start !== 0 && start !== offset) {
      await response.body?.cancel().catch(() => {});
      throw new DownloadError("server", `The Hub answered bytes from ${start} for ${params.file.path}, asked from ${offset}.`);
    }
    return { stream: response.body ?? new ReadableStream({ start: (c) => c.close() }), offset: start };
  }
  throw new DownloadError("server", `Too many redirects for ${params.file.path}.`);
}

async function sizeOf(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  return info?.isFile() ? info.size : 0;
}

async function writeAll(handle: FileHandle, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.byteLength; ) {
    const { bytesWritten } = await handle.write(data, off, data.byteLength - off);
    off += bytesWritten;
  }
}

/** Resolves or rejects with `promise`, or rejects as soon as `signal` aborts (without waiting for it). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener("abort", onAbort), resolve(v)),
      (e) => (signal.removeEventListener("abort", onAbort), reject(e)),
    );
  });
}
