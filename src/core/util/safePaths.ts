// Guards against a hostile or broken Hub listing: every path we will write must stay inside the
// model folder, be portable across case-insensitive filesystems and not touch git's or our own files.
import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { DownloadError } from "../errors";
import { RESERVED_ROOT_NAMES } from "../layout";

/** Why `path` is unsafe to write under a model folder, or undefined when it is fine. */
export function unsafePathReason(path: string): string | undefined {
  if (path.length === 0) return "it is empty";
  if (path.includes("\0")) return "it contains a NUL byte";
  // Newlines would also break the line-based git-lfs progress file and sparse-checkout patterns.
  if (/[\x01-\x1f\x7f]/.test(path)) return "it contains control characters";
  if (path.includes("\\")) return "it contains a backslash";
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return "it is absolute";
  const segments = path.split("/");
  for (const segment of segments) {
    if (segment === "") return "it has an empty path segment";
    if (segment === "." || segment === "..") return `it has a "${segment}" segment`;
    // Windows ignores trailing dots and spaces, so ".git. " would still reach the git folder there.
    if (segment.toLowerCase().replace(/[. ]+$/, "") === ".git") return "it points into a .git folder";
  }
  if (RESERVED_ROOT_NAMES.has(segments[0]!.toLowerCase())) return "it collides with a file HF Models keeps in the model folder";
  return undefined;
}

/** A repo-relative path that cannot escape the model folder or touch `.git` or our own files. */
export function isSafeRepoPath(path: unknown): path is string {
  return typeof path === "string" && unsafePathReason(path) === undefined;
}

/**
 * Throws `DownloadError("server")` naming the first listed path that is unsafe, or two paths that would
 * land on the same file (or a file and a folder) on a case-insensitive filesystem.
 */
export function assertSafeRepoPaths(paths: readonly string[]): void {
  const files = new Map<string, string>();
  for (const path of paths) {
    const reason = unsafePathReason(path);
    if (reason) throw hostile(`the file path ${JSON.stringify(path)} is unsafe: ${reason}`);
    const key = path.normalize("NFC").toLowerCase();
    const other = files.get(key);
    if (other !== undefined) throw hostile(`the paths ${JSON.stringify(other)} and ${JSON.stringify(path)} differ only in case`);
    files.set(key, path);
  }
  for (const [key, path] of files) {
    const segments = key.split("/");
    for (let i = 1; i < segments.length; i++) {
      const folder = files.get(segments.slice(0, i).join("/"));
      if (folder !== undefined) throw hostile(`${JSON.stringify(folder)} is both a file and the folder of ${JSON.stringify(path)}`);
    }
  }
}

function hostile(why: string): DownloadError {
  return new DownloadError("server", `The Hub's file listing cannot be downloaded safely: ${why}. Nothing was written.`);
}

/**
 * Throws `not-writable` when one of `paths` (repo-relative) would pass through a symbolic link that already
 * exists inside `modelDir`: a route writing `weights/a.bin` through a `weights -> /elsewhere` link would write
 * outside the model folder. Links above `modelDir` (a models folder on another disk) are the user's choice.
 */
export async function assertNoLinksInside({ modelDir, paths }: { modelDir: string; paths: readonly string[] }): Promise<void> {
  const seen = new Set<string>();
  for (const path of paths) {
    const segments = path.split("/");
    for (let i = 1; i <= segments.length; i++) {
      const rel = segments.slice(0, i).join("/");
      if (seen.has(rel)) continue;
      seen.add(rel);
      let info;
      try {
        info = await lstat(join(modelDir, rel));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") break;
        throw new DownloadError("not-writable", `Cannot inspect ${join(modelDir, rel)}: ${(err as Error).message}`, { cause: err });
      }
      if (info.isSymbolicLink()) {
        throw new DownloadError(
          "not-writable",
          `${join(modelDir, rel)} is a symbolic link; HF Models never writes through links inside a model folder. Remove the link and run the download again.`,
        );
      }
      if (!info.isDirectory()) break;
    }
  }
}
