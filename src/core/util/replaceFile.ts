// Progress notes that a kill -9 must never leave half-written: a rerun that cannot read one starts the file over.
import { rename, rm, writeFile } from "node:fs/promises";

/** The temporary name `replaceFile` writes first: a kill can leave it, the next write overwrites it. */
export function replacementPath(path: string): string {
  return `${path}.tmp`;
}

/**
 * Replaces `path` with `data` in one rename: readers see the old content or the new, never a truncated file. Not
 * synced to disk (a crash of the machine may lose the last note, which the final SHA-256 check covers). The temporary
 * name is fixed, so a killed writer leaves no stray files; callers that write one path serialize their writes.
 */
export async function replaceFile(path: string, data: string): Promise<void> {
  const temp = replacementPath(path);
  await writeFile(temp, data);
  await rename(temp, path);
}

/** Removes `path` and the temporary a killed `replaceFile` may have left beside it. */
export async function removeReplaced(path: string): Promise<void> {
  await rm(path, { force: true });
  await rm(replacementPath(path), { force: true });
}
