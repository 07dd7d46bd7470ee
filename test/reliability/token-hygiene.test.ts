// The Hub token stays where it belongs: in the Authorization header of hub-origin requests and the environment
// of git. Never in output, logs, error messages, files on disk, command lines, CDN/CAS requests or redirects.
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { download } from "../../src/core/download/service";
import { filesContaining, useServiceTestbed } from "../core/download-helpers";
import type { RequestLogEntry } from "../../hub/context";
import { startHub } from "../../hub/server";
import { buildCli, cliEnv, startCli, type CliRun } from "./cli";
import { allFiles, folderViolations, writeSmallRepo } from "./helpers";
import { assertDownloadError } from "../helpers/assertions";

const TOKEN = "hf_hygiene_SECRET_token_0123456789";
const PUBLIC = "rel/small";
const PRIVATE = "rel/private";

/** Command lines of every process below `root` (children, grandchildren …), read from /proc. */
async function descendantCommandLines(root: number): Promise<string[]> {
  const parents = new Map<number, number>();
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
    // `pid (comm) state ppid …`; comm may contain spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid) parents.set(Number(name), ppid);
  }
  const lines: string[] = [];
  for (const pid of parents.keys()) {
    let p: number | undefined = pid;
    while (p && p !== root && p !== 1) p = parents.get(p);
    if (p !== root) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmd) lines.push(cmd.split("\0").join(" ").trim());
  }
  return lines;
}

describe("reliability: token hygiene", function () {
  this.timeout(180_000);
  const bed = useServiceTestbed({
    prefix: "hf-hygiene-",
    // With the slow fault on, a few seconds of LFS transfer: the /proc sampler sees git-lfs at work even on a busy machine.
    slow: { latencyMs: 10, perConnectionBytesPerSecond: 700_000, totalBytesPerSecond: 1_400_000 },
    sources: async (work) => {
      const source = join(work, "repo");
      await writeSmallRepo(source, { model: 2 * 1024 * 1024, extra: 512 * 1024 });
      return [
        { id: PUBLIC, revisions: [{ dir: source, message: "Add model" }] },
        { id: PRIVATE, private: true, revisions: [{ dir: source, message: "Add model" }] },
      ];
    },
  });
  /** Every request any test of this suite made, for the suite-wide CDN check. */
  const seen: RequestLogEntry[] = [];

  before(() => buildCli());
  // Before the testbed's next beforeEach forgets the log.
  afterEach(() => {
    seen.push(...bed.hub.ctx.log);
  });

  /** Runs the CLI to the end while sampling the command lines of everything it starts. */
  async function runWatched(args: string[], extraEnv: Record<string, string> = {}): Promise<{ run: CliRun; code: number | null; commandLines: Set<string> }> {
    const run = startCli(args, cliEnv(bed.home.path, { HF_TOKEN: TOKEN, HF_MODELS_DEBUG: "1", ...extraEnv }));
    const commandLines = new Set<string>();
    let finished = false;
    const watching = (async () => {
      while (!finished) {
        for (const line of await descendantCommandLines(run.child.pid!)) commandLines.add(line);
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    const { code } = await run.done;
    finished = true;
    await watching;
    commandLines.add((await readFile(`/proc/${process.pid}/cmdline`, "utf8")).split("\0").join(" "));
    return { run, code, commandLines };
  }

  for (const [label, extra] of [["Git LFS", []], ["Xet falling back to Git LFS", ["--use-xet"]]] as const) {
    it(`${label} (CLI, private repo, debug output on): not in stdout/stderr, any spawned command line, any file, or any CDN request`, async () => {
      bed.hub.setFault("slow", true);
      if (extra.length > 0) bed.hub.setFault("cas-unavailable", true);
      const models = join(bed.work.path, `cli-${extra.length}`);
      const { run, code, commandLines } = await runWatched(["download", PRIVATE, "--endpoint", bed.hub.url, "--dir", models, "--json", ...extra]);
      assert.equal(code, 0, run.stderr());
      const out = JSON.parse(run.stdout());
      assert.equal(out.method, "lfs");
      if (extra.length > 0) assert.match(out.fallbackReason, /503/);
      assert.ok(!run.stdout().includes(TOKEN) && !run.stderr().includes(TOKEN), "not in the output");
      const lines = [...commandLines];
      // The LFS objects come over range requests in-process (their CDN requests are checked below); the spawned
      // commands that get the token's config are git's clone and checkout, sampled every 15 ms.
      // (There used to be a throttled `git lfs fetch` to sample many times; the clone alone is what is sure to be seen.)
      assert.ok(lines.some((l) => /^git (clone|checkout|-c)|git-lfs/.test(l)), `git was seen at work: ${lines.join("\n")}`);
      assert.deepEqual(lines.filter((l) => l.includes(TOKEN) || /bearer/i.test(l)), [], "not in any command line");
      const modelDir = join(models, ...PRIVATE.split("/"));
      const onDisk = await allFiles(modelDir);
      assert.ok(onDisk.includes(".git/config"));
      assert.deepEqual(await filesContaining(modelDir, TOKEN), [], "not in any file, .git/config and .git/lfs included");
      assert.ok(!(await readFile(join(modelDir, ".git", "config"), "utf8")).toLowerCase().includes("extraheader"), "no header config persisted");
      const cdn = bed.hub.ctx.log.filter((e) => e.origin === "cdn");
      assert.ok(cdn.length > 0);
      assert.deepEqual(cdn.filter((e) => e.auth === "hub-token"), [], "not sent to the CDN/CAS origin");
      assert.ok(bed.hub.ctx.log.some((e) => e.origin === "hub" && e.auth === "hub-token"), "it did reach the Hub");
    });
  }

  it("in-process: not in any git argument list (onGitCommand), progress event or log message", async () => {
    const commands: string[][] = [];
    const events: string[] = [];
    const result = await download(
      { repo: PRIVATE, modelsDir: join(bed.work.path, "inproc"), endpoint: bed.hub.url, token: TOKEN },
      { env: bed.home.env, onGitCommand: (a) => commands.push(a), onProgress: (e) => events.push(JSON.stringify(e)) },
    );
    assert.ok(commands.length >= 5);
    assert.deepEqual(commands.filter((a) => a.join(" ").includes(TOKEN) || /bearer|authorization/i.test(a.join(" "))), []);
    assert.deepEqual(events.filter((e) => e.includes(TOKEN)), []);
    assert.deepEqual(await folderViolations({ hub: bed.hub, repo: PRIVATE, modelDir: result.path, result }), []);
  });

  it("not in error messages: a rejected token, a failing git service, a failing CAS (CLI --json and in-process)", async () => {
    const strict = await startHub({ repos: [{ id: PRIVATE, private: true, revisions: [{ dir: join(bed.work.path, "repo"), message: "m" }] }], tokens: ["hf_the_only_valid_token"] });
    try {
      for (const [endpoint, args, fault] of [
        [strict.url, [], undefined],
        [bed.hub.url, [], "git-unavailable"],
        [bed.hub.url, ["--use-xet", "--no-fallback"], "cas-unavailable"],
      ] as const) {
        if (fault) bed.hub.setFault(fault, true);
        const run = startCli(["download", PRIVATE, "--endpoint", endpoint, "--dir", join(bed.work.path, "errors"), "--json", ...args], cliEnv(bed.home.path, { HF_TOKEN: TOKEN, HF_MODELS_DEBUG: "1" }));
        const { code } = await run.done;
        if (fault) bed.hub.setFault(fault, false);
        assert.equal(code, 1, run.stderr());
        const { error } = JSON.parse(run.stdout());
        assert.ok(error.message.length > 10);
        assert.ok(!run.stdout().includes(TOKEN) && !run.stderr().includes(TOKEN), `${fault ?? "bad token"}: ${run.stderr()}`);
      }
      const err = await download({ repo: PRIVATE, modelsDir: join(bed.work.path, "errors2"), endpoint: strict.url, token: TOKEN }, { env: bed.home.env }).catch((e: unknown) => e);
      assertDownloadError(err, "unauthorized");
      for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) assert.ok(!String((e as Error).message ?? e).includes(TOKEN), "nor in any cause");
    } finally {
      seen.push(...strict.ctx.log);
      await strict.close();
    }
  });

  describe("redirects to another origin drop it", () => {
    it("Hub API and resolve redirected to the CDN origin (Xet route): followed without the token", async () => {
      bed.hub.setHostile("redirect-offsite", true);
      const result = await download({ repo: PUBLIC, modelsDir: join(bed.work.path, "offsite-xet"), endpoint: bed.hub.url, token: TOKEN, method: "xet", fallbackToLfs: false }, { env: bed.home.env });
      const offsite = bed.hub.ctx.log.filter((e) => e.route.startsWith("offsite"));
      assert.ok(offsite.length >= 2, "the listing and small files came from the other origin");
      assert.deepEqual(offsite.filter((e) => e.auth !== "none"), []);
      assert.deepEqual(await folderViolations({ hub: bed.hub, repo: PUBLIC, modelDir: result.path, result }), []);
    });

    it("a private repo redirected to another origin: the other origin never sees the token, so it cannot read the repo", async () => {
      bed.hub.setHostile("redirect-offsite", true);
      const err = await download({ repo: PRIVATE, modelsDir: join(bed.work.path, "offsite-private"), endpoint: bed.hub.url, token: TOKEN, method: "xet", fallbackToLfs: false }, { env: bed.home.env }).catch((e: unknown) => e);
      assertDownloadError(err, "unauthorized");
      const offsite = bed.hub.ctx.log.filter((e) => e.route.startsWith("offsite"));
      assert.ok(offsite.length >= 1);
      assert.deepEqual(offsite.filter((e) => e.auth !== "none"), []);
    });

    it("the LFS batch API redirected (307) to another origin: git-lfs follows without the token", async () => {
      bed.hub.setHostile("redirect-offsite-batch", true);
      const result = await download({ repo: PUBLIC, modelsDir: join(bed.work.path, "offsite-batch"), endpoint: bed.hub.url, token: TOKEN }, { env: bed.home.env });
      const batch = bed.hub.ctx.log.filter((e) => e.route === "offsite-lfs-batch");
      assert.equal(batch.length, 1);
      assert.equal(batch[0]!.auth, "none");
      assert.deepEqual(await folderViolations({ hub: bed.hub, repo: PUBLIC, modelDir: result.path, result }), []);
    });

    it("git info/refs redirected to another origin: with a token git follows no redirect (git would keep sending its extra header)", async () => {
      bed.hub.setHostile("redirect-offsite", true);
      const err = await download({ repo: PUBLIC, modelsDir: join(bed.work.path, "offsite-git"), endpoint: bed.hub.url, token: TOKEN }, { env: bed.home.env }).catch((e: unknown) => e);
      assertDownloadError(err, "server");
      assert.match(err.message, /does not follow git redirects while it sends your token/);
      assert.deepEqual(bed.hub.ctx.log.filter((e) => e.route.startsWith("offsite-git")), [], "git never reached the other origin");
    });

    it("without a token, git follows the redirect as usual and the download completes", async () => {
      bed.hub.setHostile("redirect-offsite", true);
      const result = await download({ repo: PUBLIC, modelsDir: join(bed.work.path, "offsite-anon"), endpoint: bed.hub.url }, { env: bed.home.env });
      assert.ok(bed.hub.ctx.log.some((e) => e.route === "offsite-git-upload-pack"));
      assert.deepEqual(await folderViolations({ hub: bed.hub, repo: PUBLIC, modelDir: result.path, result }), []);
    });
  });

  describe("across the whole suite", () => {
    it("no request to the CDN/CAS origin ever carried the Hub token", () => {
      const cdn = seen.filter((e) => e.origin === "cdn");
      assert.ok(cdn.length > 10, `${cdn.length} CDN requests`);
      assert.deepEqual(cdn.filter((e) => e.auth === "hub-token").map((e) => `${e.method} ${e.route}`), []);
    });
  });
});
