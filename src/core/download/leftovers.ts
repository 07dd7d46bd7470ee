// What earlier runs of a model may leave beside its files, and the one check that the folder's git clone is ours.
// Run under the model's lock, so no other download of the model is using any of it.
import { existsSync } from "node:fs";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { DownloadError } from "../errors";
import { PARTIAL_DIR } from "../layout";
import { dropLfsTemporaries } from "../lfs/objects";

const LINK_TEMP = /\.hf-link-[0-9a-f]{8}$/;

/**
 * Removes what a killed run left: the temporary clone folder beside the model folder (`.<name>.clone-XXXXXX/`, a kill
 * during a clone into a non-empty folder) and hard-link temporaries (`<file>.hf-link-XXXXXXXX`, a kill while linking).
 */
export async function removeLeftovers(options: { modelDir: string; log?: (message: string) => void }): Promise<void> {
  const { modelDir, log } = options;
  const prefix = `.${basename(modelDir)}.clone-`;
  const parent = dirname(modelDir);
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (!name.startsWith(prefix) || name.length !== prefix.length + 6) continue;
    log?.(`Removing ${join(parent, name)}, a clone an interrupted download left`);
    await rm(join(parent, name), { recursive: true, force: true });
  }
  let removed = 0;
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(modelDir, rel), { withFileTypes: true }).catch(() => [])) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (path !== ".git" && path !== PARTIAL_DIR) await walk(path);
      } else if (LINK_TEMP.test(e.name)) {
        await rm(join(modelDir, path), { force: true });
        removed++;
      }
    }
  };
  await walk("");
  if (removed > 0) log?.(`Removed ${removed} temporary link(s) an interrupted download left`);
}

/** After a complete download (either route), git-lfs' partial objects and temp files of earlier runs are worthless. */
export async function dropGitLfsPartials(modelDir: string): Promise<void> {
  const gitDir = join(modelDir, ".git");
  if (existsSync(join(gitDir, "lfs"))) await dropLfsTemporaries(gitDir).catch(() => undefined);
}

/**
 * Refuses a model folder that is a git clone HF Models did not make (a user's own clone, of this repo or any other):
 * a download resets its branch to the Hub's commit and overwrites its files, uncommitted edits included. Ours: the
 * clone carries our config key, or the folder has our record (made by a version before the key). `adopt` is the
 * user's explicit consent.
 */
export async function assertCloneIsOurs(options: { modelDir: string; hasRecord: boolean; adopt?: boolean }): Promise<void> {
  const { modelDir, hasRecord, adopt } = options;
  const gitDir = join(modelDir, ".git");
  const info = await stat(gitDir).catch(() => undefined);
  if (!info?.isDirectory() || hasRecord || adopt) return;
  // No config yet: a clone killed before it wrote one, which the LFS route removes and starts again.
  const config = await readFile(join(gitDir, "config"), "utf8").catch(() => undefined);
  if (config === undefined || isManaged(config)) return;
  const remote = /\[remote "origin"\][^[]*?\burl\s*=\s*(\S+)/.exec(config)?.[1];
  throw new DownloadError(
    "foreign-clone",
    `${modelDir} is a git repository not made by HF Models${remote ? ` (a clone of ${remote.replace(/\/\/[^/@]*@/, "//")})` : ""}. ` +
      "Downloading into it would reset its branch and overwrite its files, uncommitted changes included. Move it away or choose another models folder.",
  );
}

function isManaged(config: string): boolean {
  return /^\s*\[hfmodels\]\s*$(?:\n(?!\s*\[)[^\n]*)*?\n\s*managed\s*=\s*true\s*$/im.test(config);
}
