// `npm run bench -- --start`: what the adaptive count's start costs, without git, hashing or our routes' other work.
// The WAN profile and the slowing host are the same link until a client has more than 6 connections open: 25 MB/s
// each. Beyond 6, the WAN profile gives 25 MB/s more per connection up to its 200 MB/s, and the slowing host less to
// every connection. A start fills the WAN link only by opening more than 6 before it can tell the two apart. The raw
// limit's range GETs run on both profiles with fixed counts and with our routes' adaptive count started from 6 (as the
// routes are), 7 and 8, on the 1 GiB model, alternating, judged by medians.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { SLOWING_HOST_PROFILE, WAN_PROFILE } from "../hub/context";
import { ensureModel, FULL_MODELS, modelBytes } from "./data";
import { measureAlternately, startHubProcess } from "./measure";
import { writeDocSection } from "./report";

const PROFILES = [
  { name: "WAN", slow: WAN_PROFILE },
  { name: "slowing host", slow: SLOWING_HOST_PROFILE },
] as const;

interface Variant {
  connections?: number;
  rawStart?: number;
}

const STARTS = [6, 7, 8];
const VARIANTS: Variant[] = [{ connections: 8 }, { connections: 6 }, ...STARTS.map((rawStart) => ({ rawStart }))];

interface Row extends Variant {
  profile: (typeof PROFILES)[number]["name"];
  runs: number[];
  mbps: number;
}

export async function runStartBench(o: { work: string; docsFile: string; runs?: number }): Promise<void> {
  const spec = FULL_MODELS[0]!;
  const source = await ensureModel(join(o.work, "models"), spec);
  const runs = Math.max(1, o.runs ?? 3);
  const bytes = modelBytes(spec);
  const rows: Row[] = [];
  await mkdir(join(o.work, "runs"), { recursive: true });
  for (const profile of PROFILES) {
    const own: Row[] = VARIANTS.map((v) => ({ ...v, profile: profile.name, runs: [], mbps: 0 }));
    rows.push(...own);
    const hub = await startHubProcess({ repos: [source], dataDir: join(o.work, "hub-data"), faults: ["slow"], slow: profile.slow });
    try {
      await measureAlternately(own, {
        runs,
        bytes,
        job: (row) => ({ contender: "raw", hubUrl: hub.url, repo: spec.id, revision: "main", dir: join(o.work, "runs", "start-raw"), connections: row.connections, rawStart: row.rawStart }),
        label: (row) => `start, ${profile.name}, ${label(row)}`,
      });
    } finally {
      await hub.stop();
    }
  }

  const capMBps = WAN_PROFILE.totalBytesPerSecond / 1e6;
  const on = (profile: Row["profile"], v: Variant) => rows.find((r) => r.profile === profile && r.connections === v.connections && r.rawStart === v.rawStart)!;
  const bestSlowing = rows.filter((r) => r.profile === "slowing host" && r.connections !== undefined).reduce((a, b) => (b.mbps > a.mbps ? b : a));
  const verdicts = STARTS.map((initial) => {
    const wan = on("WAN", { rawStart: initial }).mbps / capMBps;
    const slowing = on("slowing host", { rawStart: initial }).mbps / bestSlowing.mbps;
    const both = wan >= 0.9 && slowing >= 0.9;
    return `from ${initial}: ${wan.toFixed(3)} of the WAN cap, ${slowing.toFixed(3)} of the best fixed count on the slowing host (${bestSlowing.connections}): ${both ? "both ≥ 0.9" : "**not both ≥ 0.9**"}.`;
  });
  const rawLimit = on("WAN", { connections: 8 }).mbps / capMBps;
  const table = [
    "| profile | raw GETs | median MB/s | runs, MB/s |",
    "|---|---|---:|---|",
    ...rows.map((r) => `| ${r.profile} | ${label(r)} | ${r.mbps.toFixed(1)} | ${r.runs.map((x) => x.toFixed(1)).join(", ")} |`),
  ].join("\n");
  await writeDocSection(
    o.docsFile,
    "start",
    [
      `Run of ${new Date().toISOString()} (\`npm run bench -- --start\`, ${spec.id}, the raw limit's range GETs with no hash and no git, ${runs} alternating runs per row, medians; the raw limit, 8 fixed, ${rawLimit.toFixed(3)} of the WAN cap). The adaptive count started`,
      "",
      ...verdicts.map((v) => `- ${v}`),
      "",
      table,
    ].join("\n"),
  );
  process.stdout.write(`${table}\n`);
}

function label(v: Variant): string {
  return v.rawStart === undefined ? `${v.connections} fixed` : `adaptive from ${v.rawStart}`;
}
