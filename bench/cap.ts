// `npm run bench -- --cap`: how closely the download speed cap holds, per route, from 5 to 100 MB/s. Each run
// downloads the 128 MiB quick model from a loopback Hub in a child process with the cap set; the child samples
// the bytes the cap counted (what came over the network) every 20 ms, and the rate is taken from the first to
// the last sample that grew, so listing and cloning before the first byte, and the checks after the last, do not count.
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { downloadSpeedLimit } from "../src/core/net/bandwidth";
import type { ChildJob } from "./contenders";
import { ensureModel, QUICK_MODELS } from "./data";
import { measure, startHubProcess } from "./measure";
import { writeDocSection } from "./report";

const CAPS_MB = [5, 20, 50, 100];
const ROUTES = ["lfs", "xet"] as const;

/** In the child: starts sampling and returns a function that gives the measured rate in bytes per second. */
export function sampleCappedRate(bytesPerSecond: number): () => number | undefined {
  downloadSpeedLimit.setBytesPerSecond(bytesPerSecond);
  const samples: Array<[number, number]> = [];
  const timer = setInterval(() => {
    const counted = downloadSpeedLimit.bytesCounted;
    if (samples.length === 0 || counted > samples.at(-1)![1]) samples.push([performance.now(), counted]);
  }, 20);
  timer.unref();
  return () => {
    clearInterval(timer);
    // From the first sample that saw bytes to the last that saw more: the work after the last byte does not count.
    const first = samples.find(([, bytes]) => bytes > 0);
    const last = samples.at(-1)!;
    return first && last[0] > first[0] ? ((last[1] - first[1]) * 1000) / (last[0] - first[0]) : undefined;
  };
}

interface CapRow {
  capMB: number;
  route: (typeof ROUTES)[number];
  measuredMB: number;
}

export async function runCapBench(o: { work: string; docsFile: string }): Promise<void> {
  const spec = QUICK_MODELS[0]!;
  const source = await ensureModel(join(o.work, "models"), spec);
  const hub = await startHubProcess({ repos: [source], dataDir: join(o.work, "hub-data"), faults: [] });
  const rows: CapRow[] = [];
  // GNU time (in measure) writes its figures beside each run's folder.
  await mkdir(join(o.work, "runs"), { recursive: true });
  try {
    for (const capMB of CAPS_MB) {
      for (const route of ROUTES) {
        const dir = join(o.work, "runs", `cap-${route}-${capMB}`);
        await rm(dir, { recursive: true, force: true });
        const job: ChildJob = { contender: route, hubUrl: hub.url, repo: spec.id, revision: "main", dir, maxBytesPerSecond: capMB * 1e6 };
        const rate = (await measure(job, process.env)).cappedRate;
        if (!rate) throw new Error(`${route} with a cap of ${capMB} MB/s reported no rate`);
        await rm(dir, { recursive: true, force: true });
        rows.push({ capMB, route, measuredMB: rate / 1e6 });
        process.stderr.write(`bench: cap ${capMB} MB/s, ${route}: ${(rate / 1e6).toFixed(2)} MB/s (${((rate / 1e6 / capMB) * 100).toFixed(1)} % of the cap)\n`);
      }
    }
  } finally {
    await hub.stop();
  }
  const table = [
    "| cap MB/s | route | measured MB/s | measured / cap |",
    "|---:|---|---:|---:|",
    ...rows.map((r) => `| ${r.capMB} | ${r.route === "lfs" ? "our LFS route" : "our Xet route"} | ${r.measuredMB.toFixed(2)} | ${(r.measuredMB / r.capMB).toFixed(3)} |`),
  ].join("\n");
  const worst = Math.max(...rows.map((r) => Math.abs(r.measuredMB / r.capMB - 1)));
  await writeDocSection(
    o.docsFile,
    "cap",
    [
      `Run of ${new Date().toISOString()} (\`npm run bench -- --cap\`, ${spec.id}, loopback). Largest deviation from the cap: ${(worst * 100).toFixed(1)} % (target ±10 %: ${worst <= 0.1 ? "met" : "**missed**"}).`,
      "",
      table,
    ].join("\n"),
  );
  process.stdout.write(`${table}\n`);
}
