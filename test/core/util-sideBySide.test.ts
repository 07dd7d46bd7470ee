// Two jobs that only make sense together (the LFS route's checkout and object download of a fresh clone): both
// results when both succeed; otherwise the first failure, with the other job stopped and awaited.
import assert from "node:assert/strict";
import { sideBySide } from "../../src/core/util/sideBySide";

/** A job that runs until `signal` aborts (then fails with a cancel, the echo) or until it is told to end. */
function stoppable(signal: AbortSignal) {
  let end!: (value: string) => void;
  let fail!: (err: Error) => void;
  const job = new Promise<string>((resolve, reject) => {
    end = resolve;
    fail = reject;
    signal.addEventListener("abort", () => reject(new Error("cancelled")), { once: true });
  });
  return { job, end, fail };
}

describe("sideBySide", () => {
  it("returns both results when both succeed, and stops nothing", async () => {
    const stop = new AbortController();
    const a = stoppable(stop.signal);
    const b = stoppable(stop.signal);
    setImmediate(() => (b.end("objects"), a.end("checkout")));
    assert.deepEqual(await sideBySide(stop, a.job, b.job), ["checkout", "objects"]);
    assert.equal(stop.signal.aborted, false);
  });

  for (const failing of ["first", "second"] as const) {
    it(`when the ${failing} job fails, stops the other, waits for it, and throws the real failure, not its echo`, async () => {
      const stop = new AbortController();
      const a = stoppable(stop.signal);
      const b = stoppable(stop.signal);
      let otherSettled = false;
      const [bad, other] = failing === "first" ? [a, b] : [b, a];
      other.job.catch(() => (otherSettled = true));
      setImmediate(() => bad.fail(new Error("git checkout failed: disk error")));
      await assert.rejects(sideBySide(stop, a.job, b.job), /git checkout failed: disk error/);
      assert.equal(stop.signal.aborted, true, "the other job was told to stop");
      assert.equal(otherSettled, true, "and had settled before the failure was thrown");
    });
  }

  it("a job that fails after the other succeeded still fails the pair", async () => {
    const stop = new AbortController();
    const a = stoppable(stop.signal);
    const b = stoppable(stop.signal);
    a.end("checkout");
    setImmediate(() => b.fail(new Error("HTTP 403")));
    await assert.rejects(sideBySide(stop, a.job, b.job), /HTTP 403/);
  });
});
