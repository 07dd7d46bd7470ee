// Cancel and resume on the LFS route: a cancel kills git-lfs, ends in `cancelled`, writes no record and
// keeps partial objects; the next run fetches only what is missing, with Range requests.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { download } from "../../src/core/download/service";
import { readRecord } from "../../src/core/library/metadata";
import { lfsObjectPath, lfsPartPath } from "../../src/core/lfs/objects";
import { bytesEvents, collect, gitStatus, lfsObjectRequests, sameBytes, sizeOr0, sourceFiles, useServiceTestbed } from "./download-helpers";
import { rejectsWithCode } from "../helpers/assertions";

describe("download cancel and resume (LFS)", function () {
  this.timeout(60_000);
  // Slow enough that a cancel lands mid-transfer: ~6.5 MB of LFS objects at 1.5 MB/s in total.
  const bed = useServiceTestbed({ prefix: "hf-resume-", slow: { latencyMs: 20, perConnectionBytesPerSecond: 750_000, totalBytesPerSecond: 1_500_000 } });

  it("git-lfs: cancel mid-download → `cancelled`, no record, partial objects kept; the rerun fetches only the rest", async () => {
    const repo = "demo/quantized-gguf";
    const sources = sourceFiles(bed.hub, repo);
    const lfs = [...sources.entries()].filter(([, s]) => s.lfsOid);
    bed.hub.setFault("slow", true);
    const ac = new AbortController();
    let finished: string | undefined;
    const first = collect();
    await rejectsWithCode(
      download({ repo, modelsDir: bed.models.path, endpoint: bed.hub.url, lfsConnections: 0 }, {
        env: bed.home.env,
        signal: ac.signal,
        onProgress: (e) => {
          first.onProgress(e);
          // Cancel as soon as the first LFS file is complete: the others are then mid-transfer.
          if (e.type === "file-done" && e.path.endsWith(".gguf") && !finished) {
            finished = e.path;
            ac.abort();
          }
        },
      }),
      "cancelled",
    );
    assert.ok(finished, "one LFS file finished before the cancel");
    const dir = join(bed.models.path, "demo", "quantized-gguf");
    assert.equal(await readRecord(dir), undefined, "no record claims completion");
    assert.ok(!existsSync(join(dir, ".hf-models.json")));

    const gitDir = join(dir, ".git");
    // Another object may have completed in the moment between the cancel and git-lfs' end: it counts as stored.
    const stored = new Set(lfs.filter(([, s]) => existsSync(lfsObjectPath(gitDir, s.lfsOid!))).map(([, s]) => s.lfsOid!));
    assert.ok(stored.has(sources.get(finished)!.lfsOid!), "the finished file's object is in the store");
    const partial = new Map<string, number>();
    for (const [, s] of lfs) if (!stored.has(s.lfsOid!)) partial.set(s.lfsOid!, await sizeOr0(lfsPartPath(gitDir, s.lfsOid!)));
    assert.ok([...partial.values()].some((n) => n > 0), `partial objects were kept: ${JSON.stringify([...partial])}`);
    // git-lfs really stopped: nothing grows any more, and no temporary download file is left unclaimed.
    const before = JSON.stringify(await readdir(join(gitDir, "lfs", "incomplete")));
    await new Promise((r) => setTimeout(r, 400));
    const after = await readdir(join(gitDir, "lfs", "incomplete"));
    assert.equal(JSON.stringify(after), before);
    assert.ok(after.every((n) => n.endsWith(".part")), JSON.stringify(after));
    for (const [oid, size] of partial) assert.equal(await sizeOr0(lfsPartPath(gitDir, oid)), size);
    const requestsBefore = lfsObjectRequests(bed.hub).length;
    assert.equal(requestsBefore, lfs.length, "the first run had started every object");

    bed.hub.setFault("slow", false);
    bed.hub.resetLog();
    const second = collect();
    const result = await download({ repo, modelsDir: bed.models.path, endpoint: bed.hub.url, lfsConnections: 0 }, { env: bed.home.env, onProgress: second.onProgress });
    for (const [path, s] of sources) assert.ok(await sameBytes(join(dir, path), s.source), `${path} is byte-exact`);
    const requests = lfsObjectRequests(bed.hub);
    assert.ok(!requests.some((r) => stored.has(r.oid)), "no stored object was fetched again");
    let expectedTransfer = 0;
    for (const [oid, part] of partial) {
      const size = lfs.find(([, s]) => s.lfsOid === oid)![1].size;
      const req = requests.filter((r) => r.oid === oid);
      assert.equal(req.length, 1);
      if (part > 0) assert.deepEqual([req[0]!.range, req[0]!.status], [`bytes=${part}-${size - 1}`, 206], "resumed with a Range request");
      expectedTransfer += size - part;
    }
    assert.equal(result.bytesTransferred, expectedTransfer, "only the missing bytes came over the network");
    // The rerun's progress starts from what was already on disk and still ends at the total.
    const bytes = bytesEvents(second.events);
    const total = [...sources.values()].reduce((s, f) => s + f.size, 0);
    const small = [...sources.values()].filter((s) => !s.lfsOid).reduce((a, s) => a + s.size, 0);
    assert.ok(bytes[0]!.doneBytes > 0 && bytes[0]!.doneBytes <= total - expectedTransfer, `first event ${bytes[0]!.doneBytes}`);
    assert.ok(bytes.some((b) => b.doneBytes >= total - expectedTransfer - small), "resumed bytes count as done before new bytes arrive");
    assert.equal(bytes.at(-1)!.doneBytes, total);
    // Where it resumed: the partial objects' bytes; and what came over the network is exactly the rest.
    const resumedAt = [...partial.values()].reduce((a, n) => a + n, 0);
    assert.equal(bytes.at(-1)!.resumedBytes, resumedAt);
    assert.equal(bytes.at(-1)!.fetchedBytes, expectedTransfer);
    assert.equal((await readRecord(dir))?.files.length, sources.size);
    assert.equal(gitStatus(dir, bed.home.env), "");
  });

  it("a cancel during the clone leaves no half-made clone that blocks the next run", async () => {
    bed.hub.setFault("slow", true);
    const ac = new AbortController();
    await rejectsWithCode(
      download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url }, {
        env: bed.home.env,
        signal: ac.signal,
        onProgress: (e) => e.type === "stage" && e.stage === "cloning" && ac.abort(),
      }),
      "cancelled",
    );
    bed.hub.setFault("slow", false);
    const result = await download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env });
    for (const [path, s] of sourceFiles(bed.hub, "demo/tiny-model")) assert.ok(await sameBytes(join(result.path, path), s.source), path);
  });
});
