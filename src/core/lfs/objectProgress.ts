// Byte progress of `git lfs fetch` read from the clone's object store while it runs: a file's bytes are its
// object's size once stored, else the longest partial download of that object in `.git/lfs/incomplete/`.
import { join } from "node:path";
import { lfsObjectPath, namesIn, sizeOf } from "./objects";

export interface WatchedObject {
  /** Repo-relative path of the file the object belongs to. */
  path: string;
  oid: string;
  size: number;
  /** Bytes already on disk when watching starts (a resumable `.part`); they are not new bytes. */
  doneBytes: number;
}

export interface ObjectProgressOptions {
  gitDir: string;
  objects: readonly WatchedObject[];
  /** Growth of one file: its absolute byte count and the bytes that arrived since the last report. */
  onProgress(p: { path: string; doneBytes: number; newBytes: number }): void;
  /** Default 100 ms. */
  intervalMs?: number;
}

export interface ObjectProgress {
  /** Polls one last time and stops. */
  stop(): Promise<void>;
}

export function watchObjectProgress({ gitDir, objects, onProgress, intervalMs = 100 }: ObjectProgressOptions): ObjectProgress {
  const incomplete = join(gitDir, "lfs", "incomplete");
  const pending = objects.map((o) => ({ ...o, last: o.doneBytes }));
  const oids = new Set(pending.map((o) => o.oid));
  // Two paths with the same content share one object, downloaded once: only the first one's bytes are new.
  const firstPathOf = new Map<string, string>();
  for (const o of pending) if (!firstPathOf.has(o.oid)) firstPathOf.set(o.oid, o.path);

  /** The longest file per watched oid in incomplete/: `<oid>.part` or git-lfs' `<oid><random digits>`. */
  const partialSizes = async (): Promise<Map<string, number>> => {
    const sizes = new Map<string, number>();
    for (const name of await namesIn(incomplete)) {
      const oid = name.slice(0, 64);
      if (!oids.has(oid)) continue;
      const size = await sizeOf(join(incomplete, name));
      if (size !== undefined) sizes.set(oid, Math.max(size, sizes.get(oid) ?? 0));
    }
    return sizes;
  };

  const poll = async () => {
    if (pending.length === 0) return;
    // incomplete/ before objects/: git-lfs renames a finished download from the one into the other.
    const partial = await partialSizes();
    for (let i = 0; i < pending.length; i++) {
      const o = pending[i]!;
      const complete = (await sizeOf(lfsObjectPath(gitDir, o.oid))) === o.size;
      const seen = complete ? o.size : partial.get(o.oid);
      // No partial file at all is no news (between two attempts), not a restart.
      if (seen === undefined) continue;
      const bytes = Math.min(o.size, seen);
      // A restart from zero (a server that ignored the Range) lowers the count; only growth is new data.
      const newBytes = Math.max(0, bytes - o.last);
      const changed = bytes !== o.last;
      o.last = bytes;
      if (changed || complete) onProgress({ path: o.path, doneBytes: bytes, newBytes: firstPathOf.get(o.oid) === o.path ? newBytes : 0 });
      if (complete) pending.splice(i--, 1);
    }
  };

  let polling: Promise<void> = Promise.resolve();
  // Polls never overlap: each one chains onto the previous one.
  const tick = () => {
    polling = polling.then(poll).catch(() => undefined);
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref?.();

  return {
    async stop() {
      clearInterval(timer);
      tick();
      await polling;
    },
  };
}
