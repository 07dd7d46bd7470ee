// `npm run bench -- --cap`: how closely the download speed cap holds, per route, from 5 to 100 MB/s. Each run
// downloads, from a loopback Hub in a child process with the cap set, the smallest bench model that lasts at least
// MIN_SECONDS at that cap, so the start of the transfer weighs little (the 128 MiB model lasts 1.3 s at 100 MB/s).
// The child samples the bytes the cap counted (what came over the network) every 20 ms. The rate is taken from the
// first to the last sample that grew, so listing and cloning before the first byte, and the checks after the last,
// do not count; the fastest second, any 1 s window, shows whether bursts overshoot the cap.
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { downloadSpeedLimit } from "../src/core/net/bandwidth";
import type { ChildJob } from "./contenders";
import { ensureModel, FULL_MODELS, modelBytes, type ModelSpec, QUICK_MODELS } from "./data";
import { measure, startHubProcess } from "./measure";
import { writeDocSection } from "./report";

const CAPS_MB = [5, 20, 50, 100];
const ROUTES = ["lfs", "xet"] as const;
const MIN_SECONDS = 5;

export interface CappedRate {
  /** Bytes per second from the first sample that saw bytes to the last that saw more. */
  rate: number;
  /** The highest rate over any window of at least a second. */
  fastestSecond: number;
}

/** In the child: starts sampling and returns a function that gives the measured rates in bytes per second. */
export function sampleCappedRate(bytesPerSecond: number): () => CappedRate | undefined {
  downloadSpeedLimit.setBytesPerSecond(bytesPerSecond);
  const samples: Array<[number, number]> = [];
  const timer = setInterval(() => {
    const counted = downloadSpeedLimit.bytesCounted;
    if (samples.length === 0 || counted > samples.at(-1)![1]) samples.push([performance.now(), counted]);
  }, 20);
  timer.unref();
  return () => {
    clearInterval(timer);
    return ratesOf(samples);
  };
}

/** Rates from (milliseconds, bytes so far) samples; undefined when they span no time. */
export function ratesOf(samples: ReadonlyArray<readonly [number, number]>): CappedRate | undefined {
  // From the first sample that saw bytes to the last that saw more: the work after the last byte does not count.
  const from = samples.findIndex(([, bytes]) => bytes > 0);
  if (from < 0) return undefined;
  const first = samples[from]!;
  const last = samples.at(-1)!;
  if (last[0] <= first[0]) return undefined;
  const perSecond = (a: readonly [number, number], b: readonly [number, number]) => ((b[1] - a[1]) * 1000) / (b[0] - a[0]);
  let fastestSecond = 0;
  for (let i = from, j = from; i < samples.length; i++) {
    while (j < samples.length && samples[j]![0] - samples[i]![0] < 1000) j++;
    if (j === samples.length) break;
    fastestSecond = Math.max(fastestSecond, perSecond(samples[i]!, samples[j]!));
  }
  const rate = perSecond(first, last);
  // A transfer shorter than a second has no full window: its one rate is its fastest.
  return { rate, fastestSecond: fastestSecond || rate };
}

/** The smallest bench model that lasts at least MIN_SECONDS at the cap (the largest if none does). */
function modelFor(capMB: number): ModelSpec {
  const bySize = [...QUICK_MODELS, ...FULL_MODELS].filter((m) => !m.smallFiles).sort((a, b) => modelBytes(a) - modelBytes(b));
  return bySize.find((m) => modelBytes(m) / (capMB * 1e6) >= MIN_SECONDS) ?? bySize.at(-1)!;
}

interface CapRow {
  capMB: number;
  route: (typeof ROUTES)[number];
  model: string;
  measuredMB: number;
  fastestSecondMB: number;
}

export async function runCapBench(o: { work: string; docsFile: string }): Promise<void> {
  const plan = CAPS_MB.map((capMB) => ({ capMB, spec: modelFor(capMB) }));
  const sources = await Promise.all([...new Set(plan.map((p) => p.spec))].map((spec) => ensureModel(join(o.work, "models"), spec)));
  const hub = await startHubProcess({ repos: sources, dataDir: join(o.work, "hub-data"), faults: [] });
  const rows: CapRow[] = [];
  // GNU time (in measure) writes its figures beside each run's folder.
  await mkdir(join(o.work, "runs"), { recursive: true });
  try {
    for (const { capMB, spec } of plan) {
      for (const route of ROUTES) {
        const dir = join(o.work, "runs", `cap-${route}-${capMB}`);
        await rm(dir, { recursive: true, force: true });
        const job: ChildJob = { contender: route, hubUrl: hub.url, repo: spec.id, revision: "main", dir, maxBytesPerSecond: capMB * 1e6 };
        const measured = (await measure(job, process.env)).cappedRate;
        if (!measured) throw new Error(`${route} with a cap of ${capMB} MB/s reported no rate`);
        await rm(dir, { recursive: true, force: true });
        const row = { capMB, route, model: spec.id, measuredMB: measured.rate / 1e6, fastestSecondMB: measured.fastestSecond / 1e6 };
        rows.push(row);
        process.stderr.write(
          `bench: cap ${capMB} MB/s, ${route}, ${spec.id}: ${row.measuredMB.toFixed(2)} MB/s (${((row.measuredMB / capMB) * 100).toFixed(1)} % of the cap), fastest second ${row.fastestSecondMB.toFixed(2)}\n`,
        );
      }
    }
  } finally {
    await hub.stop();
  }
  const table = [
    "| cap MB/s | route | model | measured MB/s | measured / cap | fastest second MB/s |",
    "|---:|---|---|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.capMB} | ${r.route === "lfs" ? "our LFS route" : "our Xet route"} | ${r.model} | ${r.measuredMB.toFixed(2)} | ${(r.measuredMB / r.capMB).toFixed(3)} | ${r.fastestSecondMB.toFixed(2)} |`,
    ),
  ].join("\n");
  // The target is the rate on average; a second above the cap is what a user sharing the link would feel.
  const worstAverage = Math.max(...rows.map((r) => Math.abs(r.measuredMB / r.capMB - 1)));
  const worstSecond = Math.max(...rows.map((r) => r.fastestSecondMB / r.capMB - 1));
  const verdict = (deviation: number) => (deviation <= 0.1 ? "met" : "**missed**");
  await writeDocSection(
    o.docsFile,
    "cap",
    [
      `Run of ${new Date().toISOString()} (\`npm run bench -- --cap\`, loopback, each cap with the smallest bench model that lasts ${MIN_SECONDS} s or more at it). Largest deviation of the measured rate from the cap: ${(worstAverage * 100).toFixed(1)} % (target ±10 %: ${verdict(worstAverage)}). Largest overshoot in the fastest second: ${(worstSecond * 100).toFixed(1)} % (within 10 %: ${verdict(worstSecond)}).`,
      "",
      table,
    ].join("\n"),
  );
  process.stdout.write(`${table}\n`);
}
