// `npm run bench [-- --quick] [--runs N] [--report]` (`-- --scale`: the scale cases, see scale.ts; `--only <contender>`,
// `--profile <name>`, `--model <id>`: a partial run that leaves the docs alone; `--slowing`, `--start`, `--cap`:
// those parts alone): builds synthetic model repos, serves them from a local Hub in its own process (loopback, then
// the `slow` WAN profile), measures the contenders alternately and writes the report; a full run then adds the
// slowing host, the adaptive start and the speed cap.
import { execFileSync } from "node:child_process";
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { availableParallelism, cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startHub } from "../hub/server";
import type { RepoSource } from "../hub/model";
import type { SlowProfile } from "../hub/context";
import { CONTENDERS, runContender, type ChildJob, type Contender } from "./contenders";
import { ensureModel, FULL_MODELS, QUICK_MODELS } from "./data";
import { measure, startHubProcess, type RunResult } from "./measure";
import { writeReport, type BenchResults, type Series } from "./report";
import { runScale, writeScaleSection } from "./scale";
import { runCapBench, sampleCappedRate } from "./cap";
import { runSlowingBench } from "./slowing";
import { runStartBench } from "./start";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      scale: { type: "boolean", default: false },
      "big-gib": { type: "string", default: "8" },
      runs: { type: "string" },
      only: { type: "string", multiple: true },
      model: { type: "string", multiple: true },
      profile: { type: "string", multiple: true },
      child: { type: "string" },
      "serve-hub": { type: "string" },
      report: { type: "boolean", default: false },
      cap: { type: "boolean", default: false },
      slowing: { type: "boolean", default: false },
      start: { type: "boolean", default: false },
    },
  });
  if (values.report) {
    // Re-renders the table, chart and docs section from the last bench/results.json.
    const results = JSON.parse(await readFile(resolve("bench/results.json"), "utf8")) as BenchResults;
    return writeReport({ results, benchDir: resolve("bench"), docsFile: resolve("docs/PERFORMANCE.md") });
  }
  if (values.child) return child(JSON.parse(values.child) as ChildJob);
  if (values["serve-hub"]) return serveHub(JSON.parse(values["serve-hub"]) as HubConfig);
  if (values.slowing) return runSlowingBench({ work: resolve("bench/work"), docsFile: resolve("docs/PERFORMANCE.md"), runs: values.runs ? Number(values.runs) : undefined });
  if (values.cap) return runCapBench({ work: resolve("bench/work"), docsFile: resolve("docs/PERFORMANCE.md") });
  if (values.start) return runStartBench({ work: resolve("bench/work"), docsFile: resolve("docs/PERFORMANCE.md"), runs: values.runs ? Number(values.runs) : undefined });
  if (values.scale) {
    const rows = await runScale({ work: resolve("bench/work"), bigGib: Number(values["big-gib"]) });
    return writeScaleSection(resolve("docs/RELIABILITY.md"), rows, `npm run bench -- --scale --big-gib ${values["big-gib"]}`);
  }

  const started = Date.now();
  const work = resolve("bench/work");
  const runs = Number(values.runs ?? 3);
  const contenders = (values.only?.length ? values.only : [...CONTENDERS]) as Contender[];
  if (contenders.some((c) => c.startsWith("hf-"))) execFileSync("bash", ["scripts/ensure-python-judge.sh"], { stdio: "inherit" });
  const specs = (values.quick ? QUICK_MODELS : FULL_MODELS).filter((s) => !values.model?.length || values.model.includes(s.id));
  const partial = !values.quick && Boolean(values.only?.length || values.profile?.length || values.model?.length);
  const sources = await Promise.all(specs.map((s) => ensureModel(join(work, "models"), s)));
  const sizes = new Map<string, number>();
  for (const s of sources) sizes.set(s.id, await folderBytes(s.revisions[s.revisions.length - 1].dir));
  const profiles = [
    { name: "loopback", faults: [] as string[], models: values.quick ? [specs[0].id] : specs.map((s) => s.id) },
    { name: "wan", faults: ["slow"], models: values.quick ? [specs[1].id] : specs.map((s) => s.id) },
  ].filter((p) => !values.profile?.length || values.profile.includes(p.name));
  const updateModel = specs.find((s) => s.update)?.id;
  const env = { ...process.env, HF_MODELS_XET_MAPS: join(work, "maps") };
  await rm(join(work, "maps"), { recursive: true, force: true });

  const series: Series[] = [];
  const updates: BenchResults["updates"] = [];
  let counter = 0;
  const runDir = async (name: string) => {
    const dir = join(work, "runs", `${name}-${++counter}`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(join(work, "runs"), { recursive: true });
    return dir;
  };

  for (const profile of profiles) {
    process.stderr.write(`bench: starting the local Hub (${profile.name})…\n`);
    const hub = await startHubProcess({ repos: sources, dataDir: join(work, "hub-data"), faults: profile.faults });
    try {
      for (const model of profile.models) {
        const byContender = new Map<Contender, RunResult[]>(contenders.map((c) => [c, []]));
        for (let r = 0; r < runs; r++) {
          // Alternate the order so no contender always runs first (cold) or last.
          const order = contenders.map((_, i) => contenders[(i + r) % contenders.length]);
          for (const contender of order) {
            const dir = await runDir(contender);
            const result = await measure({ contender, hubUrl: hub.url, repo: model, revision: "main", dir }, env);
            await checkBytes(dir, sizes.get(model)!, contender);
            byContender.get(contender)!.push(result);
            process.stderr.write(`bench: ${profile.name} ${model} ${contender} run ${r + 1}: ${(sizes.get(model)! / result.wallS / 1e6).toFixed(1)} MB/s, ${result.wallS.toFixed(2)} s, cpu ${result.cpuS.toFixed(1)} s, rss ${result.maxRssMB.toFixed(0)} MB, ${result.reconstructionCalls ?? 0} reconstruction calls (${(((result.reconstructionCalls ?? 0) * 2 ** 30) / sizes.get(model)!).toFixed(1)}/GiB)\n`);
            await rm(dir, { recursive: true, force: true });
          }
        }
        for (const [contender, results] of byContender) series.push({ profile: profile.name, model, modelBytes: sizes.get(model)!, contender, runs: results });
      }
      if (profile.name === "loopback" && updateModel) {
        for (const contender of contenders) {
          const dir = await runDir(`update-${contender}`);
          const base: ChildJob = { contender, hubUrl: hub.url, repo: updateModel, revision: "v1", dir };
          await measure(base, env);
          const result = await measure({ ...base, revision: "main", fromRevision: "v1" }, env);
          await checkBytes(dir, sizes.get(updateModel)!, contender);
          updates.push({ model: updateModel, modelBytes: sizes.get(updateModel)!, contender, ...result });
          process.stderr.write(`bench: update ${contender}: ${(result.wireBytes / 1e6).toFixed(1)} MB over the wire\n`);
          await rm(dir, { recursive: true, force: true });
        }
      }
    } finally {
      await hub.stop();
    }
  }

  const results: BenchResults = {
    date: new Date().toISOString(),
    mode: values.quick ? "quick" : partial ? "partial" : "full",
    runs,
    machine: { cpu: cpus()[0]?.model ?? "unknown", cores: availableParallelism(), memoryGB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: `${process.platform}-${process.arch}` },
    series,
    updates,
    seconds: (Date.now() - started) / 1000,
  };
  await writeReport({ results, benchDir: resolve("bench"), docsFile: resolve("docs/PERFORMANCE.md") });
  if (results.mode === "full") {
    // One full run answers every target: the slowing host, the adaptive start and the speed cap write their own
    // sections of the doc.
    await runSlowingBench({ work, docsFile: resolve("docs/PERFORMANCE.md"), runs });
    await runStartBench({ work, docsFile: resolve("docs/PERFORMANCE.md"), runs });
    await runCapBench({ work, docsFile: resolve("docs/PERFORMANCE.md") });
  }
}

interface HubConfig {
  repos: RepoSource[];
  dataDir: string;
  faults: string[];
  slow?: Partial<SlowProfile>;
}

async function serveHub(config: HubConfig): Promise<void> {
  // No rate limits: one download of any bench repo stays within a free user's quotas on huggingface.co, but the
  // bench makes a dozen in a few minutes with one token, and the later contenders would wait for the window.
  const hub = await startHub({ repos: config.repos, dataDir: config.dataDir, faults: config.faults as never[], slow: config.slow, rateLimit: false });
  process.stdout.write(`listening on ${hub.url}\n`);
  const stop = () => void hub.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

async function child(job: ChildJob): Promise<void> {
  const started = performance.now();
  const rate = job.maxBytesPerSecond ? sampleCappedRate(job.maxBytesPerSecond) : undefined;
  await runContender(job);
  process.stdout.write(`${JSON.stringify({ wallMs: performance.now() - started, cappedRate: rate?.() })}\n`);
  process.exit(0);
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) total += e.isDirectory() ? await folderBytes(join(dir, e.name)) : (await stat(join(dir, e.name))).size;
  return total;
}

/** A contender that "wins" by writing less than the model is a bug, not a result. */
async function checkBytes(dir: string, expected: number, contender: Contender): Promise<void> {
  let total = 0;
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue;
      if (e.isDirectory()) await walk(join(d, e.name));
      else total += (await stat(join(d, e.name))).size;
    }
  };
  await walk(dir);
  // The hub adds a generated .gitattributes (dot-file, skipped); everything else must be there.
  if (total < expected) throw new Error(`${contender} left ${total} bytes in ${dir}, expected ${expected}`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
