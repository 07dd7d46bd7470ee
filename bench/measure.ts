// Runs the local Hub and each contender as separate processes and measures one run: wall time inside the child,
// CPU (user+sys, children included) and peak RSS from GNU time, bytes on the wire from the hub's request log.
import { spawn, type ChildProcess } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { loadavg } from "node:os";
import { createInterface } from "node:readline";
import type { CappedRate } from "./cap";
import type { ChildJob } from "./contenders";

export interface RunResult {
  wallS: number;
  cpuS: number;
  maxRssMB: number;
  wireBytes: number;
  hubCpuS: number;
  requests: number;
  /** Reconstruction calls (V1 and V2) the CAS answered during the run. */
  reconstructionCalls?: number;
  /** 1-minute load average when the run started: other work on the machine shows up here. */
  loadAvg: number;
  /** With a speed cap (`job.maxBytesPerSecond`): the rates the child measured from the cap's own count. */
  cappedRate?: CappedRate;
}

export interface HubProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const BUNDLE = process.argv[1];

/** Starts `dist/bench.js --serve-hub` and waits for its URL. */
export async function startHubProcess(config: unknown): Promise<HubProcess> {
  const child = spawn(process.execPath, [BUNDLE, "--serve-hub", JSON.stringify(config)], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the bench hub exited with ${code} before listening`)));
    lines.on("line", (line) => {
      const m = /^listening on (\S+)/.exec(line);
      if (m) resolve(m[1]);
    });
  });
  return {
    url,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

interface ControlLog {
  next: number;
  entries: Array<{ route: string; bytes: number }>;
  cpuMicros: number;
}

async function control(hubUrl: string, since: number): Promise<ControlLog> {
  const response = await fetch(`${hubUrl}/__control/log?since=${since}`);
  if (!response.ok) throw new Error(`control endpoint answered ${response.status}`);
  return (await response.json()) as ControlLog;
}

export async function measure(job: ChildJob, env: NodeJS.ProcessEnv): Promise<RunResult> {
  const before = await control(job.hubUrl, Number.MAX_SAFE_INTEGER);
  const loadAvg = loadavg()[0];
  const timeFile = `${job.dir}.time`;
  const child = spawn("/usr/bin/time", ["-f", "%e %U %S %M", "-o", timeFile, process.execPath, BUNDLE, "--child", JSON.stringify(job)], {
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) {
    // The child's stack says where, not why: keep the message lines.
    const message = err.trim().split("\n").filter((line) => !/^\s+at /.test(line));
    throw new Error(`${job.contender} failed (exit ${code}): ${message.slice(-5).join(" | ")}`);
  }
  const report = JSON.parse(out.trim().split("\n").pop() ?? "{}") as { wallMs: number; cappedRate?: CappedRate };
  const [, user, sys, rssKB] = (await readFile(timeFile, "utf8")).trim().split("\n").pop()!.split(" ").map(Number);
  await rm(timeFile, { force: true });
  const after = await control(job.hubUrl, before.next);
  const traffic = after.entries.filter((e) => e.route !== "control-log");
  return {
    wallS: report.wallMs / 1000,
    cpuS: user + sys,
    maxRssMB: rssKB / 1024,
    wireBytes: traffic.reduce((n, e) => n + e.bytes, 0),
    hubCpuS: (after.cpuMicros - before.cpuMicros) / 1e6,
    requests: traffic.length,
    reconstructionCalls: traffic.filter((e) => e.route.startsWith("reconstruction-")).length,
    loadAvg,
    cappedRate: report.cappedRate,
  };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Measures every row `runs` times, the order reversed every other round so no row always runs first or last, and
 * judges each by its median: the best of several single runs would carry the luckiest run's noise. Each run
 * downloads into a fresh `job.dir`, removed afterwards, and adds its MB/s (`bytes` over wall time) to the row.
 */
export async function measureAlternately<R extends { runs: number[]; mbps: number }>(
  rows: readonly R[],
  o: { runs: number; bytes: number; job: (row: R) => ChildJob; label: (row: R) => string },
): Promise<void> {
  for (let r = 0; r < o.runs; r++) {
    for (const row of r % 2 ? [...rows].reverse() : rows) {
      const job = o.job(row);
      await rm(job.dir, { recursive: true, force: true });
      const result = await measure(job, process.env);
      await rm(job.dir, { recursive: true, force: true });
      row.runs.push(o.bytes / result.wallS / 1e6);
      process.stderr.write(`bench: ${o.label(row)}, run ${r + 1}: ${row.runs.at(-1)!.toFixed(1)} MB/s\n`);
    }
  }
  for (const row of rows) row.mbps = median(row.runs);
}
