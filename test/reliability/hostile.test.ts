// A broken or malicious Hub (hub/hostile.ts) and hostile input: nothing is written outside the model folder,
// nothing reaches git before validation, and every answer ends in a clear DownloadError with bounded memory.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { download, type ServiceOptions } from "../../src/core/download/service";
import { DownloadError, type DownloadErrorCode } from "../../src/core/errors";
import { type DownloadRequest } from "../../src/core/download/types";
import { useServiceTestbed } from "../core/download-helpers";
import type { HostileMode } from "../../hub/hostile";
import { ROOT } from "../helpers/hub";
import { buildCli, cliEnv, startCli, startGroup } from "./cli";
import { recordFigure } from "./figures";
import { allFiles, folderViolations, writeSmallRepo } from "./helpers";
import { assertDownloadError } from "../helpers/assertions";

const REPO = "rel/small";
const TOKEN = "hf_hostile_token_0123456789";

describe("reliability: hostile Hub answers and hostile input", function () {
  this.timeout(120_000);
  const bed = useServiceTestbed({
    prefix: "hf-hostile-",
    sources: async (work) => {
      await writeSmallRepo(join(work, "repo"));
      return [{ id: REPO, revisions: [{ dir: join(work, "repo"), message: "Add small model" }] }];
    },
  });
  let n = 0;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  before(() => {
    process.on("unhandledRejection", onUnhandled);
  });
  after(() => {
    process.off("unhandledRejection", onUnhandled);
  });

  /** One download in a fresh models folder; returns the error (or result) and every git command it spawned. */
  async function attempt(request: Partial<DownloadRequest>, options: ServiceOptions = {}) {
    const models = join(bed.work.path, `m${++n}`);
    const commands: string[][] = [];
    const full: DownloadRequest = { repo: REPO, modelsDir: models, endpoint: bed.hub.url, token: TOKEN, fallbackToLfs: false, ...request };
    const outcome = await download(full, { env: bed.home.env, onGitCommand: (a) => commands.push(a), ...options }).then(
      (result) => ({ result, error: undefined }),
      (error: unknown) => ({ result: undefined, error }),
    );
    return { ...outcome, commands, models, modelDir: join(models, ...REPO.split("/")) };
  }

  function assertError(error: unknown, code: DownloadErrorCode, pattern?: RegExp): asserts error is DownloadError {
    assertDownloadError(error, code, pattern);
    assert.ok(!error.message.includes(TOKEN), "no token in the message");
  }

  describe("unsafe tree listings are refused before anything is written or started", () => {
    const cases: Array<[HostileMode, RegExp]> = [
      ["tree-dotdot", /"\.\.\/escape\.txt".*"\.\." segment/],
      ["tree-absolute", /"\/tmp\/hf-hostile-absolute\.txt".*absolute/],
      ["tree-backslash", /backslash/],
      ["tree-nul", /NUL byte/],
      // tree-case-collision is no longer refused on a case-sensitive filesystem (both names download there);
      // the refusal on a case-insensitive one is held by test/core/odd-names.test.ts.
      ["tree-git-dir", /"\.git\/hooks\/post-checkout".*\.git folder/],
    ];
    for (const [mode, pattern] of cases) {
      for (const method of ["lfs", "xet"] as const) {
        it(`${mode} (${method})`, async () => {
          bed.hub.setHostile(mode, true);
          const { error, commands, models } = await attempt({ method });
          assertError(error, "server", pattern);
          assert.deepEqual(commands, [], "no git process started");
          assert.deepEqual(bed.hub.ctx.log.map((e) => e.route).filter((r) => !r.startsWith("api-")), [], "nothing but the listing was asked");
          assert.deepEqual(await allFiles(models), [], "nothing written");
          assert.equal(existsSync("/tmp/hf-hostile-absolute.txt"), false);
          assert.equal(existsSync(join(models, "..", "escape.txt")), false);
        });
      }
    }

    it("a symlink entry in the listing is not a file: it is never created, the rest downloads verified", async () => {
      bed.hub.setHostile("tree-symlink", true);
      for (const method of ["lfs", "xet"] as const) {
        const { result, error, modelDir } = await attempt({ method });
        assert.ok(result, String(error));
        assert.equal(existsSync(join(modelDir, "evil-link")), false);
        assert.deepEqual(await folderViolations({ hub: bed.hub, repo: REPO, modelDir, result }), []);
      }
    });
  });

  it("a symbolic link already inside the model folder is never written through (both routes)", async () => {
    for (const method of ["lfs", "xet"] as const) {
      const outside = join(bed.work.path, `outside-${method}`);
      await mkdir(outside);
      const models = join(bed.work.path, `planted-${method}`);
      const modelDir = join(models, ...REPO.split("/"));
      await mkdir(modelDir, { recursive: true });
      await symlink(outside, join(modelDir, "weights"));
      const commands: string[][] = [];
      const error = await download({ repo: REPO, modelsDir: models, endpoint: bed.hub.url, token: TOKEN, method, fallbackToLfs: false }, { env: bed.home.env, onGitCommand: (a) => commands.push(a) }).catch((e: unknown) => e);
      assertError(error, "not-writable", /weights is a symbolic link; HF Models never writes through links/);
      assert.deepEqual(await readdir(outside), [], `${method}: nothing written through the link`);
      assert.deepEqual(commands, []);
    }
  });

  describe("repo ids and revisions that look like git options or URLs are rejected before any request or process", () => {
    const repos = ["--upload-pack=touch /tmp/hf-pwned", "-oProxyCommand=x/y", "org/--upload-pack=x", "ext::sh -c touch% /tmp/hf-pwned", "file:///etc/passwd", "ssh://evil.example/org/name", "git@evil.example:org/name", "org/name --upload-pack=x", "org/name.git"];
    const revisions = ["--upload-pack=touch /tmp/hf-pwned", "-c", "--output=/tmp/hf-pwned", "main --upload-pack=x", "https://evil.example/x", "file:///etc", "ext::sh", "a..b", "@{-1}", "main\n"];
    for (const repo of repos) {
      it(`repo ${JSON.stringify(repo)} → invalid-repo`, async () => {
        const { error, commands } = await attempt({ repo, method: "lfs" });
        assertError(error, "invalid-repo");
        assert.deepEqual(commands, []);
        assert.deepEqual(bed.hub.ctx.log, []);
      });
    }
    for (const revision of revisions) {
      it(`revision ${JSON.stringify(revision)} → invalid-revision`, async () => {
        const { error, commands } = await attempt({ revision, method: "lfs" });
        assertError(error, "invalid-revision");
        assert.deepEqual(commands, []);
        assert.deepEqual(bed.hub.ctx.log, []);
      });
    }

    it("the CLI rejects them with exit 2 and never runs git (a git on PATH that records its calls)", async () => {
      await buildCli();
      const bin = join(bed.work.path, "fake-bin");
      const calls = join(bed.work.path, "git-calls.txt");
      await mkdir(bin, { recursive: true });
      await writeFile(join(bin, "git"), `#!/bin/sh\necho "$@" >> "${calls}"\nexit 1\n`, { mode: 0o755 });
      const cases: Array<[string[], string]> = [
        [["--", repos[0]!], "invalid-repo"],
        [[REPO, "--revision", revisions[0]!], "usage"], // parseArgs sees an unknown option
        [[REPO, "--revision=--upload-pack=x"], "invalid-revision"],
        [[`${bed.hub.url}/${REPO}/tree/--upload-pack=x`], "invalid-revision"],
      ];
      for (const [args, code] of cases) {
        const run = startCli(["download", "--endpoint", bed.hub.url, "--dir", join(bed.work.path, "cli-models"), "--json", ...args], cliEnv(bed.home.path, { PATH: `${bin}:${process.env.PATH}`, HF_TOKEN: TOKEN }));
        const end = await run.done;
        assert.equal(end.code, 2, run.stderr());
        assert.equal(JSON.parse(run.stdout()).error.code, code, args.join(" "));
      }
      assert.equal(existsSync(calls), false, "git was never started");
      assert.deepEqual(bed.hub.ctx.log, []);
    });
  });

  describe("enormous, malformed or lying answers end in a clear error with bounded memory", () => {
    it("an endless JSON tree listing: `server` error after at most 32 MB, memory stays bounded", async () => {
      bed.hub.setHostile("huge-json", true);
      const before = process.memoryUsage();
      let peak = before.rss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
      const { error, commands } = await attempt({ method: "xet" });
      clearInterval(sampler);
      assertError(error, "server", /answer for \/api\/models\/rel\/small\/tree\/[0-9a-f]{40} is larger than 32 MB/);
      assert.deepEqual(commands, []);
      await new Promise((r) => setTimeout(r, 100));
      const sent = bed.hub.ctx.log.filter((e) => e.route === "hostile-huge-json").reduce((s, e) => s + e.bytes, 0);
      const growthMb = Math.round((peak - before.rss) / 1e6);
      await recordFigure("hostile", "huge-json", { hubSentBytes: sent, rssGrowthMb: growthMb });
      assert.ok(sent < 128 * 1024 * 1024, `the client hung up early: the hub sent ${sent} bytes`);
      assert.ok(growthMb < 400, `memory grew by ${growthMb} MB`);
    });

    it("a truncated JSON listing: `server`, malformed answer", async () => {
      bed.hub.setHostile("malformed-json", true);
      const { error } = await attempt({ method: "lfs" });
      assertError(error, "server", /sent a malformed answer/);
    });

    it("a listing of the wrong shape: `server`, malformed answer (not a network error)", async () => {
      bed.hub.setHostile("wrong-json", true);
      const { error } = await attempt({ method: "lfs" });
      assertError(error, "server", /sent a malformed answer \(.*not iterable\)/);
    });

    for (const mode of ["recon-short", "recon-huge"] as const) {
      it(`${mode}: Xet reports it (nothing claimed complete, memory bounded); with fallback Git LFS finishes verified`, async () => {
        bed.hub.setHostile(mode, true);
        const before = process.memoryUsage().rss;
        let peak = before;
        const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
        const { error, modelDir } = await attempt({ method: "xet" });
        clearInterval(sampler);
        assert.ok(error instanceof DownloadError && ["server", "integrity"].includes(error.code), String(error));
        assert.ok(!error.message.includes(TOKEN));
        assert.deepEqual(await folderViolations({ hub: bed.hub, repo: REPO, modelDir }), []);
        assert.ok(peak - before < 400e6, `memory grew by ${Math.round((peak - before) / 1e6)} MB`);
        const fallback = await attempt({ method: "xet", fallbackToLfs: true });
        assert.equal(fallback.result?.method, "lfs", String(fallback.error));
        assert.deepEqual(await folderViolations({ hub: bed.hub, repo: REPO, modelDir: fallback.modelDir, result: fallback.result }), []);
      });
    }
  });

  it("an LFS href that has already expired: the batch API is asked again and the file completes verified", async () => {
    bed.hub.setHostile("lfs-url-expired", true);
    const { result, error, modelDir } = await attempt({ method: "lfs" });
    assert.ok(result, String(error));
    const log = bed.hub.ctx.log;
    const expired = log.findIndex((e) => e.route === "lfs-object" && e.status === 403);
    assert.ok(expired >= 0, "an expired href was used");
    assert.ok(log.slice(expired).some((e) => e.route === "lfs-batch" && e.status === 200), "the batch API was asked again");
    assert.ok(log.slice(expired).some((e) => e.route === "lfs-object" && e.status === 206), "the fresh href was used");
    assert.deepEqual(await folderViolations({ hub: bed.hub, repo: REPO, modelDir, result }), []);
  });

  describe("endless redirects end in a clear error", () => {
    it("Hub API: `server`, redirected in a loop", async () => {
      bed.hub.setHostile("redirect-loop-api", true);
      const { error } = await attempt({ method: "lfs" });
      assertError(error, "server", /redirected in a loop/);
    });

    it("resolve of a small file on the Xet route: `server`, too many redirects", async () => {
      bed.hub.setHostile("redirect-loop-resolve", true);
      const { error, modelDir } = await attempt({ method: "xet" });
      assertError(error, "server", /Too many redirects/);
      assert.deepEqual(await folderViolations({ hub: bed.hub, repo: REPO, modelDir }), []);
    });

    it("git without a token follows redirects and stops at curl's limit: `server`, redirected git in a loop", async () => {
      bed.hub.setHostile("redirect-loop-git", true);
      const { error } = await attempt({ method: "lfs", token: undefined });
      assertError(error, "server", /redirected git in a loop/);
    });

    it("git with a token follows no redirect at all: `server`, naming why", async () => {
      bed.hub.setHostile("redirect-loop-git", true);
      const { error } = await attempt({ method: "lfs" });
      assertError(error, "server", /does not follow git redirects while it sends your token/);
      assert.equal(bed.hub.ctx.log.filter((e) => e.route === "hostile-redirect-loop").length, 1, "one request, no redirect followed");
    });
  });

  describe("the local Hub's command line", () => {
    it("`--hostile NAME` serves the hostile answers; an unknown name is exit 2 naming the known ones", async () => {
      await buildCli();
      const hubJs = join(ROOT, "dist", "hub.js");
      const bad = startGroup(process.execPath, [hubJs, "--hostile", "nonsense"], cliEnv(bed.home.path));
      assert.equal((await bad.done).code, 2);
      assert.match(bad.stderr(), /unknown hostile mode "nonsense"; known: tree-dotdot, tree-absolute/);
      const served = startGroup(process.execPath, [hubJs, "--repo", `${REPO}=${join(bed.work.path, "repo")}`, "--hostile", "tree-dotdot", "--data-dir", join(bed.work.path, "cli-hub")], cliEnv(bed.home.path));
      try {
        const deadline = Date.now() + 30_000;
        while (!/listening on/.test(served.stdout()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        const url = /listening on (\S+)/.exec(served.stdout())?.[1];
        assert.ok(url, served.stderr());
        const tree = (await (await fetch(`${url}/api/models/${REPO}/tree/main?recursive=true`)).json()) as Array<{ path: string }>;
        assert.ok(tree.some((e) => e.path === "../escape.txt"), JSON.stringify(tree));
      } finally {
        served.kill9();
        await served.done;
      }
    });
  });

  describe("after all of the above", () => {
    it("no unhandled rejection was left behind (the extension host would log or crash on it)", async () => {
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(unhandled.map(String), []);
    });
  });
});
