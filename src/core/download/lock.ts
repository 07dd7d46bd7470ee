// One download per model folder at a time, across processes: a proper-lockfile lock directory beside
// the model folder, refreshed while held and taken over once stale, so a crashed process never blocks.
import { mkdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import lockfile from "proper-lockfile";
import { sleep } from "../util/backoff";
import { cancelledError, DownloadError } from "../errors";

export interface ModelLock {
  /** Aborts when another process took the lock over (ours went stale, e.g. after a long suspend). */
  readonly compromised: AbortSignal;
  release(): Promise<void>;
}

export interface AcquireModelLockOptions {
  modelDir: string;
  signal?: AbortSignal;
  /** Give up with `locked` after waiting this long. Default: wait until the other download ends or `signal` aborts. */
  timeoutMs?: number;
  /** How often to retry while another process holds the lock. Default 500 ms. */
  pollMs?: number;
  /** A lock not refreshed for this long belongs to a dead process. Default 10 s (proper-lockfile's minimum is 2 s). */
  staleMs?: number;
  /** Called once when the lock is busy and we start waiting. */
  onWait?: () => void;
}

/**
 * `<parent>/.<name>.lock`: Hub repo names cannot start with ".", so this never collides with a model folder,
 * and it lives outside the model folder so deleting the model never deletes a held lock.
 */
export function lockPathFor(modelDir: string): string {
  return join(dirname(modelDir), `.${basename(modelDir)}.lock`);
}

export async function acquireModelLock(options: AcquireModelLockOptions): Promise<ModelLock> {
  const { modelDir, signal, timeoutMs, pollMs = 500, staleMs = 10_000, onWait } = options;
  const lockfilePath = lockPathFor(modelDir);
  try {
    await mkdir(dirname(modelDir), { recursive: true });
  } catch (cause) {
    throw new DownloadError("not-writable", `Cannot create ${dirname(modelDir)}: ${(cause as Error).message}. Choose a models folder you can write to.`, { cause });
  }
  const compromised = new AbortController();
  const started = Date.now();
  let waited = false;
  for (;;) {
    if (signal?.aborted) throw cancelledError();
    try {
      const release = await lockfile.lock(modelDir, {
        lockfilePath,
        realpath: false,
        stale: staleMs,
        update: Math.max(1000, Math.floor(staleMs / 5)),
        retries: 0,
        // The default handler throws from a timer and would crash the whole process.
        onCompromised: (err) => compromised.abort(err),
      });
      let released = false;
      return {
        compromised: compromised.signal,
        async release() {
          if (released) return;
          released = true;
          // Already released or taken over: nothing of ours is left to remove.
          await release().catch(() => undefined);
        },
      };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ELOCKED") {
        throw new DownloadError("not-writable", `Cannot create the lock ${lockfilePath}: ${(err as Error).message}.`, { cause: err });
      }
      if (timeoutMs !== undefined && Date.now() - started >= timeoutMs) {
        throw new DownloadError(
          "locked",
          `Another download of this model is still running (lock ${lockfilePath}). Wait for it to finish or cancel it, then try again.`,
          { cause: err },
        );
      }
      if (!waited) {
        waited = true;
        onWait?.();
      }
      const remaining = timeoutMs === undefined ? pollMs : Math.max(0, Math.min(pollMs, timeoutMs - (Date.now() - started)));
      await sleep(remaining, signal);
    }
  }
}
