// One GET of the rest of a block: the bytes from `from` to the block's end, written at their offsets in the part
// (1 MiB at a time) as they arrive, through the process's speed cap, with a stall watchdog. What the answer means
// for the caller comes back as an outcome; an answer that rules out range requests altogether is a HandOver.
import { DownloadError } from "../errors";
import { downloadSpeedLimit } from "../net/bandwidth";
import { nodeGet } from "../net/nodeGet";
import { backoffMs } from "../util/backoff";
import { retryWaitMs } from "../util/rateLimit";
import type { LfsHref } from "./batch";
import type { Block, RangePart } from "./rangePart";

const WRITE_BYTES = 1024 * 1024;

/** Ends the parallel fetch for every object still open: git-lfs takes over. */
export class HandOver extends Error {}

export type RangeOutcome =
  | { kind: "done" }
  /** The href was refused (401/403/410): ask the batch API for a fresh one. */
  | { kind: "expired" }
  /** A 429 or 5xx: try again after this long. */
  | { kind: "retry"; waitMs: number };

export interface RangeRequest {
  part: RangePart;
  block: Block;
  href: LfsHref;
  from: number;
  signal: AbortSignal;
  /** No byte for this long ends the request with an error. Default 30 s. */
  stallMs?: number;
  retryBaseMs?: number;
  /** After each write: how many bytes it added. */
  onData(bytes: number): Promise<void>;
}

export async function requestRange(r: RangeRequest): Promise<RangeOutcome> {
  const { part, block, href, from } = r;
  const stallMs = r.stallMs ?? 30_000;
  const watchdog = new AbortController();
  let timer = setTimeout(onStall, stallMs);
  function onStall() {
    watchdog.abort();
  }
  try {
    const res = await nodeGet(href.href, { ...href.header, Range: `bytes=${from}-${block.end - 1}` }, AbortSignal.any([r.signal, watchdog.signal]));
    const status = res.statusCode ?? 0;
    const whole = status === 200 && from === 0 && block.end === part.size;
    if (status !== 206 && !whole) {
      res.resume();
      if (status === 200) throw new HandOver(`the LFS object store ignores Range requests (${new URL(href.href).host})`);
      if (status === 401 || status === 403 || status === 410) return { kind: "expired" };
      if (status === 404) throw new HandOver(`the LFS object store answered 404 for ${part.oid.slice(0, 12)}…`);
      if (status === 429 || status >= 500) return { kind: "retry", waitMs: retryWaitMs(res.headers) ?? backoffMs({ attempt: 1, baseMs: r.retryBaseMs ?? 500, capMs: 30_000 }) };
      throw new HandOver(`the LFS object store answered ${status}`);
    }
    if (status === 206 && !new RegExp(`^bytes ${from}-`).test(String(res.headers["content-range"] ?? ""))) {
      res.resume();
      throw new HandOver(`the LFS object store answered another range than asked (${res.headers["content-range"]})`);
    }
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const chunks = pending;
      const bytes = pendingBytes;
      pending = [];
      pendingBytes = 0;
      await part.append(block, chunks).catch((err: NodeJS.ErrnoException) => {
        throw writeError(err, part);
      });
      await r.onData(bytes);
    };
    for await (const chunk of res as AsyncIterable<Buffer>) {
      clearTimeout(timer);
      await downloadSpeedLimit.take(chunk.length, r.signal);
      timer = setTimeout(onStall, stallMs);
      const room = block.end - (block.start + part.written[block.index]! + pendingBytes);
      const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
      pending.push(piece);
      pendingBytes += piece.length;
      if (pendingBytes >= WRITE_BYTES) await flush();
      if (piece.length < chunk.length) break;
    }
    await flush();
    if (block.start + part.written[block.index]! < block.end) throw new Error("the connection closed before the range was complete");
    return { kind: "done" };
  } catch (err) {
    if (watchdog.signal.aborted && !r.signal.aborted) throw new Error(`no data for ${Math.round(stallMs / 1000)} s`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function writeError(err: NodeJS.ErrnoException, part: RangePart): DownloadError {
  if (err.code === "ENOSPC" || err.code === "EDQUOT") return new DownloadError("disk-full", `The disk is full: could not write ${part.path}. Free some space, then run the download again.`, { cause: err });
  return new DownloadError("not-writable", `Cannot write ${part.path}: ${err.message}.`, { cause: err });
}
