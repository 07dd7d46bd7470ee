// Shared fixtures for the download suites: the service testbed (a local Hub with any options, an isolated git
// HOME with `git lfs install`, a models folder), event collection, and readers for what landed and was asked.
import { execFileSync } from "node:child_process";
import { lstat, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ProgressEvent } from "../../src/core/download/types";
import type { RepoSource } from "../../hub/model";
import { startHub, type LocalHub, type StartHubOptions } from "../../hub/server";
import { tempDir, type TempDir } from "../helpers/files";
import { startDemoHub } from "../helpers/hub";

export const TOKEN = "hf_testtoken_0123456789abcdef";

/** A HOME of its own with git-lfs' filters installed: the user's git config is never read or changed. */
export async function gitHome(): Promise<{ env: NodeJS.ProcessEnv; path: string; cleanup(): Promise<void> }> {
  const dir = await tempDir("hf-git-home-");
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir.path, XDG_CONFIG_HOME: join(dir.path, ".config"), GIT_CONFIG_NOSYSTEM: "1" };
  execFileSync("git", ["lfs", "install", "--skip-repo"], { env, stdio: "ignore" });
  return { env, path: dir.path, cleanup: dir.cleanup };
}

export function collect(): { events: ProgressEvent[]; onProgress: (e: ProgressEvent) => void } {
  const events: ProgressEvent[] = [];
  return { events, onProgress: (e) => events.push(e) };
}

export function bytesEvents(events: ProgressEvent[]): Array<Extract<ProgressEvent, { type: "bytes" }>> {
  return events.filter((e): e is Extract<ProgressEvent, { type: "bytes" }> => e.type === "bytes");
}

/** The hub's source files of a repo at a revision: path → absolute source path. */
export function sourceFiles(hub: LocalHub, repo: string, revision = "main"): Map<string, { source: string; size: number; sha256: string; lfsOid?: string }> {
  const r = hub.ctx.repos.get(repo)!;
  const commit = r.commits.get(r.branches.get(revision) ?? revision)!;
  return new Map([...commit.files.values()].map((f) => [f.path, { source: f.source, size: f.size, sha256: f.sha256, lfsOid: f.lfs?.oid }]));
}

/** Files of a model folder (not .git), relative paths sorted. */
export async function workingFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(join(dir, prefix))).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    if (rel === ".git") continue;
    if ((await lstat(join(dir, rel))).isDirectory()) out.push(...(await workingFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
}

/** Every file under `dir` (including .git) whose content contains `needle`. */
export async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  const walk = async (d: string) => {
    for (const name of await readdir(d)) {
      const p = join(d, name);
      const s = await lstat(p);
      if (s.isDirectory()) await walk(p);
      else if (s.isFile() && (await readFile(p)).includes(needle)) hits.push(p);
    }
  };
  await walk(dir);
  return hits;
}

export function lfsObjectRequests(hub: LocalHub): Array<{ oid: string; range?: string; status: number }> {
  return hub.ctx.log
    .filter((e) => e.route === "lfs-object")
    .map((e) => ({ oid: /([0-9a-f]{64})/.exec(e.path)![1]!, range: e.range, status: e.status }));
}

export function gitStatus(dir: string, env: NodeJS.ProcessEnv): string {
  return execFileSync("git", ["status", "--porcelain"], { cwd: dir, env }).toString();
}

export async function sameBytes(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([readFile(a), readFile(b)]);
  return x.equals(y);
}

export async function sizeOr0(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

export interface ServiceTestbed {
  hub: LocalHub;
  home: Awaited<ReturnType<typeof gitHome>>;
  /** A fresh models folder per test. */
  models: TempDir;
  /** A scratch folder for the whole suite: repo sources, extra models folders, mount points. */
  work: TempDir;
}

export interface ServiceTestbedOptions extends Partial<StartHubOptions> {
  /** Prefix of each test's models folder. */
  prefix?: string;
  /** Writes the Hub's repos into the suite's scratch folder; default: the demo repos. */
  sources?: (work: string) => Promise<RepoSource[]>;
}

/**
 * Registers mocha hooks for a suite that downloads from a local Hub: one Hub, git HOME and scratch folder per
 * suite; per test a fresh models folder and request log, with faults and hostile modes back to the suite's own.
 * Read the fields inside tests, not at suite definition.
 */
export function useServiceTestbed(options: ServiceTestbedOptions = {}): ServiceTestbed {
  const { prefix = "hf-service-", sources, ...hubOptions } = options;
  const bed = {} as ServiceTestbed;
  before(async () => {
    bed.work = await tempDir(`${prefix}work-`);
    const repos = sources ? await sources(bed.work.path) : undefined;
    bed.hub = repos ? await startHub({ ...hubOptions, repos }) : await startDemoHub(hubOptions);
    bed.home = await gitHome();
  });
  after(async () => {
    await bed.hub?.close();
    await bed.home?.cleanup();
    await bed.work?.cleanup();
  });
  beforeEach(async () => {
    bed.models = await tempDir(prefix);
    bed.hub.resetLog();
  });
  afterEach(async () => {
    for (const set of [bed.hub.ctx.faults, bed.hub.ctx.hostile] as Array<Set<string>>) set.clear();
    for (const f of hubOptions.faults ?? []) bed.hub.ctx.faults.add(f);
    for (const m of hubOptions.hostile ?? []) bed.hub.ctx.hostile.add(m);
    await bed.models.cleanup();
  });
  return bed;
}
