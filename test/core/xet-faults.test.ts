// The Xet route under the local Hub's fault switches: what fails must fail with the right code and a short
// reason (and never a wrong final file); what a retry can fix must end byte-exact.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { DownloadError } from "../../src/core/errors";
import { PARTIAL_DIR } from "../../src/core/xet/paths";
import { downloadViaXet } from "../../src/core/xet/route";
import { sha256File, tempDir } from "../helpers/hub";
import { FAULTS } from "../../hub/context";
import type { LocalHub } from "../../hub/server";
import { listing, routeParams, sourceOf, startFixtureHub, writeFixtureRepo } from "./xet-fixture";

const MIXED = "weights/extra.bin";

describe("Xet route under faults", function () {
  this.timeout(120_000);
  let hub: LocalHub;
  let work: { path: string; cleanup(): Promise<void> };
  let modelDir: string;
  let n = 0;

  before(async () => {
    work = await tempDir("hf-xet-faults-");
    const source = join(work.path, "source");
    await writeFixtureRepo(source);
    hub = await startFixtureHub(source, { stallAfterBytes: 32 * 1024, retryAfterSeconds: 1 });
  });
  after(async () => {
    await hub?.close();
    await work?.cleanup();
  });
  beforeEach(() => {
    hub.resetLog();
    modelDir = join(work.path, `model-${++n}`);
  });
  afterEach(() => {
    for (const fault of FAULTS) hub.setFault(fault, false);
  });

  /** The mixed LFS file (raw, LZ4 and BG4 chunks) plus a regular file. */
  function selection() {
    const { commit, files } = listing(hub);
    return { commit, files: files.filter((f) => f.path === MIXED || f.path === "config.json") };
  }

  async function assertByteExact(paths: string[]): Promise<void> {
    for (const path of paths) assert.equal(await sha256File(join(modelDir, path)), await sha256File(sourceOf(hub, path)), path);
  }

  async function eventually(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 50 && !condition(); i++) await new Promise((r) => setTimeout(r, 20));
  }

  function expectError(code: string, check: (err: DownloadError) => void = () => {}, token?: string) {
    return (err: unknown) => {
      assert.ok(err instanceof DownloadError, `expected a DownloadError, got ${String(err)}`);
      assert.equal(err.code, code, err.message);
      if (token) assert.ok(!err.message.includes(token), "the token must not appear in the message");
      check(err);
      return true;
    };
  }

  it("xorb-corrupt: retries once from zero, then fails with an integrity error naming file and hashes", async () => {
    const { commit, files } = selection();
    const mixed = files.find((f) => f.path === MIXED)!;
    hub.setFault("xorb-corrupt", true);
    const params = routeParams(hub, modelDir, [mixed], commit);
    await assert.rejects(
      downloadViaXet(params),
      expectError("integrity", (err) => {
        assert.ok(err.message.startsWith(`${MIXED} failed verification twice`), err.message);
        assert.ok(err.message.includes(`expected sha256 ${mixed.lfs!.oid}`), err.message);
        const got = /got ([0-9a-f]{64})/.exec(err.message)?.[1];
        assert.ok(got && got !== mixed.lfs!.oid, err.message);
      }, params.token),
    );
    assert.equal(existsSync(join(modelDir, MIXED)), false, "no wrong file at the final path");
    assert.deepEqual(await readdir(join(modelDir, PARTIAL_DIR)), [], "the corrupt partial was deleted");
    assert.equal(hub.ctx.log.filter((e) => e.route === "reconstruction-v2").length, 2, "first try plus one retry from zero");
    assert.deepEqual(hub.ctx.log.filter((e) => e.route === "reconstruction-v2").map((e) => e.range), [`bytes=0-${mixed.lfs!.size - 1}`, `bytes=0-${mixed.lfs!.size - 1}`]);
  });

  it("cas-unavailable: retries with backoff, then fails as a server error", async () => {
    const { commit, files } = selection();
    hub.setFault("cas-unavailable", true);
    const params = routeParams(hub, modelDir, files, commit);
    await assert.rejects(
      downloadViaXet(params),
      expectError("server", (err) => assert.equal(err.message, "the CAS answered 503 for reconstructions"), params.token),
    );
    const recon = hub.ctx.log.filter((e) => e.route === "reconstruction-v2");
    assert.equal(recon.length, 4, "one try and three retries");
    assert.ok(recon.every((e) => e.status === 503));
    assert.equal(params.logs.filter((l) => l.startsWith("warn:") && l.includes("the CAS answered 503 for reconstructions; retrying")).length, 3);
    assert.equal(existsSync(join(modelDir, MIXED)), false);
  });

  it("token-error: the token endpoint's 401 makes Xet unavailable at once", async () => {
    const { commit, files } = selection();
    hub.setFault("token-error", true);
    const params = routeParams(hub, modelDir, files, commit);
    await assert.rejects(
      downloadViaXet(params),
      expectError("xet-unavailable", (err) => assert.equal(err.message, "the Xet token endpoint answered 401"), params.token),
    );
    assert.equal(hub.ctx.log.filter((e) => e.route === "xet-read-token").length, 1, "not retried");
    assert.ok(!hub.ctx.log.some((e) => e.route.startsWith("reconstruction")));
  });

  it("xorb-stall: no bytes for stallTimeoutMs aborts the attempt; after the retries it is `stalled`", async () => {
    const { commit, files } = selection();
    const mixed = files.filter((f) => f.path === MIXED);
    hub.setFault("xorb-stall", true);
    const params = routeParams(hub, modelDir, mixed, commit, { stallTimeoutMs: 300 });
    const cdnHost = new URL(hub.cdnUrl).host;
    await assert.rejects(
      downloadViaXet(params),
      expectError("stalled", (err) => assert.equal(err.message, `no bytes for 0.3 s from ${cdnHost} while downloading ${MIXED}`), params.token),
    );
    // The server logs a request when its connection closes: the stalled ones close because the client gave up.
    await eventually(() => hub.ctx.log.filter((e) => e.route === "xorb").length >= 4);
    const xorbs = hub.ctx.log.filter((e) => e.route === "xorb");
    assert.ok(xorbs.length >= 4, `one xorb request per attempt at least, got ${xorbs.length}`);
    assert.equal(hub.ctx.log.filter((e) => e.route === "reconstruction-v2").length, 4);
    assert.equal(existsSync(join(modelDir, MIXED)), false);
  });

  it("xorb-reset: a connection cut mid-body is retried and the file ends byte-exact", async () => {
    const { commit, files } = selection();
    hub.setFault("xorb-reset", true);
    const params = routeParams(hub, modelDir, files, commit);
    const logs: string[] = [];
    params.log = (level, message) => {
      logs.push(`${level}: ${message}`);
      if (level === "warn") hub.setFault("xorb-reset", false); // the network heals after the first failure
    };
    await downloadViaXet(params);
    await assertByteExact(files.map((f) => f.path));
    assert.ok(logs.some((l) => /^warn: weights\/extra\.bin: the connection to .* failed .*; retrying/.test(l)), logs.join("\n"));
    assert.ok(hub.ctx.log.filter((e) => e.route === "xorb").length >= 2);
    // The bytes that arrived before the cut stay in the partial: the retry asks only for the rest.
    const size = files.find((f) => f.path === MIXED)!.lfs!.size;
    const ranges = hub.ctx.log.filter((e) => e.route === "reconstruction-v2").map((e) => e.range);
    assert.equal(ranges[0], `bytes=0-${size - 1}`);
    const resumedAt = Number(/^bytes=(\d+)-/.exec(ranges[1] ?? "")?.[1]);
    assert.ok(resumedAt > 0 && resumedAt < size, `second reconstruction ${ranges[1]} resumes inside the file`);
    assert.ok(logs.some((l) => l === `info: resuming ${MIXED} at ${resumedAt} of ${size} bytes`), logs.join("\n"));
  });

  it("xorb-reset that never heals: after the retries it fails as a network error", async () => {
    const { commit, files } = selection();
    const mixed = files.filter((f) => f.path === MIXED);
    hub.setFault("xorb-reset", true);
    const params = routeParams(hub, modelDir, mixed, commit);
    const cdnHost = new URL(hub.cdnUrl).host;
    await assert.rejects(
      downloadViaXet(params),
      expectError("network", (err) => assert.match(err.message, new RegExp(`^the connection to ${cdnHost} failed \\(.+\\)$`)), params.token),
    );
    assert.equal(hub.ctx.log.filter((e) => e.route === "reconstruction-v2").length, 4, "one try and three retries");
    const partial = join(modelDir, PARTIAL_DIR, `${mixed[0].lfs!.oid}.part`);
    assert.ok(existsSync(partial), "the partial is kept for a later resume");
    assert.equal(existsSync(join(modelDir, MIXED)), false);
  });

  it("rate-limit: 429s are waited out (Retry-After) and the files end byte-exact", async () => {
    const { commit, files } = selection();
    hub.setFault("rate-limit", true);
    const params = routeParams(hub, modelDir, files, commit);
    await downloadViaXet(params);
    await assertByteExact(files.map((f) => f.path));
    const log = hub.ctx.log;
    assert.ok(log.some((e) => e.route === "reconstruction-v2" && e.status === 429), "reconstruction was rate limited");
    assert.ok(log.some((e) => e.route === "xorb" && e.status === 429), "xorb fetch was rate limited");
    for (const what of ["reconstructions", "xorb data"]) {
      assert.ok(params.logs.some((l) => l.includes(`answered 429 for ${what} (rate limited); retrying in 1.0 s`)), `Retry-After honoured for ${what}:\n${params.logs.join("\n")}`);
    }
  });

  it("url-expired: an expired signed URL is renewed by the client and the file ends byte-exact", async () => {
    const { commit, files } = selection();
    hub.setFault("url-expired", true);
    const params = routeParams(hub, modelDir, files, commit);
    await downloadViaXet(params);
    await assertByteExact(files.map((f) => f.path));
    const log = hub.ctx.log;
    assert.ok(log.some((e) => e.route === "xorb" && e.status === 403), "the first xorb URL had expired");
    assert.equal(log.filter((e) => e.route === "reconstruction-v2").length, 2, "the reconstruction was asked again");
    assert.ok(!params.logs.some((l) => l.startsWith("warn:")), "the library recovered without a route retry");
  });

  it("a token the Hub rejects is `unauthorized`, naming the file", async () => {
    const { files } = selection();
    const strict = await startFixtureHub(join(work.path, "source"), { tokens: ["hf_the_only_valid_token"] });
    try {
      const { commit } = listing(strict);
      const mixed = files.filter((f) => f.path === MIXED);
      const params = routeParams(strict, join(work.path, "strict"), mixed, commit, { token: "hf_rejected_token_123" });
      await assert.rejects(
        downloadViaXet(params),
        expectError("unauthorized", (err) => assert.equal(err.message, `the Hub answered 401 for ${MIXED}`), params.token),
      );
      assert.equal(strict.ctx.log.filter((e) => e.route.startsWith("resolve")).length, 1, "not retried");
    } finally {
      await strict.close();
    }
  });

  it("never sends the Hub token to the cdn origin, even across retries", async () => {
    const { commit, files } = selection();
    hub.setFault("url-expired", true);
    hub.setFault("rate-limit", true);
    const params = routeParams(hub, modelDir, files, commit);
    await downloadViaXet(params);
    const cdn = hub.ctx.log.filter((e) => e.origin === "cdn");
    assert.ok(cdn.length > 0);
    assert.deepEqual(cdn.filter((e) => e.auth === "hub-token"), []);
    assert.ok(cdn.filter((e) => e.route === "xorb").every((e) => e.auth === "none"));
    assert.ok(!params.logs.some((l) => l.includes(params.token!)), "the token is not logged");
  });
});
