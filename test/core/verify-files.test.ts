// The LFS route's last check before anything is recorded: many files at once, yet results and errors as if checked
// one by one in the listing's order (the route names the failing file from what `onFile` saw).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { rm, symlink, writeFile } from "node:fs/promises";
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

  it("finds a changed byte and a symbolic link among small files, which are read whole rather than streamed", async () => {
    const changed = Buffer.from(`file 3\n`.repeat(4));
    changed[0] = "F".charCodeAt(0);
    await writeFile(join(dir.path, "f3.txt"), changed);
    await assert.rejects(verifyFiles({ modelDir: dir.path, files }), /^DownloadError: Integrity check failed for f3\.txt: its git blob id is [0-9a-f]{40}, expected /);
    await writeFile(join(dir.path, "f3.txt"), `file 3\n`.repeat(4));
    await rm(join(dir.path, "f7.txt"));
    await symlink(join(dir.path, "f6.txt"), join(dir.path, "f7.txt"));
    await assert.rejects(verifyFiles({ modelDir: dir.path, files }), /Integrity check failed for f7\.txt: it is a symbolic link, not the downloaded file/);
  });

  it("lets the event loop run while it checks thousands of small files", async () => {
    for (let i = 40; i < 3000; i++) {
      const bytes = Buffer.from(`small ${i}\n`);
      await writeFile(join(dir.path, `f${i}.txt`), bytes);
      files.push({ path: `f${i}.txt`, size: bytes.length, blobOid: blobOid(bytes) });
    }
    let turns = 0;
    const tick = (): void => {
      turns++;
      timer = setImmediate(tick);
    };
    let timer = setImmediate(tick);
    try {
      assert.equal((await verifyFiles({ modelDir: dir.path, files })).length, 3000);
    } finally {
      clearImmediate(timer);
    }
    assert.ok(turns > 0, "the checks held the event loop from start to end");
  });

  it("says cancelled, not damaged, when the download is cancelled while it checks", async () => {
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(verifyFiles({ modelDir: dir.path, files, signal: abort.signal }), (err: Error & { code?: string }) => err.code === "cancelled");
  });
});
