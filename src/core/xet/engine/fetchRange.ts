// A worker job: fetch one xorb range, decode its chunk records as they stream in and write each term's bytes at
// their file offsets, reporting landed ranges in batches.
import { retryWaitMs } from "../../util/rateLimit";
import http from "node:http";
import https from "node:https";
import { workerData } from "node:worker_threads";
import { BandwidthLimit } from "../../net/bandwidth";
import { createNodeAgents, type NetworkOptions } from "../../net/proxy";
import { MAX_DECODED } from "./codec";
import { Fail, fsFail, writeAll, type WorkerContext } from "./workerIo";

// The proxy and trust settings, and the process's speed cap, come from the pool (workerData), not from this thread.
const fromPool = (workerData ?? {}) as { network?: NetworkOptions; bandwidth?: SharedArrayBuffer };
const agentFor = createNodeAgents(fromPool.network ?? {});
const speedLimit = fromPool.bandwidth ? new BandwidthLimit(fromPool.bandwidth) : undefined;
const outBuf = Buffer.allocUnsafe(MAX_DECODED + 64);
const out32 = new Uint32Array(outBuf.buffer, outBuf.byteOffset, outBuf.length >> 2);

interface Placement {
  chunkStart: number;
  chunkEnd: number;
  fileStart: number;
  unpacked: number;
}

export interface FetchJob {
  op: "fetch";
  id: number;
  url: string;
  start: number;
  end: number;
  chunkStart: number;
  chunkCount: number;
  fd: number;
  placements: Placement[];
  clipStart: number;
  clipEnd: number;
  stallMs: number;
  flushBytes: number;
}

export function runFetch(ctx: WorkerContext, job: FetchJob): void {
  const { id, fd, clipStart, clipEnd } = job;
  const placements = job.placements.map((pl) => ({ ...pl, cum: 0 }));
  const chunkLens: number[] = [];
  const header = Buffer.allocUnsafe(8);
  let headerHave = 0;
  let clen = 0;
  let ulen = 0;
  let scheme = 0;
  let asm: Buffer | undefined;
  let asmHave = 0;
  let index = 0; // chunks decoded so far
  let skip = 0;
  let received = 0;
  let bodyBytes = 0;
  let pendingRanges: number[] = [];
  let pendingBytes = 0;
  let runStart = -1;
  let runEnd = -1;
  let finished = false;

  const flush = (force: boolean) => {
    if (!force && pendingBytes < job.flushBytes) return;
    if (runStart >= 0) {
      pendingRanges.push(runStart, runEnd);
      runStart = runEnd = -1;
    }
    if (pendingRanges.length === 0 && received === 0) return;
    ctx.post({ id, type: "landed", ranges: pendingRanges, wire: received });
    pendingRanges = [];
    pendingBytes = 0;
    received = 0;
  };

  const land = (start: number, end: number) => {
    if (start === runEnd) runEnd = end;
    else {
      if (runStart >= 0) pendingRanges.push(runStart, runEnd);
      runStart = start;
      runEnd = end;
    }
    pendingBytes += end - start;
  };

  const place = (data: Uint8Array, len: number) => {
    const k = job.chunkStart + index;
    for (const pl of placements) {
      if (k < pl.chunkStart || k >= pl.chunkEnd) continue;
      const at = pl.fileStart + pl.cum;
      pl.cum += len;
      if (pl.cum > pl.unpacked) throw new Fail({ kind: "integrity", message: `a term of ${pl.unpacked} bytes decoded to more than that` });
      const s = Math.max(at, clipStart);
      const e = Math.min(at + len, clipEnd);
      if (e > s) {
        try {
          writeAll(fd, data, s - at, e - s, s);
        } catch (err) {
          throw fsFail(err);
        }
        land(s, e);
      }
      if (k === pl.chunkEnd - 1 && pl.cum !== pl.unpacked) {
        throw new Fail({ kind: "integrity", message: `a term decoded to ${pl.cum} bytes, expected ${pl.unpacked}` });
      }
    }
    chunkLens.push(len);
    index++;
  };

  const decodeLz4 = (payload: Buffer): Uint8Array => {
    try {
      return ctx.codec.decodeFrame(payload);
    } catch (err) {
      throw new Fail({ kind: "integrity", message: (err as Error).message });
    }
  };

  const decode = (payload: Buffer) => {
    if (scheme === 0) {
      if (clen !== ulen) throw new Fail({ kind: "integrity", message: "raw chunk with mismatched lengths" });
      place(payload, ulen);
    } else if (scheme === 1) {
      const bytes = decodeLz4(payload);
      if (bytes.length !== ulen) throw new Fail({ kind: "integrity", message: "LZ4 chunk decoded to the wrong length" });
      place(bytes, ulen);
    } else if (scheme === 2) {
      const grouped = decodeLz4(payload);
      if (grouped.length !== ulen) throw new Fail({ kind: "integrity", message: "BG4 chunk decoded to the wrong length" });
      ctx.codec.regroup(grouped, ulen, outBuf, out32);
      place(outBuf, ulen);
    } else {
      throw new Fail({ kind: "integrity", message: `unknown chunk compression scheme ${scheme}` });
    }
  };

  const consume = (data: Buffer) => {
    let p = 0;
    if (skip > 0) {
      const n = Math.min(skip, data.length);
      skip -= n;
      p = n;
    }
    bodyBytes += data.length - p;
    while (p < data.length) {
      if (headerHave < 8) {
        const n = Math.min(8 - headerHave, data.length - p);
        data.copy(header, headerHave, p, p + n);
        headerHave += n;
        p += n;
        if (headerHave < 8) break;
        if (index >= job.chunkCount) throw new Fail({ kind: "integrity", message: "more chunk records than the range lists" });
        if (header[0] !== 0) throw new Fail({ kind: "integrity", message: `chunk header version ${header[0]}` });
        clen = header[1] | (header[2] << 8) | (header[3] << 16);
        scheme = header[4];
        ulen = header[5] | (header[6] << 8) | (header[7] << 16);
        if (ulen > MAX_DECODED || clen > 2 * MAX_DECODED) throw new Fail({ kind: "integrity", message: "chunk larger than 128 KiB" });
        asmHave = 0;
        if (clen === 0) {
          decode(Buffer.alloc(0));
          headerHave = 0;
        }
        continue;
      }
      const left = clen - asmHave;
      if (asmHave === 0 && data.length - p >= left) {
        const payload = data.subarray(p, p + left);
        p += left;
        decode(payload);
        headerHave = 0;
        continue;
      }
      if (!asm) asm = Buffer.allocUnsafe(2 * MAX_DECODED + 8);
      const n = Math.min(left, data.length - p);
      data.copy(asm, asmHave, p, p + n);
      asmHave += n;
      p += n;
      if (asmHave === clen) {
        decode(asm.subarray(0, clen));
        headerHave = 0;
        asmHave = 0;
      }
    }
  };

  const lib = job.url.startsWith("https:") ? https : http;
  const req = lib.get(job.url, { agent: agentFor(new URL(job.url)), headers: { Range: `bytes=${job.start}-${job.end}` } });
  let timer: NodeJS.Timeout | undefined = setTimeout(() => fail(new Fail({ kind: "stall" })), job.stallMs);
  const touch = () => timer?.refresh();

  const settle = () => {
    finished = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
    ctx.running.delete(id);
  };
  const fail = (err: unknown) => {
    if (finished) return;
    settle();
    req.destroy();
    try {
      flush(true);
    } catch {
      // nothing more to report
    }
    const info = err instanceof Fail ? err.info : { kind: "network", code: (err as NodeJS.ErrnoException)?.code, message: (err as Error)?.message ?? String(err) };
    ctx.post({ id, type: "error", error: info });
  };
  ctx.running.set(id, () => fail(new Fail({ kind: "cancelled" })));

  req.on("response", (res) => {
    touch();
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      res.resume();
      // The effective Retry-After: RateLimit's reset + 1 s when the window is used up (the Hub sends no Retry-After).
      const waitMs = retryWaitMs(res.headers);
      fail(new Fail({ kind: "http", status, retryAfter: waitMs === undefined ? undefined : String(waitMs / 1000) }));
      return;
    }
    if (status === 200) skip = job.start;
    else {
      const m = /^bytes (\d+)-/.exec(String(res.headers["content-range"] ?? ""));
      if (m && Number(m[1]) !== job.start) {
        res.resume();
        fail(new Fail({ kind: "integrity", message: `the server answered bytes from ${m[1]}, asked from ${job.start}` }));
        return;
      }
    }
    res.on("data", (data: Buffer) => {
      if (finished) return;
      touch();
      received += data.length;
      const pauseMs = speedLimit?.delayFor(data.length) ?? 0;
      if (pauseMs > 0) {
        res.pause();
        setTimeout(() => finished || res.resume(), pauseMs);
      }
      try {
        consume(data);
        flush(false);
      } catch (err) {
        fail(err);
      }
    });
    res.on("end", () => {
      if (finished) return;
      const expected = job.end - job.start + 1;
      if (bodyBytes < expected || headerHave !== 0) {
        fail(new Fail({ kind: "network", code: "ECONNRESET", message: `the response ended after ${bodyBytes} of ${expected} bytes` }));
        return;
      }
      if (index !== job.chunkCount) {
        fail(new Fail({ kind: "integrity", message: `the range held ${index} chunk records, expected ${job.chunkCount}` }));
        return;
      }
      settle();
      flush(true);
      ctx.post({ id, type: "done", chunkLens });
    });
    res.on("error", fail);
    res.on("aborted", () => fail(new Fail({ kind: "network", code: "ECONNRESET", message: "the response was aborted" })));
  });
  req.on("error", fail);
  req.on("close", () => {
    if (!finished) fail(new Fail({ kind: "network", code: "ECONNRESET", message: "the connection closed early" }));
  });
}
