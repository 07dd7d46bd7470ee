// The reconstruction algorithm (XET_SPEC §6.2): trimming to a byte range, offset_into_first_range, 416, the empty
// file, per-xorb merging of overlapping/adjacent chunk ranges, V1/V2 shapes — and byte-exactness on stored data.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeChunkRecord, parseChunkRecords } from "../../hub/xet/format";
import { planReconstruction, toV1, toV2, type ReconstructionPlan, type RequestedRange } from "../../hub/xet/reconstruction";
import { repeatingBytes } from "../../hub/xet/sampleData";
import { XetStore, type XetFileRecord } from "../../hub/xet/store";

// Two hand-made xorbs. A: chunks of 10, 20, 30, 40 bytes; B: three chunks of 5. Record ends are made up.
const A = "a".repeat(64);
const B = "b".repeat(64);
const XORBS = {
  [A]: { chunkEnds: [18, 46, 84, 132], unpackedEnds: [10, 30, 60, 100] },
  [B]: { chunkEnds: [13, 26, 39], unpackedEnds: [5, 10, 15] },
};
const xorb = (h: string): { chunkEnds: number[]; unpackedEnds: number[] } | undefined => XORBS[h];
// File: A[0,2) (bytes 0-29), B[0,3) (30-44), A[1,4) (45-134).
const FILE: XetFileRecord = {
  fileHash: "f".repeat(64),
  size: 135,
  sha256: "",
  terms: [
    { xorb: A, chunkStart: 0, chunkEnd: 2, unpackedLength: 30 },
    { xorb: B, chunkStart: 0, chunkEnd: 3, unpackedLength: 15 },
    { xorb: A, chunkStart: 1, chunkEnd: 4, unpackedLength: 90 },
  ],
};

function plan(range?: RequestedRange, file = FILE, lookup: typeof xorb = xorb): ReconstructionPlan {
  const result = planReconstruction({ file, xorb: lookup, range });
  assert.ok(result.ok, "expected a plan, got 416");
  return result.plan;
}
const terms = (p: ReconstructionPlan) => p.terms.map((t) => `${t.hash[0]}[${t.range.start},${t.range.end}):${t.unpackedLength}`);
const entries = (p: ReconstructionPlan) => Object.fromEntries([...p.xorbs].map(([h, ds]) => [h[0], ds]));

describe("reconstruction algorithm", () => {
  it("whole file: every term as stored; overlapping ranges of one xorb merge into one descriptor", () => {
    const p = plan();
    assert.equal(p.offsetIntoFirstRange, 0);
    assert.deepEqual(terms(p), ["a[0,2):30", "b[0,3):15", "a[1,4):90"]);
    assert.deepEqual(entries(p), {
      a: [{ chunks: { start: 0, end: 4 }, bytes: { start: 0, end: 131 } }],
      b: [{ chunks: { start: 0, end: 3 }, bytes: { start: 0, end: 38 } }],
    });
    assert.deepEqual(plan({ start: 0, end: 134 }), p);
    assert.deepEqual(plan({ start: 0, end: 10_000 }), p, "the end is clamped to the file size");
  });

  it("a one-byte range inside a chunk keeps only that chunk and sets offset_into_first_range", () => {
    const p = plan({ start: 12, end: 12 });
    assert.deepEqual(terms(p), ["a[1,2):20"]);
    assert.equal(p.offsetIntoFirstRange, 2);
    assert.deepEqual(entries(p), { a: [{ chunks: { start: 1, end: 2 }, bytes: { start: 18, end: 45 } }] });
  });

  it("trims leading chunks (offset may span several) and trailing chunks wholly after the end", () => {
    const p = plan({ start: 25, end: 40 });
    assert.deepEqual(terms(p), ["a[1,2):20", "b[0,3):15"]);
    assert.equal(p.offsetIntoFirstRange, 15);
    const q = plan({ start: 47, end: 80 });
    // File offset 45 starts A chunk 1 (20 bytes: 45-64), chunk 2 is 65-94, chunk 3 (95-134) is dropped.
    assert.deepEqual(terms(q), ["a[1,3):50"]);
    assert.equal(q.offsetIntoFirstRange, 2);
    const r = plan({ start: 30, end: 34 });
    assert.deepEqual(terms(r), ["b[0,1):5"]);
    assert.equal(r.offsetIntoFirstRange, 0);
    const s = plan({ start: 100 });
    // A chunks 1 (45-64) and 2 (65-94) lie wholly before 100: dropped, the offset is within chunk 3 (95-134).
    assert.deepEqual(terms(s), ["a[3,4):40"]);
    assert.equal(s.offsetIntoFirstRange, 5);
  });

  it("suffix ranges count from the end", () => {
    const p = plan({ suffix: 40 });
    assert.deepEqual(terms(p), ["a[3,4):40"]);
    assert.equal(p.offsetIntoFirstRange, 0);
    assert.deepEqual(plan({ suffix: 1000 }), plan());
  });

  it("adjacent ranges of one xorb merge; disjoint ones stay separate descriptors sorted by chunk", () => {
    const file: XetFileRecord = {
      ...FILE,
      size: 100,
      terms: [
        { xorb: A, chunkStart: 3, chunkEnd: 4, unpackedLength: 40 },
        { xorb: B, chunkStart: 2, chunkEnd: 3, unpackedLength: 5 },
        { xorb: A, chunkStart: 0, chunkEnd: 1, unpackedLength: 10 },
        { xorb: B, chunkStart: 0, chunkEnd: 1, unpackedLength: 5 },
        { xorb: A, chunkStart: 1, chunkEnd: 2, unpackedLength: 20 },
        { xorb: B, chunkStart: 1, chunkEnd: 2, unpackedLength: 5 },
        { xorb: A, chunkStart: 3, chunkEnd: 4, unpackedLength: 40 },
      ].slice(0, 6),
    };
    file.size = file.terms.reduce((n, t) => n + t.unpackedLength, 0);
    const p = plan(undefined, file);
    assert.deepEqual(entries(p), {
      a: [
        { chunks: { start: 0, end: 2 }, bytes: { start: 0, end: 45 } },
        { chunks: { start: 3, end: 4 }, bytes: { start: 84, end: 131 } },
      ],
      b: [{ chunks: { start: 0, end: 3 }, bytes: { start: 0, end: 38 } }],
    });
    assert.deepEqual([...p.xorbs.keys()], [A, B], "xorbs in order of first use");
  });

  it("416 when the start is at or past the end; the empty file reconstructs to nothing", () => {
    for (const range of [{ start: 135 }, { start: 135, end: 200 }, { start: 500, end: 600 }, { suffix: 0 }] as RequestedRange[]) {
      assert.deepEqual(planReconstruction({ file: FILE, xorb, range }), { ok: false, status: 416, size: 135 }, JSON.stringify(range));
    }
    assert.ok(planReconstruction({ file: FILE, xorb, range: { start: 134 } }).ok);
    const empty: XetFileRecord = { fileHash: "0".repeat(64), size: 0, sha256: "", terms: [] };
    for (const range of [undefined, { start: 0 }, { start: 0, end: 0 }]) {
      assert.deepEqual(plan(range, empty), { offsetIntoFirstRange: 0, terms: [], xorbs: new Map() });
    }
    assert.equal(planReconstruction({ file: empty, xorb, range: { start: 1 } }).ok, false);
  });

  it("names a xorb the store does not hold", () => {
    assert.throws(() => planReconstruction({ file: FILE, xorb: () => undefined }), /references xorb a{64}, which the store does not hold/);
  });

  it("V2 signs one URL per xorb with all its ranges; V1 one URL per range", () => {
    const file: XetFileRecord = { ...FILE, size: 50, terms: [FILE.terms[0], { xorb: A, chunkStart: 3, chunkEnd: 4, unpackedLength: 40 }] };
    file.size = 70;
    const p = plan(undefined, file);
    const sign = (h: string, ranges: Array<{ start: number; end: number }>) => `u:${h[0]}:${ranges.map((r) => `${r.start}-${r.end}`).join(",")}`;
    assert.deepEqual(toV2(p, sign), {
      offset_into_first_range: 0,
      terms: [
        { hash: A, unpacked_length: 30, range: { start: 0, end: 2 } },
        { hash: A, unpacked_length: 40, range: { start: 3, end: 4 } },
      ],
      xorbs: {
        [A]: [
          {
            url: "u:a:0-45,84-131",
            ranges: [
              { chunks: { start: 0, end: 2 }, bytes: { start: 0, end: 45 } },
              { chunks: { start: 3, end: 4 }, bytes: { start: 84, end: 131 } },
            ],
          },
        ],
      },
    });
    assert.deepEqual(toV1(p, sign).fetch_info, {
      [A]: [
        { range: { start: 0, end: 2 }, url: "u:a:0-45", url_range: { start: 0, end: 45 } },
        { range: { start: 3, end: 4 }, url: "u:a:84-131", url_range: { start: 84, end: 131 } },
      ],
    });
  });

  describe("on stored data", function () {
    this.timeout(60_000);
    let dir: string;
    let store: XetStore;
    let data: Buffer;
    let secondStart: number;
    let rec: XetFileRecord;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), "xet-recon-test-"));
      store = await XetStore.open({ dataDir: dir, xorbLimits: { maxChunks: 16 } });
      ({ data, secondStart } = repeatingBytes(4));
      await writeFile(join(dir, "f.bin"), data);
      rec = await store.addFile(join(dir, "f.bin"));
    });
    after(() => rm(dir, { recursive: true, force: true }));

    /** What a client does with a plan: fetch each descriptor's bytes, decode, assemble terms, skip, truncate. */
    async function assemble(p: ReconstructionPlan, length: number): Promise<Buffer> {
      const decoded = new Map<string, Map<number, Uint8Array>>();
      for (const [hash, descriptors] of p.xorbs) {
        const bytes = await readFile(store.xorbInfo(hash)!.path);
        const chunks = new Map<number, Uint8Array>();
        for (const d of descriptors) {
          const records = parseChunkRecords(bytes.subarray(d.bytes.start, d.bytes.end + 1));
          assert.equal(records.length, d.chunks.end - d.chunks.start);
          records.forEach((r, i) => chunks.set(d.chunks.start + i, decodeChunkRecord(r)));
        }
        decoded.set(hash, chunks);
      }
      const parts: Uint8Array[] = [];
      for (const t of p.terms) {
        const chunks = [];
        for (let k = t.range.start; k < t.range.end; k++) chunks.push(decoded.get(t.hash)!.get(k)!);
        assert.equal(chunks.reduce((n, c) => n + c.length, 0), t.unpackedLength);
        parts.push(...chunks);
      }
      return Buffer.concat(parts).subarray(p.offsetIntoFirstRange, p.offsetIntoFirstRange + length);
    }

    it("uses several xorbs, reused chunk ranges and, from the second part on, two disjoint ranges of one xorb", () => {
      const p = plan(undefined, rec, (h) => store.xorbInfo(h));
      assert.ok(p.xorbs.size >= 3, `${p.xorbs.size} xorbs`);
      assert.ok(new Set(rec.terms.map((t) => t.xorb)).size < rec.terms.length, "some xorb is referenced by several terms");
      const q = plan({ start: secondStart + 10 }, rec, (h) => store.xorbInfo(h));
      const first = q.xorbs.get(rec.terms[0].xorb)!;
      assert.equal(first.length, 2, JSON.stringify(first));
      assert.ok(first[0].bytes.end < first[1].bytes.start);
    });

    it("reassembles byte-exact for the whole file and for ranges starting and ending mid-chunk", async () => {
      assert.deepEqual(await assemble(plan(undefined, rec, (h) => store.xorbInfo(h)), data.length), data);
      const ranges: Array<[number, number]> = [[0, 0], [1, 1], [10, 69_999], [100_000, 100_099], [data.length - 5, data.length - 1], [65_000, 2_000_000], [399_990, 400_010], [secondStart + 10, data.length - 1]];
      let x = 12345;
      for (let i = 0; i < 30; i++) {
        x = (x * 1103515245 + 12345) >>> 0;
        const a = x % data.length;
        x = (x * 1103515245 + 12345) >>> 0;
        ranges.push([a, Math.min(data.length - 1, a + (x % 400_000))]);
      }
      for (const [a, b] of ranges) {
        const p = plan({ start: a, end: b }, rec, (h) => store.xorbInfo(h));
        const firstChunkStart = a - p.offsetIntoFirstRange;
        assert.ok(p.offsetIntoFirstRange >= 0 && firstChunkStart >= 0);
        assert.deepEqual(await assemble(p, b - a + 1), data.subarray(a, b + 1), `bytes=${a}-${b}`);
      }
    });
  });
});
