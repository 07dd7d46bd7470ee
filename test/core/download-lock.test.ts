// The per-model lock: a second holder waits or times out with `locked`, a cancel stops the wait,
// and a lock left behind by a killed process is taken over once stale.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { acquireModelLock, lockPathFor } from "../../src/core/download/lock";
import { lockAndKill } from "../helpers/killedHolder";
import { rejectsWithCode } from "../helpers/assertions";

const ROOT = resolve(__dirname, "..", "..");

describe("download lock", () => {
  let dir: string;
  let modelDir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "hf-lock-"));
    modelDir = join(dir, "demo", "tiny-model");
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("puts the lock beside the model folder under a name no repo can have", () => {
    assert.equal(lockPathFor("/m/demo/tiny-model"), "/m/demo/.tiny-model.lock");
  });

  it("a second holder fails with `locked` after its timeout and succeeds once the first released", async () => {
    const first = await acquireModelLock({ modelDir });
    assert.ok(existsSync(lockPathFor(modelDir)));
    let waited = false;
    await rejectsWithCode(
      acquireModelLock({ modelDir, timeoutMs: 300, pollMs: 50, onWait: () => (waited = true) }),
      "locked",
      /Another download of this model is still running/,
    );
    assert.ok(waited, "onWait was called");
    await first.release();
    assert.ok(!existsSync(lockPathFor(modelDir)), "release removes the lock");
    const second = await acquireModelLock({ modelDir, timeoutMs: 300 });
    await second.release();
  });

  it("a waiting holder gets the lock as soon as the first releases it", async () => {
    const first = await acquireModelLock({ modelDir });
    const order: string[] = [];
    const waiting = acquireModelLock({ modelDir, pollMs: 50 }).then((l) => {
      order.push("second acquired");
      return l;
    });
    await new Promise((r) => setTimeout(r, 200));
    order.push("first releasing");
    await first.release();
    const second = await waiting;
    assert.deepEqual(order, ["first releasing", "second acquired"]);
    await second.release();
  });

  it("a cancel while waiting ends in `cancelled`", async () => {
    const first = await acquireModelLock({ modelDir });
    const ac = new AbortController();
    const waiting = acquireModelLock({ modelDir, pollMs: 50, signal: ac.signal });
    setTimeout(() => ac.abort(), 150);
    await rejectsWithCode(waiting, "cancelled");
    await first.release();
  });

  it("takes over a lock whose owner was killed once it is stale", async function () {
    this.timeout(20_000);
    // A real process takes the lock and dies without releasing it (SIGKILL skips exit handlers).
    const script = `
      const lockfile = require("proper-lockfile");
      lockfile.lock(${JSON.stringify(modelDir)}, { lockfilePath: ${JSON.stringify(lockPathFor(modelDir))}, realpath: false, stale: 2000 })
        .then(() => process.stdout.write("locked\\n"));
      setInterval(() => {}, 1000);`;
    await mkdir(join(dir, "demo"), { recursive: true });
    await lockAndKill(script, ROOT);
    assert.ok(existsSync(lockPathFor(modelDir)), "the dead process left its lock behind");
    let waited = false;
    const lock = await acquireModelLock({ modelDir, staleMs: 2000, pollMs: 100, onWait: () => (waited = true) });
    assert.ok(waited, "the fresh lock was respected at first");
    assert.equal(lock.compromised.aborted, false);
    await lock.release();
  });
});
