// `npm run bench -- --slowing`: each route's adaptive connection count on a host that slows down under more
// connections (the local Hub's SLOWING_HOST_PROFILE: beyond 6 bodies in flight each gets slower, so 12 move half of
// what 6 do), against every fixed count of the same route chosen after the fact, on the 1 GiB model. Target: within
// 10 % of the best.
import { join } from "node:path";
import { rm } from "node:fs/promises";
import { SLOWING_HOST_PROFILE } from "../hub/context";
import type { ChildJob } from "./contenders";
import { ensureModel, FULL_MODELS } from "./data";
import { measure, startHubProcess } from "./measure";
import { writeDocSection } from "./report";

const FIXED = [2, 4, 6, 8, 12, 16];
const ROUTES = ["lfs", "xet"] as const;
const ROUTE_NAMES = { lfs: "our LFS route", xet: "our Xet route" } as const;

interface Row {
  route: (typeof ROUTES)[number];
  connections?: number;
  mbps: number;
  wallS: number;
}

export async function runSlowingBench(o: { work: string; docsFile: string }): Promise<void> {
  const spec = FULL_MODELS[0]!;
  const source = await ensureModel(join(o.work, "models"), spec);
  const hub = await startHubProcess({ repos: [source], dataDir: join(o.work, "hub-data"), faults: ["slow"], slow: SLOWING_HOST_PROFILE });
  const rows: Row[] = [];
  const bytes = 1024 * 1024 * 1024;
  try {
    for (const route of ROUTES) {
      for (const connections of [undefined, ...FIXED]) {
        const dir = join(o.work, "runs", `slowing-${route}-${connections ?? "adaptive"}`);
        await rm(dir, { recursive: true, force: true });
        const job: ChildJob = { contender: route, hubUrl: hub.url, repo: spec.id, revision: "main", dir, connections };
        const result = await measure(job, process.env);
        await rm(dir, { recursive: true, force: true });
        const row = { route, connections, mbps: bytes / result.wallS / 1e6, wallS: result.wallS };
        rows.push(row);
        process.stderr.write(`bench: slowing host, ${label(row)}: ${row.mbps.toFixed(1)} MB/s, ${row.wallS.toFixed(2)} s\n`);
      }
    }
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
  const table = ["| contender | MB/s | wall s |", "|---|---:|---:|", ...rows.map((r) => `| ${label(r)} | ${r.mbps.toFixed(1)} | ${r.wallS.toFixed(2)} |`)].join("\n");
  await writeDocSection(
    o.docsFile,
    "slowing",
    [`Run of ${new Date().toISOString()} (\`npm run bench -- --slowing\`, ${spec.id}, WAN profile with \`crowdedAfter: 6\`).`, "", ...verdicts.map((v) => `- ${v}`), "", table].join("\n"),
  );
  process.stdout.write(`${table}\n`);
}

function label(r: Row): string {
  return `${ROUTE_NAMES[r.route]}, ${r.connections === undefined ? "adaptive" : `${r.connections} fixed`}`;
}
