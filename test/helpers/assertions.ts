// The one way tests say "this fails with DownloadError <code>": the error's class, its code and, when given,
// its message, each checked with a readable failure instead of a bare `false` from a predicate.
import assert from "node:assert/strict";
import { DownloadError, type DownloadErrorCode } from "../../src/core/errors";

/** Asserts `err` is a DownloadError with `code` whose message matches `message` (a RegExp, or a substring). */
export function assertDownloadError(err: unknown, code: DownloadErrorCode, message?: RegExp | string): asserts err is DownloadError {
  assert.ok(err instanceof DownloadError, `expected a DownloadError, got ${err instanceof Error ? err.stack : String(err)}`);
  assert.equal(err.code, code, err.message);
  if (typeof message === "string") assert.ok(err.message.includes(message), `"${err.message}" does not include "${message}"`);
  else if (message) assert.match(err.message, message);
}

/** Awaits `promise` (or calls `fn`), asserts it rejects with a DownloadError of `code`, and returns that error. */
export async function rejectsWithCode(promise: Promise<unknown> | (() => Promise<unknown>), code: DownloadErrorCode, message?: RegExp | string): Promise<DownloadError> {
  let caught: unknown;
  await assert.rejects(promise, (err: unknown) => {
    caught = err;
    assertDownloadError(err, code, message);
    return true;
  });
  return caught as DownloadError;
}

/** Calls `fn`, asserts it throws a DownloadError of `code` synchronously, and returns that error. */
export function throwsWithCode(fn: () => unknown, code: DownloadErrorCode, message?: RegExp | string): DownloadError {
  let caught: unknown;
  assert.throws(fn, (err: unknown) => {
    caught = err;
    assertDownloadError(err, code, message);
    return true;
  });
  return caught as DownloadError;
}
