// Where a repo file lands inside the model folder, and where its partial download lives meanwhile.
// Refuses any listed path the one path rule (util/safePaths) refuses; names partials by content (core/content).
import { join, resolve } from "node:path";
import type { RepoFileEntry } from "../hub/api";
import { expectedContent } from "../content";
import { DownloadError } from "../errors";
import { PARTIAL_DIR } from "../layout";
import { unsafePathReason } from "../util/safePaths";

export { PARTIAL_DIR };

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
  const path = file.path;
  const why = unsafePathReason(path);
  if (why) throw new DownloadError("server", `The Hub listed an unsafe file path ${JSON.stringify(path)} (${why}); refusing to write it under ${modelDir}.`);
  const final = resolve(modelDir, ...path.split("/"));
  const key = expectedContent(file).hash;
  if (!/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(key)) {
    throw new DownloadError("server", `The Hub listed ${path} with a malformed content hash ${JSON.stringify(key)}.`);
  }
  return { final, partial: join(modelDir, PARTIAL_DIR, `${key}.part`), key };
}
