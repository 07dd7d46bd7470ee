// The download speed cap's arithmetic (GCRA over a shared buffer), on a clock the test moves: how long each
// reader must pause, that a rate change applies at once, and that threads sharing the buffer share the budget.
import assert from "node:assert/strict";
import { download } from "../../src/core/download/service";
import { BandwidthLimit, downloadSpeedLimit, megabytesPerSecond } from "../../src/core/net/bandwidth";
import { useServiceTestbed } from "./download-helpers";

describe("download speed cap (issue 14, item 3)", () => {
  let nowNs = 0n;
  const clock = () => nowNs;
  const ms = (n: number) => BigInt(n) * 1_000_000n;
  beforeEach(() => {
    nowNs = ms(1_000_000);
  });

  it("without a cap, nothing waits", () => {
    const limit = new BandwidthLimit(undefined, clock);
    assert.equal(limit.delayFor(1e9), 0);
  });

  it("paces to the rate after a 10 ms burst: 1 MB at 10 MB/s is a 100 ms budget", () => {
    const limit = new BandwidthLimit(undefined, clock);
    limit.setBytesPerSecond(10_000_000);
    assert.equal(limit.delayFor(100_000), 0, "the first 10 ms worth pass at once");
    assert.equal(limit.delayFor(900_000), 90, "the next 90 ms worth wait for what exceeds the burst");
    nowNs += ms(50);
    assert.equal(limit.delayFor(100_000), 50, "50 ms later: the 50 ms still paid ahead and this read's 10, less the burst");
  });

  it("over a long stream, the waits add up to bytes / rate", () => {
    const limit = new BandwidthLimit(undefined, clock);
    limit.setBytesPerSecond(5_000_000);
    let waited = 0;
    for (let i = 0; i < 1000; i++) {
      const wait = limit.delayFor(65_536);
      waited += wait;
      nowNs += ms(wait);
    }
    const ideal = (1000 * 65_536) / 5_000_000 * 1000;
    // The burst is paid last; the remainders below a millisecond carry over instead of adding up.
    assert.ok(Math.abs(waited + 10 - ideal) <= 2, `waited ${waited} ms for ${ideal} ms of budget`);
  });

  it("a rate change applies to the next read, without the debt of the old rate", () => {
    const limit = new BandwidthLimit(undefined, clock);
    limit.setBytesPerSecond(1_000_000);
    assert.ok(limit.delayFor(10_000_000) > 9000);
    limit.setBytesPerSecond(100_000_000);
    assert.equal(limit.bytesPerSecond, 100_000_000);
    assert.equal(limit.delayFor(1_000_000), 0);
    limit.setBytesPerSecond(0);
    assert.equal(limit.delayFor(1e12), 0);
  });

  it("two limits over one shared buffer (as worker threads have) share one budget", () => {
    const a = new BandwidthLimit(undefined, clock);
    const b = new BandwidthLimit(a.shared, clock);
    a.setBytesPerSecond(10_000_000);
    assert.equal(b.bytesPerSecond, 10_000_000);
    assert.equal(a.delayFor(100_000), 0);
    assert.equal(b.delayFor(500_000), 50, "b pays for what a took");
  });

  it("reads MB/s as users write it; empty, zero and junk mean no cap", () => {
    assert.equal(megabytesPerSecond(20), 20_000_000);
    assert.equal(megabytesPerSecond("2.5"), 2_500_000);
    for (const none of [null, undefined, "", 0, -3, "fast", NaN, Infinity]) assert.equal(megabytesPerSecond(none), 0, String(none));
  });
});

describe("download speed cap: every byte of both routes passes the one budget", function () {
  this.timeout(60_000);
  const bed = useServiceTestbed({ prefix: "hf-cap-" });
  afterEach(() => downloadSpeedLimit.setBytesPerSecond(0));

  const capped = async (method: "lfs" | "xet") => {
    // A cap far above loopback's speed: counted, never waited for.
    downloadSpeedLimit.setBytesPerSecond(1e12);
    const before = downloadSpeedLimit.bytesCounted;
    const result = await download({ repo: "demo/quantized-gguf", modelsDir: bed.models.path, endpoint: bed.hub.url, method, fallbackToLfs: false }, { env: bed.home.env });
    assert.equal(result.method, method);
    assert.ok(result.bytesTransferred > 1_000_000);
    return { result, counted: downloadSpeedLimit.bytesCounted - before };
  };

  it("lfs: the cap counted exactly the LFS object bytes received (range requests in the main thread)", async () => {
    const { result, counted } = await capped("lfs");
    assert.equal(counted, result.bytesTransferred);
  });

  it("xet: the cap counted every body byte the CDN and the Hub sent for file data (xorbs in worker threads, small files)", async () => {
    const { counted } = await capped("xet");
    // The log counts socket bytes, headers included: the bodies are that less well under 1 KiB per response.
    const responses = bed.hub.ctx.log.filter((e) => (e.route === "xorb" || e.route.startsWith("resolve")) && e.method === "GET" && e.status < 300);
    const sent = responses.reduce((a, e) => a + e.bytes, 0);
    assert.ok(responses.some((e) => e.route === "xorb"));
    assert.ok(counted <= sent && sent - counted < responses.length * 1024, `counted ${counted}, sent ${sent} in ${responses.length} responses`);
  });
});
