// Xet: a Retry-After longer than the stall timeout must be waited out, not cut short as a stall
// (the engine keeps its stall watchdog fed while it waits because the server asked it to).
import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../helpers/hub";
import { gitHome } from "../core/download-helpers";
import { startHub, type LocalHub } from "../../hub/server";
import { stampLog, writeSmallRepo } from "./helpers";
import { runCase } from "./matrix-run";

describe("reliability: Xet honours Retry-After longer than the stall timeout", function () {
  this.timeout(60_000);
  let hub: LocalHub;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let home: Awaited<ReturnType<typeof gitHome>>;

  before(async () => {
    work = await tempDir("hf-retry-after-");
    await writeSmallRepo(join(work.path, "repo"));
    hub = await startHub({ repos: [{ id: "rel/small", revisions: [{ dir: join(work.path, "repo"), message: "m" }] }], retryAfterSeconds: 2 });
    home = await gitHome();
  });
  after(async () => {
    await hub?.close();
    await home?.cleanup();
    await work?.cleanup();
  });

  it("429 with Retry-After: 2 and stallTimeoutMs 500: no stall is reported and nothing is asked again before 2 s", async () => {
    const timeOf = stampLog(hub);
    const r = await runCase(
      { id: "xet | rate-limit", faults: ["rate-limit"], route: "xet" },
      { hub, repo: "rel/small", modelsDir: join(work.path, "m"), env: home.env, token: "hf_retry_after_token_1", stallTimeoutMs: 500, timeOf },
    );
    assert.deepEqual(r.violations, []);
    assert.deepEqual(r.retries.filter((x) => /no bytes/.test(x.reason)), [], "a Retry-After wait is not a stall");
    for (const e of r.log.filter((x) => x.status === 429)) {
      const path = e.path.split("?")[0];
      const next = r.log.find((x) => x !== e && x.path.split("?")[0] === path && timeOf(x) >= timeOf(e));
      assert.ok(next && timeOf(next) - timeOf(e) >= 1995, `${e.route} asked again ${next ? timeOf(next) - timeOf(e) : "never"} ms after a 429 with Retry-After: 2`);
    }
  });
});
