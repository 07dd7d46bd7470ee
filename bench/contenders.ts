// The contenders, each run in its own child process: our Xet and LFS routes (through the service), the
// stock @huggingface/hub client, plain `git clone` with git-lfs, the raw limit (parallel range GETs of the
// uncompressed LFS objects, written positionally), and the reference Python client, `hf download` with hf_xet
// and over plain HTTP (HF_HUB_DISABLE_XET=1). Every one downloads a repo revision into a folder.
import { execFile } from "node:child_process";
import { createWriteStream, writeSync } from "node:fs";
import { mkdir, open, type FileHandle } from "node:fs/promises";
import { Agent, get } from "node:http";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { downloadFile, listFiles } from "@huggingface/hub";
import { download } from "../src/core/download/service";
import { ADAPTIVE_CONNECTIONS } from "../src/core/lfs/rangeFetch";
import { AdaptiveConcurrency } from "../src/core/net/concurrency";
import { sleep } from "../src/core/util/backoff";

export const CONTENDERS = ["xet", "lfs", "stock", "git", "raw", "hf-xet", "hf-http"] as const;
export type Contender = (typeof CONTENDERS)[number];

export interface ChildJob {
  contender: Contender;
  hubUrl: string;
  repo: string;
  revision: string;
  /** Folder the model lands in (a models dir for the service, the repo folder otherwise). */
  dir: string;
  /** Update mode: only what differs from `fromRevision` (already downloaded into `dir` by the same contender). */
  fromRevision?: string;
  /** Our routes only: the download speed cap, bytes per second. */
  maxBytesPerSecond?: number;
  /** A fixed number of connections (LFS ranges, Xet xorb requests, the raw limit's GETs; its default 8) instead of the adaptive count. */
  connections?: number;
  /** The raw limit only: our routes' adaptive count from this many connections, instead of a fixed count. */
  rawStart?: number;
}

const TOKEN = "hf_benchmark_token";
const run = promisify(execFile);

export async function runContender(job: ChildJob): Promise<void> {
  switch (job.contender) {
    case "xet":
    case "lfs":
      await download(
        { repo: job.repo, revision: job.revision, method: job.contender, fallbackToLfs: false, modelsDir: job.dir, endpoint: job.hubUrl, token: TOKEN, lfsConnections: job.connections },
        { xetEngine: job.connections === undefined ? undefined : { concurrency: job.connections } },
      );
      return;
    case "stock":
      return stock(job);
    case "git":
      return git(job);
    case "raw":
      return raw(job);
    case "hf-xet":
    case "hf-http":
      return hf(job);
  }
}

/** The reference Python client (huggingface_hub + hf_xet, Rust) from the test venv: `hf download --local-dir`. */
export const HF_CLI = join(process.cwd(), ".venv-judge", "bin", "hf");

async function hf(job: ChildJob): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: job.dir,
    // A home of its own per run: no chunk cache or token from another run, nothing left after the run's folder goes.
    HF_HOME: join(job.dir, ".hf-home"),
    HF_ENDPOINT: job.hubUrl,
    HF_TOKEN: TOKEN,
    HF_HUB_DISABLE_TELEMETRY: "1",
    HF_HUB_DISABLE_PROGRESS_BARS: "1",
    ...(job.contender === "hf-http" ? { HF_HUB_DISABLE_XET: "1" } : {}),
  };
  await run(HF_CLI, ["download", job.repo, "--revision", job.revision, "--local-dir", job.dir], { env, maxBuffer: 1 << 24 });
}

interface Entry {
  path: string;
  size: number;
  key: string;
}

async function entries(job: ChildJob, revision: string): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const f of listFiles({ repo: { type: "model", name: job.repo }, revision, recursive: true, hubUrl: job.hubUrl, accessToken: TOKEN })) {
    if (f.type === "file") out.push({ path: f.path, size: f.size, key: f.lfs?.oid ?? f.oid ?? "" });
  }
  return out;
}

/** The files of `revision`, or in update mode those whose content differs from `fromRevision`. */
async function wanted(job: ChildJob): Promise<Entry[]> {
  const files = await entries(job, job.revision);
  if (!job.fromRevision) return files;
  const before = new Map((await entries(job, job.fromRevision)).map((f) => [f.path, f.key]));
  return files.filter((f) => before.get(f.path) !== f.key);
}

/** Stock client, as `snapshotDownload` does it: one file after the other, the blob streamed to disk. */
async function stock(job: ChildJob): Promise<void> {
  for (const file of await wanted(job)) {
    const blob = await downloadFile({ repo: { type: "model", name: job.repo }, path: file.path, revision: job.revision, hubUrl: job.hubUrl, accessToken: TOKEN });
    if (!blob) throw new Error(`stock client: no ${file.path}`);
    const dest = join(job.dir, file.path);
    await mkdir(dirname(dest), { recursive: true });
    await pipeline(Readable.fromWeb(blob.stream() as never), createWriteStream(dest));
  }
}

const LFS_CONFIG = ["-c", "filter.lfs.smudge=git-lfs smudge -- %f", "-c", "filter.lfs.process=git-lfs filter-process", "-c", "filter.lfs.required=true"];

async function git(job: ChildJob): Promise<void> {
  const env = { ...process.env, GIT_TERMINAL_PROMPT: "0" };
  if (!job.fromRevision) {
    await run("git", [...LFS_CONFIG, "clone", "--quiet", "--branch", job.revision, `${job.hubUrl}/${job.repo}`, job.dir], { env, maxBuffer: 1 << 24 });
    return;
  }
  await run("git", ["-C", job.dir, ...LFS_CONFIG, "fetch", "--quiet", "origin", job.revision], { env });
  await run("git", ["-C", job.dir, ...LFS_CONFIG, "checkout", "--quiet", "-B", job.revision, "FETCH_HEAD"], { env, maxBuffer: 1 << 24 });
}

const RAW_PART = 16 * 1024 * 1024;
const RAW_CONNECTIONS = 8;

interface RawPart {
  url: string;
  start: number;
  end: number;
  handle: FileHandle;
}

/**
 * The physical limit: the same bytes, uncompressed, by parallel range GETs written in place; no hashing. With
 * `rawStart`, the connection count is our routes' adaptive one (the LFS route's bounds) from that many, and the
 * requests above a lower count are cut and queued again from where they got to, as the LFS route does.
 */
async function raw(job: ChildJob): Promise<void> {
  const adaptive = job.rawStart === undefined ? undefined : new AdaptiveConcurrency({ ...ADAPTIVE_CONNECTIONS, initial: job.rawStart });
  const workers = adaptive ? ADAPTIVE_CONNECTIONS.max : (job.connections ?? RAW_CONNECTIONS);
  const agent = new Agent({ keepAlive: true, maxSockets: workers });
  const queue: RawPart[] = [];
  const handles: FileHandle[] = [];
  for (const file of await wanted(job)) {
    const dest = join(job.dir, file.path);
    await mkdir(dirname(dest), { recursive: true });
    const resolved = await fetch(`${job.hubUrl}/${job.repo}/resolve/${job.revision}/${file.path}`, { redirect: "manual", headers: { Authorization: `Bearer ${TOKEN}` } });
    const location = resolved.headers.get("location");
    const handle = await open(dest, "w");
    handles.push(handle);
    if (!location) {
      await handle.writeFile(Buffer.from(await resolved.arrayBuffer()));
      continue;
    }
    await resolved.body?.cancel();
    for (let start = 0; start < file.size; start += RAW_PART) queue.push({ url: location, start, end: Math.min(file.size, start + RAW_PART) - 1, handle });
  }
  const running: AbortController[] = [];
  const onBytes = (bytes: number) => {
    if (!adaptive) return;
    adaptive.record(bytes, running.length);
    for (let i = running.length - 1; i >= adaptive.limit; i--) running[i]!.abort();
  };
  await Promise.all(Array.from({ length: workers }, async () => {
    for (;;) {
      while (adaptive && running.length >= adaptive.limit && queue.length > 0) await sleep(50);
      const part = queue.shift();
      if (!part) return;
      const shed = new AbortController();
      running.push(shed);
      try {
        const reached = await rangeToFile(part, agent, shed.signal, onBytes);
        if (reached <= part.end) queue.unshift({ ...part, start: reached });
      } finally {
        running.splice(running.indexOf(shed), 1);
      }
    }
  }));
  if (adaptive?.history.length) process.stderr.write(`raw: connections ${job.rawStart}, ${adaptive.history.map((h) => `${(h.rate / 1e6).toFixed(0)} MB/s → ${h.limit}`).join(", ")}\n`);
  for (const h of handles) await h.close();
  agent.destroy();
}

/** Resolves with the offset reached: `end + 1` for the whole range, less when `shed` cut it short. */
function rangeToFile(part: RawPart, agent: Agent, shed: AbortSignal, onBytes: (bytes: number) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(part.url, { agent, headers: { Range: `bytes=${part.start}-${part.end}` } }, (res) => {
      if (res.statusCode !== 206) return reject(new Error(`raw: HTTP ${res.statusCode} for ${part.url}`));
      let pos = part.start;
      res.on("data", (data: Buffer) => {
        // A synchronous positional write: the cheapest way from socket to page cache in Node.
        for (let off = 0; off < data.length; ) off += writeSync(part.handle.fd, data, off, data.length - off, pos + off);
        pos += data.length;
        onBytes(data.length);
        if (shed.aborted && pos <= part.end) {
          req.destroy();
          resolve(pos);
        }
      });
      res.on("end", () => (pos === part.end + 1 ? resolve(pos) : reject(new Error("raw: short body"))));
      res.on("error", (err) => (shed.aborted ? resolve(pos) : reject(err)));
    });
    req.on("error", (err) => (shed.aborted ? undefined : reject(err)));
  });
}
