// Rate limits the way huggingface.co sends them (429, `RateLimit: "api";r=0;t=N`, no Retry-After): the listing,
// search, the Xet route and the LFS route wait t+1 s and carry on; the wait is announced, cancellable and bounded.
import assert from "node:assert/strict";
import { RateLimiter, type RateLimitOptions } from "../../hub/rateLimit";
import type { RequestLogEntry } from "../../hub/context";
import { download } from "../../src/core/download/service";
import type { ProgressEvent } from "../../src/core/download/types";
import { listRepoFiles, searchModels } from "../../src/core/hub/api";
import { parseRepoId } from "../../src/core/hub/repoId";
import { parseRateLimit, retryWaitMs, type RateLimitWait } from "../../src/core/util/rateLimit";
import { rejectsWithCode } from "../helpers/assertions";
import { stampLog } from "../reliability/helpers";
import { collect, sameBytes, sourceFiles, useServiceTestbed } from "./download-helpers";

type Waiting = Extract<ProgressEvent, { type: "waiting" }>;

describe("rate limits: the client waits RateLimit's t + 1 s", function () {
  this.timeout(120_000);
  const bed = useServiceTestbed({ prefix: "hf-ratelimit-" });
  let timeOf: (e: RequestLogEntry) => number;

  const limit = (options: RateLimitOptions) => {
    bed.hub.ctx.rateLimits = new RateLimiter(options);
    timeOf = stampLog(bed.hub);
  };
  afterEach(() => {
    bed.hub.ctx.rateLimits = new RateLimiter(undefined);
  });

  /** Every 429 of `route` is followed by the same request no sooner than the announced wait's t seconds. */
  const assertWaitedOut = (route: string, waits: Array<{ seconds: number }>) => {
    const log = bed.hub.ctx.log;
    const limited = log.filter((e) => e.route === route && e.status === 429);
    assert.ok(limited.length > 0, `${route} was rate-limited: ${log.map((e) => `${e.route} ${e.status}`).join(", ")}`);
    assert.ok(waits.length >= limited.length, `one wait per 429 (${waits.length} waits, ${limited.length} 429s)`);
    const t = Math.min(...waits.map((w) => w.seconds)) - 1;
    for (const e of limited) {
      const next = log.slice(log.indexOf(e) + 1).find((x) => x.route === route && x.path === e.path);
      assert.ok(next, `${route} was asked again after its 429`);
      assert.ok(timeOf(next) - timeOf(e) >= t * 1000, `${route} asked again ${timeOf(next) - timeOf(e)} ms after the 429; t was ≥ ${t} s`);
    }
  };

  it("parses RateLimit and RateLimit-Policy as huggingface_hub does (t + 1 s only when nothing remains)", () => {
    const headers = new Headers({ RateLimit: '"api";r=0;t=41', "RateLimit-Policy": '"fixed window";"api";q=500;w=300' });
    assert.deepEqual(parseRateLimit(headers), { bucket: "api", remaining: 0, resetSeconds: 41, quota: 500, windowSeconds: 300 });
    assert.equal(retryWaitMs(headers), 42_000);
    assert.equal(retryWaitMs(new Headers({ RateLimit: '"api";r=3;t=41', "Retry-After": "2" })), 2000, "r > 0: not the reason for the 429");
    assert.equal(retryWaitMs({ "retry-after": "5" }), 5000);
    assert.equal(retryWaitMs(new Headers()), undefined);
  });

  it("listing: a tree page answered 429 is asked again after t + 1 s, and the wait is announced", async () => {
    limit({ windowSeconds: 3, anonymous: { api: 1 } });
    const waits: RateLimitWait[] = [];
    const listing = await listRepoFiles({ endpoint: bed.hub.url, repo: parseRepoId("demo/tiny-model"), revision: "main", onRateLimit: (w) => waits.push(w) });
    assert.ok(listing.files.some((f) => f.path === "config.json"));
    assert.equal(waits.length, 1);
    assert.ok(waits[0].seconds >= 2 && waits[0].seconds <= 4, `t + 1 with t ≤ 3: ${waits[0].seconds}`);
    assert.equal(waits[0].host, new URL(bed.hub.url).host);
    assertWaitedOut("api-tree", waits);
  });

  it("search waits too instead of failing at once", async () => {
    limit({ windowSeconds: 2, anonymous: { api: 1 } });
    const waits: RateLimitWait[] = [];
    await searchModels({ endpoint: bed.hub.url, query: "demo" });
    const hits = await searchModels({ endpoint: bed.hub.url, query: "demo", onRateLimit: (w) => waits.push(w) });
    assert.ok(hits.some((h) => h.id === "demo/tiny-model"));
    assert.equal(waits.length, 1);
    assertWaitedOut("api-search", waits);
  });

  it("the Xet route survives CAS 429s with RateLimit t ≤ 3 and no Retry-After, byte-exact", async () => {
    // Reconstructions carry the Xet token: a client of its own, one reconstruction per window.
    limit({ windowSeconds: 3, token: { resolvers: 1 } });
    const { events, onProgress } = collect();
    const result = await download(
      { repo: "demo/quantized-gguf", modelsDir: bed.models.path, endpoint: bed.hub.url, method: "xet", fallbackToLfs: false, concurrency: 2, stallTimeoutMs: 1000 },
      { env: bed.home.env, onProgress },
    );
    assert.equal(result.method, "xet");
    for (const [path, src] of sourceFiles(bed.hub, "demo/quantized-gguf")) assert.ok(await sameBytes(src.source, `${result.path}/${path}`), path);
    const waits = events.filter((e): e is Waiting => e.type === "waiting");
    assert.ok(waits.every((w) => w.reason === "rate-limit" && w.seconds >= 1 && w.seconds <= 4), JSON.stringify(waits));
    assert.ok(!events.some((e) => e.type === "log" && /no bytes for/.test(e.message)), "a rate-limit wait is not a stall");
    assertWaitedOut("reconstruction-v2", waits);
  });

  it("the LFS route survives a batch 429 with RateLimit and no Retry-After", async () => {
    limit({ windowSeconds: 3, anonymous: { resolvers: 1 } });
    // Another request of this client used the window's one resolver call.
    await fetch(`${bed.hub.url}/demo/tiny-model/resolve/main/config.json`, { redirect: "manual" });
    const { events, onProgress } = collect();
    const result = await download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url, method: "lfs" }, { env: bed.home.env, onProgress });
    for (const [path, src] of sourceFiles(bed.hub, "demo/tiny-model")) assert.ok(await sameBytes(src.source, `${result.path}/${path}`), path);
    const waits = events.filter((e): e is Waiting => e.type === "waiting");
    assert.equal(waits.length, 1, JSON.stringify(waits));
    // git-lfs' 429, then ours: the route asks the batch API how long is left (stock git-lfs shows only the message).
    const batches = bed.hub.ctx.log.filter((e) => e.route === "lfs-batch");
    const lastLimited = [...batches].reverse().find((e) => e.status === 429)!;
    const served = batches.find((e) => e.status === 200 && batches.indexOf(e) > batches.indexOf(lastLimited));
    assert.ok(lastLimited && served, batches.map((e) => e.status).join(","));
    assert.ok(timeOf(served) - timeOf(lastLimited) >= (waits[0].seconds - 1) * 1000, `batch asked again ${timeOf(served) - timeOf(lastLimited)} ms after the 429`);
  });

  it("a cancel during the wait ends the download promptly with `cancelled`", async () => {
    limit({ windowSeconds: 120, anonymous: { api: 1 } });
    const controller = new AbortController();
    const events: ProgressEvent[] = [];
    const run = download(
      { repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url },
      { env: bed.home.env, signal: controller.signal, onProgress: (e) => { events.push(e); if (e.type === "waiting") controller.abort(); } },
    );
    await rejectsWithCode(run, "cancelled");
    const waiting = events.find((e): e is Waiting => e.type === "waiting");
    assert.ok(waiting && waiting.seconds > 100, `the Hub asked for about 2 minutes: ${JSON.stringify(waiting)}`);
    assert.equal(bed.hub.ctx.log.filter((e) => e.route === "api-tree").length, 1, "nothing was asked again: the wait ended with the cancel");
  });

  it("a wait beyond one window + 1 s is not sat out: a clear `rate-limited` error at once", async () => {
    limit({ windowSeconds: 600, anonymous: { api: 1 } });
    const { events, onProgress } = collect();
    const err = await rejectsWithCode(download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env, onProgress }), "rate-limited", /rate limit.*Try again in \d+ min/);
    assert.equal(err.detail.status, 429);
    assert.ok((err.detail.retryAfterMs ?? 0) > 300_000, `${err.detail.retryAfterMs}`);
    assert.ok(!events.some((e) => e.type === "waiting"), "no wait was announced");
  });
});
