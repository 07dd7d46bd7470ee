// Stock git 2.39 + git-lfs 3.3 against the running local Hub: clone byte-exact, pointer-only clone and
// selective `git lfs pull`, old revisions, pushes refused, and private repos with the token kept off disk.
import assert from "node:assert/strict";
import { readdir, readFile, rm } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { gzipSync } from "node:zlib";
import type { RequestLogEntry } from "../../hub/context";
import { GitClient, lfsPointerText, sha256, sha256File, tempDir, writeGitFixture, type GitFixture } from "../helpers/gitFixtures";
import { startHub, type LocalHub } from "../../hub/server";

const TOKEN = "hf_git_clone_test_token";

describe("git smart HTTP + Git LFS with stock clients", function () {
  this.timeout(120_000);
  let root: string;
  let fixture: GitFixture;
  let hub: LocalHub;
  let client: GitClient;

  before(async () => {
    root = await tempDir("clone");
    fixture = await writeGitFixture(join(root, "src"));
    hub = await startHub({ repos: fixture.sources, lfsThresholdBytes: fixture.lfsThresholdBytes });
    client = await GitClient.create();
  });
  after(async () => {
    await hub?.close();
    await client?.dispose();
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(() => hub.resetLog());

  const model = () => fixture.revisions.get("acme/model")!;
  const lfsPaths = (id: string) => {
    const repo = hub.ctx.repos.get(id)!;
    return [...repo.commits.get(repo.branches.get("main")!)!.files.values()].filter((f) => f.lfs).map((f) => f.path).sort();
  };
  const routes = (entries: RequestLogEntry[] = hub.ctx.log) => entries.map((e) => `${e.route} ${e.status}`);

  it("git clone checks out every file byte-exact, LFS objects fetched from the CDN without credentials", async () => {
    const dir = join(root, "full");
    await client.ok({ args: ["clone", `${hub.url}/acme/model`, dir] });
    await assertWorkTree(dir, model()[1]);
    assert.deepEqual(lfsPaths("acme/model"), ["big.raw", "model.safetensors", "weights/extra.bin"], "big.raw is LFS by size alone");

    const log = hub.ctx.log;
    assert.ok(routes().includes("git-info-refs 200") && routes().includes("git-upload-pack 200") && routes().includes("lfs-batch 200"), routes().join(", "));
    const objects = log.filter((e) => e.route === "lfs-object");
    assert.equal(objects.length, 3, routes().join(", "));
    assert.ok(objects.every((e) => e.origin === "cdn" && e.status === 200 && e.auth === "none"), JSON.stringify(objects));
    assert.deepEqual(log.filter((e) => e.status >= 400), []);
  });

  it("GIT_LFS_SKIP_SMUDGE=1 leaves pointers; git lfs pull --include fetches exactly that one object", async () => {
    const dir = join(root, "pointers");
    await client.ok({ args: ["clone", `${hub.url}/acme/model`, dir], env: { GIT_LFS_SKIP_SMUDGE: "1" } });
    const files = model()[1];
    for (const path of lfsPaths("acme/model")) assert.equal(await readFile(join(dir, path), "utf8"), lfsPointerText(files[path]), path);
    assert.equal(hub.ctx.log.filter((e) => e.route === "lfs-object").length, 0, routes().join(", "));

    hub.resetLog();
    await client.ok({ args: ["lfs", "pull", "--include", "weights/extra.bin"], cwd: dir });
    assert.equal(await sha256File(join(dir, "weights/extra.bin")), sha256(files["weights/extra.bin"]));
    const objects = hub.ctx.log.filter((e) => e.route === "lfs-object");
    assert.equal(objects.length, 1, routes().join(", "));
    assert.ok(objects[0].path.startsWith(`/lfs/acme/model/${sha256(files["weights/extra.bin"])}?`), objects[0].path);
    for (const path of ["model.safetensors", "big.raw"]) assert.equal(await readFile(join(dir, path), "utf8"), lfsPointerText(files[path]), path);
    assert.deepEqual((await client.ok({ args: ["status", "--porcelain"], cwd: dir })).trim(), "", "pulled file matches the index");
  });

  it("git checkout of the first commit gives the first revision's bytes", async () => {
    const dir = join(root, "history");
    await client.ok({ args: ["clone", `${hub.url}/acme/model`, dir] });
    const repo = hub.ctx.repos.get("acme/model")!;
    const first = repo.branches.get("v1")!;
    assert.equal(repo.commits.get(repo.branches.get("main")!)!.parent, first);
    assert.equal((await client.ok({ args: ["rev-parse", "origin/v1"], cwd: dir })).trim(), first);
    hub.resetLog();
    await client.ok({ args: ["checkout", "-q", first], cwd: dir });
    await assertWorkTree(dir, model()[0]);
    assert.equal((await client.ok({ args: ["rev-parse", "HEAD"], cwd: dir })).trim(), first);
    // Only the changed LFS file had to be fetched for the old revision.
    assert.deepEqual(hub.ctx.log.filter((e) => e.route === "lfs-object").map((e) => e.path.split("?")[0]), [`/lfs/acme/model/${sha256(model()[0]["model.safetensors"])}`]);
  });

  it("passes Git-Protocol and gzip Content-Encoding through to http-backend (protocol v2 ls-refs)", async () => {
    const pkt = (line: string) => `${(line.length + 4).toString(16).padStart(4, "0")}${line}`;
    const request = `${pkt("command=ls-refs\n")}0001${pkt("ref-prefix refs/heads/\n")}0000`;
    const answer = await fetch(`${hub.url}/acme/model/git-upload-pack`, {
      method: "POST",
      headers: { "Content-Type": "application/x-git-upload-pack-request", "Content-Encoding": "gzip", "Git-Protocol": "version=2" },
      body: gzipSync(request),
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get("content-type"), "application/x-git-upload-pack-result");
    const repo = hub.ctx.repos.get("acme/model")!;
    assert.equal(await answer.text(), `${pkt(`${repo.branches.get("main")} refs/heads/main\n`)}${pkt(`${repo.branches.get("v1")} refs/heads/v1\n`)}0000`);
    const v0 = await fetch(`${hub.url}/acme/model/info/refs?service=git-upload-pack`);
    assert.match(await v0.text(), /^001e# service=git-upload-pack\n0000/, "without Git-Protocol the v0 advertisement is served");
  });

  it("refuses pushes with 403", async () => {
    const dir = join(root, "push");
    await client.ok({ args: ["clone", "-q", `${hub.url}/acme/model`, dir], env: { GIT_LFS_SKIP_SMUDGE: "1" } });
    hub.resetLog();
    const result = await client.run({ args: ["push", "origin", "HEAD:refs/heads/other"], cwd: dir });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /403/);
    assert.deepEqual(routes(), ["git-receive-pack 403"]);
  });

  it("an unknown repo answers 401 like a private one, so git cannot tell them apart", async () => {
    const result = await client.run({ args: ["clone", `${hub.url}/acme/does-not-exist`, join(root, "missing")] });
    assert.equal(result.code, 128);
    assert.match(result.stderr, /could not read Username/);
    assert.deepEqual(routes(), ["git-info-refs 401"]);
  });

  describe("private repo", () => {
    const tokenEnv = () => ({
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: `http.${hub.url}/.extraHeader`,
      GIT_CONFIG_VALUE_0: `Authorization: Bearer ${TOKEN}`,
    });

    it("fails without credentials (exit 128, no prompt) and reveals nothing", async () => {
      const result = await client.run({ args: ["clone", `${hub.url}/acme/private`, join(root, "anon")] });
      assert.equal(result.code, 128);
      assert.match(result.stderr, /could not read Username for '.*': terminal prompts disabled/);
      assert.deepEqual(routes(), ["git-info-refs 401"]);
    });

    it("fails with a token the Hub does not accept", async () => {
      const result = await client.run({ args: ["clone", `${hub.url}/acme/private`, join(root, "bad")], env: { ...tokenEnv(), GIT_CONFIG_VALUE_0: "Authorization: Bearer not_a_hub_token" } });
      assert.equal(result.code, 128);
      assert.deepEqual(routes(), ["git-info-refs 401"]);
    });

    it("clones with the token in a scoped http.extraHeader; the token stays off disk and off the CDN", async () => {
      const dir = join(root, "private");
      await client.ok({ args: ["clone", `${hub.url}/acme/private`, dir], env: tokenEnv() });
      await assertWorkTree(dir, fixture.revisions.get("acme/private")![0]);
      for (const file of await listAll(join(dir, ".git"))) {
        if ((await readFile(file)).includes(TOKEN)) assert.fail(`the token was written to ${file}`);
      }
      assert.doesNotMatch(await readFile(join(dir, ".git", "config"), "utf8"), /hf_|Authorization/);
      const log = hub.ctx.log;
      assert.ok(log.some((e) => e.route === "lfs-object" && e.status === 200), routes().join(", "));
      assert.deepEqual(log.filter((e) => e.route === "lfs-object" && e.auth !== "none"), []);
      assert.ok(log.filter((e) => e.origin === "hub").every((e) => e.auth === "hub-token" && e.status === 200), JSON.stringify(log));
      for (const e of log) assert.ok(!e.path.includes(TOKEN), e.path);
    });

    it("accepts the token as the Basic auth password, as a credential helper would send it", async () => {
      const basic = Buffer.from(`user:${TOKEN}`).toString("base64");
      const refs = await fetch(`${hub.url}/acme/private/info/refs?service=git-upload-pack`, { headers: { Authorization: `Basic ${basic}` } });
      assert.equal(refs.status, 200);
      assert.equal(refs.headers.get("content-type"), "application/x-git-upload-pack-advertisement");
      const anon = await fetch(`${hub.url}/acme/private.git/info/refs?service=git-upload-pack`);
      assert.equal(anon.status, 401);
      assert.equal(anon.headers.get("www-authenticate"), 'Basic realm="Hugging Face"');
      const batch = await fetch(`${hub.url}/acme/private.git/info/lfs/objects/batch`, { method: "POST", body: JSON.stringify({ operation: "download", objects: [] }) });
      assert.equal(batch.status, 401);
      assert.equal(batch.headers.get("lfs-authenticate"), 'Basic realm="Hugging Face"');
    });
  });
});

/** Every file of the revision is in the work tree with the same SHA-256, and nothing else but .gitattributes. */
async function assertWorkTree(dir: string, files: Record<string, Buffer>): Promise<void> {
  const present = (await listAll(dir, [".git"])).map((f) => relative(dir, f).split(sep).join("/")).sort();
  assert.deepEqual(present, [".gitattributes", ...Object.keys(files)].sort());
  for (const [path, content] of Object.entries(files)) assert.equal(await sha256File(join(dir, path)), sha256(content), path);
}

async function listAll(dir: string, skip: string[] = []): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (skip.includes(entry.name)) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listAll(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}
