// The adaptive connection count (issue 14, item 2) against synthetic hosts on a clock the test moves: each window
// delivers what the host gives that many connections, and the controller must settle where the total is best.
import assert from "node:assert/strict";
import { AdaptiveConcurrency } from "../../src/core/net/concurrency";

/** Runs `windows` one-second windows against `host` (connections → bytes per second); returns the limits taken. */
function drive(host: (connections: number) => number, windows: number, initial = 4, max = 16): { limits: number[]; controller: AdaptiveConcurrency } {
  let now = 0;
  const controller = new AdaptiveConcurrency({ initial, min: 2, max, now: () => now });
  const limits: number[] = [];
  for (let w = 0; w < windows; w++) {
    // Ten reports per window, as bytes arrive.
    for (let k = 0; k < 10; k++) {
      now += 100;
      controller.record(host(controller.limit) / 10);
    }
    limits.push(controller.limit);
  }
  return { limits, controller };
}

const MB = 1_000_000;
/** The WAN profile: 25 MB/s per connection, 200 MB/s in all. */
const wan = (n: number) => Math.min(200 * MB, 25 * MB * n);
/** The same host slowing beyond 6 connections, as the local Hub's `crowdedAfter: 6` does. */
const crowded = (n: number) => Math.min(200 * MB, 25 * MB * n * Math.min(1, (6 / n) ** 2));

describe("adaptive connection count (issue 14, item 2)", () => {
  /** The mean of what `host` gave over `limits`, against what its best fixed count gives. */
  const share = (host: (n: number) => number, limits: number[]) => limits.reduce((a, n) => a + host(n), 0) / limits.length / Math.max(...Array.from({ length: 16 }, (_, i) => host(i + 1)));

  it("on the WAN profile grows until the 200 MB/s total no longer rises, and stays near the count that reaches it", () => {
    const { limits } = drive(wan, 40);
    const settled = limits.slice(-20);
    // Probing one more and one fewer now and then costs a little, never much.
    assert.ok(share(wan, settled) >= 0.95, `settled on ${settled.join(",")}: ${share(wan, settled).toFixed(3)} of the best`);
    assert.ok(Math.min(...settled) >= 7 && Math.max(...settled) <= 10, `no more connections than it takes: ${settled.join(",")}`);
  });

  it("on a host that slows beyond 6 connections, settles at 6 and only probes 5 or 7 now and then", () => {
    const { limits } = drive(crowded, 40);
    const settled = limits.slice(-25);
    assert.ok(settled.filter((n) => n === 6).length >= 15, `mostly at the best count: ${settled.join(",")}`);
    assert.ok(Math.min(...settled) >= 5 && Math.max(...settled) <= 7, `probes are single steps once a step did not pay: ${settled.join(",")}`);
    assert.ok(share(crowded, settled) >= 0.95, `${share(crowded, settled).toFixed(3)} of the best`);
    // What that is worth: the total it keeps against a fixed 12 on the same host.
    assert.ok(crowded(6) > 1.9 * crowded(12));
  });

  it("goes back when the host slows down under the count it had, instead of adding more", () => {
    let slowed = false;
    const host = (n: number) => (slowed ? crowded(n) : wan(n));
    let now = 0;
    const c = new AdaptiveConcurrency({ initial: 4, min: 2, max: 16, now: () => now });
    const run = (windows: number) => {
      const limits: number[] = [];
      for (let w = 0; w < windows * 10; w++) {
        now += 100;
        c.record(host(c.limit) / 10);
        if (w % 10 === 9) limits.push(c.limit);
      }
      return limits;
    };
    const before = run(20).slice(-10);
    // At 8 or more, but for a probe of one fewer now and then.
    assert.ok(before.filter((n) => n >= 8).length >= 8, `before the slowdown: ${before.join(",")}`);
    slowed = true;
    run(30);
    assert.ok(c.limit <= 9 && crowded(c.limit) >= 0.75 * crowded(6), `after the slowdown: ${c.limit} connections, ${crowded(c.limit) / MB} MB/s`);
  });

  it("does not count the first half second: a slow start does not make a step up look as if it paid", () => {
    // The crowded host, whose connections move a tenth of their rate for the first 800 ms (latency, TCP windows).
    const run = (warmupMs?: number) => {
      let now = 0;
      const c = new AdaptiveConcurrency({ initial: 6, min: 2, max: 16, now: () => now, ...(warmupMs === undefined ? {} : { warmupMs }) });
      const limits: number[] = [];
      for (let i = 1; i <= 120; i++) {
        now += 100;
        c.record((crowded(c.limit) / 10) * (now <= 800 ? 0.1 : 1));
        if (i % 10 === 0) limits.push(c.limit);
      }
      return limits;
    };
    const limits = run();
    assert.ok(Math.max(...limits) <= 9, `never past one step up: ${limits.join(",")}`);
    assert.ok(share(crowded, limits) >= 0.9, `${share(crowded, limits).toFixed(3)} of the best`);
    // The same start counted from the first byte: 6 looks slow, 9 seems to pay, and 13 crowds the host.
    assert.ok(run(0).includes(13), `without the warm-up: ${run(0).join(",")}`);
  });

  it("back from a crowded step, stays at the best count that still moves what it did, instead of stepping down at once", () => {
    let now = 0;
    const c = new AdaptiveConcurrency({ initial: 6, min: 2, max: 16, now: () => now, warmupMs: 0 });
    const limits: number[] = [];
    for (let i = 1; i <= 80; i++) {
      now += 100;
      c.record(crowded(c.limit) / 10);
      if (i % 10 === 0) limits.push(c.limit);
    }
    // 6 → 9 (crowded) → 6, re-measured once, then held: the probe of one fewer comes only after the usual hold.
    assert.deepEqual(limits, [6, 9, 6, 6, 6, 6, 6, 6]);
    assert.deepEqual(c.history.map((h) => h.limit), [9, 6]);
  });

  it("never leaves min..max, and does not judge the window right after a change", () => {
    const { limits, controller } = drive((n) => n * 100 * MB, 20, 3, 5);
    assert.ok(limits.every((n) => n >= 2 && n <= 5));
    assert.equal(limits.at(-1), 5);
    // A window starts once the connections reach the limit (at once here): 3 → 4 → 5 (4 + 2, clamped), one window each.
    assert.deepEqual(limits.slice(0, 4), [3, 4, 5, 5]);
    assert.ok(controller.history.length >= 2);
  });

  it("starts no window until the connections open reach the limit, then judges whole windows", () => {
    let now = 0;
    const c = new AdaptiveConcurrency({ initial: 8, min: 2, max: 16, now: () => now, warmupMs: 0 });
    for (let i = 0; i < 100; i++) {
      now += 100;
      c.record(1_000_000, 12);
    }
    assert.equal(c.limit, 8, "12 still open after a drop to 8: nothing judged");
    assert.deepEqual(c.history, []);
    c.record(0, 8);
    // A dip while a finished request's slot is taken again does not restart the window.
    for (let i = 0; i < 10; i++) {
      now += 100;
      c.record(1_000_000, i === 4 ? 7 : 8);
    }
    assert.equal(c.limit, 12, "one whole window at 8 was judged (the first: the best so far), and a step up taken");
  });
});
