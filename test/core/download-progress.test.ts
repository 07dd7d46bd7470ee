// Unit tests of the progress aggregation: monotonic totals, files done, throttling and the speed window,
// driven by a fake clock so no assertion depends on wall time.
import assert from "node:assert/strict";
import { ProgressTracker, SpeedMeter, type Clock } from "../../src/core/download/progress";
import type { ProgressEvent } from "../../src/core/download/types";

class FakeClock implements Clock {
  t = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  now(): number {
    return this.t;
  }
  setTimer(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.t = next.at;
      next.live = false;
      next.fn();
    }
    this.t = end;
  }
  get pending(): number {
    return this.timers.filter((x) => x.live).length;
  }
}

function setup(files = [{ path: "a.bin", size: 1000 }, { path: "b.bin", size: 500 }]) {
  const clock = new FakeClock();
  const events: ProgressEvent[] = [];
  const tracker = new ProgressTracker({ files, emit: (e) => events.push(e), clock });
  const bytes = () => events.filter((e): e is Extract<ProgressEvent, { type: "bytes" }> => e.type === "bytes");
  return { clock, events, tracker, bytes };
}

describe("download progress: SpeedMeter", () => {
  it("reports 0 until a quarter second has passed, then bytes per second", () => {
    const m = new SpeedMeter(0);
    m.add(100, 1000);
    assert.equal(m.rate(100), 0);
    m.add(1000, 10_000);
    assert.equal(m.rate(1000), 10_000);
  });

  it("only counts the last 5 s, interpolating the window start", () => {
    const m = new SpeedMeter(0);
    // 10 s at 1000 B/s, then 5 s at 3000 B/s: the window sees only the fast part.
    for (let s = 1; s <= 10; s++) m.add(s * 1000, s * 1000);
    for (let s = 11; s <= 15; s++) m.add(s * 1000, 10_000 + (s - 10) * 3000);
    assert.equal(m.rate(15_000), 3000);
    // Half a window into a stall the rate halves; a whole window later it is 0.
    assert.equal(m.rate(17_500), 1500);
    assert.equal(m.rate(20_000), 0);
  });
});

describe("download progress: ProgressTracker", () => {
  it("aggregates per-file counts into monotonic totals and counts finished files", () => {
    const { clock, events, tracker, bytes } = setup();
    tracker.fileProgress({ path: "a.bin", doneBytes: 400, newBytes: 400 });
    clock.advance(200);
    // A route restarting a file from zero must not move the total backwards.
    tracker.fileProgress({ path: "a.bin", doneBytes: 100, newBytes: 100 });
    clock.advance(200);
    tracker.fileProgress({ path: "a.bin", doneBytes: 1000, newBytes: 600 });
    clock.advance(200);
    tracker.fileDone("b.bin");
    tracker.flush();
    const done = bytes().map((e) => e.doneBytes);
    assert.deepEqual(done, [...done].sort((x, y) => x - y), "doneBytes never decreases");
    const last = bytes().at(-1)!;
    assert.equal(last.doneBytes, 1500);
    assert.equal(last.totalBytes, 1500);
    assert.equal(last.filesDone, 2);
    assert.equal(last.totalFiles, 2);
    assert.equal(tracker.bytesTransferred, 1100, "network bytes include the restarted ones; resumed/local ones do not");
    assert.deepEqual(
      events.filter((e) => e.type === "file-done"),
      [
        { type: "file-done", path: "a.bin", size: 1000 },
        { type: "file-done", path: "b.bin", size: 500 },
      ],
    );
  });

  it("emits at most one bytes event per 100 ms and delivers the last update by a trailing timer", () => {
    const { clock, tracker, bytes } = setup([{ path: "big", size: 1_000_000 }]);
    for (let i = 1; i <= 100; i++) {
      tracker.fileProgress({ path: "big", doneBytes: i * 100, newBytes: 100 });
      clock.advance(10);
    }
    // 1 s of updates every 10 ms → about 10 events, never two closer than 100 ms.
    const events = bytes();
    assert.ok(events.length >= 9 && events.length <= 11, `got ${events.length} events`);
    clock.advance(200);
    assert.equal(bytes().at(-1)!.doneBytes, 10_000, "the trailing timer delivered the last count");
    assert.equal(clock.pending, 0);
  });

  it("ignores paths that are not part of the plan and clamps to the file size", () => {
    const { tracker, bytes } = setup([{ path: "a", size: 10 }]);
    tracker.fileProgress({ path: "other", doneBytes: 99, newBytes: 99 });
    tracker.fileProgress({ path: "a", doneBytes: 50, newBytes: 10 });
    tracker.flush();
    assert.equal(bytes().at(-1)!.doneBytes, 10);
    assert.equal(tracker.bytesTransferred, 10);
  });

  it("reports speed from network bytes only", () => {
    const { clock, tracker, bytes } = setup([{ path: "a", size: 10_000_000 }]);
    tracker.fileProgress({ path: "a", doneBytes: 5_000_000, newBytes: 0 }); // resumed from disk
    for (let i = 1; i <= 20; i++) {
      clock.advance(100);
      tracker.fileProgress({ path: "a", doneBytes: 5_000_000 + i * 10_000, newBytes: 10_000 });
    }
    tracker.flush();
    assert.equal(bytes().at(-1)!.bytesPerSecond, 100_000);
  });
});
