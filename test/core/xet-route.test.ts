// The Xet route against the local Hub: byte-exact multi-file downloads over reconstructions and xorbs,
// skip of finished files, resume from a partial with a range reconstruction, cancel, unsafe paths, disk full.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DownloadError } from "../../src/core/errors";
import { PARTIAL_DIR } from "../../src/core/xet/paths";
import { downloadViaXet } from "../../src/core/xet/route";
import { sha256File, tempDir } from "../helpers/hub";
import type { LocalHub } from "../../hub/server";
import { BIG, BIG_SIZE, byPath, listing, routeParams, sourceOf, startFixtureHub, writeFixtureRepo, xorbBytes } from "./xet-fixture";

describe("Xet route (downloadViaXet)", function () {
  this.timeout(120_000);
  let hub: LocalHub;
  let work: { path: string; cleanup(): Promise<void> };
  let source: string;
  let modelDir: string;
  let n = 0;

  before(async () => {
    work = await tempDir("hf-xet-route-");
    source = join(work.path, "source");
    await writeFixtureRepo(source);
    // The slow profile only applies while the `slow` fault is on (resume and cancel tests).
    hub = await startFixtureHub(source, { slow: { latencyMs: 5, perConnectionBytesPerSecond: 6_000_000, totalBytesPerSecond: 0 } });
  });
  after(async () => {
    await hub?.close();
    await work?.cleanup();
  });
  beforeEach(async () => {
    hub.resetLog();
    modelDir = join(work.path, `model-${++n}`);
  });
  afterEach(() => hub.setFault("slow", false));

  async function assertSameAsSource(path: string): Promise<void> {
    assert.equal(await sha256File(join(modelDir, path)), await sha256File(sourceOf(hub, path)), path);
  }

  it("downloads every file of a multi-file repo byte-exact through reconstructions and xorbs", async () => {
    const { commit, files } = listing(hub);
    const params = routeParams(hub, modelDir, files, commit);
    const result = await downloadViaXet(params);

    const total = files.reduce((s, f) => s + (f.lfs?.size ?? f.size), 0);
    const copied = files.find((f) => f.path === "weights/extra-copy.bin")!.lfs!.size;
    assert.equal(result.files.length, files.length);
    assert.deepEqual(result.files.map((f) => f.path), files.map((f) => f.path), "results keep the listing's order");
    for (const f of files) await assertSameAsSource(f.path);
    const got = byPath(result.files);
    const big = files.find((f) => f.path === BIG)!;
    assert.deepEqual(got.get(BIG), { path: BIG, size: BIG_SIZE, hash: big.lfs!.oid, hashKind: "sha256" });
    assert.deepEqual(got.get("config.json"), { path: "config.json", size: files.find((f) => f.path === "config.json")!.size, hash: files.find((f) => f.path === "config.json")!.blobOid, hashKind: "git-sha1" });
    assert.equal(got.get("empty.txt")?.size, 0);
    assert.equal(result.bytesTransferred, total - copied, "every byte came over the network once; the identical copy was copied locally");
    for (const f of files) assert.equal(params.progress.last.get(f.path), f.lfs?.size ?? f.size, `final progress of ${f.path}`);
    assert.equal(params.progress.calls.reduce((s, c) => s + c.newBytes, 0), total - copied, "newBytes add up to the bytes transferred");
    const bigSteps = params.progress.calls.filter((c) => c.path === BIG && c.newBytes > 0);
    assert.ok(bigSteps.length > 50, `progress moves as chunks land (${bigSteps.length} steps for ${BIG})`);
    assert.ok(bigSteps.every((c, i) => i === 0 || c.doneBytes === bigSteps[i - 1].doneBytes + c.newBytes), "doneBytes grows by newBytes");

    const log = hub.ctx.log;
    const lfsFiles = files.filter((f) => f.lfs).length;
    assert.equal(log.filter((e) => e.route === "resolve-xet").length, lfsFiles - 1, "one resolve per distinct Xet file (the copy is not fetched)");
    assert.ok(log.some((e) => e.route === "reconstruction-v2" && e.status === 200), "reconstruction-v2 was used");
    assert.ok(log.some((e) => e.route === "xorb" && e.status === 206), "xorb ranges were fetched");
    assert.ok(!log.some((e) => e.route === "lfs-object" || e.route === "resolve-lfs"), "no LFS path");
    assert.deepEqual(log.filter((e) => e.origin === "cdn" && e.auth === "hub-token"), [], "the Hub token never reaches the cdn origin");
    assert.ok(log.filter((e) => e.route === "xet-read-token").every((e) => e.auth === "hub-token"));
    assert.ok(log.filter((e) => e.route === "reconstruction-v2").every((e) => e.auth === "xet-token"));
    assert.ok(log.filter((e) => e.route === "resolve-file").every((e) => e.auth === "hub-token" && e.status === 200));
    assert.equal(existsSync(join(modelDir, PARTIAL_DIR)), false, "no partial file (nor their folder) is left behind");
    assert.deepEqual((await readdir(modelDir)).sort(), [...new Set(files.map((f) => f.path.split("/")[0]))].sort(), "only the repo's files are in the model folder");
  });

  it("starts the largest files first, whatever the listing's order", async () => {
    const { commit, files } = listing(hub);
    const sizeOf = (path: string) => files.find((f) => f.path === path)!.size;
    assert.notEqual(files[0].path, BIG, "the listing does not already start with the largest file");
    const params = routeParams(hub, modelDir, files, commit, { concurrency: 1 });
    await downloadViaXet(params);

    // One file at a time: the order of the first progress calls is the order the files started in.
    const started = [...new Set(params.progress.calls.map((c) => c.path))];
    // Of two files with the same content, the second in the listing is copied from the first at the end.
    const copies = files.filter((f, i) => f.lfs && files.findIndex((g) => g.lfs?.oid === f.lfs!.oid) !== i).map((f) => f.path);
    assert.equal(copies.length, 1);
    const fetched = started.filter((path) => !copies.includes(path));
    assert.equal(fetched[0], BIG);
    assert.deepEqual(fetched.map(sizeOf), fetched.map(sizeOf).sort((a, b) => b - a), `files started by size: ${fetched.join(", ")}`);
  });

  it("skips files that are already complete and re-fetches one that is wrong", async () => {
    const { commit, files } = listing(hub);
    await downloadViaXet(routeParams(hub, modelDir, files, commit));
    await writeFile(join(modelDir, "config.json"), "{}\n"); // same path, wrong content
    hub.resetLog();

    const params = routeParams(hub, modelDir, files, commit);
    const result = await downloadViaXet(params);
    const config = files.find((f) => f.path === "config.json")!;
    assert.equal(result.bytesTransferred, config.size, "only the damaged file is transferred again");
    await assertSameAsSource("config.json");
    assert.ok(!hub.ctx.log.some((e) => e.route === "xorb" || e.route.startsWith("reconstruction")), "no Xet traffic for complete files");
    for (const f of files) assert.equal(params.progress.last.get(f.path), f.lfs?.size ?? f.size, `skipped ${f.path} is reported done`);
  });

  it("resumes an interrupted download from its partial with a range reconstruction", async () => {
    const { commit, files } = listing(hub);
    const big = files.filter((f) => f.path === BIG);
    hub.setFault("slow", true);
    const controller = new AbortController();
    const first = routeParams(hub, modelDir, big, commit, {
      signal: controller.signal,
      onFileProgress: (p) => {
        if (p.doneBytes >= BIG_SIZE / 2) controller.abort();
      },
    });
    await assert.rejects(downloadViaXet(first), (err: unknown) => err instanceof DownloadError && err.code === "cancelled");
    hub.setFault("slow", false);

    const partial = join(modelDir, PARTIAL_DIR, `${big[0].lfs!.oid}.part`);
    const partialSize = (await stat(partial)).size;
    assert.ok(partialSize >= BIG_SIZE / 2 && partialSize < BIG_SIZE, `partial of ${partialSize} bytes kept`);
    assert.equal(existsSync(join(modelDir, BIG)), false, "nothing at the final path yet");
    const firstRunXorb = xorbBytes(hub);
    hub.resetLog();

    const second = routeParams(hub, modelDir, big, commit);
    const result = await downloadViaXet(second);
    await assertSameAsSource(BIG);
    assert.equal(result.bytesTransferred, BIG_SIZE - partialSize, "only the missing bytes were received");
    assert.equal(second.progress.calls[0].doneBytes, partialSize, "progress starts at the resumed size");
    assert.equal(second.progress.calls[0].newBytes, 0);
    assert.ok(second.logs.some((l) => l.includes(`resuming ${BIG} at ${partialSize}`)), second.logs.join("\n"));

    const recon = hub.ctx.log.filter((e) => e.route === "reconstruction-v2");
    assert.deepEqual(recon.map((e) => e.range), [`bytes=${partialSize}-${BIG_SIZE - 1}`], "the rerun asked only for the rest");
    const rerunXorb = xorbBytes(hub);
    assert.ok(rerunXorb < BIG_SIZE - partialSize + 512 * 1024, `rerun fetched ${rerunXorb} xorb bytes for ${BIG_SIZE - partialSize} missing bytes`);
    assert.ok(rerunXorb < 0.75 * BIG_SIZE, `rerun xorb bytes ${rerunXorb} well below the file size ${BIG_SIZE}`);
    assert.ok(firstRunXorb > 0);
    assert.equal(existsSync(partial), false, "the partial became the final file");
  });

  it("restarts from zero when the partial holds wrong bytes, and still lands the right file", async () => {
    const { commit, files } = listing(hub);
    const big = files.filter((f) => f.path === BIG);
    const partial = join(modelDir, PARTIAL_DIR, `${big[0].lfs!.oid}.part`);
    await mkdir(join(modelDir, PARTIAL_DIR), { recursive: true });
    await writeFile(partial, Buffer.alloc(1024 * 1024, 0x5a));

    const params = routeParams(hub, modelDir, big, commit);
    const result = await downloadViaXet(params);
    await assertSameAsSource(BIG);
    assert.ok(params.logs.some((l) => l.startsWith("warn:") && l.includes("failed verification") && l.includes("from zero")), params.logs.join("\n"));
    assert.equal(result.bytesTransferred, BIG_SIZE - 1024 * 1024 + BIG_SIZE, "the resumed tail, then the whole file again");
    assert.deepEqual(hub.ctx.log.filter((e) => e.route === "reconstruction-v2").map((e) => e.range), [`bytes=${1024 * 1024}-${BIG_SIZE - 1}`, `bytes=0-${BIG_SIZE - 1}`]);
  });

  it("resumes a small (non-LFS) file with a Range request on resolve", async () => {
    const { commit, files } = listing(hub);
    const notes = files.filter((f) => f.path === "nested/dir/notes.txt");
    const content = await readFile(sourceOf(hub, notes[0].path));
    const have = 700;
    await mkdir(join(modelDir, PARTIAL_DIR), { recursive: true });
    await writeFile(join(modelDir, PARTIAL_DIR, `${notes[0].blobOid}.part`), content.subarray(0, have));

    const params = routeParams(hub, modelDir, notes, commit);
    const result = await downloadViaXet(params);
    await assertSameAsSource(notes[0].path);
    assert.equal(result.bytesTransferred, content.length - have);
    assert.deepEqual(result.files[0], { path: notes[0].path, size: content.length, hash: notes[0].blobOid, hashKind: "git-sha1" });
    const gets = hub.ctx.log.filter((e) => e.route === "resolve-file");
    assert.deepEqual(gets.map((e) => [e.status, e.range]), [[206, `bytes=${have}-`]]);
  });

  it("cancels every file promptly and keeps the partials", async () => {
    const { commit, files } = listing(hub);
    hub.setFault("slow", true);
    const controller = new AbortController();
    const params = routeParams(hub, modelDir, files, commit, {
      signal: controller.signal,
      onFileProgress: (p) => {
        if (p.path === BIG && p.doneBytes > 1024 * 1024) controller.abort();
      },
    });
    await assert.rejects(downloadViaXet(params), (err: unknown) => {
      assert.ok(err instanceof DownloadError, String(err));
      assert.equal(err.code, "cancelled");
      assert.equal(err.message, "Download cancelled.");
      return true;
    });
    const partial = join(modelDir, PARTIAL_DIR, `${files.find((f) => f.path === BIG)!.lfs!.oid}.part`);
    assert.ok((await stat(partial)).size > 1024 * 1024, "the big file's partial is kept");
    assert.equal(existsSync(join(modelDir, BIG)), false);
    // Nothing keeps streaming after the promise settled.
    const settledLog = hub.ctx.log.length;
    const bytesAtCancel = (await stat(partial)).size;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await stat(partial)).size, bytesAtCancel, "the partial does not grow after cancel");
    assert.ok(hub.ctx.log.length - settledLog <= 3, "no new requests after cancel (only in-flight ones closing)");

    await assert.rejects(downloadViaXet({ ...params, signal: AbortSignal.abort() }), (err: unknown) => err instanceof DownloadError && err.code === "cancelled");
  });

  it("refuses listed paths that escape the model folder, before writing anything", async () => {
    const { commit, files } = listing(hub);
    const config = files.find((f) => f.path === "config.json")!;
    for (const path of ["../x", "a/../../x", "/etc/passwd", "ok/./x", `${PARTIAL_DIR}/y.part`, "a\\..\\x"]) {
      const params = routeParams(hub, modelDir, [config, { ...config, path }], commit);
      await assert.rejects(downloadViaXet(params), (err: unknown) => {
        assert.ok(err instanceof DownloadError, String(err));
        assert.equal(err.code, "server");
        assert.match(err.message, /unsafe file path/);
        assert.ok(err.message.includes(JSON.stringify(path)), err.message);
        return true;
      }, path);
    }
    assert.equal(existsSync(modelDir), false, "nothing was written");
    assert.equal(existsSync(join(modelDir, "..", "x")), false);
    assert.equal(hub.ctx.log.length, 0, "no request was made");
  });

  it("fetches an LFS file the listing shows without a xetHash over its resolve/CDN URL, SHA-256 verified", async () => {
    const { commit, files } = listing(hub);
    const big = files.find((f) => f.path === BIG)!;
    const params = routeParams(hub, modelDir, [{ ...big, xetHash: undefined }], commit);
    const result = await downloadViaXet(params);
    assert.equal(result.files[0].hashKind, "sha256");
    await assertSameAsSource(BIG);
    assert.ok(hub.ctx.log.some((e) => e.route === "lfs-object" && e.status === 200));
    assert.ok(!hub.ctx.log.some((e) => e.route.startsWith("reconstruction-")));
  });

  it("maps ENOSPC to disk-full and deletes the partial", async () => {
    const { commit, files } = listing(hub);
    const big = files.filter((f) => f.path === BIG);
    const partial = join(modelDir, PARTIAL_DIR, `${big[0].lfs!.oid}.part`);
    await mkdir(join(modelDir, PARTIAL_DIR), { recursive: true });
    // Every write to /dev/full fails with ENOSPC: a partial that points there is a full disk.
    await symlink("/dev/full", partial);
    await assert.rejects(downloadViaXet(routeParams(hub, modelDir, big, commit)), (err: unknown) => {
      assert.ok(err instanceof DownloadError, String(err));
      assert.equal(err.code, "disk-full");
      assert.match(err.message, new RegExp(`No space left on the disk while writing ${BIG}`));
      return true;
    });
    assert.equal(existsSync(partial), false, "the partial was deleted");
    assert.equal(existsSync(join(modelDir, BIG)), false);
  });

  it("a directory in the way of a file is `not-writable`, not retried", async () => {
    const { commit, files } = listing(hub);
    const config = files.filter((f) => f.path === "config.json");
    await mkdir(join(modelDir, "config.json", "inside"), { recursive: true });
    const params = routeParams(hub, modelDir, config, commit);
    await assert.rejects(downloadViaXet(params), (err: unknown) => {
      assert.ok(err instanceof DownloadError, String(err));
      assert.equal(err.code, "not-writable");
      assert.match(err.message, /^Cannot write config\.json into the model folder: E(ISDIR|NOTEMPTY|EXIST)/);
      return true;
    });
    assert.equal(hub.ctx.log.filter((e) => e.route === "resolve-file").length, 1, "not retried");
  });

  it("downloads identical contents once and copies them to every path", async () => {
    const { commit, files } = listing(hub);
    const pair = files.filter((f) => f.path.startsWith("weights/"));
    assert.equal(pair.length, 2);
    assert.equal(pair[0].lfs!.oid, pair[1].lfs!.oid);
    const result = await downloadViaXet(routeParams(hub, modelDir, pair, commit));
    for (const f of pair) await assertSameAsSource(f.path);
    assert.equal(result.bytesTransferred, pair[0].lfs!.size);
    assert.equal(hub.ctx.log.filter((e) => e.route === "reconstruction-v2").length, 1);
    assert.equal((await readFile(join(modelDir, pair[1].path))).length, pair[1].lfs!.size);
  });
});
