// Storage in the standard Hugging Face cache, both routes: blobs named by content hash, relative snapshot links,
// refs, locks folder, no staging and no second copy left; an update fetches only what changed (request log), the
// old snapshot stays intact; a cancelled download resumes from its partials.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { lstat, mkdir, readdir, readFile, readlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { download } from "../../src/core/download/service";
import type { DownloadMethod, ProgressEvent } from "../../src/core/download/types";
import { deleteCacheRevision } from "../../src/core/storage/cacheRevisions";
import { STAGING_DIR, verifyCacheSnapshot } from "../../src/core/storage/hfCache";
import { mixedModelBytes, pseudoRandomBytes } from "../../hub/xet/sampleData";
import { lfsObjectRequests, TOKEN, useServiceTestbed } from "./download-helpers";
import { listingOf, xorbBytes } from "./xet-engine-fixture";

const REPO = "cache/update";
const FOLDER = "models--cache--update";

describe("hfCache storage: the standard Hugging Face cache layout on both routes", function () {
  this.timeout(180_000);
  const bed = useServiceTestbed({
    prefix: "hf-cache-",
    tokens: [TOKEN],
    sources: async (work) => {
      const base = mixedModelBytes(8 * 1024 * 1024, 41);
      const changed = Buffer.from(base);
      changed.write("revision 2 header", 0);
      pseudoRandomBytes(64 * 1024, 42).copy(changed, 4 * 1024 * 1024);
      const same = mixedModelBytes(2 * 1024 * 1024, 43);
      const dirs = [join(work, "v1"), join(work, "v2")];
      for (const [i, dir] of dirs.entries()) {
        await mkdir(join(dir, "sub"), { recursive: true });
        await writeFile(join(dir, "weights.bin"), i === 0 ? base : changed);
        await writeFile(join(dir, "sub", "same.bin"), same);
        await writeFile(join(dir, "config.json"), `{"revision": ${i + 1}}\n`);
      }
      return [{ id: REPO, revisions: [{ dir: dirs[0]!, message: "one", branch: "v1" }, { dir: dirs[1]!, message: "two" }] }];
    },
  });

  const cacheOf = () => join(bed.models.path, "hub");
  const run = (method: DownloadMethod, revision: string, extra: { signal?: AbortSignal; onProgress?: (e: ProgressEvent) => void } = {}) =>
    download(
      { repo: REPO, revision, method, fallbackToLfs: false, modelsDir: join(bed.models.path, "folder"), storage: "hfCache", cacheDir: cacheOf(), endpoint: bed.hub.url, token: TOKEN },
      { env: bed.home.env, xetEngine: { chunkMapDir: join(bed.models.path, "maps"), minChunkMapBytes: 1024 * 1024 }, ...extra },
    );

  /** Regular files under the repo folder (relative), with their link counts. */
  async function regularFiles(dir: string, prefix = ""): Promise<Array<{ path: string; nlink: number; ino: number }>> {
    const out: Array<{ path: string; nlink: number; ino: number }> = [];
    for (const name of await readdir(join(dir, prefix))) {
      const rel = prefix ? `${prefix}/${name}` : name;
      const info = await lstat(join(dir, rel));
      if (info.isDirectory()) out.push(...(await regularFiles(dir, rel)));
      else if (info.isFile()) out.push({ path: rel, nlink: info.nlink, ino: info.ino });
    }
    return out;
  }

  async function assertLayout(revision: string, branch: string): Promise<string> {
    const repoDir = join(cacheOf(), FOLDER);
    const { commit, files } = listingOf(bed.hub, REPO, revision);
    assert.equal((await readFile(join(repoDir, "refs", branch), "utf8")).trim(), commit, `refs/${branch} names the commit`);
    for (const f of files) {
      const pointer = join(repoDir, "snapshots", commit, ...f.path.split("/"));
      const hash = f.lfs ? f.lfs.oid : f.blobOid;
      assert.ok((await lstat(pointer)).isSymbolicLink(), `${f.path} is a symlink`);
      const depth = f.path.split("/").length;
      assert.equal(await readlink(pointer), `${"../".repeat(depth + 1)}blobs/${hash}`, `${f.path} links relatively to its blob`);
      assert.ok((await readFile(pointer)).equals(await readFile(bed.hub.ctx.repos.get(REPO)!.commits.get(commit)!.files.get(f.path)!.source)), `${f.path} is byte-exact`);
    }
    const regular = await regularFiles(repoDir);
    assert.deepEqual(regular.filter((r) => !r.path.startsWith("blobs/") && !r.path.startsWith("refs/")).map((r) => r.path), [], "no file outside blobs (no staging, no git objects)");
    assert.ok(regular.filter((r) => r.path.startsWith("blobs/")).every((r) => r.nlink === 1), `each blob is its only link: ${JSON.stringify(regular)}`);
    assert.ok(!(await lstat(join(repoDir, STAGING_DIR)).catch(() => undefined)), "staging removed");
    assert.ok((await lstat(join(cacheOf(), ".locks", FOLDER))).isDirectory(), "locks folder as huggingface_hub names it");
    return commit;
  }

  for (const method of ["lfs", "xet"] as const) {
    it(`${method}: writes blobs, relative snapshot links and refs, one copy on disk, and an update fetches only what changed`, async () => {
      const first = await run(method, "v1");
      assert.equal(first.method, method);
      const v1 = await assertLayout("v1", "v1");
      assert.equal(first.path, join(cacheOf(), FOLDER, "snapshots", v1));
      const fullXorb = xorbBytes(bed.hub);
      bed.hub.resetLog();

      const second = await run(method, "main");
      await assertLayout("main", "main");
      await assertLayout("v1", "v1"); // the old snapshot still resolves, byte-exact
      const weights = listingOf(bed.hub, REPO, "main").files.find((f) => f.path === "weights.bin")!;
      const same = listingOf(bed.hub, REPO, "main").files.find((f) => f.path === "sub/same.bin")!;
      if (method === "lfs") {
        const oids = lfsObjectRequests(bed.hub).map((r) => r.oid);
        assert.deepEqual([...new Set(oids)], [weights.lfs!.oid], "only the changed file's object was fetched");
      } else {
        const fetched = xorbBytes(bed.hub);
        assert.ok(fetched < 0.05 * fullXorb, `update fetched ${fetched} xorb bytes, the first download ${fullXorb}`);
        assert.ok(second.bytesTransferred < 0.1 * weights.size, `bytes received ${second.bytesTransferred}`);
        assert.ok(!bed.hub.ctx.log.some((e) => e.path.includes(encodeURIComponent(same.path)) || e.path.includes(same.path)), "the unchanged file was not asked for");
      }
    });
  }

  it("xet: a cancelled download resumes from its partial in the staging folder", async () => {
    const ac = new AbortController();
    await assert.rejects(
      run("xet", "main", { signal: ac.signal, onProgress: (e) => void (e.type === "bytes" && e.doneBytes > 2 * 1024 * 1024 && ac.abort()) }),
      (err: Error & { code?: string }) => err.code === "cancelled",
    );
    const staging = join(cacheOf(), FOLDER, STAGING_DIR);
    assert.ok((await lstat(staging)).isDirectory(), "the staging folder stays for the resume");
    const result = await run("xet", "main");
    assert.ok(result.bytesTransferred < result.totalBytes, `resumed: ${result.bytesTransferred} of ${result.totalBytes} bytes fetched again`);
    await assertLayout("main", "main");
  });

  it("xet with the CAS down falls back to Git LFS into the cache: same layout, one copy, the reason reported", async () => {
    bed.hub.setFault("cas-unavailable", true);
    try {
      const result = await download(
        { repo: REPO, revision: "main", method: "xet", modelsDir: join(bed.models.path, "folder"), storage: "hfCache", cacheDir: cacheOf(), endpoint: bed.hub.url, token: TOKEN },
        { env: bed.home.env },
      );
      assert.equal(result.method, "lfs");
      assert.equal(result.fallbackReason, "the CAS answered 503 for reconstructions");
      assert.equal(result.path, join(cacheOf(), FOLDER, "snapshots", await assertLayout("main", "main")));
    } finally {
      bed.hub.setFault("cas-unavailable", false);
    }
  });

  it("deleting a revision frees only the blobs no other snapshot uses, with its refs; the last one takes the model folder", async () => {
    await run("lfs", "v1");
    const main = await run("lfs", "main");
    const repoDir = join(cacheOf(), FOLDER);
    const v1 = (await readFile(join(repoDir, "refs", "v1"), "utf8")).trim();
    const blobsBefore = (await readdir(join(repoDir, "blobs"))).sort();
    const shared = listingOf(bed.hub, REPO, "main").files.find((f) => f.path === "sub/same.bin")!;
    const v1Only = listingOf(bed.hub, REPO, "v1").files.filter((f) => !listingOf(bed.hub, REPO, "main").files.some((m) => m.path === f.path && (m.lfs?.oid ?? m.blobOid) === (f.lfs?.oid ?? f.blobOid)));
    assert.ok(v1Only.length > 0);

    const gone = await deleteCacheRevision({ repoDir, commit: v1 });
    assert.deepEqual(gone.refs, ["v1"]);
    assert.equal(gone.freedBytes, v1Only.reduce((n, f) => n + f.size, 0), "exactly the blobs only v1 used were freed");
    const blobsAfter = (await readdir(join(repoDir, "blobs"))).sort();
    assert.equal(blobsAfter.length, blobsBefore.length - v1Only.length);
    assert.ok(blobsAfter.includes(shared.lfs?.oid ?? shared.blobOid), "the blob main shares with v1 stays");
    assert.deepEqual(await verifyCacheSnapshot({ repoDir, commit: main.commit }), [], "main still verifies");
    assert.deepEqual(await readdir(join(repoDir, "snapshots")), [main.commit]);

    await deleteCacheRevision({ repoDir, commit: main.commit });
    assert.ok(!existsSync(repoDir), "the model folder went with its last snapshot");
  });
});
