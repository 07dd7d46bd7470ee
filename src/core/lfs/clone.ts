// Getting the model folder to be a clone at the wanted commit: a fresh `git clone --no-checkout` (pointers
// only, nothing smudged), or reuse of an existing clone; then the commit, the sparse file set and checkout.
import { existsSync } from "node:fs";
import { appendFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { SimpleGit } from "simple-git";
import { DownloadError } from "../errors";
import { isCommitSha } from "../hub/repoId";
import { PARTIAL_DIR, PENDING_FILE, RECORD_FILE } from "../layout";
import { sparseCheckoutFile } from "./patterns";

/** The git config key that marks a clone HF Models made (download/leftovers.ts refuses a clone without it). */
export const MANAGED_KEY = "hfmodels.managed";

/**
 * The clone's own config: marked as ours (download/leftovers.ts), whether we made it or the user consented to have
 * us take it over; and stat data that hard-linked files (whose ctime changes with each link) do not upset.
 */
const CLONE_CONFIG: Record<string, string> = { [MANAGED_KEY]: "true", "core.trustctime": "false", "core.checkStat": "minimal" };

/** What our files look like to git: never tracked, never shown as untracked. */
const EXCLUDES = [`/${RECORD_FILE}`, `/${RECORD_FILE}.*.tmp`, `/${PARTIAL_DIR}/`, `/${PENDING_FILE}`, `/${PENDING_FILE}.*.tmp`];

export type MakeGit = (baseDir: string) => SimpleGit;

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw err;
  }
}

/**
 * True when `<modelDir>/.git` is a repository git can use. A `.git` left by a clone killed before it
 * finished (no LFS data yet) is removed; anything else git refuses (e.g. "dubious ownership") is reported,
 * never deleted, because it may hold gigabytes of LFS objects. An `index.lock` an interrupted run left is removed.
 */
export async function reusableClone({ modelDir, makeGit, log }: { modelDir: string; makeGit: MakeGit; log?: (m: string) => void }): Promise<boolean> {
  const gitDir = join(modelDir, ".git");
  if (!existsSync(gitDir)) return false;
  if (!(await stat(gitDir)).isDirectory()) throw new DownloadError("not-writable", `${gitDir} is not a folder; move it away and run the download again.`);
  try {
    const dir = (await makeGit(modelDir).raw(["rev-parse", "--git-dir"])).trim();
    if (dir !== ".git" && dir !== gitDir) throw new Error(`git resolved the repository at ${dir}`);
  } catch (err) {
    const text = (err as Error).message;
    if (/not a git repository/i.test(text) && !existsSync(join(gitDir, "lfs", "objects"))) {
      log?.(`Removing the unfinished clone in ${gitDir}`);
      await rm(gitDir, { recursive: true, force: true });
      return false;
    }
    throw new DownloadError("internal", `Git cannot use the existing clone in ${modelDir}: ${text.split("\n").find((l) => l.trim()) ?? text}. Fix it or delete the model folder, then download again.`, { cause: err });
  }
  // The caller holds the model folder's lock, so no other download runs git here: an index.lock is what a git of
  // an interrupted run (killed, or the machine went down) left, and git would refuse every checkout until it goes.
  const indexLock = join(gitDir, "index.lock");
  if (existsSync(indexLock)) {
    log?.(`Removing ${indexLock}, left by a git process of an interrupted download`);
    await rm(indexLock, { force: true });
  }
  return true;
}

/**
 * A clone of one commit deep, no checkout: a model needs its files, not its history (a repo with hundreds of commits
 * of a changing config would otherwise bring every version). Into a temporary sibling first when the folder already
 * holds files (e.g. from Xet).
 */
export async function freshClone({ modelDir, remote, makeGit }: { modelDir: string; remote: string; makeGit: MakeGit }): Promise<void> {
  const parent = dirname(modelDir);
  const config = Object.entries(CLONE_CONFIG).flatMap(([key, value]) => ["--config", `${key}=${value}`]);
  const clone = (into: string) => makeGit(parent).raw(["clone", "--no-checkout", "--depth", "1", "--no-tags", ...config, remote, into]);
  if (await isEmptyOrMissing(modelDir)) {
    await clone(modelDir);
    return;
  }
  const temp = await mkdtemp(join(parent, `.${basename(modelDir)}.clone-`));
  try {
    await clone(temp);
    await rename(join(temp, ".git"), join(modelDir, ".git"));
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** Sets `origin` to `remote` (the current endpoint and canonical repo id). */
export async function pointOriginAt(git: SimpleGit, remote: string): Promise<void> {
  const current = (await git.raw(["config", "--get", "remote.origin.url"]).catch(() => "")).trim();
  if (current === "") await git.raw(["remote", "add", "origin", remote]);
  else if (current !== remote) await git.raw(["remote", "set-url", "origin", remote]);
}

async function hasCommit(git: SimpleGit, commit: string): Promise<boolean> {
  try {
    await git.raw(["cat-file", "-e", `${commit}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure the listed commit is in the clone: fetched one commit deep by revision name (works on every server),
 * then by SHA, then with the history. No network at all when it is already there (resume, or a second download).
 */
export async function ensureCommit({ git, remote, revision, commit }: { git: SimpleGit; remote: string; revision: string; commit: string }): Promise<void> {
  // Always, before anything else: git-lfs fetches from origin, and a clone made against an earlier endpoint (the
  // sandbox's port changes on every start) must follow the current one even when no git fetch is needed (issue 13, M2).
  await pointOriginAt(git, remote);
  if (await hasCommit(git, commit)) return;
  let lastError: unknown;
  const fetches = (revision === commit ? [commit] : [revision, commit]).map((ref) => ["fetch", "--no-tags", "--depth", "1", "origin", ref]);
  // Last: a commit that is no branch tip, from a server that refuses a SHA it does not advertise, is found in history.
  const shallow = (await git.raw(["rev-parse", "--is-shallow-repository"]).catch(() => "false")).trim() === "true";
  fetches.push(["fetch", "--no-tags", ...(shallow ? ["--unshallow"] : []), "origin", "+refs/heads/*:refs/remotes/origin/*"]);
  for (const args of fetches) {
    try {
      await git.raw(args);
    } catch (err) {
      lastError = err;
      continue;
    }
    if (await hasCommit(git, commit)) return;
  }
  if (lastError) throw lastError;
  throw new DownloadError("revision-not-found", `The Hub listed commit ${commit} for ${JSON.stringify(revision)}, but git could not fetch it. Try again; the branch may have just moved.`);
}

/**
 * Per-clone settings: our files excluded, and stat checks reduced to size and mtime: LFS files are hard links to
 * their objects (linkVerified.ts), and linking the same object to another path later changes the shared inode's
 * ctime; without this `git status` would then re-hash whole model files. Git LFS' own setup is installLfsLocally.
 */
export async function configureClone({ git, gitDir, fresh }: { git: SimpleGit; gitDir: string; fresh: boolean }): Promise<void> {
  // A fresh clone got these from `git clone --config` (a git spawn costs ~50 ms each); a reused one may predate them.
  if (!fresh) for (const [key, value] of Object.entries(CLONE_CONFIG)) await git.raw(["config", key, value]);
  await mkdir(join(gitDir, "info"), { recursive: true });
  await appendMissingLines(join(gitDir, "info", "attributes"), NO_CONVERSION);
  const excludeFile = join(gitDir, "info", "exclude");
  const current = existsSync(excludeFile) ? await readFile(excludeFile, "utf8") : "";
  const missing = EXCLUDES.filter((line) => !current.split(/\r?\n/).includes(line));
  if (missing.length > 0) {
    await appendFile(excludeFile, `${current === "" || current.endsWith("\n") ? "" : "\n"}# HF Models\n${missing.join("\n")}\n`);
  }
}

/**
 * Git LFS' filters and hooks in the clone's own config. Without the filters (a user who never ran `git lfs install`)
 * git status would see every model file as modified. Never throws: the download itself does not depend on it.
 */
export async function installLfsLocally({ git, log }: { git: SimpleGit; log?: (m: string) => void }): Promise<void> {
  try {
    await git.raw(["lfs", "install", "--local"]);
  } catch (err) {
    // A conflicting global filter setup makes this refuse.
    log?.(`git lfs install --local failed (${(err as Error).message.split("\n")[0]}); git status may show LFS files as modified.`);
  }
}

/**
 * `$GIT_DIR/info/attributes` outranks every `.gitattributes` (gitattributes(5)): no checkout conversion a repo asks
 * for (`eol=crlf`, `text` with core.autocrlf, `ident`, `working-tree-encoding`) applies, so the files are the Hub's
 * bytes, as the Xet route delivers them. `filter` is left alone: the repo's `filter=lfs` lines keep working.
 */
const NO_CONVERSION = ["* -text -eol -ident -working-tree-encoding"];

async function appendMissingLines(file: string, lines: readonly string[]): Promise<void> {
  const current = existsSync(file) ? await readFile(file, "utf8") : "";
  const missing = lines.filter((line) => !current.split(/\r?\n/).includes(line));
  if (missing.length > 0) await appendFile(file, `${current === "" || current.endsWith("\n") ? "" : "\n"}# HF Models\n${missing.join("\n")}\n`);
}

/** Git LFS' filter switched off for one command: pointers are written as they are, and no git-lfs process starts. */
const NO_LFS_FILTER = ["-c", "filter.lfs.process=", "-c", "filter.lfs.smudge=", "-c", "filter.lfs.clean=", "-c", "filter.lfs.required=false"];

/**
 * Checks out `commit` (on a local branch named like the revision, or detached for SHAs and refs/…); LFS files
 * are smudged or left as pointers according to the environment of `git`. `lfsFilter: false` starts no git-lfs
 * filter process (~0.1 s of git-lfs reading its configuration): for a fresh clone, whose empty index gives
 * the filter nothing to compare, the pointers come out the same.
 */
export async function checkoutSelection(options: { git: SimpleGit; gitDir: string; revision: string; commit: string; sparsePaths?: readonly string[]; lfsFilter?: boolean }): Promise<void> {
  const { git, gitDir, revision, commit, sparsePaths } = options;
  const filter = options.lfsFilter === false ? NO_LFS_FILTER : [];
  const sparseEnabled = (await git.raw(["config", "--bool", "--get", "core.sparseCheckout"]).catch(() => "")).trim() === "true";
  if (sparsePaths) {
    await writeFile(join(gitDir, "info", "sparse-checkout"), sparseCheckoutFile(sparsePaths));
    // --worktree: after `sparse-checkout disable` git keeps these in config.worktree, which overrides .git/config.
    await git.raw(["config", "--worktree", "core.sparseCheckout", "true"]);
    await git.raw(["config", "--worktree", "core.sparseCheckoutCone", "false"]);
  }
  // `HEAD` (the Hub's default branch, as the Xet route resolves it too) is no valid branch name for `checkout -B`.
  const detached = isCommitSha(revision) || revision.startsWith("refs/") || revision === "HEAD";
  await git.raw([...filter, ...(detached ? ["checkout", "-f", "--detach", commit] : ["checkout", "-f", "-B", revision, commit])]);
  if (sparsePaths) {
    // Checkout only re-evaluates entries it touches; reapply applies a changed selection to the whole tree.
    await git.raw([...filter, "sparse-checkout", "reapply"]);
  } else if (sparseEnabled) {
    await git.raw(["sparse-checkout", "disable"]);
  }
}
