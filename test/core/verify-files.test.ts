// The LFS route's last check before anything is recorded: many files at once, yet results and errors as if checked
// one by one in the listing's order (the route names the failing file from what `onFile` saw).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RepoFileEntry } from "../../src/core/hub/api";
import { verifyFiles } from "../../src/core/util/verifyFiles";
import { tempDir } from "../helpers/hub";

const blobOid = (bytes: Buffer) => createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");

describe("verifyFiles", () => {
  let dir: { path: string; cleanup(): Promise<void> };
  let files: RepoFileEntry[];

  beforeEach(async () => {
    dir = await tempDir("hf-verify-");
    files = [];
    for (let i = 0; i < 40; i++) {
      const bytes = Buffer.from(`file ${i}\n`.repeat(i + 1));
      await writeFile(join(dir.path, `f${i}.txt`), bytes);
      files.push({ path: `f${i}.txt`, size: bytes.length, blobOid: blobOid(bytes) });
    }
  });
  afterEach(() => dir.cleanup());

  it("returns one record per file, in the listing's order, each with its git blob id", async () => {
    const seen: string[] = [];
    const records = await verifyFiles({ modelDir: dir.path, files, onFile: (f) => seen.push(f.path) });
    assert.deepEqual(records.map((r) => [r.path, r.hash, r.hashKind]), files.map((f) => [f.path, f.blobOid, "git-sha1"]));
    assert.deepEqual([...seen].sort(), files.map((f) => f.path).sort());
  });

  it("names the first damaged file in the listing's order, after every file before it was seen good", async () => {
    // f1 is large and takes a while to hash; f5, checked at the same time, fails at once (missing).
    const big = Buffer.alloc(16 * 1024 * 1024, 7);
    files[1] = { path: "f1.txt", size: big.length, blobOid: blobOid(big) };
    big[big.length - 1] ^= 1;
    await writeFile(join(dir.path, "f1.txt"), big);
    await rm(join(dir.path, "f5.txt"));
    const seen = new Set<string>();
    await assert.rejects(verifyFiles({ modelDir: dir.path, files, onFile: (f) => seen.add(f.path) }), (err: Error & { code?: string }) => {
      assert.equal(err.code, "integrity");
      assert.match(err.message, /^Integrity check failed for f1\.txt: its git blob id is [0-9a-f]{40}, expected /);
      return true;
    });
    assert.equal(files.find((f) => !seen.has(f.path))?.path, "f1.txt");
  });

  it("says cancelled, not damaged, when the download is cancelled while it checks", async () => {
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(verifyFiles({ modelDir: dir.path, files, signal: abort.signal }), (err: Error & { code?: string }) => err.code === "cancelled");
  });
});
