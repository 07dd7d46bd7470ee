// The Xet engine against the local Hub: byte-exact multi-xorb files with raw, LZ4 and BG4 chunks, resume from a
// prefix, out-of-order writes with an in-order SHA-256, expired URLs re-queried, corrupt data and prompt cancel.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DownloadError } from "../../src/core/errors";
import { IntegrityMismatch } from "../../src/core/xet/errors";
import { landedNotePath } from "../../src/core/xet/engine/download";
import { WorkerPool, type WorkerEvent } from "../../src/core/xet/engine/pool";
import { downloadViaXet } from "../../src/core/xet/route";
import { sha256, tempDir } from "../helpers/hub";
import { SOURCE_WORKER } from "../helpers/xetWorker";
import { startHub, type LocalHub } from "../../hub/server";
import { COMBO, contentOf, downloadXetFile, engineParams, listingOf, MULTI_REPO, writeMultiRepo, xorbBytes, xorbSchemes } from "./xet-engine-fixture";

describe("Xet engine (downloadXetFile)", function () {
  this.timeout(120_000);
  let hub: LocalHub;
  let work: { path: string; cleanup(): Promise<void> };
  let expected: Buffer;
  let n = 0;
  const partial = () => join(work.path, `combo-${++n}.part`);

  before(async () => {
    work = await tempDir("hf-xet-engine-");
    await writeMultiRepo(join(work.path, "repo"));
    hub = await startHub({ repos: [{ id: MULTI_REPO, revisions: [{ dir: join(work.path, "repo"), message: "multi" }] }], slow: { latencyMs: 5, perConnectionBytesPerSecond: 4_000_000, totalBytesPerSecond: 0 } });
    expected = contentOf(hub, MULTI_REPO, COMBO);
  });
  after(async () => {
    await hub?.close();
    await work?.cleanup();
  });
  beforeEach(() => hub.resetLog());
  afterEach(() => {
    for (const f of ["slow", "url-expired", "xorb-corrupt"] as const) hub.setFault(f, false);
  });

  it("assembles a file from several xorbs with raw, LZ4 and BG4 chunks byte-exact, in small windows", async () => {
    const file = listingOf(hub, MULTI_REPO).files.find((f) => f.path === COMBO)!;
    const terms = hub.ctx.xet.getFile(file.xetHash!)!.terms;
    const xorbs = [...new Set(terms.map((t) => t.xorb))];
    assert.ok(xorbs.length >= 3, `the file spans ${xorbs.length} xorbs`);
    const schemes = new Set(xorbs.flatMap((x) => xorbSchemes(hub, x)));
    assert.deepEqual([...schemes].sort(), [0, 1, 2], "raw, LZ4 and BG4 chunks are all involved");

    const path = partial();
    const run = engineParams(hub, MULTI_REPO, COMBO, path, { options: { windowBytes: 1024 * 1024, concurrency: 4, reuse: false } });
    const result = await downloadXetFile(run.params);
    assert.equal(result.digest, file.lfs!.oid, "the engine's SHA-256 is the listing's");
    assert.ok((await readFile(path)).equals(expected), "byte-exact");
    assert.equal(run.progress.at(-1)![0], expected.length, "progress ends at the file size");
    assert.equal(run.progress.reduce((s, p) => s + p[1], 0), expected.length, "every byte counted once as new");
    const recon = hub.ctx.log.filter((e) => e.route === "reconstruction-v2");
    assert.equal(recon.length, Math.ceil(expected.length / (1024 * 1024)), "one reconstruction per 1 MiB window");
    assert.equal(recon[0].range, "bytes=0-1048575");
    const xorbRequests = hub.ctx.log.filter((e) => e.route === "xorb");
    assert.ok(xorbRequests.every((e) => e.status === 206 && e.auth === "none" && !e.range!.includes(",")), "one single-range request per descriptor, no credentials");
    assert.deepEqual(new Set(xorbRequests.map((e) => e.path.split("?")[0].split("/").pop())), new Set(xorbs), "every xorb was read");
    assert.equal(existsSync(landedNotePath(path)), false, "no resume note is left after success");
  });

  it("resumes from a verified prefix: asks for the rest only and still hashes the whole file", async () => {
    const path = partial();
    const have = 2_345_678;
    await writeFile(path, expected.subarray(0, have));
    const run = engineParams(hub, MULTI_REPO, COMBO, path, { offset: have, options: { reuse: false } });
    const result = await downloadXetFile(run.params);
    assert.equal(result.digest, sha256(expected));
    assert.ok((await readFile(path)).equals(expected));
    assert.deepEqual(hub.ctx.log.filter((e) => e.route === "reconstruction-v2").map((e) => e.range), [`bytes=${have}-${expected.length - 1}`]);
    assert.equal(run.progress.reduce((s, p) => s + p[1], 0), expected.length - have, "only the missing bytes are new");
    assert.ok(xorbBytes(hub) < expected.length - have + 512 * 1024, `xorb bytes ${xorbBytes(hub)} track the missing ${expected.length - have}`);
  });

  it("writes ranges out of order in parallel and still computes the SHA-256 in file order", async () => {
    hub.setFault("slow", true); // 4 MB/s per connection: the four windows stream side by side
    const starts: number[] = [];
    const pool = new WorkerPool(2, SOURCE_WORKER);
    const spy = {
      hold: () => pool.hold(),
      post: (pin: number, message: Record<string, unknown>) => pool.post(pin, message),
      run: (message: Record<string, unknown>, on: (e: WorkerEvent) => void, pin?: number) =>
        pool.run(message, (e) => {
          if (e.type === "landed" && e.ranges.length) starts.push(e.ranges[0]);
          on(e);
        }, pin),
      call: (message: Record<string, unknown>, pin?: number) => pool.call(message, pin),
    } as unknown as WorkerPool;
    const path = partial();
    const run = engineParams(hub, MULTI_REPO, COMBO, path, { options: { windowBytes: 2 * 1024 * 1024, concurrency: 4, pool: spy, reuse: false } });
    const result = await downloadXetFile(run.params);
    assert.equal(result.digest, sha256(expected));
    assert.ok((await readFile(path)).equals(expected));
    const backwards = starts.filter((s, i) => i > 0 && s < starts[i - 1]).length;
    assert.ok(backwards > 0, `some bytes landed before earlier ones (${starts.length} writes reported)`);
  });

  it("caches the Xet token across windows and renews it 60 s before it expires", async () => {
    const cached = engineParams(hub, MULTI_REPO, COMBO, partial(), { token: "hf_engine_token_cache_a", options: { windowBytes: 2 * 1024 * 1024, reuse: false } });
    await downloadXetFile(cached.params);
    const windows = hub.ctx.log.filter((e) => e.route === "reconstruction-v2").length;
    assert.ok(windows >= 4);
    assert.equal(hub.ctx.log.filter((e) => e.route === "xet-read-token").length, 1, "one token for every window");

    const shortLived = await startHub({ repos: [{ id: MULTI_REPO, revisions: [{ dir: join(work.path, "repo"), message: "multi" }] }], xetTokenTtlSeconds: 30 });
    try {
      const run = engineParams(shortLived, MULTI_REPO, COMBO, partial(), { token: "hf_engine_token_cache_b", options: { windowBytes: 2 * 1024 * 1024, reuse: false } });
      const result = await downloadXetFile(run.params);
      assert.equal(result.digest, sha256(expected));
      const log = shortLived.ctx.log;
      assert.equal(log.filter((e) => e.route === "xet-read-token").length, 1 + log.filter((e) => e.route === "reconstruction-v2").length, "a token within 60 s of expiry is renewed before every use");
      assert.ok(log.filter((e) => e.route === "reconstruction-v2").every((e) => e.status === 200));
    } finally {
      await shortLived.close();
    }
  });

  it("re-queries a window's reconstruction when its signed URLs have expired (403)", async () => {
    hub.setFault("url-expired", true);
    const path = partial();
    const run = engineParams(hub, MULTI_REPO, COMBO, path, { options: { windowBytes: 4 * 1024 * 1024, reuse: false } });
    const result = await downloadXetFile(run.params);
    assert.equal(result.digest, sha256(expected));
    const recon = hub.ctx.log.filter((e) => e.route === "reconstruction-v2").map((e) => e.range);
    const windows = Math.ceil(expected.length / (4 * 1024 * 1024));
    assert.equal(recon.length, 2 * windows, "each window asked twice: expired, then fresh");
    for (const range of new Set(recon)) assert.equal(recon.filter((r) => r === range).length, 2, `${range} re-queried with the same Range`);
    assert.ok(hub.ctx.log.some((e) => e.route === "xorb" && e.status === 403));
    assert.deepEqual(run.logs.filter((l) => l.startsWith("warn")), [], "recovered without a retry of the attempt");
  });

  it("corrupt xorb data ends as an integrity error of the route, never as a wrong file", async () => {
    hub.setFault("xorb-corrupt", true);
    const modelDir = join(work.path, `corrupt-${++n}`);
    const { commit, files } = listingOf(hub, MULTI_REPO);
    const combo = files.filter((f) => f.path === COMBO);
    await assert.rejects(
      downloadViaXet({ endpoint: hub.url, token: "hf_engine_test_token", repo: MULTI_REPO, commit, files: combo, modelDir, concurrency: 1, stallTimeoutMs: 10_000, onFileProgress: () => {} }),
      (err: unknown) => {
        assert.ok(err instanceof DownloadError, String(err));
        assert.equal(err.code, "integrity");
        assert.ok(err.message.startsWith(`${COMBO} failed verification twice:`), err.message);
        return true;
      },
    );
    assert.equal(existsSync(join(modelDir, COMBO)), false);
  });

  it("a flipped byte is caught: a compressed chunk fails to decode (naming the xorb), a raw one hashes wrong", async () => {
    hub.setFault("xorb-corrupt", true);
    const text = engineParams(hub, MULTI_REPO, "d-text.bin", partial(), { options: { reuse: false, concurrency: 1 } });
    await assert.rejects(downloadXetFile(text.params), (err: unknown) => {
      assert.ok(err instanceof IntegrityMismatch, String(err));
      assert.match(err.detail, /^the data of xorb [0-9a-f]{12}… is corrupt \(corrupt LZ4 (match|literals)\)$/);
      return true;
    });
    const random = listingOf(hub, MULTI_REPO).files.find((f) => f.path === "a-first.bin")!;
    const raw = engineParams(hub, MULTI_REPO, "a-first.bin", partial(), { options: { reuse: false, concurrency: 1 } });
    const result = await downloadXetFile(raw.params);
    assert.notEqual(result.digest, random.lfs!.oid, "the SHA-256 exposes a flipped byte in a raw chunk");
  });

  it("replaces the resume note whole on every write, never rewriting it in place (a kill mid-write would tear it)", async () => {
    hub.setFault("slow", true);
    const path = partial();
    const note = landedNotePath(path);
    let inode: number | undefined;
    let replaced = 0;
    let running = true;
    const watch = (async () => {
      while (running) {
        const info = await stat(note).catch(() => undefined);
        if (info && inode !== undefined && info.ino !== inode) replaced++;
        if (info) inode = info.ino;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const run = engineParams(hub, MULTI_REPO, COMBO, path, { options: { windowBytes: 1024 * 1024, concurrency: 2, reuse: false } });
    try {
      await downloadXetFile(run.params);
    } finally {
      running = false;
      await watch;
    }
    // Written in place, the note keeps one inode: a reader (a rerun after kill -9) could find it empty or cut short.
    assert.ok(replaced >= 2, `the note was replaced ${replaced} time(s) while the file downloaded`);
    assert.equal(existsSync(note) || existsSync(`${note}.tmp`), false, "neither the note nor its temporary is left after success");
  });

  it("cancels promptly, keeps only the contiguous verified prefix and leaves no requests running", async () => {
    hub.setFault("slow", true);
    const controller = new AbortController();
    const path = partial();
    let aborted = false;
    const run = engineParams(hub, MULTI_REPO, COMBO, path, {
      signal: controller.signal,
      options: { windowBytes: 1024 * 1024, concurrency: 4, reuse: false },
      onProgress: (done) => {
        if (done > 3 * 1024 * 1024 && !aborted) {
          aborted = true;
          controller.abort(new Error("user cancel"));
        }
      },
    });
    await assert.rejects(downloadXetFile(run.params), /user cancel/);
    const size = (await stat(path)).size;
    assert.ok(size < expected.length, `partial of ${size} bytes`);
    // Out-of-order writes are kept; the note names exactly the ranges that are right.
    const { landed } = JSON.parse(await readFile(landedNotePath(path), "utf8")) as { landed: number[] };
    const onDisk = await readFile(path);
    let kept = 0;
    for (let i = 0; i < landed.length; i += 2) {
      assert.ok(onDisk.subarray(landed[i], landed[i + 1]).equals(expected.subarray(landed[i], landed[i + 1])), `range ${landed[i]}-${landed[i + 1]}`);
      kept += landed[i + 1] - landed[i];
    }
    assert.ok(kept > 3 * 1024 * 1024, `the note keeps ${kept} bytes`);
    const settled = hub.ctx.log.length;
    await new Promise((r) => setTimeout(r, 400));
    assert.ok(hub.ctx.log.length - settled <= 4, "no new requests after the cancel (closing ones may still be logged)");
    assert.equal((await stat(path)).size, size, "nothing is written after the promise settled");
  });
});
