// Where a repo file lands inside the model folder, and where its partial download lives meanwhile.
// Refuses any listed path that could escape the model folder or collide with the route's own files.
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import type { RepoFileEntry } from "../hub/api";
import { DownloadError } from "../errors";

/** Partial downloads live here, named after the content hash so a rerun finds them again. */
export const PARTIAL_DIR = ".hf-models-partial";
const RESERVED_TOP = new Set([PARTIAL_DIR, ".hf-models.json", ".git"]);

export interface TargetPaths {
  /** Absolute final path `<modelDir>/<path>`. */
  final: string;
  /** Absolute `<modelDir>/.hf-models-partial/<key>.part`. */
  partial: string;
  /** Content key: `lfs.oid` for LFS files, `blobOid` otherwise. Files sharing it have identical bytes. */
  key: string;
}

export function targetPaths(options: { modelDir: string; file: RepoFileEntry }): TargetPaths {
  const { file } = options;
  const modelDir = resolve(options.modelDir);
  const unsafe = (why: string) =>
    new DownloadError("server", `The Hub listed an unsafe file path ${JSON.stringify(file.path)} (${why}); refusing to write it under ${modelDir}.`);
  const path = file.path;
  if (!path || path.includes("\0") || path.includes("\\")) throw unsafe("empty, NUL or backslash");
  if (path.startsWith("/") || isAbsolute(path) || /^[A-Za-z]:/.test(path)) throw unsafe("absolute");
  const segments = path.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) throw unsafe("empty, '.' or '..' segment");
  if (RESERVED_TOP.has(segments[0])) throw unsafe("reserved name");
  const final = resolve(modelDir, ...segments);
  const rel = relative(modelDir, final);
  if (!rel || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) throw unsafe("outside the model folder");

  const key = (file.lfs ? file.lfs.oid.replace(/^sha256:/i, "") : file.blobOid).toLowerCase();
  if (!/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(key)) {
    throw new DownloadError("server", `The Hub listed ${path} with a malformed content hash ${JSON.stringify(key)}.`);
  }
  return { final, partial: join(modelDir, PARTIAL_DIR, `${key}.part`), key };
}
