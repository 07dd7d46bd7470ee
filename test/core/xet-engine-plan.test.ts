// The engine's planning in isolation: terms placed at file offsets (offset_into_first_range, a descriptor shared by
// two terms, missing coverage refused), the landed-bytes set behind progress and the hashed prefix, and the split
// of a window into copies from the old file and ranges to fetch.
import assert from "node:assert/strict";
import type { Reconstruction } from "../../src/core/xet/engine/cas";
import { IntervalSet, PlanError, planWindow } from "../../src/core/xet/engine/plan";
import { encodeLens, ReuseIndex, splitForReuse } from "../../src/core/xet/engine/reuse";

const X = "a".repeat(64);
const Y = "b".repeat(64);

function rec(partial: Partial<Reconstruction>): Reconstruction {
  return { offsetIntoFirstRange: 0, terms: [], fetches: new Map(), ...partial };
}

describe("Xet engine planning", () => {
  it("places terms after offset_into_first_range and gives a shared descriptor both terms", () => {
    const reconstruction = rec({
      offsetIntoFirstRange: 100,
      terms: [
        { hash: X, unpackedLength: 1000, range: { start: 2, end: 4 } },
        { hash: Y, unpackedLength: 500, range: { start: 0, end: 1 } },
        { hash: X, unpackedLength: 700, range: { start: 3, end: 5 } },
      ],
      fetches: new Map([
        [X, [{ url: "http://cdn/x", range: { chunks: { start: 2, end: 5 }, bytes: { start: 300, end: 999 } } }]],
        [Y, [{ url: "http://cdn/y", range: { chunks: { start: 0, end: 1 }, bytes: { start: 0, end: 99 } } }]],
      ]),
    });
    const { terms, units } = planWindow({ start: 5000, end: 7000, reconstruction });
    assert.deepEqual(terms.map((t) => t.fileStart), [4900, 5900, 6400], "the first term starts 100 bytes before the window");
    assert.equal(units.length, 2);
    const x = units.find((u) => u.xorb === X)!;
    assert.deepEqual(x.placements.map((p) => p.fileStart), [4900, 6400], "one fetch serves both terms of X");
    assert.deepEqual([x.clipStart, x.clipEnd], [5000, 7000]);
  });

  it("refuses a reconstruction that does not cover the window or lacks a descriptor", () => {
    const short = rec({ terms: [{ hash: X, unpackedLength: 10, range: { start: 0, end: 1 } }], fetches: new Map([[X, [{ url: "u", range: { chunks: { start: 0, end: 1 }, bytes: { start: 0, end: 17 } } }]]]) });
    assert.throws(() => planWindow({ start: 0, end: 100, reconstruction: short }), PlanError);
    const uncovered = rec({ terms: [{ hash: X, unpackedLength: 100, range: { start: 0, end: 3 } }], fetches: new Map([[X, [{ url: "u", range: { chunks: { start: 0, end: 2 }, bytes: { start: 0, end: 17 } } }]]]) });
    assert.throws(() => planWindow({ start: 0, end: 100, reconstruction: uncovered }), /no fetch range covers chunks 0-3/);
  });

  it("counts every landed byte once and reports how far the contiguous prefix reaches", () => {
    const set = new IntervalSet();
    assert.equal(set.add(0, 100), 100);
    assert.equal(set.add(200, 300), 100);
    assert.equal(set.reach(0), 100, "a hole at 100");
    assert.equal(set.add(50, 250), 100, "only the hole is new");
    assert.equal(set.reach(0), 300);
    assert.equal(set.add(0, 300), 0, "a retried range adds nothing");
    assert.equal(set.total, 300);
    assert.equal(set.reach(400), 400);
  });

  it("copies terms the old file holds, fetches the rest, and fetches small local gaps between missing ranges", () => {
    const M = 1024 * 1024; // chunks of 1 MiB, so local runs of 2 MiB count as worth copying
    // Old file: X chunks 0..10 at offset 0, then Y chunks 0..2 (M/2 each) at 10 M.
    const index = new ReuseIndex({
      version: 1,
      sha256: "0".repeat(64),
      size: 11 * M,
      terms: [
        [X, 0, 10, 0, encodeLens(Array(10).fill(M))],
        [Y, 0, 2, 10 * M, encodeLens([M / 2, M / 2])],
      ],
    });
    const Z = "c".repeat(64);
    const terms = [
      { xorb: X, chunkStart: 2, chunkEnd: 5, fileStart: 0, unpacked: 3 * M }, // old bytes 2M..5M
      { xorb: Z, chunkStart: 0, chunkEnd: 1, fileStart: 3 * M, unpacked: 80 }, // new
      { xorb: Y, chunkStart: 1, chunkEnd: 2, fileStart: 3 * M + 80, unpacked: M / 2 }, // local, but a gap < 1 MiB
      { xorb: Z, chunkStart: 1, chunkEnd: 2, fileStart: 3.5 * M + 80, unpacked: 70 }, // new
      { xorb: X, chunkStart: 6, chunkEnd: 8, fileStart: 3.5 * M + 150, unpacked: 2 * M }, // old bytes 6M..8M
      { xorb: X, chunkStart: 8, chunkEnd: 9, fileStart: 5.5 * M + 150, unpacked: M - 1 }, // length differs: not trusted
    ];
    const end = 6.5 * M + 149;
    const { copies, missing } = splitForReuse({ terms, start: 0, end, index });
    assert.deepEqual(copies, [
      { srcOff: 2 * M, dstOff: 0, len: 3 * M },
      { srcOff: 6 * M, dstOff: 3.5 * M + 150, len: 2 * M },
    ]);
    assert.deepEqual(missing, [[3 * M, 3.5 * M + 150], [5.5 * M + 150, end]]);
    assert.deepEqual(index.lensOf(terms[0]), [M, M, M]);
  });
});
