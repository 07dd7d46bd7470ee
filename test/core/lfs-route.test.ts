// The Git LFS route against the local Hub: no token outside the process environment (argv, .git/config,
// files on disk, CDN requests), clear errors for missing tools, failing git and broken clones, a stale index.lock
// cleared, one copy of each LFS file on disk with a clean `git status` that re-hashes nothing, and objects already
// on disk hashed before they are trusted.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, open, readFile, rm, stat, symlink, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { download } from "../../src/core/download/service";
import { RECORD_FILE } from "../../src/core/layout";
import { lfsObjectPath } from "../../src/core/lfs/objects";
import { rejectsWithCode } from "../helpers/assertions";
import { tempDir } from "../helpers/hub";
import { collect, filesContaining, gitHome, gitStatus, lfsObjectRequests, sameBytes, sourceFiles, TOKEN, workingFiles, useServiceTestbed } from "./download-helpers";

describe("lfs route against the local Hub", function () {
  this.timeout(60_000);
  const bed = useServiceTestbed({ prefix: "hf-lfs-models-" });
  afterEach(() => bed.hub.setFault("git-unavailable", false));

  it("keeps the token out of argv, .git/config, every file on disk and every CDN request", async () => {
    const commands: string[][] = [];
    const result = await download(
      { repo: "demo/private-model", modelsDir: bed.models.path, endpoint: bed.hub.url, token: TOKEN },
      { env: bed.home.env, onGitCommand: (args) => commands.push(args) },
    );
    assert.equal(result.method, "lfs");
    assert.ok(commands.some((a) => a[0] === "clone"));
    assert.deepEqual(commands.filter((a) => a.join(" ").includes(TOKEN) || a.join(" ").toLowerCase().includes("bearer")), []);
    const config = await readFile(join(result.path, ".git", "config"), "utf8");
    assert.ok(!config.includes(TOKEN) && !/extraheader/i.test(config), ".git/config has no token and no header");
    assert.deepEqual(await filesContaining(result.path, TOKEN), []);
    // The Hub origin saw the token on git and the LFS batch API (so it was really sent) ...
    const hubGit = bed.hub.ctx.log.filter((e) => e.origin === "hub" && /^(git-|lfs-batch)/.test(e.route));
    assert.ok(hubGit.length >= 3 && hubGit.every((e) => e.auth === "hub-token"), JSON.stringify(hubGit));
    // ... and the CDN never did.
    const cdn = bed.hub.ctx.log.filter((e) => e.origin === "cdn");
    assert.ok(cdn.length >= 1 && cdn.every((e) => e.auth === "none"), JSON.stringify(cdn));

    // A failing git-lfs writes its environment into .git/lfs/logs; the token must not survive there either.
    const again = await tempDir("hf-lfs-models-");
    try {
      await rejectsWithCode(
        download(
          { repo: "demo/private-model", modelsDir: again.path, endpoint: bed.hub.url, token: TOKEN },
          { env: bed.home.env, onProgress: (e) => e.type === "stage" && e.stage === "downloading" && bed.hub.setFault("git-unavailable", true) },
        ),
        "server", /git lfs fetch \(HTTP 503\)/,
      );
      const logs = join(again.path, "demo", "private-model", ".git", "lfs", "logs");
      assert.ok(existsSync(logs), "git-lfs wrote its error log");
      assert.deepEqual(await filesContaining(again.path, TOKEN), []);
    } finally {
      await again.cleanup();
    }
  });

  it("answers the git-unavailable fault with a clear `server` error and no record", async () => {
    bed.hub.setFault("git-unavailable", true);
    const err = await rejectsWithCode(
      download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url, token: TOKEN }, { env: bed.home.env }),
      "server",
      /The Hub's git service failed while running git clone \(HTTP 503\)\. Try again in a few minutes/,
    );
    assert.ok(!err.message.includes(TOKEN) && !String((err.cause as Error)?.message).includes(TOKEN));
    assert.ok(bed.hub.ctx.log.some((e) => e.route === "git-info-refs" && e.status === 503));
    assert.ok(!existsSync(join(bed.models.path, "demo", "tiny-model", ".hf-models.json")));
  });

  it("says how to install git-lfs when it is not on PATH, before cloning anything", async () => {
    const bin = join(bed.models.path, "bin-git-only");
    await mkdir(bin);
    await symlink(execFileSync("sh", ["-c", "command -v git"]).toString().trim(), join(bin, "git"));
    await rejectsWithCode(
      download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: { ...bed.home.env, PATH: bin } }),
      "git-lfs-missing", /Git LFS is not installed .*apt-get install git-lfs.*brew install git-lfs.*https:\/\/git-lfs\.com/,
    );
    assert.ok(!existsSync(join(bed.models.path, "demo", "tiny-model")));
    assert.ok(!bed.hub.ctx.log.some((e) => e.route.startsWith("git-")));
  });

  it("says how to install git when it is not on PATH", async () => {
    await rejectsWithCode(
      download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: { ...bed.home.env, PATH: join(bed.models.path, "empty") } }),
      "git-missing", /Git was not found on PATH\. Install Git \(.*apt-get install git/,
    );
  });

  it("replaces an unfinished .git but never deletes one that holds LFS objects", async () => {
    const dir = join(bed.models.path, "demo", "tiny-model");
    await mkdir(join(dir, ".git"), { recursive: true }); // what a clone killed at its start can leave
    const result = await download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env });
    assert.equal(gitStatus(result.path, bed.home.env), "");

    const other = join(bed.models.path, "demo", "quantized-gguf");
    await mkdir(join(other, ".git", "lfs", "objects"), { recursive: true });
    await writeFile(join(other, ".git", "lfs", "objects", "keep"), "precious");
    await rejectsWithCode(
      download({ repo: "demo/quantized-gguf", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env }),
      "internal", /Git cannot use the existing clone in .*quantized-gguf: .*not a git repository/,
    );
    assert.equal(await readFile(join(other, ".git", "lfs", "objects", "keep"), "utf8"), "precious");
  });

  it("removes the index.lock a killed run's git left, with a warning, instead of failing every later checkout", async () => {
    const v1 = await download({ repo: "demo/two-revisions", revision: "v1", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env });
    const indexLock = join(v1.path, ".git", "index.lock");
    await writeFile(indexLock, "");
    const { events, onProgress } = collect();
    const main = await download({ repo: "demo/two-revisions", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env, onProgress });
    for (const [path, src] of sourceFiles(bed.hub, "demo/two-revisions")) assert.ok(await sameBytes(join(main.path, path), src.source), `${path} is byte-exact`);
    const warnings = events.filter((e) => e.type === "log" && e.level === "warn").map((e) => (e as { message: string }).message);
    assert.deepEqual(warnings, [`Removing ${indexLock}, left by a git process of an interrupted download`]);
    assert.ok(!existsSync(indexLock));
    assert.equal(gitStatus(main.path, bed.home.env), "");
  });

  it("stores each LFS file once (object hard-linked to the working file) and leaves git status clean", async () => {
    const result = await download({ repo: "demo/quantized-gguf", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env });
    const sources = sourceFiles(bed.hub, "demo/quantized-gguf");
    let lfsBytes = 0;
    for (const [path, src] of sources) {
      if (!src.lfsOid) continue;
      const [file, object] = await Promise.all([stat(join(result.path, path)), stat(lfsObjectPath(join(result.path, ".git"), src.lfsOid))]);
      assert.equal(file.ino, object.ino, `${path} and its object are one inode`);
      assert.equal(file.nlink, 2);
      lfsBytes += src.size;
    }
    const du = Number(execFileSync("du", ["-sk", result.path]).toString().split("\t")[0]) * 1024;
    assert.ok(du < lfsBytes * 1.5, `folder takes ${du} bytes for ${lfsBytes} bytes of LFS files`);
    assert.equal(gitStatus(result.path, bed.home.env), "", "git status is clean (record and partials are excluded)");
    const exclude = await readFile(join(result.path, ".git", "info", "exclude"), "utf8");
    assert.match(exclude, /^\/\.hf-models\.json$/m);
    assert.deepEqual(await workingFiles(result.path), [".gitattributes", ".hf-models.json", "README.md", "config.json", "tiny-Q4_K_M.gguf", "tiny-Q5_K_M.gguf", "tiny-Q8_0.gguf"]);
    // Editing through one name would change both; git still sees the truth through the index.
    await rm(join(result.path, "tiny-Q4_K_M.gguf"));
    assert.match(gitStatus(result.path, bed.home.env), /^ D tiny-Q4_K_M\.gguf$/m);
  });

  it("leaves an index git trusts: `git status` is clean at once and never runs git-lfs' clean filter", async () => {
    const result = await download({ repo: "demo/quantized-gguf", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env });
    const config = execFileSync("git", ["config", "--get", "core.checkStat"], { cwd: result.path, env: bed.home.env }).toString().trim();
    assert.equal(config, "minimal");
    // Straight after the download, when the files' mtimes are as close to the index's as they get.
    const traced = spawnSync("git", ["status", "--porcelain"], { cwd: result.path, env: { ...bed.home.env, GIT_TRACE: "1" }, encoding: "utf8" });
    assert.equal(traced.stdout, "");
    assert.deepEqual(traced.stderr.split("\n").filter((l) => /git-lfs|filter/.test(l)), [], "no clean filter ran");
  });

  it("sets git-lfs up in the clone itself, after a checkout of the fresh clone that starts no git-lfs filter", async () => {
    const commands: string[][] = [];
    const result = await download({ repo: "demo/quantized-gguf", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env, onGitCommand: (args) => commands.push(args) });
    // The test HOME has git-lfs' filters globally; these must be the clone's own, for users who never ran `git lfs install`.
    const local = (key: string) => execFileSync("git", ["config", "--local", "--get", key], { cwd: result.path, env: bed.home.env }).toString().trim();
    assert.equal(local("filter.lfs.process"), "git-lfs filter-process");
    assert.equal(local("filter.lfs.required"), "true");
    assert.match(await readFile(join(result.path, ".git", "hooks", "pre-push"), "utf8"), /git lfs pre-push/);
    const checkout = commands.findIndex((a) => a.includes("checkout"));
    const install = commands.findIndex((a) => a.join(" ") === "lfs install --local");
    assert.ok(checkout >= 0 && install > checkout, `checkout, then git lfs install: ${commands.map((a) => a.join(" ")).join(" | ")}`);
    assert.deepEqual(commands[checkout]!.slice(0, 8), ["-c", "filter.lfs.process=", "-c", "filter.lfs.smudge=", "-c", "filter.lfs.clean=", "-c", "filter.lfs.required=false"]);
    assert.equal(gitStatus(result.path, bed.home.env), "");
    for (const [path, src] of sourceFiles(bed.hub, "demo/quantized-gguf")) assert.ok(await sameBytes(join(result.path, path), src.source), path);
  });

  describe("a fresh clone's objects download while git checks out the pointers", () => {
    /** An environment whose clones get `hook` as post-checkout (git's template folder), beside the test HOME's config. */
    async function withCheckoutHook(hook: string): Promise<NodeJS.ProcessEnv> {
      const template = await mkdtemp(join(bed.work.path, "template-"));
      await mkdir(join(template, "hooks"));
      await writeFile(join(template, "hooks", "post-checkout"), `#!/bin/sh\n# $3 = 1: a checkout of a commit (not of paths)\n[ "$3" = 1 ] || exit 0\n${hook}\n`, { mode: 0o755 });
      const config = join(template, "gitconfig");
      await writeFile(config, `[include]\n\tpath = ${join(bed.home.path, ".gitconfig")}\n[init]\n\ttemplateDir = ${template}\n`);
      return { ...bed.home.env, GIT_CONFIG_GLOBAL: config };
    }
    const repo = "demo/quantized-gguf";

    it("every object is stored before the checkout of a fresh clone has ended", async () => {
      const objects = [...sourceFiles(bed.hub, repo).values()].filter((f) => f.lfsOid).length;
      // The hook holds the checkout until the objects are there (20 s at most) and notes how many it saw.
      const env = await withCheckoutHook(
        `i=0\nwhile [ "$(find .git/lfs/objects -type f | wc -l)" -lt ${objects} ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done\n` +
          `find .git/lfs/objects -type f | wc -l > .git/objects-at-checkout`,
      );
      const result = await download({ repo, modelsDir: bed.models.path, endpoint: bed.hub.url }, { env });
      assert.equal((await readFile(join(result.path, ".git", "objects-at-checkout"), "utf8")).trim(), String(objects));
      for (const [path, src] of sourceFiles(bed.hub, repo)) assert.ok(await sameBytes(join(result.path, path), src.source), path);
      assert.equal(gitStatus(result.path, bed.home.env), "");
    });

    it("a checkout that fails meanwhile is the error (not the cancel it causes), nothing is recorded, and the next run completes", async () => {
      bed.hub.setFault("slow", true);
      const env = await withCheckoutHook(`echo "refused by the test's hook" >&2\nexit 3`);
      const err = await rejectsWithCode(download({ repo, modelsDir: bed.models.path, endpoint: bed.hub.url }, { env }), "internal", /^git checkout failed: .*refused by the test's hook/);
      assert.doesNotMatch(err.message, /cancel/i);
      const modelDir = join(bed.models.path, "demo", "quantized-gguf");
      assert.ok(existsSync(join(modelDir, ".git")) && !existsSync(join(modelDir, RECORD_FILE)), "the clone stays for the next run, with no record");
      bed.hub.setFault("slow", false);
      await rm(join(modelDir, ".git", "hooks", "post-checkout")); // the clone has its own copy of the hook
      const result = await download({ repo, modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env });
      for (const [path, src] of sourceFiles(bed.hub, repo)) assert.ok(await sameBytes(join(result.path, path), src.source), path);
      assert.equal(gitStatus(result.path, bed.home.env), "");
    });
  });

  it("with an index layout it does not rewrite (a user's index.version=4), lets git refresh it and still ends clean", async () => {
    const home = await gitHome();
    try {
      execFileSync("git", ["config", "--global", "index.version", "4"], { env: home.env });
      const { events, onProgress } = collect();
      const result = await download({ repo: "demo/quantized-gguf", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: home.env, onProgress });
      const logs = events.filter((e) => e.type === "log").map((e) => (e as { message: string }).message);
      assert.ok(logs.includes("Refreshing git's index through git-lfs (its layout is not one HF Models updates itself)"), logs.join("\n"));
      assert.equal((await readFile(join(result.path, ".git", "index"))).readUInt32BE(4), 4);
      for (const [path, s] of sourceFiles(bed.hub, "demo/quantized-gguf")) assert.ok(await sameBytes(join(result.path, path), s.source), path);
      assert.equal(gitStatus(result.path, home.env), "");
    } finally {
      await home.cleanup();
    }
  });

  it("hashes an object already on disk before trusting it: a corrupt one is removed and fetched again in the same run (issue 13, M3)", async () => {
    const repo = "demo/quantized-gguf";
    const first = await download({ repo, modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env });
    const src = sourceFiles(bed.hub, repo).get("tiny-Q5_K_M.gguf")!;
    const object = lfsObjectPath(join(first.path, ".git"), src.lfsOid!);
    // Flip one byte in place (object and file are one inode), keeping the size.
    const handle = await open(object, "r+");
    await handle.write(Buffer.from([0xff ^ (await readFile(object))[1000]!]), 0, 1, 1000);
    await handle.close();
    // A changed file is the user's until they say otherwise (issue 17 point 2): kept and reported, not replaced.
    const kept = await download({ repo, modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env });
    assert.deepEqual(kept.keptEdited, ["tiny-Q5_K_M.gguf"]);

    bed.hub.resetLog();
    const { events, onProgress } = collect();
    const again = await download({ repo, modelsDir: bed.models.path, endpoint: bed.hub.url, overwriteEdited: true }, { env: bed.home.env, onProgress });
    const warnings = events.filter((e) => e.type === "log" && e.level === "warn").map((e) => (e as { message: string }).message);
    assert.ok(warnings.some((m) => /stored Git LFS object was damaged: tiny-Q5_K_M\.gguf$/.test(m)), warnings.join("\n"));
    assert.deepEqual(lfsObjectRequests(bed.hub).map((r) => r.oid), [src.lfsOid]);
    assert.equal(again.bytesTransferred, src.size);
    for (const [path, s] of sourceFiles(bed.hub, repo)) assert.ok(await sameBytes(join(again.path, path), s.source), `${path} is byte-exact`);
    assert.ok(await sameBytes(object, src.source), "the stored object is good again");
    assert.equal(gitStatus(again.path, bed.home.env), "");
  });

  it("when the object store refuses hard links (another filesystem), hashes the copies, warns, and still ends clean", async () => {
    const repo = "demo/quantized-gguf";
    const first = await download({ repo, modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env });
    const lfsDir = join(first.path, ".git", "lfs");
    await rm(lfsDir, { recursive: true, force: true });
    for (const [path, s] of sourceFiles(bed.hub, repo)) if (s.lfsOid) await unlink(join(first.path, path));
    // .git/lfs on another filesystem (the tmpfs of /dev/shm): every hard link from it into the model folder is EXDEV.
    const elsewhere = await mkdtemp(join("/dev/shm", "hf-lfs-"));
    assert.notEqual((await stat(elsewhere)).dev, (await stat(first.path)).dev, "/dev/shm is another filesystem");
    await symlink(elsewhere, lfsDir);
    try {
      const { events, onProgress } = collect();
      const result = await download({ repo, modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env, onProgress });
      const warnings = events.filter((e) => e.type === "log" && e.level === "warn").map((e) => (e as { message: string }).message);
      assert.ok(warnings.some((m) => /^Could not hard-link LFS objects to the model files \(EXDEV: .*\); the model takes twice its size on disk\.$/.test(m)), warnings.join("\n"));
      for (const [path, s] of sourceFiles(bed.hub, repo)) {
        assert.ok(await sameBytes(join(result.path, path), s.source), `${path} is byte-exact`);
        if (s.lfsOid) assert.equal((await stat(join(result.path, path))).nlink, 1);
      }
      assert.equal(result.files.length, sourceFiles(bed.hub, repo).size);
      assert.equal(gitStatus(result.path, bed.home.env), "");
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
