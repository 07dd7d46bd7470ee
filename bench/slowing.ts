// `npm run bench -- --slowing`: the LFS route's adaptive connection count on a host that slows down under more
// connections (the local Hub's SLOWING_HOST_PROFILE: beyond 6 bodies in flight each gets slower, so 12 move half of
// what 6 do), against every fixed count chosen after the fact, on the 1 GiB model. Target: within 10 % of the best.
import { join } from "node:path";
import { rm } from "node:fs/promises";
import { SLOWING_HOST_PROFILE } from "../hub/context";
import type { ChildJob } from "./contenders";
import { ensureModel, FULL_MODELS } from "./data";
import { measure, startHubProcess } from "./measure";
import { writeDocSection } from "./report";

const FIXED = [2, 4, 6, 8, 12, 16];

export async function runSlowingBench(o: { work: string; docsFile: string }): Promise<void> {
  const spec = FULL_MODELS[0]!;
  const source = await ensureModel(join(o.work, "models"), spec);
  const hub = await startHubProcess({ repos: [source], dataDir: join(o.work, "hub-data"), faults: ["slow"], slow: SLOWING_HOST_PROFILE });
  const rows: Array<{ label: string; connections?: number; contender: "lfs" | "xet"; mbps: number; wallS: number }> = [];
  const bytes = 1024 * 1024 * 1024;
  try {
    const cases: Array<{ contender: "lfs" | "xet"; connections?: number }> = [{ contender: "lfs" }, ...FIXED.map((connections) => ({ contender: "lfs" as const, connections })), { contender: "xet" }];
    for (const c of cases) {
      const dir = join(o.work, "runs", `slowing-${c.contender}-${c.connections ?? "adaptive"}`);
      await rm(dir, { recursive: true, force: true });
      const job: ChildJob = { contender: c.contender, hubUrl: hub.url, repo: spec.id, revision: "main", dir, lfsConnections: c.connections };
      const result = await measure(job, process.env);
      await rm(dir, { recursive: true, force: true });
      const label = c.contender === "xet" ? "our Xet route (its engine's fixed concurrency)" : c.connections === undefined ? "our LFS route, adaptive" : `our LFS route, ${c.connections} fixed`;
      rows.push({ label, ...c, mbps: bytes / result.wallS / 1e6, wallS: result.wallS });
      process.stderr.write(`bench: slowing host, ${label}: ${(bytes / result.wallS / 1e6).toFixed(1)} MB/s, ${result.wallS.toFixed(2)} s\n`);
    }
  } finally {
    await hub.stop();
  }
  const fixed = rows.filter((r) => r.contender === "lfs" && r.connections !== undefined);
  const best = fixed.reduce((a, b) => (b.mbps > a.mbps ? b : a));
  const adaptive = rows.find((r) => r.contender === "lfs" && r.connections === undefined)!;
  const ratio = adaptive.mbps / best.mbps;
  const table = ["| contender | MB/s | wall s |", "|---|---:|---:|", ...rows.map((r) => `| ${r.label} | ${r.mbps.toFixed(1)} | ${r.wallS.toFixed(2)} |`)].join("\n");
  await writeDocSection(
    o.docsFile,
    "slowing",
    [
      `Run of ${new Date().toISOString()} (\`npm run bench -- --slowing\`, ${spec.id}, WAN profile with \`crowdedAfter: 6\`). The best fixed count after the fact: ${best.connections} (${best.mbps.toFixed(1)} MB/s); adaptive: ${adaptive.mbps.toFixed(1)} MB/s = ${ratio.toFixed(2)} of it (target ≥ 0.9: ${ratio >= 0.9 ? "met" : "**missed**"}).`,
      "",
      table,
    ].join("\n"),
  );
  process.stdout.write(`${table}\n`);
}
