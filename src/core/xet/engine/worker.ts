// Entry of the engine's worker threads (bundled as dist/xet-worker.js, see pool.ts): xorb range fetches
// (fetchRange.ts), copies of ranges of an old file, and SHA-256 of a file prefix kept across messages.
import { readSync } from "node:fs";
import { createHash, type Hash } from "node:crypto";
import { parentPort } from "node:worker_threads";
import { createCodec } from "./codec";
import { runFetch, type FetchJob } from "./fetchRange";
import { Fail, fsFail, writeAll, type WorkerContext } from "./workerIo";

if (!parentPort) throw new Error("xet-worker runs only as a worker thread");
const port = parentPort;
const readBuf = Buffer.allocUnsafe(4 * 1024 * 1024);
const hashes = new Map<string, Hash>();

function runCopy(ctx: WorkerContext, job: { id: number; srcFd: number; dstFd: number; srcOff: number; dstOff: number; len: number }): void {
  let done = 0;
  let cancelled = false;
  ctx.running.set(job.id, () => {
    cancelled = true;
  });
  const step = () => {
    if (cancelled) {
      ctx.running.delete(job.id);
      ctx.post({ id: job.id, type: "error", error: { kind: "cancelled" } });
      return;
    }
    try {
      const n = Math.min(readBuf.length, job.len - done);
      const got = readSync(job.srcFd, readBuf, 0, n, job.srcOff + done);
      if (got !== n) throw new Fail({ kind: "integrity", message: "the old file is shorter than its chunk map says" });
      writeAll(job.dstFd, readBuf, 0, n, job.dstOff + done);
      ctx.post({ id: job.id, type: "landed", ranges: [job.dstOff + done, job.dstOff + done + n], wire: 0 });
      done += n;
    } catch (err) {
      ctx.running.delete(job.id);
      ctx.post({ id: job.id, type: "error", error: err instanceof Fail ? err.info : fsFail(err).info });
      return;
    }
    if (done < job.len) setImmediate(step);
    else {
      ctx.running.delete(job.id);
      ctx.post({ id: job.id, type: "done" });
    }
  };
  step();
}

function hashRange(hash: Hash, fd: number, from: number, to: number): void {
  for (let pos = from; pos < to; ) {
    const n = Math.min(readBuf.length, to - pos);
    const got = readSync(fd, readBuf, 0, n, pos);
    if (got <= 0) throw new Fail({ kind: "integrity", message: `the file ended at ${pos} while hashing up to ${to}` });
    hash.update(readBuf.subarray(0, got));
    pos += got;
  }
}

listen({ post: (message) => port.postMessage(message), codec: createCodec(), running: new Map() });

function listen(ctx: WorkerContext): void {
  port.on("message", (msg: Record<string, any>) => {
    try {
      switch (msg.op) {
        case "fetch":
          return runFetch(ctx, msg as FetchJob);
        case "copy":
          return runCopy(ctx, msg as never);
        case "cancel":
          return ctx.running.get(msg.id)?.();
        case "hash-init":
          hashes.set(msg.key, createHash("sha256"));
          return;
        case "hash-update":
          hashRange(hashes.get(msg.key)!, msg.fd, msg.from, msg.to);
          return ctx.post({ id: msg.id, type: "done" });
        case "hash-digest": {
          const hex = hashes.get(msg.key)!.digest("hex");
          hashes.delete(msg.key);
          return ctx.post({ id: msg.id, type: "digest", hex });
        }
        case "hash-drop":
          hashes.delete(msg.key);
          return;
        case "sha256-fd": {
          const hash = createHash("sha256");
          hashRange(hash, msg.fd, 0, msg.length);
          return ctx.post({ id: msg.id, type: "digest", hex: hash.digest("hex") });
        }
      }
    } catch (err) {
      const info = err instanceof Fail ? err.info : fsFail(err).info;
      ctx.post({ id: msg.id, type: "error", error: info });
    }
  });
}
