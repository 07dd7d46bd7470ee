// Issue 13, M4: an interrupted download leaves a note of what it asked for (route, revision, selection) beside the
// record's place; Resume from that note continues on the same route and revision with the same files, keeping the
// Xet partials, so only the rest is fetched. The note goes when the record is written.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { download } from "../../src/core/download/service";
import { listLocalModels } from "../../src/core/library/index";
import { pendingPath, readPending, readRecord } from "../../src/core/library/metadata";
import { PARTIAL_DIR } from "../../src/core/layout";
import { rejectsWithCode } from "../helpers/assertions";
import { bytesEvents, collect, sameBytes, sizeOr0, sourceFiles, useServiceTestbed } from "./download-helpers";

describe("Resume continues the interrupted run (issue 13, M4)", function () {
  this.timeout(90_000);
  const bed = useServiceTestbed({ prefix: "hf-pending-", slow: { latencyMs: 20, perConnectionBytesPerSecond: 600_000, totalBytesPerSecond: 1_000_000 } });
  const repo = "demo/two-revisions";
  const include = ["model.safetensors", "config.json"];

  it("a Xet download of revision v1 cancelled mid-way resumes with Xet, v1 and the same selection, fetching only the rest", async () => {
    const dir = join(bed.models.path, "demo", "two-revisions");
    const sources = sourceFiles(bed.hub, repo, "v1");
    const total = include.reduce((n, p) => n + sources.get(p)!.size, 0);
    bed.hub.setFault("slow", true);
    const ac = new AbortController();
    let cancelledAt = 0;
    await rejectsWithCode(
      download({ repo, revision: "v1", include, method: "xet", fallbackToLfs: false, modelsDir: bed.models.path, endpoint: bed.hub.url }, {
        env: bed.home.env,
        signal: ac.signal,
        onProgress: (e) => {
          if (e.type === "bytes" && e.doneBytes > total * 0.35 && !cancelledAt) {
            cancelledAt = e.doneBytes;
            ac.abort();
          }
        },
      }),
      "cancelled",
    );
    assert.ok(cancelledAt > 0);
    assert.equal(await readRecord(dir), undefined);
    const pending = await readPending(dir);
    assert.ok(pending, `${pendingPath(dir)} was written`);
    assert.deepEqual([pending.repo, pending.revision, pending.method, pending.include], [repo, "v1", "xet", include]);
    assert.equal(pending.commit, bed.hub.ctx.repos.get(repo)!.branches.get("v1"));
    const [listed] = await listLocalModels(bed.models.path);
    assert.deepEqual(listed?.pending, pending, "the library hands the note to the tree");
    const partials = await readdir(join(dir, PARTIAL_DIR));
    let partialBytes = 0;
    for (const name of partials) partialBytes += await sizeOr0(join(dir, PARTIAL_DIR, name));
    assert.ok(partialBytes > 0, "Xet partials were kept by the cancel");

    // Resume, as the tree's item runs it: from the note.
    bed.hub.setFault("slow", false);
    bed.hub.resetLog();
    const second = collect();
    const result = await download({ repo, revision: pending.revision, include: pending.include, exclude: pending.exclude, method: pending.method, fallbackToLfs: false, modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env, onProgress: second.onProgress });
    // The progress says where it resumed (the content the partials hold) and what came over the network this time.
    const last = bytesEvents(second.events).at(-1)!;
    assert.ok(last.resumedBytes > 0 && last.resumedBytes <= cancelledAt, `resumed at ${last.resumedBytes}, cancelled at ${cancelledAt}`);
    assert.equal(last.fetchedBytes, result.bytesTransferred);
    assert.deepEqual([result.method, result.revision, result.commit], ["xet", "v1", pending.commit]);
    assert.deepEqual(result.files.map((f) => f.path).sort(), [...include].sort());
    for (const p of include) assert.ok(await sameBytes(join(dir, p), sources.get(p)!.source), `${p} is byte-exact (v1)`);
    assert.ok(!existsSync(join(dir, "README.md")), "the selection stayed the selection");
    assert.ok(!bed.hub.ctx.log.some((e) => e.route === "lfs-object" || e.route.startsWith("git-")), "no Git LFS traffic");
    assert.ok(result.bytesTransferred <= total - partialBytes + 64 * 1024, `fetched ${result.bytesTransferred} of ${total}, ${partialBytes} kept`);
    assert.equal(await readPending(dir), undefined, "the note goes with the record written");
    assert.ok(await readRecord(dir));
  });
});
