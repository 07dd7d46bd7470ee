// The local CAS's xorb store: real v1 footers, chunk records that lz4js decodes to the original bytes with all
// three schemes, xorb cuts, global dedup across revisions, idempotent re-adds, re-opening a data dir.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getChunks, xorbHash, fileHash } from "@huggingface/xetchunk-wasm";
import { ChunkScheme, decodeChunkRecord, parseChunkRecords, parseXorbFooter, xetHex } from "../../hub/xet/format";
import { floatBytes, mixedModelBytes, pseudoRandomBytes, textBytes } from "../../hub/xet/sampleData";
import { XetStore, type XetFileRecord } from "../../hub/xet/store";
import { DEFAULT_XORB_LIMITS } from "../../hub/xet/xorbWriter";

const MiB = 1024 * 1024;

/** Decodes a stored xorb completely: footer + every record, checking the footer's offsets against the records. */
async function readXorb(path: string) {
  const bytes = await readFile(path);
  const footer = parseXorbFooter(bytes);
  const dataEnd = footer.chunkEnds.at(-1)!;
  const records = parseChunkRecords(bytes.subarray(0, dataEnd));
  assert.equal(bytes.subarray(dataEnd, dataEnd + 7).toString(), "XETBLOB", "footer starts right after the last record");
  assert.deepEqual(records.map((r) => r.offset + 8 + r.compressedLength), footer.chunkEnds);
  const chunks = records.map((r) => decodeChunkRecord(r));
  let unpacked = 0;
  assert.deepEqual(chunks.map((c) => (unpacked += c.length)), footer.unpackedEnds);
  return { bytes, footer, records, chunks };
}

/** Rebuilds a file from its terms by decoding the stored xorbs. */
async function rebuild(store: XetStore, record: XetFileRecord): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for (const term of record.terms) {
    const { chunks } = await readXorb(store.xorbInfo(term.xorb)!.path);
    const slice = chunks.slice(term.chunkStart, term.chunkEnd);
    assert.equal(slice.reduce((n, c) => n + c.length, 0), term.unpackedLength);
    parts.push(...slice);
  }
  return Buffer.concat(parts);
}

describe("XetStore", function () {
  this.timeout(60_000);
  let dir: string;
  let store: XetStore;
  let rev1: Buffer;
  let rev2: Buffer;
  let rec1: XetFileRecord;
  let rec2: XetFileRecord;
  let writtenAfterRev1: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "xet-store-test-"));
    rev1 = mixedModelBytes(6 * MiB, 1);
    // Revision 2: a 1 MiB region replaced and a little appended; everything else must dedup against revision 1.
    rev2 = Buffer.concat([rev1.subarray(0, 2 * MiB), pseudoRandomBytes(300_000, 99), rev1.subarray(3 * MiB), textBytes(200_000, 5)]);
    await writeFile(join(dir, "rev1.bin"), rev1);
    await writeFile(join(dir, "rev2.bin"), rev2);
    store = await XetStore.open({ dataDir: join(dir, "data"), xorbLimits: { maxChunks: 40 } });
    rec1 = await store.addFile(join(dir, "rev1.bin"));
    writtenAfterRev1 = store.stats().bytesWritten;
    rec2 = await store.addFile(join(dir, "rev2.bin"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("uses the Xet limits by default: 64 MiB raw and 8192 chunks per xorb", () => {
    assert.deepEqual(DEFAULT_XORB_LIMITS, { maxBytes: 64 * MiB, maxChunks: 8192 });
  });

  it("records the file id, size and sha256 the reference algorithms give", () => {
    assert.equal(rec1.size, rev1.length);
    assert.equal(rec1.sha256, createHash("sha256").update(rev1).digest("hex"));
    assert.equal(rec1.fileHash, xetHex(fileHash(getChunks(rev1))));
  });

  it("writes xorbs named by their merkle hash with a real v1 footer, cut at the chunk limit", async () => {
    const names = (await readdir(join(dir, "data", "xorbs"))).sort();
    const xorbs1 = [...new Set(rec1.terms.map((t) => t.xorb))];
    assert.ok(xorbs1.length >= 3, `expected several xorbs, got ${xorbs1.length}`);
    for (const name of names) {
      const { footer, chunks } = await readXorb(join(dir, "data", "xorbs", name));
      assert.equal(footer.hash, name);
      assert.ok(chunks.length <= 40);
      assert.equal(xetHex(xorbHash(footer.chunkHashes.map((hash, i) => ({ hash, length: chunks[i].length })))), name);
      assert.equal(footer.chunkHashes.length, chunks.length);
    }
  });

  it("every chunk decodes with lz4js to the original bytes, and all three schemes occur", async () => {
    assert.deepEqual(await rebuild(store, rec1), rev1);
    const schemes = new Set<ChunkScheme>();
    for (const xorb of new Set(rec1.terms.map((t) => t.xorb))) {
      for (const r of (await readXorb(store.xorbInfo(xorb)!.path)).records) schemes.add(r.scheme);
    }
    assert.deepEqual([...schemes].sort(), [ChunkScheme.None, ChunkScheme.LZ4, ChunkScheme.ByteGroupingLZ4]);
  });

  it("keeps the smallest encoding: random data raw, text LZ4, float32 BG4", async () => {
    const sub = await XetStore.open({ dataDir: join(dir, "kinds") });
    const expectations: Array<[string, Buffer, ChunkScheme]> = [
      ["random", pseudoRandomBytes(MiB, 3), ChunkScheme.None],
      ["text", textBytes(MiB, 3), ChunkScheme.LZ4],
      ["floats", floatBytes(MiB, 3), ChunkScheme.ByteGroupingLZ4],
    ];
    for (const [name, data, scheme] of expectations) {
      await writeFile(join(dir, `${name}.bin`), data);
      const rec = await sub.addFile(join(dir, `${name}.bin`));
      const { records } = await readXorb(sub.xorbInfo(rec.terms[0].xorb)!.path);
      assert.ok(records.every((r) => r.scheme === scheme), `${name}: ${records.map((r) => r.scheme)}`);
      if (scheme !== ChunkScheme.None) assert.ok(records.every((r) => r.compressedLength < r.uncompressedLength));
      else assert.ok(records.every((r) => r.compressedLength === r.uncompressedLength));
      assert.deepEqual(await rebuild(sub, rec), data);
    }
  });

  it("a second revision reuses the old xorbs for unchanged chunks and writes only the new ones", async () => {
    assert.deepEqual(await rebuild(store, rec2), rev2);
    const old = new Set(rec1.terms.map((t) => t.xorb));
    const reused = rec2.terms.filter((t) => old.has(t.xorb));
    const fresh = rec2.terms.filter((t) => !old.has(t.xorb));
    const reusedBytes = reused.reduce((n, t) => n + t.unpackedLength, 0);
    assert.ok(reusedBytes >= rev2.length - 1_000_000, `only ${reusedBytes} of ${rev2.length} bytes deduplicated`);
    assert.ok(fresh.length >= 1 && fresh.length <= 3, `fresh terms: ${fresh.length}`);
    const newBytes = store.stats().bytesWritten - writtenAfterRev1;
    assert.ok(newBytes > 0 && newBytes < 1_000_000, `revision 2 wrote ${newBytes} bytes`);
    // Consecutive chunks of one xorb form a single term.
    for (let i = 1; i < rec2.terms.length; i++) {
      const [a, b] = [rec2.terms[i - 1], rec2.terms[i]];
      assert.ok(a.xorb !== b.xorb || a.chunkEnd !== b.chunkStart, `terms ${i - 1} and ${i} should have been one`);
    }
  });

  it("adding the same content again returns the same record and writes nothing", async () => {
    const before = { ...store.stats(), names: await readdir(join(dir, "data", "xorbs")) };
    await writeFile(join(dir, "copy.bin"), rev1);
    const again = await store.addFile(join(dir, "copy.bin"));
    assert.equal(again, rec1);
    assert.deepEqual({ ...store.stats(), names: await readdir(join(dir, "data", "xorbs")) }, before);
  });

  it("handles the empty file and a file smaller than one chunk", async () => {
    await writeFile(join(dir, "empty.bin"), "");
    const empty = await store.addFile(join(dir, "empty.bin"));
    assert.deepEqual(empty, {
      fileHash: "0".repeat(64),
      size: 0,
      sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      terms: [],
    });
    const text = Buffer.from("Hello from a tiny local Xet CAS!\nThis file is one xorb, one chunk, scheme 0.\n");
    await writeFile(join(dir, "tiny.txt"), text);
    const tiny = await store.addFile(join(dir, "tiny.txt"));
    assert.equal(tiny.fileHash, "41f8606dd83486bd5ed4399c2368153eb7a55eb28b062d8ef3c328ce1ebd27c1");
    assert.deepEqual(tiny.terms, [{ xorb: "7e928a5378fea044d1c3e880efbf92c689124155861e2d0bdccd3b7d0e951815", chunkStart: 0, chunkEnd: 1, unpackedLength: 77 }]);
    assert.deepEqual(await rebuild(store, tiny), text);
  });

  it("deduplicates repeated content inside one file", async () => {
    const block = pseudoRandomBytes(2 * MiB, 42);
    await writeFile(join(dir, "twice.bin"), Buffer.concat([block, block]));
    const before = store.stats().bytesWritten;
    const rec = await store.addFile(join(dir, "twice.bin"));
    const written = store.stats().bytesWritten - before;
    assert.ok(written < 2.3 * MiB, `a doubled 2 MiB file wrote ${written} bytes`);
    assert.deepEqual(await rebuild(store, rec), Buffer.concat([block, block]));
  });

  it("gives the same record whatever the read block size (chunks spanning blocks are rebuilt exactly)", async () => {
    for (const readBlockBytes of [1000, 65_536, 131_073, 1_000_000]) {
      const other = await XetStore.open({ dataDir: join(dir, `blocks-${readBlockBytes}`), xorbLimits: { maxChunks: 40 }, readBlockBytes });
      const rec = await other.addFile(join(dir, "rev1.bin"));
      assert.deepEqual(rec, rec1, `readBlockBytes ${readBlockBytes}`);
      assert.deepEqual(await rebuild(other, rec), rev1);
    }
  });

  it("cuts xorbs at the raw-byte limit too", async () => {
    const small = await XetStore.open({ dataDir: join(dir, "small"), xorbLimits: { maxBytes: 600_000 } });
    await writeFile(join(dir, "cut.bin"), pseudoRandomBytes(3 * MiB, 8));
    const rec = await small.addFile(join(dir, "cut.bin"));
    for (const xorb of new Set(rec.terms.map((t) => t.xorb))) {
      assert.ok(small.xorbInfo(xorb)!.unpackedEnds.at(-1)! <= 600_000);
    }
    assert.ok(new Set(rec.terms.map((t) => t.xorb)).size >= 5);
  });

  it("a re-opened data dir indexes its xorbs, so old chunks dedup and nothing is rewritten", async () => {
    const reopened = await XetStore.open({ dataDir: join(dir, "data"), xorbLimits: { maxChunks: 40 } });
    assert.equal(reopened.stats().xorbs, store.stats().xorbs);
    const rec = await reopened.addFile(join(dir, "rev2.bin"));
    assert.deepEqual(rec, rec2);
    assert.equal(reopened.stats().bytesWritten, 0);
    const info = reopened.xorbInfo(rec.terms[0].xorb)!;
    const chunks: Buffer[] = [];
    for await (const piece of reopened.openXorbRange(info.hash, 0, info.chunkEnds[0] - 1)) chunks.push(piece);
    assert.deepEqual(decodeChunkRecord(parseChunkRecords(Buffer.concat(chunks))[0]), rev2.subarray(0, info.unpackedEnds[0]));
  });

  it("a file that shrinks while being added fails cleanly; xorbs sealed before the failure are reused", async () => {
    const partial = await XetStore.open({ dataDir: join(dir, "partial"), xorbLimits: { maxChunks: 4 }, readBlockBytes: 16_384 });
    const content = pseudoRandomBytes(8 * MiB, 77);
    const path = join(dir, "shrinking.bin");
    await writeFile(path, content);
    const adding = partial.addFile(path);
    const xorbDir = join(dir, "partial", "xorbs");
    while (!(await readdir(xorbDir)).some((n) => /^[0-9a-f]{64}$/.test(n))) await new Promise((r) => setImmediate(r));
    await truncate(path, 1000);
    await assert.rejects(adding, /Could not add .*shrinking\.bin to the Xet store: .*changed while being added/);
    assert.ok((await readdir(xorbDir)).every((n) => !n.startsWith(".tmp")), "no temporary xorb left");
    const sealed = partial.stats();
    assert.ok(sealed.xorbs >= 1 && sealed.files === 0);
    await writeFile(path, content);
    const rec = await partial.addFile(path);
    assert.deepEqual(await rebuild(partial, rec), content);
    const rewritten = partial.stats().bytesWritten - sealed.bytesWritten;
    assert.ok(rewritten < content.length, `the retry rewrote ${rewritten} bytes although ${sealed.bytesWritten} were stored`);
    assert.ok(rewritten + sealed.bytesWritten < content.length * 1.01 + 100_000);
  });

  it("reports a missing file with its path and leaves no temporary xorb behind", async () => {
    await assert.rejects(store.addFile(join(dir, "nope.bin")), (err: Error) => err.message.includes("nope.bin"));
    assert.ok((await readdir(join(dir, "data", "xorbs"))).every((n) => !n.startsWith(".tmp")));
    assert.throws(() => store.openXorbRange("f".repeat(64), 0, 1), /Unknown xorb/);
    const any = rec1.terms[0].xorb;
    assert.throws(() => store.openXorbRange(any, 0, store.xorbInfo(any)!.objectSize), /outside xorb/);
  });
});
