// Guards against a hostile or broken Hub listing: every path we will write must stay inside the model folder,
// not land on another selected file on this filesystem (case, accents) and not touch git's or our own files.
import { randomBytes } from "node:crypto";
import { lstat, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
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

/** How a filesystem compares names: whether `README.md` and `readme.md`, or NFC and NFD `ü`, are one file there. */
export interface PathFolding {
  caseInsensitive: boolean;
  unicodeInsensitive: boolean;
}

/** The strictest folding (Windows, macOS defaults): what a portable listing must survive. */
export const PORTABLE_FOLDING: PathFolding = { caseInsensitive: true, unicodeInsensitive: true };
/** Linux filesystems: names are bytes, every distinct path is its own file. */
export const EXACT_FOLDING: PathFolding = { caseInsensitive: false, unicodeInsensitive: false };

function foldKey(path: string, folding: PathFolding): string {
  const normalized = folding.unicodeInsensitive ? path.normalize("NFC") : path;
  return folding.caseInsensitive ? normalized.toLowerCase() : normalized;
}

interface PathProblem {
  /** The paths involved (one for an unsafe path, two for a collision). */
  paths: string[];
  why: string;
  kind: "unsafe" | "collision";
}

/** Every unsafe path of `paths`, and every pair that lands on one file (or a file and a folder) under `folding`. */
function pathProblems(paths: readonly string[], folding: PathFolding): PathProblem[] {
  const problems: PathProblem[] = [];
  const files = new Map<string, string>();
  for (const path of paths) {
    const reason = unsafePathReason(path);
    if (reason) {
      problems.push({ paths: [path], why: `the file path ${JSON.stringify(path)} is unsafe: ${reason}`, kind: "unsafe" });
      continue;
    }
    const key = foldKey(path, folding);
    const other = files.get(key);
    if (other !== undefined) {
      const why = other === path ? `the path ${JSON.stringify(path)} is listed twice` : `the paths ${JSON.stringify(other)} and ${JSON.stringify(path)} differ only in case`;
      problems.push({ paths: [other, path], why, kind: "collision" });
    } else files.set(key, path);
  }
  for (const [key, path] of files) {
    const segments = key.split("/");
    for (let i = 1; i < segments.length; i++) {
      const folder = files.get(segments.slice(0, i).join("/"));
      if (folder !== undefined) problems.push({ paths: [folder, path], why: `${JSON.stringify(folder)} is both a file and the folder of ${JSON.stringify(path)}`, kind: "collision" });
    }
  }
  return problems;
}

/**
 * Throws `DownloadError("server")` naming the first listed path that is unsafe, or two paths that would
 * land on the same file (or a file and a folder) under `folding` (default: on a case-insensitive filesystem).
 */
export function assertSafeRepoPaths(paths: readonly string[], folding: PathFolding = PORTABLE_FOLDING): void {
  const first = pathProblems(paths, folding)[0];
  if (first) throw hostile(first.why);
}

function hostile(why: string): DownloadError {
  return new DownloadError("server", `The Hub's file listing cannot be downloaded safely: ${why}. Nothing was written.`);
}

/**
 * The path rule of a download. The selected paths are checked strictly: an unsafe one is refused (`server`), and
 * so is a pair the model folder's filesystem would store as one file (`not-writable`: `README.md` beside
 * `readme.md` downloads both on Linux, and is refused on a case-insensitive filesystem, naming the pair so the user
 * can exclude one). Paths outside the selection are never written: an unsafe or colliding one there is only
 * reported, as the returned warning (undefined when there is nothing to say). `folding` defaults to a probe of
 * `modelDir`'s filesystem, made only when the selection holds a pair that could collide.
 */
export async function checkSelectedPaths(options: {
  listed: readonly string[];
  selected: readonly string[];
  modelDir: string;
  folding?: PathFolding;
}): Promise<string | undefined> {
  const { listed, selected, modelDir } = options;
  const strict = pathProblems(selected, EXACT_FOLDING)[0];
  if (strict) {
    throw new DownloadError(
      "server",
      `The Hub's file listing cannot be downloaded safely: ${strict.why}. Nothing was written.` + (strict.kind === "unsafe" ? " Exclude that file to download the rest." : ""),
    );
  }
  if (pathProblems(selected, PORTABLE_FOLDING).length > 0) {
    const folding = options.folding ?? (await probeFolding(modelDir));
    const clash = pathProblems(selected, folding)[0];
    if (clash) {
      throw new DownloadError(
        "not-writable",
        `The filesystem of ${modelDir} does not tell apart names that differ only in case or accents, so ${clash.why.replace(/^the paths /, "")} ` +
          `(one file there). Leave one of them out of the selection or choose a models folder on a case-sensitive filesystem. Nothing was written.`,
      );
    }
  }
  const chosen = new Set(selected);
  const notes = pathProblems(listed, PORTABLE_FOLDING)
    .filter((p) => p.paths.some((path) => !chosen.has(path)))
    .map((p) => p.why.replace(/^the file path /, ""));
  if (notes.length === 0) return undefined;
  const shown = notes.slice(0, 10).join("; ") + (notes.length > 10 ? `; and ${notes.length - 10} more` : "");
  return `Files outside this selection that could not be downloaded as listed (not downloaded): ${shown}.`;
}

/**
 * How the filesystem holding `dir` (or its nearest existing ancestor) compares names, from one probe file.
 * When the probe cannot be written the strictest folding is assumed.
 */
export async function probeFolding(dir: string): Promise<PathFolding> {
  let at = resolve(dir);
  for (;;) {
    try {
      if ((await stat(at)).isDirectory()) break;
    } catch {
      // Not there yet: probe the folder it will be created in.
    }
    const up = dirname(at);
    if (up === at) return PORTABLE_FOLDING;
    at = up;
  }
  const base = `.hf-models-probe-${process.pid}-${randomBytes(4).toString("hex")}-`;
  const probe = join(at, `${base}\u00c4`);
  try {
    await writeFile(probe, "", { flag: "wx" });
  } catch {
    return PORTABLE_FOLDING;
  }
  try {
    const exists = (name: string) => lstat(join(at, name)).then(() => true, () => false);
    return { caseInsensitive: await exists(`${base}\u00e4`), unicodeInsensitive: await exists(`${base}A\u0308`) };
  } finally {
    await rm(probe, { force: true });
  }
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
