// Xet → Git LFS fallback through the service: a failing CAS or token endpoint ends in a complete LFS
// download with the reason reported; a cancel during Xet never falls back; `fallbackToLfs: false` obeys.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fallbackReason, shouldFallBack } from "../../src/core/download/fallback";
import { download } from "../../src/core/download/service";
import { DownloadError } from "../../src/core/errors";
import { type ProgressEvent } from "../../src/core/download/types";
import { readRecord } from "../../src/core/library/metadata";
import { startDemoHub } from "../helpers/hub";
import { collect, gitStatus, sameBytes, sourceFiles, TOKEN, useServiceTestbed } from "./download-helpers";
import { rejectsWithCode } from "../helpers/assertions";

describe("download fallback: rules", () => {
  it("falls back on any Xet failure except a cancel, a full disk, an unwritable folder or fallbackToLfs: false", () => {
    assert.equal(shouldFallBack(new DownloadError("server", "the CAS answered 503 for reconstructions"), undefined), true);
    assert.equal(shouldFallBack(new DownloadError("integrity", "integrity check failed for x"), true), true);
    assert.equal(shouldFallBack(new Error("socket hang up"), undefined), true);
    assert.equal(shouldFallBack(new DownloadError("cancelled", "Download cancelled."), true), false);
    assert.equal(shouldFallBack(new DownloadError("disk-full", "No space left"), true), false);
    assert.equal(shouldFallBack(new DownloadError("not-writable", "EACCES"), true), false);
    assert.equal(shouldFallBack(new DownloadError("server", "503"), false), false);
  });

  it("reports the error's detail.reason, and its message only when no reason is set", () => {
    const classified = new DownloadError("server", "The CAS failed. Try again later.", { detail: { reason: "the CAS answered 503 for reconstructions" } });
    assert.equal(fallbackReason(classified), "the CAS answered 503 for reconstructions");
    assert.equal(fallbackReason(new DownloadError("stalled", "no bytes for 30 s from cas.example while downloading a.bin")), "no bytes for 30 s from cas.example while downloading a.bin");
    assert.equal(fallbackReason(new Error("The Xet token endpoint answered 401. Set a token and retry.")), "The Xet token endpoint answered 401. Set a token and retry.");
    assert.equal(fallbackReason(new Error("x".repeat(300))), `${"x".repeat(197)}...`);
    assert.equal(fallbackReason(new Error("")), "the Xet download failed");
  });
});

describe("download fallback from Xet to LFS", function () {
  this.timeout(60_000);
  const bed = useServiceTestbed({ prefix: "hf-fallback-", slow: { latencyMs: 20, perConnectionBytesPerSecond: 500_000, totalBytesPerSecond: 1_000_000 } });

  const gitRequests = () => bed.hub.ctx.log.filter((e) => e.route.startsWith("git-") || e.route.startsWith("lfs-"));

  async function assertComplete(dir: string) {
    for (const [path, s] of sourceFiles(bed.hub, "demo/tiny-model")) assert.ok(await sameBytes(join(dir, path), s.source), `${path} is byte-exact`);
  }

  it("downloads with Xet when nothing fails (no git involved)", async () => {
    const result = await download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url, method: "xet", token: TOKEN }, { env: bed.home.env });
    assert.equal(result.method, "xet");
    assert.equal(result.fallbackReason, undefined);
    await assertComplete(result.path);
    assert.deepEqual(gitRequests(), []);
    assert.equal((await readRecord(result.path))?.method, "xet");
  });

  it("with the CAS answering 503, finishes through Git LFS and reports why", async () => {
    bed.hub.setFault("cas-unavailable", true);
    const { events, onProgress } = collect();
    const result = await download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url, method: "xet", token: TOKEN }, { env: bed.home.env, onProgress });
    assert.equal(result.method, "lfs");
    assert.equal(result.fallbackReason, "the CAS answered 503 for reconstructions");
    const fallback = events.filter((e): e is Extract<ProgressEvent, { type: "fallback" }> => e.type === "fallback");
    assert.deepEqual(fallback, [{ type: "fallback", from: "xet", to: "lfs", reason: result.fallbackReason }]);
    const iFallback = events.indexOf(fallback[0]!);
    const iClone = events.findIndex((e) => e.type === "stage" && e.stage === "cloning");
    assert.ok(iFallback < iClone, "fallback is announced before the LFS route starts");
    assert.ok(bed.hub.ctx.log.some((e) => e.route === "reconstruction-v2" && e.status === 503));
    assert.ok(bed.hub.ctx.log.some((e) => e.route === "lfs-object" && e.status === 206));
    await assertComplete(result.path);
    const record = await readRecord(result.path);
    assert.equal(record?.method, "lfs");
    assert.ok(!existsSync(join(result.path, ".hf-models-partial")));
    assert.equal(gitStatus(result.path, bed.home.env), "");
    // Monotonic totals across the switch of routes.
    const done = events.filter((e) => e.type === "bytes").map((e) => (e as { doneBytes: number }).doneBytes);
    for (let i = 1; i < done.length; i++) assert.ok(done[i]! >= done[i - 1]!);
  });

  it("with the Xet token endpoint answering 401, finishes through Git LFS", async () => {
    // A Hub of its own: the Xet client caches read tokens per Hub URL for the whole process.
    const fresh = await startDemoHub({ faults: ["token-error"] });
    try {
      const result = await download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: fresh.url, method: "xet", token: TOKEN }, { env: bed.home.env });
      assert.equal(result.method, "lfs");
      assert.match(result.fallbackReason ?? "", /the Xet token endpoint answered 401/);
      assert.ok(fresh.ctx.log.some((e) => e.route === "xet-read-token" && e.status === 401));
    } finally {
      await fresh.close();
    }
  });

  it("when the Hub dies during Xet, says once that it cannot be reached and does not try Git LFS against it", async () => {
    const dying = await startDemoHub({ slow: { latencyMs: 20, perConnectionBytesPerSecond: 500_000, totalBytesPerSecond: 1_000_000 } });
    dying.setFault("slow", true);
    const { events, onProgress } = collect();
    let closing: Promise<void> | undefined;
    await rejectsWithCode(
      download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: dying.url, method: "xet", token: TOKEN }, {
        env: bed.home.env,
        onProgress: (e) => {
          onProgress(e);
          if (e.type === "bytes" && e.currentFile === "model.safetensors" && e.doneBytes > 0) closing ??= dying.close();
        },
      }),
      "network",
      new RegExp(`^Cannot reach the Hub at ${dying.url.replace(/[.]/g, "\\.")}: the Xet download stopped \\(.+\\) and the Hub does not answer either\\.$`),
    );
    await closing;
    assert.ok(closing, "the Hub died during the Xet transfer");
    assert.ok(!events.some((e) => e.type === "fallback"), "no fallback announced");
    assert.ok(!events.some((e) => e.type === "stage" && e.stage === "cloning"), "Git LFS never started");
    assert.ok(!dying.ctx.log.some((e) => e.route.startsWith("git-") || e.route.startsWith("lfs-")));
    assert.ok(!existsSync(join(bed.models.path, "demo", "tiny-model", ".hf-models.json")), "nothing partial is presented as complete");
  });

  it("does not fall back when fallbackToLfs is false", async () => {
    bed.hub.setFault("cas-unavailable", true);
    const { events, onProgress } = collect();
    await rejectsWithCode(
      download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url, method: "xet", token: TOKEN, fallbackToLfs: false }, { env: bed.home.env, onProgress }),
      "server",
      /503/,
    );
    assert.ok(!events.some((e) => e.type === "fallback"));
    assert.deepEqual(gitRequests(), []);
    assert.ok(!existsSync(join(bed.models.path, "demo", "tiny-model", ".hf-models.json")));
  });

  it("a cancel during Xet ends in `cancelled` and never falls back", async () => {
    bed.hub.setFault("slow", true);
    const ac = new AbortController();
    const { events, onProgress } = collect();
    await rejectsWithCode(
      download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url, method: "xet", token: TOKEN }, {
        env: bed.home.env,
        signal: ac.signal,
        onProgress: (e) => {
          onProgress(e);
          if (e.type === "bytes" && e.currentFile === "model.safetensors" && e.doneBytes > 0) ac.abort();
        },
      }),
      "cancelled",
    );
    assert.ok(ac.signal.aborted, "the cancel happened during the Xet transfer");
    assert.ok(!events.some((e) => e.type === "fallback"));
    assert.deepEqual(gitRequests(), [], "git was never started");
    assert.ok(!existsSync(join(bed.models.path, "demo", "tiny-model", ".hf-models.json")));
  });
});
