// Runs git and git-lfs for the LFS route through simple-git: one configured instance per folder with our
// environment, the caller's AbortSignal (kills the child) and a hook that sees every spawned command line.
import { simpleGit, type SimpleGit, type SimpleGitProgressEvent } from "simple-git";
import { cancelledError, DownloadError } from "../errors";

export interface GitRunOptions {
  /** Working folder; must exist. */
  baseDir: string;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Progress of clone / fetch / checkout as parsed by simple-git. */
  onProgress?: (event: SimpleGitProgressEvent) => void;
  /** Sees the argument list of every spawned git command (tests check no secret is ever in it). */
  onCommand?: (args: string[]) => void;
}

export function createGit({ baseDir, env, signal, onProgress, onCommand }: GitRunOptions): SimpleGit {
  const git = simpleGit({
    baseDir,
    abort: signal,
    progress: onProgress,
    maxConcurrentProcesses: 1,
    // GIT_CONFIG_COUNT carries the scoped token header and, for the checkout, git-lfs' filter (env.ts builds
    // both; inherited GIT_CONFIG_* are dropped); config paths may come from the user's own environment.
    unsafe: { allowUnsafeConfigEnvCount: true, allowUnsafeConfigPaths: true, allowUnsafeFilter: true },
  }).env(env);
  if (onCommand) git.outputHandler((_command, _stdout, _stderr, args) => onCommand([...args]));
  return git;
}

const INSTALL_GIT = "Install Git (Debian/Ubuntu: sudo apt-get install git; macOS: brew install git; Windows: https://git-scm.com/download/win) and try again.";
const INSTALL_LFS =
  "Install Git LFS (Debian/Ubuntu: sudo apt-get install git-lfs; macOS: brew install git-lfs; others: https://git-lfs.com), run 'git lfs install', and try again.";

/** Throws `git-missing` / `git-lfs-missing` with one line saying how to install what is missing. */
export async function checkGitTools(options: Omit<GitRunOptions, "onProgress">): Promise<{ git: string; lfs: string }> {
  const git = createGit(options);
  let gitVersion: string;
  try {
    gitVersion = (await git.raw(["--version"])).trim();
  } catch (cause) {
    if (options.signal?.aborted) throw cancelledError(cause);
    throw new DownloadError("git-missing", `Git was not found on PATH. ${INSTALL_GIT}`, { cause });
  }
  let lfsVersion: string;
  try {
    lfsVersion = (await git.raw(["lfs", "version"])).trim();
  } catch (cause) {
    if (options.signal?.aborted) throw cancelledError(cause);
    throw new DownloadError("git-lfs-missing", `Git LFS is not installed ("git lfs version" failed). ${INSTALL_LFS}`, { cause });
  }
  return { git: gitVersion, lfs: lfsVersion };
}
