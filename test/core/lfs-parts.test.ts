// Unit tests of the Git LFS route's parts: exact-path patterns, the git environment (token only in a
// scoped config variable), byte progress from the object store, git error mapping, partial-object salvage
// and log redaction.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile, rename, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gitEnv, tokenConfigKey } from "../../src/core/lfs/env";
import { mapGitError } from "../../src/core/lfs/errors";
import { scrubLfsLogs } from "../../src/core/lfs/logs";
import { watchObjectProgress } from "../../src/core/lfs/objectProgress";
import { lfsObjectPath, lfsPartPath, salvagePartialObjects } from "../../src/core/lfs/objects";
import { lfsIncludeList, lfsIncludePattern, sparseCheckoutFile, sparseLine } from "../../src/core/lfs/patterns";
import { assertDownloadError } from "../helpers/assertions";
import { tempDir } from "../helpers/hub";
import { filesContaining, TOKEN } from "./download-helpers";

describe("lfs: patterns", () => {
  it("anchors sparse-checkout lines and escapes glob characters and trailing spaces", () => {
    assert.equal(sparseLine("model.safetensors"), "/model.safetensors");
    assert.equal(sparseLine("a[1]*?.bin"), "/a\\[1\\]\\*\\?.bin");
    assert.equal(sparseLine("#x/!y"), "/\\#x/\\!y");
    assert.equal(sparseLine("name  "), "/name\\ \\ ");
    assert.equal(sparseCheckoutFile(["a", "b/c"]), "/a\n/b/c\n");
  });

  it("builds anchored git-lfs include patterns: glob characters escaped, commas (no escape) as `?`, trailing spaces kept", () => {
    assert.equal(lfsIncludePattern("model.bin"), "/model.bin");
    assert.equal(lfsIncludePattern("we,ird[1]{x}*.bin"), "/we?ird\\[1\\]{x}\\*.bin");
    assert.equal(lfsIncludePattern("a?b#c!d %.bin"), "/a\\?b\\#c!d %.bin");
    assert.equal(lfsIncludePattern("ü dir/x.bin  "), "/ü dir/x.bin[ ][ ]");
    assert.equal(lfsIncludeList(["a.bin", "sub/b.bin"]), "/a.bin,/sub/b.bin");
  });
});

describe("lfs: environment", () => {
  const base = {
    PATH: "/usr/bin",
    HOME: "/home/u",
    GIT_DIR: "/elsewhere/.git",
    GIT_ASKPASS: "/usr/bin/askpass",
    GIT_TRACE: "1",
    GIT_TRACE_CURL: "1",
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "http.extraHeader",
    GIT_CONFIG_VALUE_0: "X-Leak: 1",
    HTTPS_PROXY: "http://proxy:3128",
  };

  it("puts the token only into a config variable scoped to the Hub origin", () => {
    const env = gitEnv({ endpoint: "https://hub.example/mirror", token: TOKEN, baseEnv: base, ceilingDir: "/m/org" });
    const keys = Object.keys(env).filter((k) => env[k]?.includes(TOKEN));
    assert.deepEqual(keys, ["GIT_CONFIG_VALUE_1"]);
    assert.equal(env.GIT_CONFIG_COUNT, "6");
    assert.equal(env.GIT_CONFIG_KEY_1, "http.https://hub.example/mirror/.extraHeader");
    // git would send the header on to wherever a redirect moved the remote, so with a token it follows none.
    assert.deepEqual([env.GIT_CONFIG_KEY_2, env.GIT_CONFIG_VALUE_2], ["http.followRedirects", "false"]);
    assert.equal(env.GIT_CONFIG_VALUE_1, `Authorization: Bearer ${TOKEN}`);
    assert.equal(tokenConfigKey("http://127.0.0.1:8080"), "http.http://127.0.0.1:8080/.extraHeader");
    assert.equal(env.GIT_TERMINAL_PROMPT, "0");
    assert.equal(env.GIT_LFS_SKIP_SMUDGE, "1");
    assert.equal(env.GIT_CEILING_DIRECTORIES, "/m/org");
    assert.equal(env.LC_ALL, "C");
  });

  it("for the smudging checkout: git-lfs' filter configured in the environment, no inherited skip", () => {
    const env = gitEnv({ endpoint: "https://hub.example", token: TOKEN, baseEnv: { ...base, GIT_LFS_SKIP_SMUDGE: "1" }, smudge: true });
    assert.equal(env.GIT_LFS_SKIP_SMUDGE, undefined);
    const config = Object.fromEntries(Array.from({ length: Number(env.GIT_CONFIG_COUNT) }, (_, i) => [env[`GIT_CONFIG_KEY_${i}`], env[`GIT_CONFIG_VALUE_${i}`]]));
    assert.equal(config["filter.lfs.process"], "git-lfs filter-process");
    assert.equal(config["filter.lfs.required"], "true");
    assert.equal(config["http.https://hub.example/.extraHeader"], `Authorization: Bearer ${TOKEN}`);
    assert.equal(gitEnv({ endpoint: "https://hub.example", baseEnv: { GIT_LFS_SKIP_SMUDGE: "0" } }).GIT_LFS_SKIP_SMUDGE, "1");
  });

  it("drops inherited variables that redirect git, prompt, trace or inject config, keeps the rest", () => {
    const env = gitEnv({ endpoint: "https://hub.example", baseEnv: base });
    for (const k of ["GIT_DIR", "GIT_ASKPASS", "GIT_TRACE", "GIT_TRACE_CURL"]) assert.equal(env[k], undefined, k);
    assert.equal(env.GIT_CONFIG_COUNT, "4", "only our own entries without a token: core.autocrlf and the transfer overrides");
    assert.equal(env.GIT_CONFIG_KEY_0, "core.autocrlf");
    assert.ok(!Object.values(env).some((v) => v?.includes("X-Leak")));
    // A user's `git xet install` (or any standalone agent) never takes over our runs.
    const config = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [env[`GIT_CONFIG_KEY_${i}`], env[`GIT_CONFIG_VALUE_${i}`]]));
    assert.deepEqual(config, { "core.autocrlf": "false", "lfs.basictransfersonly": "true", "lfs.standalonetransferagent": "", "lfs.https://hub.example/.standalonetransferagent": "" });
    assert.equal(gitEnv({ endpoint: "https://hub.example", repo: "o/n" }).GIT_CONFIG_KEY_4, "lfs.https://hub.example/o/n.git/info/lfs.standalonetransferagent");
    assert.equal(env.HTTPS_PROXY, "http://proxy:3128");
    assert.equal(env.HOME, "/home/u");
  });
});

describe("lfs: byte progress from the object store", () => {
  const oid = "d".repeat(64);
  const other = "e".repeat(64);
  type Report = { path: string; doneBytes: number; newBytes: number };

  async function store() {
    const dir = await tempDir("hf-lfs-progress-");
    const gitDir = join(dir.path, ".git");
    const incomplete = join(gitDir, "lfs", "incomplete");
    await mkdir(incomplete, { recursive: true });
    return { dir, gitDir, incomplete };
  }
  /** Waits (up to 5 s) until the poller has made `count` reports. */
  async function reportsReach(reports: Report[], count: number): Promise<void> {
    for (const end = Date.now() + 5000; reports.length < count && Date.now() < end; ) await new Promise((r) => setTimeout(r, 5));
    assert.equal(reports.length, count, JSON.stringify(reports));
  }

  it("reports the growth of the longest partial file of each object, capped at the object size", async () => {
    const { dir, gitDir, incomplete } = await store();
    try {
      const reports: Report[] = [];
      const watch = watchObjectProgress({
        gitDir,
        objects: [{ path: "a.bin", oid, size: 100, doneBytes: 0 }, { path: "b.bin", oid: other, size: 50, doneBytes: 0 }],
        onProgress: (p) => reports.push(p),
        intervalMs: 10,
      });
      await writeFile(join(incomplete, `${oid}123`), Buffer.alloc(30));
      await writeFile(join(incomplete, `${oid}.part`), Buffer.alloc(10)); // shorter than its sibling: ignored
      await reportsReach(reports, 1);
      await appendFile(join(incomplete, `${oid}123`), Buffer.alloc(50));
      await reportsReach(reports, 2);
      await appendFile(join(incomplete, `${oid}123`), Buffer.alloc(40)); // 120 bytes of a 100-byte object
      await watch.stop();
      assert.deepEqual(reports.filter((r) => r.path === "a.bin"), [
        { path: "a.bin", doneBytes: 30, newBytes: 30 },
        { path: "a.bin", doneBytes: 80, newBytes: 50 },
        { path: "a.bin", doneBytes: 100, newBytes: 20 },
      ]);
      assert.deepEqual(reports.filter((r) => r.path === "b.bin"), [], "no file of b yet: no news");
    } finally {
      await dir.cleanup();
    }
  });

  it("counts bytes resumed from disk as done, not new, and a restart from zero as no new bytes", async () => {
    const { dir, gitDir, incomplete } = await store();
    try {
      const part = join(incomplete, `${oid}.part`);
      await writeFile(part, Buffer.alloc(40));
      const reports: Report[] = [];
      const watch = watchObjectProgress({ gitDir, objects: [{ path: "a.bin", oid, size: 100, doneBytes: 40 }], onProgress: (p) => reports.push(p), intervalMs: 10 });
      await appendFile(part, Buffer.alloc(20));
      await reportsReach(reports, 1);
      await truncate(part, 0); // the server ignored the Range: git-lfs starts over in the same file
      await reportsReach(reports, 2);
      await appendFile(part, Buffer.alloc(25));
      await watch.stop();
      assert.deepEqual(reports, [
        { path: "a.bin", doneBytes: 60, newBytes: 20 },
        { path: "a.bin", doneBytes: 0, newBytes: 0 },
        { path: "a.bin", doneBytes: 25, newBytes: 25 },
      ]);
    } finally {
      await dir.cleanup();
    }
  });

  it("completes a file when its object lands in objects/, and stop() polls one last time", async () => {
    const { dir, gitDir, incomplete } = await store();
    try {
      const reports: Report[] = [];
      // A long interval: only the final poll of stop() can see what happens below.
      const watch = watchObjectProgress({
        gitDir,
        objects: [{ path: "a.bin", oid, size: 100, doneBytes: 0 }, { path: "copy/a.bin", oid, size: 100, doneBytes: 0 }, { path: "b.bin", oid: other, size: 50, doneBytes: 0 }],
        onProgress: (p) => reports.push(p),
        intervalMs: 60_000,
      });
      const object = lfsObjectPath(gitDir, oid);
      await mkdir(join(object, ".."), { recursive: true });
      await writeFile(join(incomplete, `${oid}777`), Buffer.alloc(100));
      await rename(join(incomplete, `${oid}777`), object);
      await writeFile(join(incomplete, `${other}.part`), Buffer.alloc(5));
      assert.deepEqual(reports, []);
      await watch.stop();
      assert.deepEqual(reports, [
        { path: "a.bin", doneBytes: 100, newBytes: 100 },
        { path: "copy/a.bin", doneBytes: 100, newBytes: 0 }, // one object, downloaded once
        { path: "b.bin", doneBytes: 5, newBytes: 5 },
      ]);
    } finally {
      await dir.cleanup();
    }
  });
});

describe("lfs: git error mapping", () => {
  const f = (text: string, token?: string) => mapGitError({ err: new Error(text), step: "git clone", repo: "org/m", endpoint: "https://hub", revision: "v2", token });

  it("recognises auth, missing repo and revision, server and network failures", () => {
    assertDownloadError(f("fatal: could not read Username for 'https://hub': terminal prompts disabled"), "unauthorized", /needs an access token/);
    assertDownloadError(f("The requested URL returned error: 401", TOKEN), "unauthorized", /rejected the access token/);
    assertDownloadError(f("The requested URL returned error: 403"), "gated", /accept its terms at https:\/\/hub\/org\/m/);
    assertDownloadError(f("fatal: repository 'https://hub/org/m/' not found"), "not-found", /org\/m was not found on https:\/\/hub/);
    assertDownloadError(f("fatal: couldn't find remote ref v2"), "revision-not-found", /Revision "v2" does not exist/);
    assertDownloadError(f("fatal: unable to access 'https://hub/org/m/': The requested URL returned error: 503"), "server", /HTTP 503/);
    assertDownloadError(f("fatal: unable to access 'https://hub/': Could not resolve host: hub"), "network");
    assertDownloadError(f("error: unable to write file: No space left on device"), "disk-full");
    // A checkout that filled the disk while git wrote its index (seen on CI): no strerror, only git's own words.
    const checkout = "error: unable to write file config.json | fatal: sha1 file '/m/.git/index.lock' write error. Out of diskspace";
    assertDownloadError(f(checkout), "disk-full", /disk is full/);
    assertDownloadError(f("error: unable to write file x: Disk quota exceeded"), "disk-full");
    assertDownloadError(f("expected OID abc, got def after 10 bytes written"), "integrity");
    assertDownloadError(f("something odd"), "internal", /git clone failed: something odd/);
  });

  it("never repeats the token, in the message or the cause", () => {
    const err = f(`fatal: weird failure with header Authorization: Bearer ${TOKEN} and ${TOKEN}`, TOKEN);
    assert.ok(!err.message.includes(TOKEN));
    assert.ok(!String((err.cause as Error).message).includes(TOKEN));
    assert.match(err.message, /hf_\*\*\*|\*\*\*/);
  });

  it("turns anything after a cancel into `cancelled`", () => {
    const ac = new AbortController();
    ac.abort();
    const err = mapGitError({ err: new Error("killed"), step: "git lfs fetch", repo: "o/m", endpoint: "https://hub", signal: ac.signal });
    assert.equal(err.code, "cancelled");
  });
});

describe("lfs: partial objects and logs", () => {
  const oidA = "a".repeat(64);
  const oidB = "b".repeat(64);
  const oidC = "c".repeat(64);

  it("renames the longest leftover of a killed git-lfs to <oid>.part and drops unusable ones", async () => {
    const dir = await tempDir("hf-lfs-parts-");
    try {
      const gitDir = join(dir.path, ".git");
      const inc = join(gitDir, "lfs", "incomplete");
      await mkdir(inc, { recursive: true });
      await writeFile(join(inc, `${oidA}111`), Buffer.alloc(10, 1));
      await writeFile(join(inc, `${oidA}222`), Buffer.alloc(30, 2)); // the longest prefix wins
      await writeFile(join(inc, `${oidB}333`), Buffer.alloc(100)); // pre-sized (multi-stream): not a prefix
      await writeFile(join(inc, `${oidC}444`), Buffer.alloc(5)); // not one of ours: untouched
      const n = await salvagePartialObjects(gitDir, new Map([[oidA, 100], [oidB, 100]]));
      assert.equal(n, 1);
      assert.deepEqual(await readFile(lfsPartPath(gitDir, oidA)), Buffer.alloc(30, 2));
      assert.ok(!existsSync(join(inc, `${oidA}111`)) && !existsSync(join(inc, `${oidA}222`)));
      assert.ok(!existsSync(join(inc, `${oidB}333`)) && !existsSync(lfsPartPath(gitDir, oidB)));
      assert.ok(existsSync(join(inc, `${oidC}444`)));
    } finally {
      await dir.cleanup();
    }
  });

  it("redacts the token from git-lfs error logs", async () => {
    const dir = await tempDir("hf-lfs-logs-");
    try {
      const logs = join(dir.path, "lfs", "logs");
      await mkdir(logs, { recursive: true });
      await writeFile(join(logs, "1.log"), `GIT_CONFIG_VALUE_1=Authorization: Bearer ${TOKEN}\nother\n`);
      await writeFile(join(logs, "2.log"), "nothing secret\n");
      assert.equal(await scrubLfsLogs(dir.path, TOKEN), 1);
      assert.equal(await readFile(join(logs, "1.log"), "utf8"), "GIT_CONFIG_VALUE_1=Authorization: Bearer ***\nother\n");
      assert.deepEqual(await filesContaining(dir.path, TOKEN), []);
    } finally {
      await dir.cleanup();
    }
  });
});
