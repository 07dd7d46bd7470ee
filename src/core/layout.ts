// The names HF Models gives things on disk: the models folder, the record and the partial-download folder
// inside each model folder. Every layer that writes, scans, ignores or reserves them reads them from here.
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

/** The download record inside a model folder (`library/metadata`). */
export const RECORD_FILE = ".hf-models.json";

/** Partial downloads (Xet route) live here, named after the content hash; its presence marks an interrupted download. */
export const PARTIAL_DIR = ".hf-models-partial";

/** What a running download asked for (`library/metadata`): written before bytes move, removed with the record written. */
export const PENDING_FILE = ".hf-models-pending.json";

/** Root-level names of a model folder that belong to HF Models, never to the model (lower case). */
export const RESERVED_ROOT_NAMES: ReadonlySet<string> = new Set([RECORD_FILE, PARTIAL_DIR, PENDING_FILE]);

/** True for repo-relative paths that belong to HF Models or to git rather than to the model. */
export function isBookkeepingPath(path: string): boolean {
  const top = path.split("/", 1)[0]!;
  return top === ".git" || top.startsWith(".hf-models");
}

/** The models folder when none is configured: `$HF_MODELS_DIR`, else `~/hf-models`. */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HF_MODELS_DIR?.trim() || join(homedir(), "hf-models");
}

/**
 * The absolute models folder for a configured value (a flag or a setting): empty means the default,
 * a leading `~` is the home folder (a `--dir=~/x` reaches us unexpanded), a relative path is taken from `base`.
 */
export function resolveModelsDir(options: { configured?: string; env?: NodeJS.ProcessEnv; base: string }): string {
  const raw = options.configured?.trim() || defaultModelsDir(options.env);
  const expanded = raw === "~" ? homedir() : raw.startsWith("~/") ? join(homedir(), raw.slice(2)) : raw;
  return isAbsolute(expanded) ? expanded : resolve(options.base, expanded);
}
