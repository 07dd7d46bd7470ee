// The reference client judges our Hugging Face cache (storage "hfCache"), on both routes: with HF_HUB_OFFLINE=1 and
// HF_ENDPOINT on a closed port, snapshot_download and hf_hub_download return our files byte-exact without a request;
// `hf cache ls` lists the model with the size of its blobs; `hf cache verify` passes. The other way round: a model
// `hf download` put in the cache is listed and verified by our library and updated through our routes.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { download } from "../../src/core/download/service";
import type { DownloadMethod } from "../../src/core/download/types";
import { listHfCacheModels } from "../../src/core/library/hfCache";
import { cacheRepoDir, verifyCacheSnapshot } from "../../src/core/storage/hfCache";
import { linkModelIntoCache } from "../../src/core/storage/linkToCache";
import type { LocalHub } from "../../hub/server";
import { gitHome } from "../core/download-helpers";
import { ROOT, sha256File, startDemoHub, tempDir } from "../helpers/hub";
import { runProcess, type Run } from "../helpers/process";

const VENV = join(ROOT, ".venv-judge");
const PYTHON = join(VENV, "bin", "python");
const HF = join(VENV, "bin", "hf");
const REPO = "demo/two-revisions";

describe("the Hugging Face cache we write, judged by huggingface_hub (and the one it writes, read by us)", function () {
  this.timeout(180_000);
  let hub: LocalHub;
  let git: Awaited<ReturnType<typeof gitHome>>;
  let home: { path: string; cleanup(): Promise<void> };
  let closedPort: number;

  before(async () => {
    if (!existsSync(PYTHON) || !existsSync(HF)) throw new Error(`${VENV} is missing: run bash scripts/ensure-python-judge.sh`);
    hub = await startDemoHub();
    git = await gitHome();
    // A port nothing listens on: any request huggingface_hub tried would fail.
    closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
  });
  after(async () => {
    await hub?.close();
    await git?.cleanup();
  });
  beforeEach(async () => {
    home = await tempDir("hf-python-cache-");
    hub.resetLog();
  });
  afterEach(() => home.cleanup());

  const hfHome = () => join(home.path, "hf-home");
  const cacheDir = () => join(hfHome(), "hub");

  function run(command: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
    const base = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home.path, HF_HOME: hfHome(), HF_ENDPOINT: hub.url, HF_HUB_DISABLE_TELEMETRY: "1", HF_HUB_DISABLE_PROGRESS_BARS: "1", NO_COLOR: "1" };
    return runProcess(command, args, { ...base, ...env });
  }


  function served(revision: string): Map<string, string> {
    const repo = hub.ctx.repos.get(REPO)!;
    const commit = repo.commits.get(repo.branches.get(revision) ?? revision)!;
    return new Map([...commit.files.values()].map((f) => [f.path, f.sha256]));
  }

  const ours = (method: DownloadMethod, revision: string) =>
    download(
      { repo: REPO, revision, method, fallbackToLfs: false, modelsDir: join(home.path, "unused"), storage: "hfCache", endpoint: hub.url },
      // No cacheDir: HF_HOME decides, as for huggingface_hub.
      { env: { ...git.env, HF_HOME: hfHome(), HF_HUB_CACHE: "" }, xetEngine: { chunkMapDir: join(home.path, "maps") } },
    );

  /** Sum of the blob sizes: what `hf cache ls` must report. */
  async function blobBytes(): Promise<number> {
    const blobs = join(cacheRepoDir(cacheDir(), { id: REPO }), "blobs");
    let total = 0;
    for (const name of await readdir(blobs)) total += (await stat(join(blobs, name))).size;
    return total;
  }

  for (const method of ["lfs", "xet"] as const) {
    it(`${method}: offline snapshot_download and hf_hub_download return our files byte-exact; hf cache ls and verify agree`, async () => {
      await ours(method, "v1");
      const main = await ours(method, "main");
      hub.resetLog();
      const files = [...served("main").keys()];
      const script = [
        "import json, huggingface_hub as h",
        `repo = ${JSON.stringify(REPO)}`,
        "out = {'v1': h.snapshot_download(repo, revision='v1'), 'main': h.snapshot_download(repo, revision='main'),",
        `       'files': {f: h.hf_hub_download(repo, f) for f in ${JSON.stringify(files)}}}`,
        "print(json.dumps(out))",
      ].join("\n");
      const py = await run(PYTHON, ["-c", script], { HF_HUB_OFFLINE: "1", HF_ENDPOINT: `http://127.0.0.1:${closedPort}` });
      assert.equal(py.code, 0, py.stderr.slice(-3000));
      assert.deepEqual(hub.ctx.log, [], "no request reached the Hub");
      const out = JSON.parse(py.stdout.trim().split("\n").pop()!) as { v1: string; main: string; files: Record<string, string> };
      assert.equal(out.main, main.path, "snapshot_download names our snapshot folder");
      for (const revision of ["v1", "main"] as const) {
        for (const [path, sha] of served(revision)) assert.equal(await sha256File(join(out[revision], path)), sha, `${revision}: ${path}`);
      }
      for (const [path, sha] of served("main")) assert.equal(await sha256File(out.files[path]!), sha, `hf_hub_download ${path}`);

      const ls = await run(HF, ["cache", "ls", "--json"]);
      assert.equal(ls.code, 0, ls.stderr);
      const entries = JSON.parse(ls.stdout) as Array<Record<string, unknown>>;
      const entry = entries.find((e) => JSON.stringify(e).includes(REPO));
      assert.ok(entry, ls.stdout);
      // `hf cache ls` prints the size rounded (8.4M); scan_cache_dir, which it reads, has the bytes.
      const bytes = await blobBytes();
      assert.equal(entry!.size, `${(bytes / 1e6).toFixed(1)}M`, `hf cache ls size: ${JSON.stringify(entry)}`);
      const scan = await run(PYTHON, ["-c", `import huggingface_hub as h\nprint([r.size_on_disk for r in h.scan_cache_dir().repos if r.repo_id == ${JSON.stringify(REPO)}][0])`]);
      assert.equal(Number(scan.stdout.trim()), bytes, scan.stderr);

      for (const revision of ["v1", "main"]) {
        const verify = await run(HF, ["cache", "verify", REPO, "--revision", revision, "--fail-on-missing-files", "--fail-on-extra-files"]);
        assert.equal(verify.code, 0, `hf cache verify ${revision}: ${verify.stdout}\n${verify.stderr}`);
      }
    });
  }

  for (const method of ["lfs", "xet"] as const) {
    it(`a model \`hf download\` put in the cache is listed and verified by our library and updated through ${method}`, async () => {
      const hf = await run(HF, ["download", REPO, "--revision", "v1"]);
      assert.equal(hf.code, 0, hf.stderr.slice(-3000));
      const env = { HF_HOME: hfHome() };
      const listed = (await listHfCacheModels(env)).find((m) => m.repo === REPO);
      assert.ok(listed, "our library lists it");
      const v1 = hub.ctx.repos.get(REPO)!.branches.get("v1")!;
      assert.equal(listed!.refs.v1, v1);
      assert.deepEqual(await verifyCacheSnapshot({ repoDir: listed!.path, commit: v1 }), [], "our verify passes");
      // hf_xet keeps Xet files in a store shared by all repos, the repo's blobs linking to it: they count as the model's.
      const v1Bytes = [...hub.ctx.repos.get(REPO)!.commits.get(v1)!.files.values()].reduce((n, f) => n + f.size, 0);
      assert.ok(listed!.sizeOnDisk >= v1Bytes, `disk use ${listed!.sizeOnDisk} covers the ${v1Bytes} bytes of v1's files`);
      hub.resetLog();

      const result = await ours(method, "main");
      const unchanged = [...served("main")].filter(([path, sha]) => served("v1").get(path) === sha).map(([path]) => path);
      assert.ok(unchanged.length > 0);
      const fetchedPaths = hub.ctx.log.filter((e) => e.route === "resolve" || e.route === "lfs-object").map((e) => e.path);
      for (const path of unchanged) assert.ok(!fetchedPaths.some((p) => p.endsWith(`/${path}`)), `${path} (unchanged) was not fetched again: ${fetchedPaths.join(", ")}`);
      assert.deepEqual(await verifyCacheSnapshot({ repoDir: listed!.path, commit: result.commit }), []);
      const verify = await run(HF, ["cache", "verify", REPO, "--fail-on-missing-files"]);
      assert.equal(verify.code, 0, `${verify.stdout}\n${verify.stderr}`);
    });
  }

  for (const method of ["lfs", "xet"] as const) {
    it(`${method}, folder storage: Make Available to Python puts the model where snapshot_download and hf_hub_download find it offline; hf cache ls and verify agree`, async () => {
      const folder = await download(
        { repo: REPO, method, fallbackToLfs: false, modelsDir: join(home.path, "models"), endpoint: hub.url },
        { env: { ...git.env, HF_HOME: hfHome(), HF_HUB_CACHE: "" }, xetEngine: { chunkMapDir: join(home.path, "maps") } },
      );
      const linked = await linkModelIntoCache({ modelDir: folder.path, env: { HF_HOME: hfHome() } });
      assert.equal(linked.linked, folder.files.length);
      hub.resetLog();
      const files = [...served("main").keys()];
      const script = [
        "import json, huggingface_hub as h",
        `repo = ${JSON.stringify(REPO)}`,
        `print(json.dumps({'snapshot': h.snapshot_download(repo), 'files': {f: h.hf_hub_download(repo, f) for f in ${JSON.stringify(files)}}}))`,
      ].join("\n");
      const py = await run(PYTHON, ["-c", script], { HF_HUB_OFFLINE: "1", HF_ENDPOINT: `http://127.0.0.1:${closedPort}` });
      assert.equal(py.code, 0, py.stderr.slice(-3000));
      assert.deepEqual(hub.ctx.log, [], "no request reached the Hub");
      const out = JSON.parse(py.stdout.trim().split("\n").pop()!) as { snapshot: string; files: Record<string, string> };
      assert.equal(out.snapshot, linked.snapshot);
      for (const [path, sha] of served("main")) {
        assert.equal(await sha256File(join(out.snapshot, path)), sha, path);
        assert.equal(await sha256File(out.files[path]!), sha, `hf_hub_download ${path}`);
        assert.equal((await stat(join(out.snapshot, path))).ino, (await stat(join(folder.path, path))).ino, `${path}: one copy on disk`);
      }
      const ls = await run(HF, ["cache", "ls", "--json"]);
      const entry = (JSON.parse(ls.stdout) as Array<Record<string, unknown>>).find((e) => JSON.stringify(e).includes(REPO));
      assert.equal(entry?.size, `${((await blobBytes()) / 1e6).toFixed(1)}M`, `hf cache ls: ${ls.stdout}`);
      const verify = await run(HF, ["cache", "verify", REPO, "--fail-on-missing-files", "--fail-on-extra-files"]);
      assert.equal(verify.code, 0, `${verify.stdout}\n${verify.stderr}`);
    });
  }
});
