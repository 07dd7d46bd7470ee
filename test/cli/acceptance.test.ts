// The download engine's acceptance criteria, run exactly as a user types them (`npx hf-models …`):
// both routes give byte-identical folders, a CAS outage falls back and says why, a killed Xet download resumes.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { LocalHub } from "../../hub/server";
import { ROOT, sha256File, startDemoHub, tempDir } from "../helpers/hub";
import { resumeState } from "../../src/core/xet/engine/landedNote";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function npx(args: string[], options: { home: string; detached?: boolean }): { pid: number; done: Promise<Run> } {
  const child = spawn("npx", ["--no-install", "hf-models", ...args], {
    cwd: ROOT,
    detached: options.detached,
    env: { PATH: process.env.PATH ?? "", HOME: options.home, HF_HOME: join(options.home, "hf-home") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  return { pid: child.pid!, done: new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr }))) };
}

/** Every file of a model folder except git's and our own metadata, with its sha256. */
async function contents(dir: string, prefix = ""): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (rel === ".git" || rel.startsWith(".hf-models")) continue;
    if (entry.isDirectory()) for (const [k, v] of await contents(dir, rel)) out.set(k, v);
    else out.set(rel, await sha256File(join(dir, rel)));
  }
  return out;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("acceptance: npx hf-models download", function () {
  this.timeout(180_000);
  let hub: LocalHub;
  let home: Awaited<ReturnType<typeof tempDir>>;

  before(async () => {
    hub = await startDemoHub({ slow: { latencyMs: 0, perConnectionBytesPerSecond: 300_000, totalBytesPerSecond: 300_000 } });
    home = await tempDir("hf-accept-");
  });
  after(async () => {
    await hub.close();
    await home.cleanup();
  });
  beforeEach(() => {
    for (const f of ["slow", "cas-unavailable"] as const) hub.setFault(f, false);
    hub.resetLog();
  });

  it("Git LFS and --use-xet produce byte-identical folders", async () => {
    const lfs = await npx(["download", "demo/two-revisions", "--endpoint", hub.url, "--dir", join(home.path, "lfs"), "--json"], { home: home.path }).done;
    const xet = await npx(["download", "demo/two-revisions", "--endpoint", hub.url, "--dir", join(home.path, "xet"), "--use-xet", "--json"], { home: home.path }).done;
    assert.equal(lfs.code, 0, lfs.stderr);
    assert.equal(xet.code, 0, xet.stderr);
    const a = JSON.parse(lfs.stdout);
    const b = JSON.parse(xet.stdout);
    assert.deepEqual([a.method, b.method], ["lfs", "xet"]);
    assert.equal(a.commit, b.commit);
    const fromLfs = await contents(a.path);
    assert.deepEqual(fromLfs, await contents(b.path));
    assert.ok(fromLfs.has("model.safetensors") && fromLfs.size >= 4, [...fromLfs.keys()].join(","));
  });

  it("with the CAS down, --use-xet completes through Git LFS and the JSON says why", async () => {
    hub.setFault("cas-unavailable", true);
    const r = await npx(["download", "demo/tiny-model", "--endpoint", hub.url, "--dir", join(home.path, "fallback"), "--use-xet", "--json"], { home: home.path }).done;
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.method, "lfs");
    assert.equal(out.fallbackReason, "the CAS answered 503 for reconstructions");
    assert.ok(hub.ctx.log.some((e) => e.route === "lfs-object" && e.status === 206), "the files came through LFS");
  });

  it("a Xet download killed half-way resumes from the bytes on disk instead of restarting", async () => {
    const dir = join(home.path, "resume");
    const modelDir = join(dir, "demo", "tiny-model");
    const file = hub.ctx.repos.get("demo/tiny-model")!.commits.get(hub.ctx.repos.get("demo/tiny-model")!.branches.get("main")!)!.files.get("model.safetensors")!;
    hub.setFault("slow", true);
    const first = npx(["download", "demo/tiny-model", "--endpoint", hub.url, "--dir", dir, "--use-xet", "--include", "model.safetensors"], { home: home.path, detached: true });
    const partial = join(modelDir, ".hf-models-partial", `${file.sha256}.part`);
    const kept = await waitFor(async () => {
      const size = (await stat(partial).catch(() => undefined))?.size ?? 0;
      return size >= file.size / 3 ? size : undefined;
    }, "a third of the file on disk");
    process.kill(-first.pid, "SIGKILL");
    await first.done;
    const onDisk = (await stat(partial)).size;
    assert.ok(onDisk >= kept && onDisk < file.size, `partial ${onDisk} of ${file.size}`);

    // What the rerun may trust: the ranges the engine's note named before the kill (it notes every 200 ms, so
    // bytes that landed after the last note are fetched again, as they may be torn).
    const { offset, landed } = await resumeState(partial);
    const known = offset + landed.reduce((n, [s, e]) => n + e - s, 0);
    assert.ok(offset > 0 && known <= onDisk, `note: prefix ${offset}, ${known} bytes known, ${onDisk} on disk`);

    hub.setFault("slow", false);
    hub.resetLog();
    const second = await npx(["download", "demo/tiny-model", "--endpoint", hub.url, "--dir", dir, "--use-xet", "--include", "model.safetensors", "--json"], { home: home.path }).done;
    assert.equal(second.code, 0, second.stderr);
    assert.equal(JSON.parse(second.stdout).method, "xet");
    assert.equal(await sha256File(join(modelDir, "model.safetensors")), file.sha256);
    const reconstructions = hub.ctx.log.filter((e) => e.route === "reconstruction-v2");
    const asked = reconstructions.map((e) => /^bytes=(\d+)-(\d+)$/.exec(e.range ?? "")!).map((m) => [Number(m[1]), Number(m[2]) + 1] as const);
    assert.equal(asked[0]?.[0], offset, `the rerun starts where the note's prefix ends: ${reconstructions.map((e) => e.range)}`);
    assert.equal(asked.reduce((n, [s, e]) => n + e - s, 0), file.size - known, "only the bytes the note does not name are asked for");
    const xorbBytes = hub.ctx.log.filter((e) => e.route === "xorb").reduce((n, e) => n + e.bytes, 0);
    assert.ok(xorbBytes < file.size - known + 256 * 1024, `rerun fetched ${xorbBytes} xorb bytes for ${file.size - known} missing`);
    const record = JSON.parse(await readFile(join(modelDir, ".hf-models.json"), "utf8"));
    assert.deepEqual(record.files.map((f: { path: string }) => f.path), ["model.safetensors"]);
  });
});
