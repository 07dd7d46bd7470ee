// The retry loop the LFS batch request and the `git lfs fetch` runs share (util/retry.ts).
import assert from "node:assert/strict";
import { DownloadError } from "../../src/core/errors";
import { withRetries, type RetryOptions } from "../../src/core/util/retry";

class Limited extends Error {}
class Fatal extends Error {}

/** An operation that fails with `failures` in turn, then answers "ok"; counts its calls. */
function operation(failures: Error[]) {
  const op = { calls: 0, run: async () => (op.calls++ < failures.length ? Promise.reject(failures[op.calls - 1]) : "ok") };
  return op;
}

function options(extra: Partial<RetryOptions> = {}) {
  const waits: number[] = [];
  const told: number[] = [];
  const o: RetryOptions = {
    attempts: 3,
    baseMs: 1,
    rateLimit: (err) => (err instanceof Limited ? { waitMs: 5, host: "hub.test" } : undefined),
    limited: { what: "Git LFS batch requests", bucket: "resolvers", onWait: (w) => told.push(w.seconds) },
    retryable: (err) => !(err instanceof Fatal),
    onRetry: (_err, waitMs) => waits.push(waitMs),
    ...extra,
  };
  return { o, waits, told };
}

describe("withRetries", () => {
  it("tries again after a jittered wait, and a rate limit spends no attempt", async () => {
    const op = operation([new Error("503"), new Limited(), new Limited(), new Error("reset")]);
    const { o, waits, told } = options();
    assert.equal(await withRetries(op.run, o), "ok");
    assert.equal(op.calls, 5, "two failures within three attempts, two rate limits on top");
    assert.equal(waits.length, 2);
    assert.ok(waits[0]! >= 0 && waits[0]! <= 2 && waits[1]! >= 1 && waits[1]! <= 3, `1 ms then 2 ms, ±50 %: ${waits.join(", ")}`);
    assert.deepEqual(told, [1, 1], "each rate-limit wait is announced, rounded up to whole seconds");
  });

  it("gives up with the last failure when the attempts are used up", async () => {
    const last = new Error("third");
    const op = operation([new Error("first"), new Error("second"), last]);
    await assert.rejects(withRetries(op.run, options().o), (err) => err === last);
    assert.equal(op.calls, 3);
  });

  it("throws a failure that cannot pass at once, without waiting", async () => {
    const fatal = new Fatal("401");
    const op = operation([fatal]);
    const { o, waits } = options();
    await assert.rejects(withRetries(op.run, o), (err) => err === fatal);
    assert.equal(op.calls, 1);
    assert.deepEqual(waits, []);
  });

  it("ends as rate-limited once the server keeps limiting after every wait", async () => {
    const op = operation(Array.from({ length: 10 }, () => new Limited()));
    await assert.rejects(withRetries(op.run, options().o), (err: unknown) => {
      assert.ok(err instanceof DownloadError && err.code === "rate-limited", String(err));
      assert.match(err.message, /hub\.test has reached its "resolvers" rate limit for Git LFS batch requests/);
      return true;
    });
    assert.equal(op.calls, 6, "five waits, then the sixth 429 is final");
  });

  it("does not try again once the download is cancelled", async () => {
    const stop = new AbortController();
    const first = new Error("503");
    let calls = 0;
    const run = async () => {
      calls++;
      stop.abort();
      throw first;
    };
    await assert.rejects(withRetries(run, options({ signal: stop.signal }).o), (err) => err === first);
    assert.equal(calls, 1);
  });
});
