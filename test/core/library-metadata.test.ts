// The download record: round-trip, validation, and atomic replacement (readers never see half a file,
// failures leave the previous record and no temporary files behind).
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DownloadError } from "../../src/core/errors";
import { RECORD_FILE } from "../../src/core/layout";
import { readRecord, writeRecord, type ModelRecord } from "../../src/core/library/metadata";
import { rejectsWithCode } from "../helpers/assertions";

function sampleRecord(overrides: Partial<ModelRecord> = {}): ModelRecord {
  return {
    version: 1,
    repo: "demo/tiny-model",
    revision: "main",
    commit: "0123456789abcdef0123456789abcdef01234567",
    method: "xet",
    endpoint: "https://huggingface.co",
    files: [
      { path: "config.json", size: 12, hash: "a".repeat(40), hashKind: "git-sha1" },
      { path: "model.safetensors", size: 3_000_000, hash: "b".repeat(64), hashKind: "sha256" },
    ],
    completedAt: "2025-01-02T03:04:05.000Z",
    ...overrides,
  };
}

describe("library metadata record", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "hf-record-test-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("round-trips exactly and is readable JSON at .hf-models.json", async () => {
    const record = sampleRecord();
    await writeRecord(dir, record);
    assert.deepEqual(await readRecord(dir), record);
    assert.deepEqual(JSON.parse(await readFile(join(dir, RECORD_FILE), "utf8")), record);
    assert.deepEqual(await readdir(dir), [RECORD_FILE], "no temporary files left");
  });

  it("returns undefined when there is no record", async () => {
    assert.equal(await readRecord(dir), undefined);
  });

  it("replaces an old record entirely", async () => {
    await writeRecord(dir, sampleRecord({ files: Array.from({ length: 200 }, (_, i) => ({ path: `f${i}`, size: i, hash: "c".repeat(64), hashKind: "sha256" as const })) }));
    const small = sampleRecord({ commit: "f".repeat(40), files: [] });
    await writeRecord(dir, small);
    assert.deepEqual(await readRecord(dir), small);
  });

  it("readers running alongside repeated writes always see a complete record", async () => {
    const big = (n: number) => sampleRecord({ commit: String(n % 10).repeat(40), files: Array.from({ length: 2000 }, (_, i) => ({ path: `dir/file-${n}-${i}.bin`, size: i, hash: "d".repeat(64), hashKind: "sha256" as const })) });
    await writeRecord(dir, big(0));
    let stop = false;
    let reads = 0;
    const reader = (async () => {
      while (!stop) {
        const r = await readRecord(dir); // throws on a torn file
        assert.equal(r!.files.length, 2000);
        reads++;
      }
    })();
    for (let n = 1; n <= 30; n++) await writeRecord(dir, big(n));
    stop = true;
    await reader;
    assert.ok(reads > 0);
    assert.equal((await readRecord(dir))!.files[0]!.path, "dir/file-30-0.bin");
    assert.deepEqual(await readdir(dir), [RECORD_FILE]);
  });

  it("a failed write keeps no temporary file and reports not-writable / internal", async () => {
    await mkdir(join(dir, RECORD_FILE)); // a folder where the record should go: rename must fail
    await assert.rejects(writeRecord(dir, sampleRecord()), (err: unknown) => err instanceof DownloadError && /Cannot write .*\.hf-models\.json/.test(err.message));
    assert.deepEqual(await readdir(dir), [RECORD_FILE]);
    await rejectsWithCode(writeRecord(join(dir, "missing-folder"), sampleRecord()), "internal");
  });

  it("refuses to write an invalid record", async () => {
    await assert.rejects(writeRecord(dir, { ...sampleRecord(), method: "ftp" } as unknown as ModelRecord), /invalid download record \("method" must be "lfs" or "xet"\)/);
    assert.deepEqual(await readdir(dir), []);
  });

  for (const [label, text, pattern] of [
    ["broken JSON", "{\"version\": 1,", /is not valid JSON/],
    ["a future version", JSON.stringify({ ...sampleRecord(), version: 2 }), /unsupported version 2/],
    ["a file without hashKind", JSON.stringify({ ...sampleRecord(), files: [{ path: "x", size: 1, hash: "y" }] }), /unknown hashKind/],
    ["a missing commit", JSON.stringify({ ...sampleRecord(), commit: undefined }), /"commit" is missing/],
  ] as const) {
    it(`reading a record with ${label} fails with a clear message`, async () => {
      await writeFile(join(dir, RECORD_FILE), text);
      await rejectsWithCode(readRecord(dir), "internal", pattern);
    });
  }
});
