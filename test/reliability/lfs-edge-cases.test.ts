// Issue 17, points 3, 4, 6, 8 and 10, through the real `hf-models` command: a selection of thousands of LFS files
// (no argument-length limit), a repo whose own .gitattributes converts on checkout (the Hub's bytes anyway),
// leftovers of earlier runs removed by the next, a user's own git clone never taken over, and 0-byte files.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readRecord } from "../../src/core/library/metadata";
import { sourceFiles, useServiceTestbed } from "../core/download-helpers";
import { sha256File } from "../helpers/files";
import { pseudoRandomBytes } from "../../hub/xet/sampleData";
import { buildCli, cliEnv, startCli } from "./cli";
import { allFiles } from "./helpers";

const MANY = "rel/many";
const CONVERT = "rel/convert";
const EMPTY = "rel/empty";
const SMALL = "rel/leftovers";
const FILTERED = "rel/filtered";
const MANY_FILES = 3000;

async function writeTree(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, ".."), { recursive: true });
    await writeFile(join(dir, name), content);
  }
}

/** The Hub's default LFS lines (what a repo's own .gitattributes starts with), then the repo's conversions. */
const CONVERTING_ATTRIBUTES = [
  "*.bin filter=lfs diff=lfs merge=lfs -text",
  "*.safetensors filter=lfs diff=lfs merge=lfs -text",
  "*.txt text eol=crlf",
  "*.c ident",
  "*.utf16 text working-tree-encoding=UTF-16",
  "",
].join("\n");

describe("reliability: Git LFS edge cases (issue 17, points 3, 4, 6, 8, 10)", function () {
  this.timeout(300_000);
  const bed = useServiceTestbed({
    prefix: "hf-lfs-edge-",
    sources: async (work) => {
      // Long paths so that 3,000 of them make one git-lfs --include argument far above Linux's 128 KiB cap.
      const many: Record<string, string> = { "config.json": "{}\n" };
      for (let i = 0; i < MANY_FILES; i++) many[`shards/block-${String(i).padStart(4, "0")}/attention-projection-weights-part.bin`] = `shard ${i}\n`;
      await writeTree(join(work, "many"), many);
      await writeTree(join(work, "convert"), {
        ".gitattributes": CONVERTING_ATTRIBUTES,
        "notes.txt": "line one\nline two\n",
        "kernel.c": "/* $Id$ */\nint main(void) { return 0; }\n",
        "text.utf16": "plain UTF-8 text\n",
        "model.bin": pseudoRandomBytes(64 * 1024 + 3, 71),
      });
      await writeTree(join(work, "filtered"), {
        ".gitattributes": "*.bin filter=lfs diff=lfs merge=lfs -text\n*.up filter=upper\n",
        "shout.up": "hello\n",
        "model.bin": pseudoRandomBytes(8 * 1024, 77),
      });
      await writeTree(join(work, "empty"), { "config.json": "{}\n", "empty.bin": "", "empty.txt": "", "model.safetensors": pseudoRandomBytes(32 * 1024, 72) });
      await writeTree(join(work, "small"), { "config.json": "{}\n", "README.md": "# leftovers\n", "model.safetensors": pseudoRandomBytes(200 * 1024 + 1, 73) });
      return [
        { id: MANY, revisions: [{ dir: join(work, "many"), message: "many shards" }] },
        { id: CONVERT, revisions: [{ dir: join(work, "convert"), message: "converting attributes" }] },
        { id: EMPTY, revisions: [{ dir: join(work, "empty"), message: "empty files" }] },
        { id: SMALL, revisions: [{ dir: join(work, "small"), message: "small" }] },
        { id: FILTERED, revisions: [{ dir: join(work, "filtered"), message: "a filter the user defines" }] },
      ];
    },
  });
  before(() => buildCli());

  async function cli(repo: string, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const run = startCli(["download", repo, "--endpoint", bed.hub.url, "--dir", bed.models.path, ...args], cliEnv(bed.home.path));
    const { code } = await run.done;
    return { code, stdout: run.stdout(), stderr: run.stderr() };
  }
  const modelDir = (repo: string) => join(bed.models.path, ...repo.split("/"));
  async function assertHubBytes(repo: string): Promise<void> {
    for (const [path, source] of sourceFiles(bed.hub, repo)) {
      assert.equal(await sha256File(join(modelDir(repo), path)), source.sha256, `${path} holds the Hub's bytes`);
    }
  }

  it(`point 3: --include selecting ${MANY_FILES} LFS files downloads them all (no spawn E2BIG)`, async () => {
    const run = await cli(MANY, ["--include", "shards/"]);
    assert.equal(run.code, 0, run.stderr);
    const record = await readRecord(modelDir(MANY));
    assert.equal(record?.files.length, MANY_FILES);
    const sources = sourceFiles(bed.hub, MANY);
    for (const i of [0, 1234, MANY_FILES - 1]) {
      const path = `shards/block-${String(i).padStart(4, "0")}/attention-projection-weights-part.bin`;
      assert.equal(await readFile(join(modelDir(MANY), path), "utf8"), `shard ${i}\n`);
      assert.ok(sources.get(path)?.lfsOid, `${path} is an LFS file on the Hub`);
    }
    assert.equal(existsSync(join(modelDir(MANY), "config.json")), false, "outside the selection");
  });

  it("point 4: a repo whose own .gitattributes converts on checkout (eol=crlf, ident, working-tree-encoding) gets the Hub's bytes over LFS", async () => {
    const run = await cli(CONVERT);
    assert.equal(run.code, 0, run.stderr);
    await assertHubBytes(CONVERT);
    // A second run (an update, a repair) finds nothing converted either.
    const again = await cli(CONVERT);
    assert.equal(again.code, 0, again.stderr);
    await assertHubBytes(CONVERT);
    const status = execFileSync("git", ["status", "--porcelain"], { cwd: modelDir(CONVERT), env: cliEnv(bed.home.path) }).toString();
    assert.equal(status, "", "git sees the checkout as clean");
  });

  it("point 4: a conversion that cannot be turned off (a filter driver in the user's git config) leaves no converted file and says why", async () => {
    const config = join(bed.home.path, ".gitconfig");
    const before = await readFile(config, "utf8").catch(() => "");
    await writeFile(config, `${before}\n[filter "upper"]\n\tsmudge = tr a-z A-Z\n\tclean = cat\n`);
    try {
      const run = await cli(FILTERED);
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /git converts shout\.up on checkout \(filter=upper\)/);
      assert.doesNotMatch(run.stderr, /Run the download again/);
      assert.equal(existsSync(join(modelDir(FILTERED), "shout.up")), false, "no converted file left behind");
      assert.equal(await readRecord(modelDir(FILTERED)), undefined);
    } finally {
      await writeFile(config, before);
    }
  });

  for (const route of ["lfs", "xet"] as const) {
    it(`point 10 (${route}): 0-byte files, LFS and plain, download`, async () => {
      const run = await cli(EMPTY, route === "xet" ? ["--use-xet", "--no-fallback"] : []);
      assert.equal(run.code, 0, run.stderr);
      await assertHubBytes(EMPTY);
      assert.equal(sourceFiles(bed.hub, EMPTY).get("empty.bin")?.lfsOid !== undefined, true, "empty.bin is an LFS file");
      assert.equal((await readRecord(modelDir(EMPTY)))?.files.length, 5);
    });
  }

  it("point 6: clone temp folders, link temp files and git-lfs partials of earlier runs are removed by the next run (LFS)", async () => {
    const dir = modelDir(SMALL);
    // What a kill during the clone into a non-empty folder, and one in the link phase, leave behind.
    await writeTree(dir, { "README.md": "# leftovers\n" });
    const cloneTemp = join(dir, "..", ".leftovers.clone-Ab12Cd");
    await writeTree(cloneTemp, { ".git/config": "[core]\n", ".git/objects/pack/pack-1.pack": pseudoRandomBytes(4096, 74) });
    await writeTree(dir, { "model.safetensors.hf-link-0a1b2c3d": pseudoRandomBytes(1024, 75), "sub/x.bin.hf-link-deadbeef": "x" });
    const run = await cli(SMALL);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(existsSync(cloneTemp), false, "the clone temp folder is gone");
    assert.deepEqual((await readdir(join(dir, ".."))).sort(), ["leftovers"]);
    const files = (await allFiles(dir)).filter((f) => !f.startsWith(".git/"));
    assert.deepEqual(files, [".gitattributes", ".hf-models.json", "README.md", "config.json", "model.safetensors"]);
    await assertHubBytes(SMALL);
  });

  it("point 6: git-lfs partials of a killed LFS run are gone after the download is finished with --use-xet", async () => {
    const dir = modelDir(SMALL);
    const first = await cli(SMALL, ["--include", "config.json"]);
    assert.equal(first.code, 0, first.stderr);
    const oid = sourceFiles(bed.hub, SMALL).get("model.safetensors")!.lfsOid!;
    // What git-lfs leaves when killed mid-object: a partial object and its temp files.
    await writeTree(join(dir, ".git", "lfs"), { [`incomplete/${oid}.part`]: pseudoRandomBytes(100 * 1024, 76), [`incomplete/${oid}12345`]: "x", "tmp/obj-123": "y" });
    const run = await cli(SMALL, ["--use-xet", "--no-fallback"]);
    assert.equal(run.code, 0, run.stderr);
    await assertHubBytes(SMALL);
    for (const sub of ["incomplete", "tmp"]) {
      assert.deepEqual(await readdir(join(dir, ".git", "lfs", sub)).catch(() => []), [], `.git/lfs/${sub} is empty`);
    }
  });

  for (const route of ["lfs", "xet"] as const) {
    it(`point 8 (${route}): a folder that is the user's own git clone is refused, their commits and uncommitted edits kept`, async () => {
      const dir = modelDir(SMALL);
      await mkdir(dir, { recursive: true });
      const env = { ...cliEnv(bed.home.path), GIT_AUTHOR_NAME: "u", GIT_AUTHOR_EMAIL: "u@x", GIT_COMMITTER_NAME: "u", GIT_COMMITTER_EMAIL: "u@x" };
      const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, env }).toString().trim();
      git("init", "-q", "-b", "work");
      await writeFile(join(dir, "README.md"), "# my own notes\n");
      git("add", "README.md");
      git("commit", "-q", "-m", "mine");
      const head = git("rev-parse", "HEAD");
      await writeFile(join(dir, "README.md"), "# my own notes, edited\n");
      const run = await cli(SMALL, route === "xet" ? ["--use-xet", "--no-fallback"] : []);
      assert.notEqual(run.code, 0, "refused");
      assert.match(run.stderr, /git (repository|clone).*not (one )?made by HF Models|not made by HF Models/i);
      assert.equal(await readFile(join(dir, "README.md"), "utf8"), "# my own notes, edited\n", "the uncommitted edit is kept");
      assert.equal(git("rev-parse", "HEAD"), head, "the user's branch is untouched");
      assert.equal(git("rev-parse", "--abbrev-ref", "HEAD"), "work");
      assert.equal(existsSync(join(dir, "model.safetensors")), false, "nothing downloaded into it");
    });
  }
});
