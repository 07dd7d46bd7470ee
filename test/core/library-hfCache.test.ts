// The read-only HF cache scan over a synthetic cache laid out as `hf`/transformers write it:
// blobs, relative snapshot symlinks, refs (incl. refs/pr/N), and the folders it must ignore.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { lstat, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hfHubCacheDir, listHfCacheModels, repoFromCacheFolder } from "../../src/core/library/hfCache";

const C1 = "1".repeat(40);
const C2 = "2".repeat(40);

async function put(path: string, content: string | Buffer): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, content);
}

async function tree(dir: string): Promise<string> {
  return execFileSync("find", [dir, "-printf", "%p %s %T@ %l\n"], { encoding: "utf8" });
}

describe("hfCache", () => {
  let home: string;
  let hub: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), "hf-cache-test-"));
    hub = join(home, "hf-home", "hub");
    const repo = join(hub, "models--demo--tiny-model");
    const big = "a".repeat(64);
    const big2 = "b".repeat(64);
    const small = "c".repeat(40);
    await put(join(repo, "blobs", big), randomBytes(512 * 1024));
    await put(join(repo, "blobs", big2), randomBytes(256 * 1024));
    await put(join(repo, "blobs", small), '{"x":1}');
    await put(join(repo, "refs", "main"), `${C2}\n`);
    await put(join(repo, "refs", "v1"), C1);
    await put(join(repo, "refs", "pr", "1"), C2);
    await put(join(repo, "refs", "garbage"), "not a sha");
    await mkdir(join(repo, "snapshots", C1, "sub"), { recursive: true });
    await mkdir(join(repo, "snapshots", C2), { recursive: true });
    await symlink(`../../blobs/${big}`, join(repo, "snapshots", C1, "model.safetensors"));
    await symlink(`../../../blobs/${small}`, join(repo, "snapshots", C1, "sub", "config.json"));
    await symlink(`../../blobs/${big2}`, join(repo, "snapshots", C2, "model.safetensors"));
    await put(join(repo, "snapshots", C2, "config.json"), '{"x":1}'); // a real copy, as on Windows
    await put(join(repo, "snapshots", "not-a-commit", "x"), "x");
    await put(join(repo, ".no_exist", C1, "tokenizer.json"), "");

    await put(join(hub, "models--gpt2", "refs", "main"), C1);
    await mkdir(join(hub, "models--gpt2", "snapshots", C1), { recursive: true });
    await put(join(hub, "datasets--demo--data", "refs", "main"), C1);
    await put(join(hub, "spaces--demo--app", "refs", "main"), C1);
    await put(join(hub, ".locks", "models--demo--tiny-model", "x.lock"), "");
    await put(join(hub, "CACHEDIR.TAG"), "Signature: 8a477f597d28d172789f06886806bc55\n");
    await put(join(hub, "models--a--b--c", "refs", "main"), C1); // "--" cannot be in a repo id part
    await put(join(hub, "version.txt"), "1");
  });
  afterEach(() => rm(home, { recursive: true, force: true }));

  it("resolves the cache folder like the hf tools", () => {
    assert.equal(hfHubCacheDir({ HF_HUB_CACHE: "/a", HUGGINGFACE_HUB_CACHE: "/b", HF_HOME: "/c" }), "/a");
    assert.equal(hfHubCacheDir({ HUGGINGFACE_HUB_CACHE: "/b", HF_HOME: "/c" }), "/b");
    assert.equal(hfHubCacheDir({ HF_HOME: "/c", XDG_CACHE_HOME: "/x" }), join("/c", "hub"));
    assert.equal(hfHubCacheDir({ XDG_CACHE_HOME: "/x" }), join("/x", "huggingface", "hub"));
  });

  it("maps folder names to repo ids", () => {
    assert.equal(repoFromCacheFolder("models--demo--tiny-model"), "demo/tiny-model");
    assert.equal(repoFromCacheFolder("models--gpt2"), "gpt2");
    assert.equal(repoFromCacheFolder("datasets--demo--data"), undefined);
    assert.equal(repoFromCacheFolder("models--a--b--c"), undefined);
    assert.equal(repoFromCacheFolder("models--"), undefined);
  });

  it("lists model repos with their snapshot commits, refs and real size on disk", async () => {
    const models = await listHfCacheModels({ HF_HOME: join(home, "hf-home") });
    assert.deepEqual(models.map((m) => m.repo), ["demo/tiny-model", "gpt2"]);
    const tiny = models[0]!;
    assert.equal(tiny.path, join(hub, "models--demo--tiny-model"));
    assert.deepEqual(tiny.revisions, [C1, C2]);
    assert.deepEqual(tiny.refs, { main: C2, "pr/1": C2, v1: C1 });
    const du = Number(execFileSync("du", ["-s", "-B1", tiny.path], { encoding: "utf8" }).split("\t")[0]) - (await lstat(tiny.path)).blocks * 512;
    assert.equal(tiny.sizeOnDisk, du);
    assert.ok(tiny.sizeOnDisk >= 768 * 1024 && tiny.sizeOnDisk < 900 * 1024, `blobs counted once, symlinks not followed: ${tiny.sizeOnDisk}`);
    assert.deepEqual(models[1]!.revisions, [C1]);
  });

  it("HF_HUB_CACHE wins over HF_HOME, and a missing cache is just empty", async () => {
    assert.deepEqual(await listHfCacheModels({ HF_HUB_CACHE: join(home, "nowhere"), HF_HOME: join(home, "hf-home") }), []);
    assert.equal((await listHfCacheModels({ HF_HUB_CACHE: hub })).length, 2);
  });

  it("is read-only: nothing in the cache changes", async () => {
    const before = await tree(hub);
    await listHfCacheModels({ HF_HUB_CACHE: hub });
    assert.equal(await tree(hub), before);
    assert.ok((await readdir(hub)).includes(".locks"));
  });
});
