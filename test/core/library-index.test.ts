// Models on disk: which folders count as models, real size on disk (hard links once, sparse files as
// allocated, checked against `du`), deleting only real model folders, and the update check against the Hub.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { link, lstat, mkdir, mkdtemp, open, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkForUpdate, deleteModel, listLocalModels, modelDirFor } from "../../src/core/library/index";
import { parseRepoId } from "../../src/core/hub/repoId";
import { writeRecord, type ModelRecord } from "../../src/core/library/metadata";
import type { LocalHub } from "../../hub/server";
import { startDemoHub } from "../helpers/hub";
import type { DownloadErrorCode } from "../../src/core/errors";
import { rejectsWithCode, throwsWithCode } from "../helpers/assertions";

function record(overrides: Partial<ModelRecord> = {}): ModelRecord {
  return { version: 1, repo: "demo/tiny-model", revision: "main", commit: "0".repeat(40), method: "lfs", endpoint: "https://huggingface.co", files: [], completedAt: new Date(0).toISOString(), ...overrides };
}

async function put(path: string, content: string | Buffer): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, content);
}

/** `du -s -B1` minus the folder's own block, which sizeOnDisk leaves out. */
async function duBytes(dir: string): Promise<number> {
  const total = Number(execFileSync("du", ["-s", "-B1", dir], { encoding: "utf8" }).split("\t")[0]);
  return total - (await lstat(dir)).blocks * 512;
}

describe("library index", () => {
  let root: string;
  let models: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "hf-library-test-"));
    models = join(root, "models");
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it("modelDirFor puts a model at <modelsDir>/<org>/<name> and rejects bad ids", () => {
    assert.equal(modelDirFor("/m", parseRepoId("demo/tiny-model")), join("/m", "demo", "tiny-model"));
    assert.equal(modelDirFor("/m", parseRepoId("https://huggingface.co/demo/tiny-model")), join("/m", "demo", "tiny-model"));
    throwsWithCode(() => modelDirFor("/m", parseRepoId("../etc")), "invalid-repo");
  });

  it("returns nothing for a models folder that does not exist", async () => {
    assert.deepEqual(await listLocalModels(join(root, "nowhere")), []);
  });

  describe("listLocalModels", () => {
    beforeEach(async () => {
      const a = join(models, "demo", "tiny-model");
      await put(join(a, "config.json"), '{"a":1}\n');
      await put(join(a, "sub", "tokenizer.json"), "{}");
      await put(join(a, ".gitattributes"), "*.bin filter=lfs\n");
      await put(join(a, "model.bin"), randomBytes(1024 * 1024));
      await mkdir(join(a, ".git", "lfs", "objects", "ab"), { recursive: true });
      await link(join(a, "model.bin"), join(a, ".git", "lfs", "objects", "ab", "abcdef")); // as the LFS route dedups
      await put(join(a, ".hf-models-partial", "leftover"), "x");
      await writeRecord(a, record());

      await put(join(models, "demo", "clone-only", ".git", "HEAD"), "ref: refs/heads/main\n");
      await put(join(models, "demo", "clone-only", "README.md"), "# hi\n");
      await put(join(models, "other", "partial", ".hf-models-partial", "model.bin.part"), "xyz");
      await put(join(models, "other", "broken-record", ".hf-models.json"), "{not json");
      await put(join(models, "other", "just-a-folder", "notes.txt"), "not a model");
      await put(join(models, ".trash", "old", ".hf-models.json"), JSON.stringify(record()));
      await put(join(models, "bad--org", "x", ".hf-models.json"), JSON.stringify(record()));
      await put(join(models, "stray-file"), "x");
      await mkdir(join(root, "outside", ".git"), { recursive: true });
      await symlink(join(root, "outside"), join(models, "other", "linked"));
    });

    it("lists folders with a record, a clone or a partial download, and nothing else", async () => {
      const list = await listLocalModels(models);
      assert.deepEqual(list.map((m) => m.repo), ["demo/clone-only", "demo/tiny-model", "other/broken-record", "other/partial"]);
      const tiny = list.find((m) => m.repo === "demo/tiny-model")!;
      assert.equal(tiny.path, join(models, "demo", "tiny-model"));
      assert.deepEqual(tiny.record, record());
      assert.equal(list.find((m) => m.repo === "demo/clone-only")!.record, undefined);
      assert.match(list.find((m) => m.repo === "other/broken-record")!.recordProblem ?? "", /not valid JSON/);
    });

    it("lists the model's own files with sizes, without .git and bookkeeping", async () => {
      const tiny = (await listLocalModels(models)).find((m) => m.repo === "demo/tiny-model")!;
      assert.deepEqual(tiny.files, [
        { path: ".gitattributes", size: 17 },
        { path: "config.json", size: 8 },
        { path: "model.bin", size: 1024 * 1024 },
        { path: "sub/tokenizer.json", size: 2 },
      ]);
    });

    it("sizeOnDisk is what du reports: hard-linked LFS objects count once", async () => {
      const tiny = (await listLocalModels(models)).find((m) => m.repo === "demo/tiny-model")!;
      assert.equal(tiny.sizeOnDisk, await duBytes(tiny.path));
      assert.ok(tiny.sizeOnDisk >= 1024 * 1024 && tiny.sizeOnDisk < 2 * 1024 * 1024, `hard link counted once: ${tiny.sizeOnDisk}`);
    });
  });

  it("sizeOnDisk counts allocated blocks, so a sparse 64 MiB file costs almost nothing", async () => {
    const dir = join(models, "demo", "sparse");
    await mkdir(dir, { recursive: true });
    await writeRecord(dir, record({ repo: "demo/sparse" }));
    const fh = await open(join(dir, "big.bin"), "w");
    await fh.truncate(64 * 1024 * 1024);
    await fh.close();
    const [m] = await listLocalModels(models);
    assert.deepEqual(m!.files, [{ path: "big.bin", size: 64 * 1024 * 1024 }]);
    assert.equal(m!.sizeOnDisk, await duBytes(dir));
    assert.ok(m!.sizeOnDisk < 1024 * 1024, String(m!.sizeOnDisk));
  });

  describe("deleteModel", () => {
    it("removes a model folder with its record, and the org folder once it is empty", async () => {
      const a = join(models, "demo", "a");
      const b = join(models, "demo", "b");
      for (const [dir, repo] of [[a, "demo/a"], [b, "demo/b"]] as const) {
        await put(join(dir, "w.bin"), "x");
        await mkdir(join(dir, ".git", "objects"), { recursive: true });
        await writeRecord(dir, record({ repo }));
      }
      await deleteModel(a);
      assert.deepEqual(await readdir(join(models, "demo")), ["b"]);
      await deleteModel(b);
      assert.deepEqual(await readdir(models), [], "empty org folder removed too");
    });

    it("removes an unfinished git clone of that repo and an interrupted Xet download", async () => {
      const clone = join(models, "demo", "tiny-model");
      await put(join(clone, ".git", "config"), '[remote "origin"]\n\turl = http://127.0.0.1:4000/demo/tiny-model\n');
      await deleteModel(clone);
      const partial = join(models, "demo", "partial");
      await put(join(partial, ".hf-models-partial", "x.part"), "x");
      await deleteModel(partial);
      assert.deepEqual(await readdir(models), []);
    });

    const refusals: Array<[string, (dir: string) => Promise<string>, RegExp, DownloadErrorCode]> = [
      ["a folder that is not a model", async (d) => (await put(join(d, "org", "notes", "a.txt"), "keep"), join(d, "org", "notes")), /holds no HF Models download of org\/notes/, "invalid-repo"],
      ["a git repository of something else (e.g. dotfiles)", async (d) => (await put(join(d, "me", "dotfiles", ".git", "config"), "[remote \"origin\"]\n\turl = git@github.com:me/other.git\n"), join(d, "me", "dotfiles")), /holds no HF Models download/, "invalid-repo"],
      ["a folder whose record is for another repo", async (d) => {
        const dir = join(d, "demo", "tiny-model");
        await mkdir(dir, { recursive: true });
        await writeRecord(dir, record({ repo: "someone/else" }));
        return dir;
      }, /holds no HF Models download of demo\/tiny-model/, "invalid-repo"],
      ["the models folder itself", async (d) => {
        await put(join(d, "models", "demo", "x", ".hf-models.json"), JSON.stringify(record({ repo: "demo/x" })));
        return join(d, "models");
      }, /holds no HF Models download|not an <org>\/<name>/, "invalid-repo"],
      ["a symlink to a model", async (d) => {
        const real = join(d, "real", "demo", "tiny-model");
        await mkdir(real, { recursive: true });
        await writeRecord(real, record());
        await mkdir(join(d, "links", "demo"), { recursive: true });
        await symlink(real, join(d, "links", "demo", "tiny-model"));
        return join(d, "links", "demo", "tiny-model");
      }, /symbolic link/, "invalid-repo"],
      ["a file", async (d) => (await put(join(d, "org", "file"), "x"), join(d, "org", "file")), /not a folder/, "invalid-repo"],
      ["a path that does not exist", async (d) => join(d, "org", "missing"), /does not exist/, "not-found"],
      ["a folder named like a git option", async (d) => (await put(join(d, "--upload-pack=x", "y", ".hf-models-partial", "p"), "x"), join(d, "--upload-pack=x", "y")), /not an <org>\/<name> model folder/, "invalid-repo"],
    ];
    for (const [label, make, pattern, code] of refusals) {
      it(`refuses ${label} and leaves it untouched`, async () => {
        const target = await make(root);
        const before = execFileSync("find", [root], { encoding: "utf8" });
        const err = await rejectsWithCode(deleteModel(target), code, pattern);
        assert.ok(err.message.startsWith(code === "not-found" ? "Cannot delete" : "Refusing to delete"), err.message);
        assert.equal(execFileSync("find", [root], { encoding: "utf8" }), before);
      });
    }
  });
});

describe("checkForUpdate against the local Hub", function () {
  this.timeout(120_000);
  let hub: LocalHub;
  let dir: string;
  let mainSha: string;
  let v1Sha: string;
  before(async () => {
    hub = await startDemoHub();
    const repo = hub.ctx.repos.get("demo/two-revisions")!;
    mainSha = repo.branches.get("main")!;
    v1Sha = repo.branches.get("v1")!;
  });
  after(() => hub?.close());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "hf-update-test-"));
    hub.resetLog();
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("an old commit of main is out of date and the remote head is reported", async () => {
    await writeRecord(dir, record({ repo: "demo/two-revisions", commit: v1Sha }));
    assert.deepEqual(await checkForUpdate({ modelDir: dir, endpoint: hub.url }), { upToDate: false, localCommit: v1Sha, remoteCommit: mainSha });
    assert.equal(hub.ctx.log[0]!.path.split("?")[0], "/api/models/demo/two-revisions/revision/main");
  });

  it("the head of a branch is up to date", async () => {
    await writeRecord(dir, record({ repo: "demo/two-revisions", revision: "v1", commit: v1Sha }));
    assert.deepEqual(await checkForUpdate({ modelDir: dir, endpoint: hub.url }), { upToDate: true, localCommit: v1Sha, remoteCommit: v1Sha });
  });

  it("a pinned commit is up to date without asking the Hub", async () => {
    await writeRecord(dir, record({ repo: "demo/two-revisions", revision: v1Sha, commit: v1Sha }));
    assert.equal((await checkForUpdate({ modelDir: dir, endpoint: hub.url })).upToDate, true);
    assert.equal(hub.ctx.log.length, 0);
  });

  it("a folder without a record, and a private repo without a token, fail clearly", async () => {
    await rejectsWithCode(checkForUpdate({ modelDir: dir, endpoint: hub.url }), "not-found", /no download record/);
    await writeRecord(dir, record({ repo: "demo/private-model" }));
    await rejectsWithCode(checkForUpdate({ modelDir: dir, endpoint: hub.url }), "unauthorized");
    const ok = await checkForUpdate({ modelDir: dir, endpoint: hub.url, token: "hf_x_token" });
    assert.equal(ok.remoteCommit, hub.ctx.repos.get("demo/private-model")!.branches.get("main"));
  });
});
