// The Xet engine's process-wide count of xorb requests in flight (issue 14, item 2): the adaptive controller the LFS
// route uses, fed by the bytes the workers receive, on a clock the test moves.
import assert from "node:assert/strict";
import { Slots } from "../../src/core/xet/engine/scheduling";

function slotsOnClock(initial = 4) {
  const clock = { now: 0 };
  // No warm-up: these tests count whole windows (the controller's own tests cover the warm-up).
  const slots = new Slots({ initial, min: 2, max: 8, now: () => clock.now, warmupMs: 0 });
  const takeAll = (fixed = false) => {
    let n = 0;
    while (slots.take(fixed)) n++;
    return n;
  };
  return { clock, slots, takeAll };
}

describe("Xet engine request slots (issue 14, item 2)", () => {
  it("lets in the adaptive count, and a download with a fixed count up to the ceiling", () => {
    const { slots, takeAll } = slotsOnClock();
    assert.equal(takeAll(), 4);
    assert.equal(slots.limit, 4);
    assert.equal(takeAll(true), 4, "a fixed count's requests go on to the ceiling of 8");
    slots.release();
    assert.equal(takeAll(), 0, "still 7 in flight, above the adaptive count");
    assert.equal(takeAll(true), 1);
  });

  it("grows the count when the bytes of a full window say so, and wakes the files waiting for a slot", async () => {
    const { clock, slots, takeAll } = slotsOnClock();
    takeAll();
    let woken = false;
    const waiting = slots.freed().then(() => (woken = true));
    slots.record(0); // the count is reached: the first window starts
    clock.now += 1000;
    slots.record(100_000_000);
    assert.equal(slots.limit, 6, "from the best count it tries half as many more");
    await waiting;
    assert.equal(woken, true);
    assert.equal(takeAll(), 2);
    assert.deepEqual(slots.history, [{ limit: 6, rate: 100_000_000 }]);
  });

  it("keeps what it learned across a short pause, and starts afresh after 10 s with nothing in flight", () => {
    const { clock, slots, takeAll } = slotsOnClock();
    takeAll();
    slots.record(0);
    clock.now += 1000;
    slots.record(100_000_000);
    for (let i = 0; i < 4; i++) slots.release();
    clock.now += 2000;
    assert.equal(takeAll(), 6, "the next file of the same download goes on at the learned count");
    for (let i = 0; i < 6; i++) slots.release();
    clock.now += 10_001;
    assert.equal(takeAll(), 4, "a later download starts from the initial count");
    assert.deepEqual(slots.history, []);
  });
});
