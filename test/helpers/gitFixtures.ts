// Test helpers for the git side of the local Hub: deterministic fixture folders, hashing, and stock git/git-lfs
// clients run with a throw-away HOME (after `git lfs install`) so the user's own git config is never touched.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { RepoSource } from "../../hub/model";
import { sha256, tempDir as newTempDir } from "./files";

export { gitBlobId, sha256, sha256File } from "./files";

/** A fresh folder's path; the caller removes it. */
export async function tempDir(prefix: string): Promise<string> {
  return (await newTempDir(`hf-git-test-${prefix}-`)).path;
}

/** Reproducible pseudo-random bytes: SHA-256 in counter mode over `seed`. */
export function fixtureBytes(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let off = 0, i = 0; off < size; off += 32, i++) createHash("sha256").update(`${seed}:${i}`).digest().copy(out, off);
  return out;
}

/** Writes `{ "rel/path": content }` under `dir`, creating folders. */
export async function writeTree(dir: string, files: Record<string, Buffer | string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, ...path.split("/"));
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
  }
}


export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A stock git client environment: private HOME with git-lfs' filters installed, no prompts, no system config. */
export class GitClient {
  private constructor(readonly home: string) {}

  static async create(): Promise<GitClient> {
    const client = new GitClient(await tempDir("home"));
    const result = await client.run({ args: ["lfs", "install", "--skip-repo"] });
    if (result.code !== 0) throw new Error(`git lfs install failed: ${result.stderr}`);
    return client;
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    // Keep only what git needs from the parent; editor/CI credential hooks would change what git does on 401.
    for (const key of ["PATH", "LANG", "TMPDIR"]) if (process.env[key]) env[key] = process.env[key];
    return {
      ...env,
      HOME: this.home,
      XDG_CONFIG_HOME: join(this.home, ".config"),
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_TERMINAL_PROMPT: "0",
      GIT_ASKPASS: "",
      SSH_ASKPASS: "",
      LC_ALL: "C",
      ...extra,
    };
  }

  run(options: { args: string[]; cwd?: string; env?: Record<string, string> }): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn("git", options.args, { cwd: options.cwd ?? this.home, env: this.env(options.env), stdio: ["ignore", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (d: Buffer) => out.push(d));
      child.stderr.on("data", (d: Buffer) => err.push(d));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    });
  }

  /** Runs git and fails with its stderr unless it exits 0. */
  async ok(options: { args: string[]; cwd?: string; env?: Record<string, string> }): Promise<string> {
    const result = await this.run(options);
    if (result.code !== 0) throw new Error(`git ${options.args.join(" ")} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  }

  async dispose(): Promise<void> {
    await rm(this.home, { recursive: true, force: true });
  }
}

const MiB = 1024 * 1024;

export interface GitFixture {
  sources: RepoSource[];
  /** Repo id → the file contents of each revision, in order. */
  revisions: Map<string, Array<Record<string, Buffer>>>;
  /** What to pass as `lfsThresholdBytes` so `big.raw` (no pattern) is LFS by size. */
  lfsThresholdBytes: number;
}

/**
 * Two repos written under `root`: `acme/model` (two revisions, the first on branch `v1`; small files, nested
 * paths, LFS files by pattern and one by size) and the private `acme/private`.
 */
export async function writeGitFixture(root: string): Promise<GitFixture> {
  const r1: Record<string, Buffer> = {
    "config.json": Buffer.from('{"architectures":["Tiny"],"hidden_size":64}\n'),
    "README.md": Buffer.from("# acme/model\n\nA test model.\n"),
    "nested/dir/vocab.txt": Buffer.from("a\nb\nc\n"),
    "model.safetensors": fixtureBytes("model-r1", 3 * MiB),
    "weights/extra.bin": fixtureBytes("extra", MiB),
    "big.raw": fixtureBytes("big", 2 * MiB + 17),
  };
  const r2: Record<string, Buffer> = {
    ...r1,
    "config.json": Buffer.from('{"architectures":["Tiny"],"hidden_size":128}\n'),
    "model.safetensors": Buffer.concat([fixtureBytes("model-r1", 2 * MiB), fixtureBytes("model-r2", MiB)]),
  };
  const priv: Record<string, Buffer> = {
    "config.json": Buffer.from('{"private":true}\n'),
    "model.safetensors": fixtureBytes("private", MiB),
  };
  const sources: RepoSource[] = [];
  const revisions = new Map<string, Array<Record<string, Buffer>>>();
  const add = async (id: string, revs: Array<Record<string, Buffer>>, isPrivate = false): Promise<void> => {
    const dirs = [];
    for (const [i, files] of revs.entries()) {
      const dir = join(root, id.replace("/", "--"), `r${i + 1}`);
      await writeTree(dir, files);
      dirs.push({ dir, message: `revision ${i + 1}`, branch: i === 0 && revs.length > 1 ? "v1" : undefined });
    }
    sources.push({ id, revisions: dirs, private: isPrivate });
    revisions.set(id, revs);
  };
  await add("acme/model", [r1, r2]);
  await add("acme/private", [priv], true);
  return { sources, revisions, lfsThresholdBytes: MiB + 1 };
}

export function lfsPointerText(content: Buffer): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(content)}\nsize ${content.length}\n`;
}
