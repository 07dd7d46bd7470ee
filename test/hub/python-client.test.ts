// Fidelity of the local Hub with the reference Python client, huggingface_hub 2.0 + hf_xet 1.6 (Rust
// xet-core), unmodified, from the venv scripts/ensure-python-judge.sh installs (.venv-judge). Each case runs
// the venv's python (or its `hf` CLI) against the local Hub and compares the sha256 of every file it wrote
// with the repo's own files. The Hub and its CDN/CAS origin run on different host names (127.0.0.1 and
// 127.0.0.2): this client relays same-host redirects, so with one host name it read the CDN's answer as the
// Hub's and failed with "missing the 'X-Repo-Commit' header".
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import type { LocalHub } from "../../hub/server";
import { ROOT, demoSources, sha256File, startDemoHub, tempDir } from "../helpers/hub";
import { runProcess, type Run } from "../helpers/process";

const VENV = join(ROOT, ".venv-judge");
const PYTHON = join(VENV, "bin", "python");
const HF = join(VENV, "bin", "hf");
const TOKEN = "hf_python_judge_token";

describe("local Hub with the reference Python client (huggingface_hub + hf_xet)", function () {
  this.timeout(180_000);
  let hub: LocalHub;
  let home: { path: string; cleanup(): Promise<void> };
  const sourceDirs = new Map<string, string[]>();

  before(async function () {
    if (!existsSync(PYTHON) || !existsSync(HF)) {
      throw new Error(`${VENV} is missing: run bash scripts/ensure-python-judge.sh (npm test runs it first)`);
    }
    hub = await startDemoHub({ tokens: [TOKEN] });
    for (const s of await demoSources()) sourceDirs.set(s.id, s.revisions.map((r) => r.dir));
  });
  after(() => hub?.close());
  beforeEach(async () => {
    hub.resetLog();
    home = await tempDir("hf-python-judge-");
  });
  afterEach(() => home.cleanup());

  /** Runs the venv's python (or `hf`) with a fresh HF_HOME, against the local Hub, without a token. */
  function run(command: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
    return runProcess(command, args, {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home.path,
      HF_ENDPOINT: hub.url,
      HF_HOME: join(home.path, "hf-home"),
      HF_HUB_DISABLE_TELEMETRY: "1",
      HF_HUB_DISABLE_PROGRESS_BARS: "1",
      NO_COLOR: "1",
      ...env,
    });
  }

  async function python(script: string, env: Record<string, string> = {}): Promise<Run> {
    const result = await run(PYTHON, ["-c", script], env);
    assert.equal(result.code, 0, `python exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr.slice(-4000)}`);
    return result;
  }

  /** path → sha256 of every file the Hub serves at `revision` (its .gitattributes included). */
  function served(repoId: string, revision: string): Map<string, string> {
    const repo = hub.ctx.repos.get(repoId)!;
    const commit = repo.commits.get(repo.branches.get(revision) ?? revision)!;
    return new Map([...commit.files.values()].map((f) => [f.path, f.sha256]));
  }

  /** Every file of `dir` (following snapshot symlinks), without huggingface_hub's own `.cache/`. */
  async function hashTree(dir: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isDirectory()) continue;
      const path = join(entry.parentPath, entry.name);
      const rel = relative(dir, path).split("\\").join("/");
      if (rel.startsWith(".cache/")) continue;
      out.set(rel, await sha256File(path));
    }
    return out;
  }

  /** The tree equals what the Hub serves, and every file that came from a source folder matches it byte for byte. */
  async function assertByteExact(dir: string, repoId: string, revision: string, sourceDir: string): Promise<void> {
    const got = await hashTree(dir);
    const want = served(repoId, revision);
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
    for (const [path, hash] of want) assert.equal(got.get(path), hash, path);
    const fromSource = await hashTree(sourceDir);
    assert.ok(fromSource.size > 0);
    for (const [path, hash] of fromSource) assert.equal(got.get(path), hash, `${path} differs from ${sourceDir}`);
  }

  const routes = () => hub.ctx.log.map((e) => `${e.origin}:${e.route}:${e.status}`);
  const xetRoutes = () => hub.ctx.log.filter((e) => e.route.startsWith("reconstruction") || e.route === "xorb");

  it("hf_hub_download takes the Xet path for an LFS file and the plain path for a small one, byte-exact", async () => {
    const out = join(home.path, "files");
    const result = await python(
      [
        "import os, shutil, huggingface_hub as h",
        `out = ${JSON.stringify(out)}`,
        "os.makedirs(out)",
        "for name in ['model.safetensors', 'config.json', 'tokenizer.json']:",
        "    shutil.copy(h.hf_hub_download('demo/tiny-model', name), os.path.join(out, name))",
      ].join("\n"),
      // huggingface_hub 2.0 logs "Xet Storage is enabled for this repo" at DEBUG (file_download.py).
      { HF_HUB_VERBOSITY: "debug" },
    );
    assert.match(result.stderr, /Xet Storage is enabled for this repo/);
    const want = served("demo/tiny-model", "main");
    const got = await hashTree(out);
    for (const name of ["model.safetensors", "config.json", "tokenizer.json"]) assert.equal(got.get(name), want.get(name), name);
    const source = await hashTree(sourceDirs.get("demo/tiny-model")![0]);
    for (const [name, hash] of got) assert.equal(hash, source.get(name), name);
    const log = routes();
    assert.ok(xetRoutes().length > 0, log.join("\n"));
    assert.ok(log.includes("hub:xet-read-token:200"), log.join("\n"));
    assert.ok(!hub.ctx.log.some((e) => e.route === "lfs-object"), `the Xet path must not fetch LFS objects:\n${log.join("\n")}`);
  });

  it("`hf download <repo> --local-dir` writes the whole repo byte-exact, and keeps the Xet file's tree entry as served", async () => {
    const dir = join(home.path, "local");
    const result = await run(HF, ["download", "demo/tiny-model", "--local-dir", dir]);
    assert.equal(result.code, 0, result.stderr.slice(-4000));
    await assertByteExact(dir, "demo/tiny-model", "main", sourceDirs.get("demo/tiny-model")![0]);
    assert.ok(xetRoutes().length > 0, routes().join("\n"));
    // huggingface_hub 2.0 caches the tree listing and rebuilds a Xet file's metadata from it instead of a HEAD.
    const repo = hub.ctx.repos.get("demo/tiny-model")!;
    const commit = repo.branches.get("main")!;
    const file = repo.commits.get(commit)!.files.get("model.safetensors")!;
    const cached = JSON.parse(await readFile(join(dir, ".cache", "huggingface", "trees", `${commit}.json`), "utf8"));
    assert.deepEqual(
      { xet: cached.files["model.safetensors"].xet_hash, sha256: cached.files["model.safetensors"].lfs_sha256, size: cached.files["model.safetensors"].lfs_size },
      { xet: file.xetHash, sha256: file.sha256, size: file.size },
    );
  });

  it("snapshot_download into a local dir takes a Xet file's metadata from the tree listing alone (no HEAD)", async () => {
    // The first is_xet_available() runs before the download threads: huggingface_hub 2.0 looks hf_xet's version up
    // lazily and unguarded, so threads racing that first lookup can read "not installed" and make the HEAD anyway.
    await python(
      [
        "import huggingface_hub as h",
        "from huggingface_hub.utils._runtime import is_xet_available",
        "assert is_xet_available()",
        `h.snapshot_download('demo/tiny-model', local_dir=${JSON.stringify(join(home.path, "local"))})`,
      ].join("\n"),
    );
    assert.ok(xetRoutes().length > 0, routes().join("\n"));
    const heads = hub.ctx.log.filter((e) => e.method === "HEAD" && e.path.endsWith("/model.safetensors"));
    assert.deepEqual(heads, [], "no HEAD on the Xet file: its metadata came from the tree listing");
  });

  it("snapshot_download at a branch and at a commit gives each revision's files", async () => {
    const repo = hub.ctx.repos.get("demo/two-revisions")!;
    const mainSha = repo.branches.get("main")!;
    const script = (revision: string) =>
      `import huggingface_hub as h\nprint(h.snapshot_download('demo/two-revisions', revision=${JSON.stringify(revision)}))`;
    const [v1Dir, v2Dir] = sourceDirs.get("demo/two-revisions")!;

    const atBranch = (await python(script("v1"))).stdout.trim().split("\n").pop()!;
    assert.ok(atBranch.endsWith(repo.branches.get("v1")!), atBranch);
    await assertByteExact(atBranch, "demo/two-revisions", "v1", v1Dir);

    const atCommit = (await python(script(mainSha))).stdout.trim().split("\n").pop()!;
    assert.ok(atCommit.endsWith(mainSha), atCommit);
    await assertByteExact(atCommit, "demo/two-revisions", mainSha, v2Dir);
    assert.ok(xetRoutes().length > 0, routes().join("\n"));
  });

  it("HF_HUB_DISABLE_XET=1 downloads over plain HTTP: the resolve redirect to the CDN's LFS object", async () => {
    const dir = join(home.path, "local");
    const result = await python(
      `import huggingface_hub as h\nh.snapshot_download('demo/quantized-gguf', local_dir=${JSON.stringify(dir)})`,
      { HF_HUB_DISABLE_XET: "1" },
    );
    assert.doesNotMatch(result.stderr, /Xet Storage is enabled/);
    await assertByteExact(dir, "demo/quantized-gguf", "main", sourceDirs.get("demo/quantized-gguf")![0]);
    const log = routes();
    assert.deepEqual(xetRoutes(), [], log.join("\n"));
    assert.ok(log.some((l) => l.startsWith("cdn:lfs-object:2")), log.join("\n"));
  });

  it("a missing file raises EntryNotFoundError and is cached as absent under the commit the 404 names", async () => {
    const result = await run(PYTHON, [
      "-c",
      "import huggingface_hub as h\ntry:\n    h.hf_hub_download('demo/tiny-model', 'missing.bin')\nexcept h.errors.EntryNotFoundError as e:\n    print('EntryNotFound')",
    ]);
    assert.equal(result.code, 0, result.stderr.slice(-4000));
    assert.match(result.stdout, /EntryNotFound/);
    const sha = hub.ctx.repos.get("demo/tiny-model")!.branches.get("main")!;
    const marker = join(home.path, "hf-home", "hub", "models--demo--tiny-model", ".no_exist", sha, "missing.bin");
    assert.ok(existsSync(marker), `expected ${marker}: the 404 must carry X-Repo-Commit`);
  });

  it("a private repo downloads with HF_TOKEN (Xet), fails without one, and the CDN never sees the Hub token", async () => {
    const script = `import huggingface_hub as h\nprint(h.snapshot_download('demo/private-model'))`;
    const anonymous = await run(PYTHON, ["-c", script]);
    assert.notEqual(anonymous.code, 0);
    assert.match(anonymous.stderr, /RepositoryNotFoundError|401/);

    hub.resetLog();
    const dir = (await python(script, { HF_TOKEN: TOKEN })).stdout.trim().split("\n").pop()!;
    await assertByteExact(dir, "demo/private-model", "main", sourceDirs.get("demo/private-model")![0]);
    assert.ok(xetRoutes().length > 0, routes().join("\n"));
    const cdn = hub.ctx.log.filter((e) => e.origin === "cdn");
    assert.deepEqual(cdn.filter((e) => e.auth === "hub-token"), [], "the Hub token must not reach the CDN/CAS origin");
  });

  it("whoami-v2: `hf auth whoami` names the token's user; a token the Hub does not know is refused", async () => {
    const known = await run(HF, ["auth", "whoami"], { HF_TOKEN: TOKEN });
    assert.equal(known.code, 0, known.stderr);
    assert.match(known.stdout, /demo-user/);
    const script = `import huggingface_hub as h\nme = h.HfApi().whoami()\nprint(me['name'], me['type'], me['auth']['accessToken']['role'], [o['name'] for o in me['orgs']])`;
    assert.equal((await python(script, { HF_TOKEN: TOKEN })).stdout.trim(), "demo-user user read ['demo']");
    const unknown = await run(PYTHON, ["-c", script], { HF_TOKEN: "hf_not_a_token_this_hub_knows" });
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /401|Invalid user token/);
  });
});
