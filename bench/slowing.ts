// `npm run bench -- --slowing`: each route's adaptive connection count on a host that slows down under more
// connections (the local Hub's SLOWING_HOST_PROFILE: beyond 6 bodies in flight each gets slower, so 12 move half of
// what 6 do), against every fixed count of the same route chosen after the fact, on the 1 GiB model. Target: within
// 10 % of the best. Every count runs `runs` times in alternating order and is judged by its median.
import { join } from "node:path";
import { mkdir } from "node:fs/promises";
import { SLOWING_HOST_PROFILE } from "../hub/context";
import { ensureModel, FULL_MODELS, modelBytes } from "./data";
import { measureAlternately, startHubProcess } from "./measure";
import { writeDocSection } from "./report";

const FIXED = [2, 4, 6, 8, 12, 16];
const ROUTES = ["lfs", "xet"] as const;
const ROUTE_NAMES = { lfs: "our LFS route", xet: "our Xet route" } as const;

interface Row {
  route: (typeof ROUTES)[number];
  connections?: number;
  /** MB/s of each run, in order. */
  runs: number[];
  /** The median of `runs`. */
  mbps: number;
}

export async function runSlowingBench(o: { work: string; docsFile: string; runs?: number }): Promise<void> {
  const spec = FULL_MODELS[0]!;
  const source = await ensureModel(join(o.work, "models"), spec);
  const hub = await startHubProcess({ repos: [source], dataDir: join(o.work, "hub-data"), faults: ["slow"], slow: SLOWING_HOST_PROFILE });
  const configs = ROUTES.flatMap((route) => [undefined, ...FIXED].map((connections) => ({ route, connections })));
  const rows: Row[] = configs.map((c) => ({ ...c, runs: [], mbps: 0 }));
  const runs = Math.max(1, o.runs ?? 3);
  const bytes = modelBytes(spec);
  await mkdir(join(o.work, "runs"), { recursive: true });
  try {
    await measureAlternately(rows, {
      runs,
      bytes,
      job: (row) => ({ contender: row.route, hubUrl: hub.url, repo: spec.id, revision: "main", dir: join(o.work, "runs", `slowing-${row.route}-${row.connections ?? "adaptive"}`), connections: row.connections }),
      label: (row) => `slowing host, ${label(row)}`,
    });
  } finally {
    await hub.stop();
  }
  const verdicts = ROUTES.map((route) => {
    const own = rows.filter((r) => r.route === route);
    const best = own.filter((r) => r.connections !== undefined).reduce((a, b) => (b.mbps > a.mbps ? b : a));
    const adaptive = own.find((r) => r.connections === undefined)!;
    const ratio = adaptive.mbps / best.mbps;
    return `${ROUTE_NAMES[route]}: the best fixed count after the fact ${best.connections} (${best.mbps.toFixed(1)} MB/s); adaptive ${adaptive.mbps.toFixed(1)} MB/s = ${ratio.toFixed(3)} of it (target ≥ 0.9: ${ratio >= 0.9 ? "met" : "**missed**"}).`;
  });
  const table = ["| contender | median MB/s | runs, MB/s |", "|---|---:|---|", ...rows.map((r) => `| ${label(r)} | ${r.mbps.toFixed(1)} | ${r.runs.map((x) => x.toFixed(1)).join(", ")} |`)].join("\n");
  await writeDocSection(
    o.docsFile,
    "slowing",
    [`Run of ${new Date().toISOString()} (\`npm run bench -- --slowing\`, ${spec.id}, WAN profile with \`crowdedAfter: 6\`, ${runs} alternating runs per count, medians).`, "", ...verdicts.map((v) => `- ${v}`), "", table].join("\n"),
  );
  process.stdout.write(`${table}\n`);
}

function label(r: Row): string {
  return `${ROUTE_NAMES[r.route]}, ${r.connections === undefined ? "adaptive" : `${r.connections} fixed`}`;
}
