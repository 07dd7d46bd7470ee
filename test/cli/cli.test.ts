// `hf-models` as a user runs it: the bundled CLI (esbuild, like `node esbuild.js`) started through
// bin/hf-models.js against the local Hub — exit codes, stderr lines, the --json line, files on disk, Ctrl-C.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createRequire } from "node:module";
import type { BuildContext, BuildOptions } from "esbuild";
import type { LocalHub } from "../../hub/server";
import { demoSources, sha256File, startDemoHub } from "../helpers/hub";

const ROOT = resolve(__dirname, "..", "..");
const esbuildConfig = createRequire(__filename)(join(ROOT, "esbuild.js")) as {
  ENTRIES: Array<{ in: string; out: string }>;
  contexts(options: { entries: Array<{ in: string; out: string }>; root: string; overrides?: BuildOptions }): Promise<BuildContext[]>;
};
const TOKEN = "hf_cli_test_token_0123456789";

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

let bin: string;
let buildDir: string;

/** Bundles the CLI and the Xet worker with esbuild.js's own options, next to a copy of bin/hf-models.js (under out/, git-ignored). */
async function buildCli(): Promise<void> {
  await mkdir(join(ROOT, "out"), { recursive: true });
  buildDir = await mkdtemp(join(ROOT, "out", "cli-test-"));
  const entries = esbuildConfig.ENTRIES.filter((e) => e.out === "dist/cli.js" || e.out === "dist/xet-worker.js");
  assert.equal(entries.length, 2, "esbuild.js lists the CLI and the Xet worker");
  for (const context of await esbuildConfig.contexts({ entries, root: buildDir, overrides: { logLevel: "silent" } })) {
    await context.rebuild();
    await context.dispose();
  }
  await mkdir(join(buildDir, "bin"));
  bin = join(buildDir, "bin", "hf-models.js");
  await copyFile(join(ROOT, "bin", "hf-models.js"), bin);
}

function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Run>; stderrSoFar: () => string } {
  const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? "", HOME: home, HF_HOME: join(home, "hf-home"), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<Run>((res) => child.on("close", (code, signal) => res({ code, signal, stdout, stderr })));
  return { child, done, stderrSoFar: () => stderr };
}

const run = (args: string[], env?: Record<string, string>) => start(args, env).done;

let home: string;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

function oneLine(text: string): string {
  const lines = text.split("\n").filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `expected one line, got: ${JSON.stringify(text)}`);
  return lines[0]!;
}

async function allFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await allFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
}

describe("hf-models CLI (spawned)", function () {
  this.timeout(180_000);
  let hub: LocalHub;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "hf-cli-test-"));
    await buildCli();
    hub = await startDemoHub({ slow: { latencyMs: 0, perConnectionBytesPerSecond: 400_000, totalBytesPerSecond: 400_000 } });
  });
  after(async () => {
    await hub?.close();
    await rm(home, { recursive: true, force: true });
    if (buildDir) await rm(buildDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    for (const f of ["slow", "cas-unavailable"] as const) hub.setFault(f, false);
    hub.resetLog();
  });

  describe("usage", () => {
    it("--help prints the usage on stdout and exits 0", async () => {
      for (const args of [["--help"], ["help"], ["download", "-h"]]) {
        const r = await run(args);
        assert.equal(r.code, 0, args.join(" "));
        assert.match(r.stdout, /^Usage: hf-models download <repo> \[options\]\n/);
        assert.match(r.stdout, /--token-file <file>/);
        assert.equal(r.stderr, "");
      }
    });

    it("no command: exit 2 with the problem and a usage hint", async () => {
      const r = await run([]);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, "hf-models: missing command\nRun 'hf-models --help' for usage.\n");
      assert.equal(r.stdout, "");
    });

    it("an unknown option is exit 2", async () => {
      const r = await run(["download", "demo/tiny-model", "--bogus"]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^hf-models: Unknown option '--bogus'/);
    });

    for (const [args, pattern] of [
      [["download", "../x"], /^hf-models: Invalid repository id "\.\.\/x": "\.\." is not allowed/],
      [["download", "a/b/c"], /^hf-models: Invalid repository id "a\/b\/c": it has more than two parts/],
      [["download", "--", "--upload-pack=touch /tmp/pwned"], /^hf-models: Invalid repository id "--upload-pack=touch \/tmp\/pwned": it must not start with "-"/],
      [["download", "demo/tiny-model", "--revision", "a..b"], /^hf-models: Invalid revision "a\.\.b"/],
      [["download", "demo/tiny-model", "--endpoint", "ftp://x"], /^hf-models: Invalid Hub endpoint "ftp:\/\/x": only http:\/\/ and https:\/\//],
      [["download", "https://huggingface.co/demo/tiny-model/tree/v1", "--revision", "main"], /The URL names revision "v1" but the revision given is "main"; give only one of them/],
    ] as const) {
      it(`malformed: ${args.slice(1).join(" ")} → exit 2 with one line`, async () => {
        const r = await run([...args]);
        assert.equal(r.code, 2);
        assert.match(oneLine(r.stderr), pattern);
        assert.equal(r.stdout, "");
      });
    }

    it("an unreadable --token-file is exit 2 and names the file", async () => {
      const r = await run(["download", "demo/tiny-model", "--token-file", join(home, "no-such-token")]);
      assert.equal(r.code, 2);
      assert.match(oneLine(r.stderr), /^hf-models: Cannot read the token file .*no-such-token \(ENOENT\)\.$/);
    });

    it("with --json a usage error is also one JSON line on stdout", async () => {
      const r = await run(["download", "a/b/c", "--json"]);
      assert.equal(r.code, 2);
      const out = JSON.parse(oneLine(r.stdout));
      assert.equal(out.error.code, "invalid-repo");
      assert.match(out.error.message, /more than two parts/);
      const u = await run(["download", "--json"]);
      assert.equal(u.code, 2);
      assert.equal(JSON.parse(oneLine(u.stdout)).error.code, "usage");
    });
  });

  describe("errors from the Hub", () => {
    it("private repo without a token: exit 1, one line saying how to set a token (HF_ENDPOINT honoured)", async () => {
      const r = await run(["download", "demo/private-model", "--dir", join(home, "m1"), "--json"], { HF_ENDPOINT: hub.url });
      assert.equal(r.code, 1);
      assert.equal(oneLine(r.stderr.split("\n").filter((l) => l.startsWith("hf-models:")).join("\n")), "hf-models: demo/private-model is private or does not exist. Pass --token-file or set HF_TOKEN.");
      const out = JSON.parse(oneLine(r.stdout));
      assert.equal(out.error.code, "unauthorized");
      assert.ok(hub.ctx.log.some((e) => e.status === 401 && e.path.startsWith("/api/models/demo/private-model/")));
    });

    it("an unreachable Hub: exit 1 naming the endpoint", async () => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const r = await run(["download", "demo/tiny-model", "--endpoint", url, "--dir", join(home, "m2")]);
      assert.equal(r.code, 1);
      const last = r.stderr.trim().split("\n").pop()!;
      assert.equal(last, `hf-models: Cannot reach the Hub at ${url} (ECONNREFUSED). Check the network, proxy or HF_ENDPOINT.`);
    });
  });

  describe("downloads", () => {
    let tinyDir: string;
    before(async () => {
      tinyDir = (await demoSources()).find((s) => s.id === "demo/tiny-model")!.revisions[0]!.dir;
    });

    async function assertByteExact(modelDir: string, paths: string[]): Promise<void> {
      for (const p of paths) {
        if (p === ".gitattributes") continue; // generated by the Hub, not in the source folder
        assert.equal(await sha256File(join(modelDir, p)), await sha256File(join(tinyDir, p)), p);
      }
    }

    it("download --json: exit 0, one JSON line with every field, files byte-exact, a record on disk", async () => {
      const dir = join(home, "lfs");
      const r = await run(["download", "demo/tiny-model", "--endpoint", hub.url, "--dir", dir, "--json"]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(oneLine(r.stdout));
      const served = hub.ctx.repos.get("demo/tiny-model")!;
      const commit = served.branches.get("main")!;
      assert.deepEqual(Object.keys(out).sort(), ["bytes", "commit", "files", "method", "path", "repo", "revision", "seconds", "totalBytes"].sort());
      assert.equal(out.repo, "demo/tiny-model");
      assert.equal(out.revision, "main");
      assert.equal(out.commit, commit);
      assert.equal(out.method, "lfs");
      assert.equal(out.path, join(dir, "demo", "tiny-model"));
      assert.equal(typeof out.seconds, "number");
      const expected = [...served.commits.get(commit)!.files.values()].map((f) => ({ path: f.path, size: f.size, hash: f.lfs ? f.sha256 : f.blobOid }));
      const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : 1);
      assert.deepEqual([...out.files].sort(byPath), expected.sort(byPath));
      assert.equal(out.totalBytes, expected.reduce((s, f) => s + f.size, 0));
      assert.ok(out.bytes > 0 && out.bytes <= out.totalBytes * 2, `bytes transferred ${out.bytes}`);
      await assertByteExact(out.path, expected.map((f) => f.path));
      const record = JSON.parse(await readFile(join(out.path, ".hf-models.json"), "utf8"));
      assert.equal(record.commit, commit);
      assert.equal(record.repo, "demo/tiny-model");
    });

    it("--use-xet --include: only the selected files, via Xet, human summary on stdout", async () => {
      const dir = join(home, "xet");
      const r = await run(["download", `${hub.url}/demo/tiny-model`, "--endpoint", hub.url, "--dir", dir, "--use-xet", "--include", "*.json", "--include", "model.safetensors"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Downloaded demo\/tiny-model@main \([0-9a-f]{12}\) via Xet: 4 files, /);
      assert.match(r.stdout, new RegExp(`\\n${join(dir, "demo", "tiny-model").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\n$`));
      const modelDir = join(dir, "demo", "tiny-model");
      const files = (await allFiles(modelDir)).filter((f) => !f.startsWith(".hf-models")).sort();
      assert.deepEqual(files, ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json"]);
      await assertByteExact(modelDir, files);
      assert.ok(hub.ctx.log.some((e) => e.route === "reconstruction-v2"), "went through the Xet CAS");
      assert.match(r.stderr, /Downloading 4 files \(.*\) via Xet/);
    });

    it("Xet failure falls back to Git LFS with one line on stderr and fallbackReason in the JSON", async () => {
      hub.setFault("cas-unavailable", true);
      const dir = join(home, "fallback");
      const r = await run(["download", "demo/tiny-model", "--endpoint", hub.url, "--dir", dir, "--use-xet", "--json"]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(oneLine(r.stdout));
      assert.equal(out.method, "lfs");
      assert.equal(typeof out.fallbackReason, "string");
      const line = r.stderr.split("\n").find((l) => l.startsWith("Xet failed ("));
      assert.ok(line, r.stderr);
      assert.ok(line!.endsWith("; continuing with Git LFS"), line);
      assert.ok(line!.includes(out.fallbackReason), line);
      await assertByteExact(out.path, out.files.map((f: { path: string }) => f.path));
    });

    it("--no-fallback: a Xet failure is exit 1 with the error in JSON", async () => {
      hub.setFault("cas-unavailable", true);
      const r = await run(["download", "demo/tiny-model", "--endpoint", hub.url, "--dir", join(home, "nofb"), "--use-xet", "--no-fallback", "--json"]);
      assert.equal(r.code, 1);
      const out = JSON.parse(oneLine(r.stdout));
      assert.ok(typeof out.error.code === "string" && out.error.code.length > 0);
      assert.ok(r.stderr.trim().split("\n").pop()!.startsWith("hf-models: "));
      assert.ok(!r.stderr.includes("continuing with Git LFS"));
    });

    it("a token from HF_TOKEN reaches the Hub but never stdout, stderr or any file", async () => {
      const dir = join(home, "private");
      const r = await run(["download", "demo/private-model", "--endpoint", hub.url, "--dir", dir, "--json"], { HF_TOKEN: TOKEN });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(hub.ctx.log.some((e) => e.auth === "hub-token"));
      assert.ok(!r.stdout.includes(TOKEN) && !r.stderr.includes(TOKEN));
      const modelDir = join(dir, "demo", "private-model");
      for (const f of await allFiles(modelDir)) assert.ok(!(await readFile(join(modelDir, f))).includes(TOKEN), `token found in ${f}`);
    });

    it("--token-file works the same way", async () => {
      await writeFile(join(home, "token"), `${TOKEN}\n`);
      const r = await run(["download", "demo/private-model", "--endpoint", hub.url, "--dir", join(home, "private2"), "--token-file", join(home, "token"), "--include", "config.json", "--use-xet", "--json"]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(oneLine(r.stdout)).files.map((f: { path: string }) => f.path), ["config.json"]);
    });

    it("Ctrl-C (SIGINT) cancels through the AbortSignal: exit 130, 'cancelled', no record", async () => {
      hub.setFault("slow", true);
      const dir = join(home, "cancel");
      const p = start(["download", "demo/tiny-model", "--endpoint", hub.url, "--dir", dir, "--use-xet", "--no-fallback", "--json"]);
      const deadline = Date.now() + 60_000;
      while (!/\d+% /.test(p.stderrSoFar()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      p.child.kill("SIGINT");
      const r = await p.done;
      assert.equal(r.code, 130, r.stderr);
      assert.equal(r.stderr.trim().split("\n").pop(), "hf-models: cancelled");
      assert.deepEqual(JSON.parse(oneLine(r.stdout)), { error: { code: "cancelled", message: "cancelled" } });
      await assert.rejects(readFile(join(dir, "demo", "tiny-model", ".hf-models.json")), /ENOENT/);
    });

    /** Runs the CLI under `script`, which gives it a pseudo-terminal like a user's shell; returns what the terminal showed. */
    async function onTerminal(args: string[]): Promise<{ code: number | null; out: string }> {
      const cmd = [process.execPath, bin, ...args].map((a) => `'${a}'`).join(" ");
      const child = spawn("script", ["-qec", `${cmd} 2>&1`, "/dev/null"], { env: { PATH: process.env.PATH ?? "", HOME: home, HF_HOME: join(home, "hf-home"), TERM: "xterm" }, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout!.on("data", (d) => (out += d));
      const code = await new Promise<number | null>((res) => child.on("close", res));
      return { code, out };
    }

    it("on a terminal, the fallback line is printed and the bar carries on for Git LFS", async () => {
      hub.setFault("cas-unavailable", true);
      const { code, out } = await onTerminal(["download", "demo/tiny-model", "--endpoint", hub.url, "--dir", join(home, "tty-fallback"), "--use-xet", "--include", "model.safetensors"]);
      assert.equal(code, 0, out);
      const at = out.indexOf("Xet failed (");
      assert.ok(at >= 0, out);
      assert.match(out.slice(at), /^Xet failed \([^\r\n]+\); continuing with Git LFS\r\n/);
      assert.match(out.slice(at), /\[=+\] 100% /, "a bar after the fallback line");
      assert.match(out, /Downloaded demo\/tiny-model@main \([0-9a-f]{12}\) via Git LFS after Xet failed/);
    });

    it("on a terminal, a progress bar on stderr shows file, bytes, speed and ETA", async () => {
      hub.setFault("slow", true);
      const { code, out } = await onTerminal(["download", "demo/tiny-model", "--endpoint", hub.url, "--dir", join(home, "tty"), "--include", "model.safetensors"]);
      assert.equal(code, 0, out);
      // A frame mid-download: the file, a partly filled bar, bytes done/total, a real speed and an ETA.
      assert.match(out, /model\.safetensors +\[=+-+\] \d+% [\d.]+ (kB|MB)\/3\.1 MB [\d.]+ (kB|MB)\/s ETA \d/);
      assert.match(out, /Downloaded demo\/tiny-model@main/);
    });
  });
});
