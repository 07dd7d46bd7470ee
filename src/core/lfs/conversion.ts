// A file stored in git that fails its check after the checkout: git converted it on the way out. Our
// `info/attributes` (clone.ts) turns off every conversion a repo's .gitattributes asks for; what is left is a
// filter driver from the user's own git configuration. The converted file never stays behind, and the error says why.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { SimpleGit } from "simple-git";
import type { RepoFileEntry } from "../hub/api";
import { DownloadError } from "../errors";

const CONVERTING = ["text", "eol", "ident", "working-tree-encoding", "filter"] as const;

/** The conversions git applies to `path` on checkout, as `name=value` (an LFS filter is no conversion here). */
export async function checkoutConversions(git: SimpleGit, path: string): Promise<string[]> {
  const out = await git.raw(["check-attr", "-z", ...CONVERTING, "--", path]).catch(() => "");
  // -z: path NUL attribute NUL value NUL …
  const fields = out.split("\0");
  const found: string[] = [];
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const [attr, value] = [fields[i + 1]!, fields[i + 2]!];
    if (value === "unspecified" || value === "unset" || (attr === "filter" && value === "lfs")) continue;
    found.push(value === "set" ? attr : `${attr}=${value}`);
  }
  return found;
}

/**
 * Maps a failed check of `file` (the first of `files` not verified): a file stored in git is removed (a rerun's
 * checkout writes it anew), and when git still converts it on checkout the error names the conversion.
 */
export async function explainFailedCheck(options: { err: unknown; git: SimpleGit; modelDir: string; file: RepoFileEntry | undefined }): Promise<unknown> {
  const { err, git, modelDir, file } = options;
  if (!(err instanceof DownloadError) || err.code !== "integrity" || !file || file.lfs) return err;
  await rm(join(modelDir, file.path), { force: true }).catch(() => undefined);
  const conversions = await checkoutConversions(git, file.path);
  if (conversions.length === 0) return err;
  return new DownloadError(
    "integrity",
    `git converts ${file.path} on checkout (${conversions.join(", ")}), so its bytes are not the Hub's; the converted file was removed. ` +
      `The conversion comes from your git configuration (a filter driver HF Models cannot turn off): remove it, or download with Xet.`,
    { cause: err },
  );
}
