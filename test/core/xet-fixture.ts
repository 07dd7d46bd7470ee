// A generated multi-file repo for the Xet route tests, served by the local Hub, and the helpers the
// suites share: the listing as RepoFileEntry[], route params with defaults, and request-log sums.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DownloadedFile } from "../../src/core/download/types";
import type { RepoFileEntry } from "../../src/core/hub/api";
import type { XetRouteParams } from "../../src/core/xet/route";
import { mixedModelBytes, pseudoRandomBytes } from "../../hub/xet/sampleData";
import { resolveRevision } from "../../hub/model";
import { startHub, type LocalHub, type StartHubOptions } from "../../hub/server";

export const REPO = "test/xet-model";
export const BIG = "model.safetensors";
/** Incompressible, so xorb bytes on the wire track file bytes closely (resume measurements). */
export const BIG_SIZE = 12 * 1024 * 1024;

/** Writes the repo folder: a big LFS file, a mixed LFS file and its copy, small text files, an empty file. */
export async function writeFixtureRepo(dir: string): Promise<void> {
  const files: Record<string, string | Buffer> = {
    "config.json": JSON.stringify({ architectures: ["TestModel"], hidden_size: 64 }, null, 2) + "\n",
    "README.md": "# test/xet-model\n\nGenerated for the Xet route tests.\n",
    "nested/dir/notes.txt": "notes with spaces and ünïcödé\n".repeat(50),
    "empty.txt": "",
    [BIG]: pseudoRandomBytes(BIG_SIZE, 7),
    "weights/extra.bin": mixedModelBytes(3 * 1024 * 1024 + 12345, 3),
    "weights/extra-copy.bin": mixedModelBytes(3 * 1024 * 1024 + 12345, 3),
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, ".."), { recursive: true });
    await writeFile(join(dir, name), content);
  }
}

export async function startFixtureHub(dir: string, options: Partial<StartHubOptions> = {}): Promise<LocalHub> {
  return startHub({ repos: [{ id: REPO, revisions: [{ dir, message: "Add test model" }] }], ...options });
}

/** The listing at `main`, shaped as core/hub/api.ts reports it. */
export function listing(hub: LocalHub): { commit: string; files: RepoFileEntry[] } {
  return listingOf(hub, REPO);
}

/** A repo's listing at a revision, shaped as core/hub/api.ts reports it. */
export function listingOf(hub: LocalHub, repo: string, revision = "main"): { commit: string; files: RepoFileEntry[] } {
  const commit = resolveRevision(hub.ctx.repos.get(repo)!, revision)!;
  const files = [...commit.files.values()].map((f) => ({
    path: f.path,
    size: f.size,
    blobOid: f.blobOid,
    ...(f.lfs ? { lfs: { oid: f.lfs.oid, size: f.lfs.size } } : {}),
    ...(f.xetHash ? { xetHash: f.xetHash } : {}),
  }));
  return { commit: commit.sha, files };
}

/** Where the hub keeps the real content of `path` (the hub adds files such as `.gitattributes`). */
export function sourceOf(hub: LocalHub, path: string): string {
  const file = resolveRevision(hub.ctx.repos.get(REPO)!, "main")!.files.get(path);
  if (!file) throw new Error(`the hub has no ${path}`);
  return file.source;
}

let tokenCounter = 0;
/**
 * A fresh valid token per call: the library caches Xet read tokens per (refresh URL, Hub token) for the
 * whole process, so a token-endpoint fault is only seen by a token the cache has not met.
 */
export function freshToken(): string {
  return `hf_xetroute${process.pid}x${++tokenCounter}`;
}

export interface ProgressLog {
  calls: Array<{ path: string; doneBytes: number; newBytes: number }>;
  /** Last doneBytes per path. */
  last: Map<string, number>;
}

export function routeParams(
  hub: LocalHub,
  modelDir: string,
  files: RepoFileEntry[],
  commit: string,
  extra: Partial<XetRouteParams> = {},
): XetRouteParams & { progress: ProgressLog; logs: string[] } {
  const progress: ProgressLog = { calls: [], last: new Map() };
  const logs: string[] = [];
  return {
    endpoint: hub.url,
    token: freshToken(),
    repo: REPO,
    commit,
    files,
    modelDir,
    concurrency: 3,
    stallTimeoutMs: 10_000,
    onFileProgress: (p) => {
      progress.calls.push(p);
      progress.last.set(p.path, p.doneBytes);
    },
    log: (level, message) => logs.push(`${level}: ${message}`),
    progress,
    logs,
    ...extra,
  };
}

/** Response bytes of successful xorb fetches in the request log. */
export function xorbBytes(hub: LocalHub): number {
  return hub.ctx.log.filter((e) => e.route === "xorb" && e.status < 300).reduce((n, e) => n + e.bytes, 0);
}

export function byPath(files: DownloadedFile[]): Map<string, DownloadedFile> {
  return new Map(files.map((f) => [f.path, f]));
}
