// "Make Available to Python" in core (issue 16, item 2): a folder model's files become blobs of the standard cache
// by hard links (same inodes, no second copy), with snapshot links and the ref; a changed file refuses; another
// filesystem refuses unless copies are asked for. The reference client's view of it is in test/hub/python-cache.test.ts.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { appendFile, lstat, mkdtemp, readdir, readFile, readlink, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { download } from "../../src/core/download/service";
import { cacheRepoDir } from "../../src/core/storage/hfCache";
import { linkModelIntoCache } from "../../src/core/storage/linkToCache";
import { rejectsWithCode } from "../helpers/assertions";
import { tempDir } from "../helpers/files";
import { sameBytes, sourceFiles, useServiceTestbed } from "./download-helpers";

const REPO = "demo/two-revisions";

describe("linkModelIntoCache (Make Available to Python)", function () {
  this.timeout(60_000);
  const bed = useServiceTestbed({ prefix: "hf-link-" });

  const downloaded = () => download({ repo: REPO, modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env });

  it("hard-links every file into the cache as a blob, with relative snapshot links and refs/main: no second copy", async () => {
    const result = await downloaded();
    const cache = await tempDir("hf-link-cache-");
    try {
      const linked = await linkModelIntoCache({ modelDir: result.path, cacheDir: cache.path });
      const repoDir = cacheRepoDir(cache.path, { id: REPO });
      assert.equal(linked.snapshot, join(repoDir, "snapshots", result.commit));
      assert.deepEqual([linked.linked, linked.copied], [result.files.length, 0]);
      assert.equal((await readFile(join(repoDir, "refs", "main"), "utf8")).trim(), result.commit);
      for (const [path, s] of sourceFiles(bed.hub, REPO)) {
        const pointer = join(linked.snapshot, ...path.split("/"));
        assert.ok((await lstat(pointer)).isSymbolicLink(), `${path} is a link in the snapshot`);
        assert.match(await readlink(pointer), /^(\.\.\/)+blobs\/[0-9a-f]{40,64}$/, `${path} points into blobs/ relatively`);
        assert.equal((await stat(pointer)).ino, (await stat(join(result.path, ...path.split("/")))).ino, `${path} shares its inode with the folder's file`);
        assert.ok(await sameBytes(pointer, s.source), `${path} is byte-exact`);
      }
      assert.deepEqual((await readdir(repoDir)).filter((n) => n.startsWith(".hf-models")), [], "no staging left");
      // Twice is harmless.
      assert.equal((await linkModelIntoCache({ modelDir: result.path, cacheDir: cache.path })).snapshot, linked.snapshot);
    } finally {
      await cache.cleanup();
    }
  });

  it("refuses when a file changed since the download, and writes nothing", async () => {
    const result = await downloaded();
    await appendFile(join(result.path, "config.json"), " ");
    const cache = await tempDir("hf-link-cache-");
    try {
      await rejectsWithCode(linkModelIntoCache({ modelDir: result.path, cacheDir: cache.path }), "integrity", /config\.json changed or went missing since the download\. Repair the model first\./);
      assert.ok(!existsSync(cacheRepoDir(cache.path, { id: REPO })) || !existsSync(join(cacheRepoDir(cache.path, { id: REPO }), "snapshots")), "no snapshot");
    } finally {
      await cache.cleanup();
    }
  });

  it("on another filesystem: `cross-device` and nothing copied, unless copies are asked for", async () => {
    const result = await downloaded();
    const other = await mkdtemp("/dev/shm/hf-link-cache-");
    try {
      assert.notEqual((await stat(other)).dev, (await stat(result.path)).dev, "/dev/shm must be another filesystem for this test");
      await rejectsWithCode(linkModelIntoCache({ modelDir: result.path, cacheDir: other }), "cross-device", /on another filesystem/);
      assert.ok(!existsSync(join(cacheRepoDir(other, { id: REPO }), "snapshots")), "nothing was written");
      const copied = await linkModelIntoCache({ modelDir: result.path, cacheDir: other, copy: true });
      assert.deepEqual([copied.linked, copied.copied], [0, result.files.length]);
      assert.equal(copied.copiedBytes, result.files.reduce((n, f) => n + f.size, 0));
      for (const [path, s] of sourceFiles(bed.hub, REPO)) assert.ok(await sameBytes(join(copied.snapshot, ...path.split("/")), s.source), path);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
