// Xet: a Retry-After longer than the stall timeout must be waited out, not cut short as a stall
// (the engine keeps its stall watchdog fed while it waits because the server asked it to).
import assert from "node:assert/strict";
import { join } from "node:path";
import { useServiceTestbed } from "../core/download-helpers";
import { stampLog, writeSmallRepo } from "./helpers";
import { runCase } from "./matrix-run";

describe("reliability: Xet honours Retry-After longer than the stall timeout", function () {
  this.timeout(60_000);
  const bed = useServiceTestbed({
    prefix: "hf-retry-after-",
    retryAfterSeconds: 2,
    sources: async (work) => {
      await writeSmallRepo(join(work, "repo"));
      return [{ id: "rel/small", revisions: [{ dir: join(work, "repo"), message: "m" }] }];
    },
  });

  it("429 with Retry-After: 2 and stallTimeoutMs 500: no stall is reported and nothing is asked again before 2 s", async () => {
    const timeOf = stampLog(bed.hub);
    const r = await runCase(
      { id: "xet | rate-limit", faults: ["rate-limit"], route: "xet" },
      { hub: bed.hub, repo: "rel/small", modelsDir: join(bed.work.path, "m"), env: bed.home.env, token: "hf_retry_after_token_1", stallTimeoutMs: 500, timeOf },
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
