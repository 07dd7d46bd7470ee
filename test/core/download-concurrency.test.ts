// Two downloads of one model at once, a lock left by a killed process, and the `locked` timeout,
// all through the service against the local Hub.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { acquireModelLock, lockPathFor } from "../../src/core/download/lock";
import { download } from "../../src/core/download/service";
import { readRecord } from "../../src/core/library/metadata";
import { ROOT } from "../helpers/hub";
import { lockAndKill } from "../helpers/killedHolder";
import { collect, gitStatus, lfsObjectRequests, sameBytes, sourceFiles, useServiceTestbed } from "./download-helpers";
import { rejectsWithCode } from "../helpers/assertions";

describe("download concurrency and locks", function () {
  this.timeout(60_000);
  const bed = useServiceTestbed({ prefix: "hf-conc-" });

  it("two concurrent downloads of the same repo both end verified; the second waits and fetches nothing twice", async () => {
    const a = collect();
    const b = collect();
    const req = { repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url };
    const [ra, rb] = await Promise.all([download(req, { env: bed.home.env, onProgress: a.onProgress }), download(req, { env: bed.home.env, onProgress: b.onProgress })]);
    const sources = sourceFiles(bed.hub, "demo/tiny-model");
    for (const r of [ra, rb]) {
      assert.equal(r.files.length, sources.size);
      for (const f of r.files) assert.equal(f.size, sources.get(f.path)!.size);
    }
    for (const [path, s] of sources) assert.ok(await sameBytes(join(ra.path, path), s.source), path);
    const waited = [a, b].filter((c) => c.events.some((e) => e.type === "log" && /Waiting for another download of demo\/tiny-model/.test(e.message)));
    assert.equal(waited.length, 1, "exactly one of them waited for the lock");
    assert.equal(lfsObjectRequests(bed.hub).length, 1, "the LFS object was fetched once");
    assert.equal(bed.hub.ctx.log.filter((e) => e.route === "git-info-refs").length, 1, "one clone");
    assert.equal((await readRecord(ra.path))?.commit, ra.commit);
    assert.equal(gitStatus(ra.path, bed.home.env), "");
  });

  it("fails with `locked` after lockTimeoutMs while another holder keeps the lock", async () => {
    const modelDir = join(bed.models.path, "demo", "tiny-model");
    const held = await acquireModelLock({ modelDir });
    try {
      await rejectsWithCode(
        download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env, lockTimeoutMs: 300 }),
        "locked",
        lockPathFor(modelDir),
      );
      assert.ok(!bed.hub.ctx.log.some((e) => e.route.startsWith("git-")), "nothing was cloned");
    } finally {
      await held.release();
    }
  });

  it("a lock left by a killed process does not block a download for long", async function () {
    this.timeout(40_000);
    const modelDir = join(bed.models.path, "demo", "tiny-model");
    await mkdir(join(bed.models.path, "demo"), { recursive: true });
    // Exactly the lock our service takes (default staleness), held by a process that is then SIGKILLed.
    const script = `
      require("tsx/cjs");
      const { acquireModelLock } = require(${JSON.stringify(join(ROOT, "src/core/download/lock.ts"))});
      acquireModelLock({ modelDir: ${JSON.stringify(modelDir)} }).then(() => process.stdout.write("locked\\n"));
      setInterval(() => {}, 1000);`;
    await lockAndKill(script, ROOT);
    const { events, onProgress } = collect();
    const result = await download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env, onProgress });
    assert.ok(events.some((e) => e.type === "log" && /Waiting for another download/.test(e.message)), "the lock was still fresh at first");
    assert.equal((await readRecord(result.path))?.files.length, sourceFiles(bed.hub, "demo/tiny-model").size);
  });
});
