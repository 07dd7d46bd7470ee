// `npm run bench -- --scale [--big-gib N]`: the scale cases of docs/RELIABILITY.md. A 10,000-file repo on both of
// our routes and one N GiB (default 8) safetensors file on Xet, each run once in its own process: wall time and
// peak RSS, the files checked byte-exact afterwards. The table replaces the "Scale" section of the document.
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { RepoSource } from "../hub/model";
import { randomBytes, writeSafetensors, type TensorSpec } from "../test/fixtures/synthetic";
import type { Contender } from "./contenders";
import { measure, startHubProcess, type RunResult } from "./measure";

const MiB = 1024 * 1024;
const MANY_FILES = 10_000;
const MANY_LFS = 8;

export interface ScaleRow {
  case: string;
  route: Contender;
  files: number;
  bytes: number;
  result: RunResult;
}

/** 100 folders of small JSON files (plain git blobs) and a few safetensors shards (LFS / Xet). */
async function writeManyFiles(dir: string): Promise<void> {
  for (let i = 0; i < MANY_FILES - MANY_LFS; i++) {
    const folder = join(dir, "data", `part-${String(Math.floor(i / 100)).padStart(3, "0")}`);
    if (i % 100 === 0) await mkdir(folder, { recursive: true });
    const body = { id: i, text: randomBytes(i + 1, 200 + (i % 1800)).toString("base64") };
    await writeFile(join(folder, `sample-${String(i).padStart(5, "0")}.json`), `${JSON.stringify(body)}\n`);
  }
  for (let i = 0; i < MANY_LFS; i++) {
    await writeSafetensors(join(dir, `shard-${i}.safetensors`), [{ name: `w${i}`, bytes: 4 * MiB, kind: "bf16", seed: 70 + i }]);
  }
}

/** One safetensors file of `gib` GiB in 128 MiB tensors, two thirds bf16-like and one third noise. */
async function writeBigFile(dir: string, gib: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tensors: TensorSpec[] = Array.from({ length: gib * 8 }, (_, i) => ({ name: `layer.${i}`, bytes: 128 * MiB, kind: i % 3 === 2 ? "random" : "bf16", seed: 500 + i }));
  await writeSafetensors(join(dir, "model.safetensors"), tensors);
}

async function ensureSource(root: string, id: string, write: (dir: string) => Promise<void>): Promise<RepoSource> {
  const dir = join(root, id.replace("/", "--"));
  if (!existsSync(dir)) {
    process.stderr.write(`bench: generating ${id}…\n`);
    await rm(`${dir}.staging`, { recursive: true, force: true });
    await write(`${dir}.staging`);
    await rename(`${dir}.staging`, dir);
  }
  return { id, revisions: [{ dir, message: "Scale case" }] };
}

/** sha256 by repo path of every file under `dir`, dot-files and folders (ours, git's) left out. */
async function digests(dir: string, prefix = ""): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    if (e.name.startsWith(".")) continue;
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of await digests(dir, rel)) out.set(k, v);
    else {
      const hash = createHash("sha256");
      await pipeline(createReadStream(join(dir, rel)), hash);
      out.set(rel, hash.digest("hex"));
    }
  }
  return out;
}

async function assertSame(expected: Map<string, string>, dir: string, label: string): Promise<void> {
  const actual = await digests(dir);
  const wrong = [...expected].filter(([path, sha]) => actual.get(path) !== sha).map(([path]) => path);
  if (wrong.length || actual.size !== expected.size) {
    throw new Error(`${label}: ${wrong.length} of ${expected.size} files differ or are missing (${wrong.slice(0, 3).join(", ")}), ${actual.size} on disk`);
  }
}

export async function runScale(options: { work: string; bigGib: number }): Promise<ScaleRow[]> {
  const root = join(options.work, "scale");
  const many = await ensureSource(root, "scale/many-files", writeManyFiles);
  const big = await ensureSource(root, `scale/one-${options.bigGib}g`, (dir) => writeBigFile(dir, options.bigGib));
  const cases = [
    { name: `${MANY_FILES.toLocaleString("en")} files`, source: many, routes: ["lfs", "xet"] as Contender[] },
    { name: `one ${options.bigGib} GiB file`, source: big, routes: ["xet"] as Contender[] },
  ];
  process.stderr.write("bench: starting the local Hub (scale repos; the first start builds git and Xet data)…\n");
  const hub = await startHubProcess({ repos: [many, big], dataDir: join(options.work, "hub-data-scale"), faults: [] });
  const rows: ScaleRow[] = [];
  await mkdir(join(options.work, "runs"), { recursive: true });
  try {
    for (const c of cases) {
      const expected = await digests(c.source.revisions[0].dir);
      const size = await totalBytes(c.source.revisions[0].dir);
      for (const route of c.routes) {
        const dir = join(options.work, "runs", `scale-${route}`);
        await rm(dir, { recursive: true, force: true });
        const result = await measure({ contender: route, hubUrl: hub.url, repo: c.source.id, revision: "main", dir }, process.env);
        await assertSame(expected, join(dir, ...c.source.id.split("/")), `${c.name} on ${route}`);
        rows.push({ case: c.name, route, files: expected.size, bytes: size, result });
        process.stderr.write(`bench: scale ${c.name} ${route}: ${result.wallS.toFixed(1)} s, rss ${result.maxRssMB.toFixed(0)} MB, cpu ${result.cpuS.toFixed(1)} s\n`);
        await rm(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await hub.stop();
  }
  return rows;
}

async function totalBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).size;
  }
  return total;
}

const BEGIN = "<!-- scale:begin -->";
const END = "<!-- scale:end -->";

/** Replaces the text between the scale markers of `docsFile` with the table of `rows`. */
export async function writeScaleSection(docsFile: string, rows: ScaleRow[], command: string): Promise<void> {
  const lines = [
    BEGIN,
    `Measured by \`${command}\` on ${new Date().toISOString().slice(0, 10)} (loopback, one run each, files checked byte-exact afterwards).`,
    "",
    "| case | route | files | size | wall | MB/s | peak RSS | CPU |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.case} | ${r.route === "lfs" ? "Git LFS" : "Xet"} | ${r.files.toLocaleString("en")} | ${(r.bytes / MiB).toFixed(0)} MiB | ${r.result.wallS.toFixed(1)} s | ${(r.bytes / r.result.wallS / 1e6).toFixed(0)} | ${r.result.maxRssMB.toFixed(0)} MB | ${r.result.cpuS.toFixed(1)} s |`,
    ),
    END,
  ];
  const text = await readFile(docsFile, "utf8");
  const start = text.indexOf(BEGIN);
  const stop = text.indexOf(END);
  if (start < 0 || stop < start) throw new Error(`${docsFile} has no ${BEGIN} … ${END} section`);
  await writeFile(docsFile, text.slice(0, start) + lines.join("\n") + text.slice(stop + END.length));
}
