// Turns folders (RepoSource) into the Hub's repos: a real bare git repository per repo with LFS pointers,
// and every LFS file stored in the Xet store, so both the git and the Xet routes serve the same bytes.
import { join } from "node:path";
import { buildGitRepo } from "./git/build";
import type { HubCommit, HubFile, HubRepo, RepoSource } from "./model";
import type { XetStore } from "./xet/store";

export interface LoadReposOptions {
  sources: RepoSource[];
  gitRoot: string;
  xet: XetStore;
  lfsThresholdBytes: number;
}

export async function loadRepos(options: LoadReposOptions): Promise<Map<string, HubRepo>> {
  const repos = new Map<string, HubRepo>();
  const ids = new Set(options.sources.map((s) => s.id));
  const former = new Set<string>();
  for (const source of options.sources) {
    if (repos.has(source.id)) throw new Error(`repo ${source.id} is listed twice`);
    if (!/^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/.test(source.id)) throw new Error(`bad repo id ${JSON.stringify(source.id)}`);
    for (const old of source.renamedFrom ?? []) {
      // A former id is `org/name` (a rename) or a bare legacy name (`gpt2`); never a live id, never two repos'.
      if (!/^(?:[A-Za-z0-9][\w.-]*\/)?[A-Za-z0-9][\w.-]*$/.test(old)) throw new Error(`bad former repo id ${JSON.stringify(old)}`);
      if (ids.has(old) || former.has(old)) throw new Error(`former id ${old} of ${source.id} is taken`);
      former.add(old);
    }
    repos.set(source.id, await loadRepo(source, options));
  }
  return repos;
}

async function loadRepo(source: RepoSource, options: LoadReposOptions): Promise<HubRepo> {
  const gitDir = join(options.gitRoot, `${source.id}.git`);
  const built = await buildGitRepo({ source, gitDir, lfsThresholdBytes: options.lfsThresholdBytes });
  const commits = new Map<string, HubCommit>();
  const branches = new Map<string, string>();
  for (const commit of built) {
    const files = new Map<string, HubFile>();
    for (const file of commit.files) {
      const migrated = !(source.notInXet?.includes(file.path) || source.notInXet?.includes("*"));
      const xetHash = file.lfs && migrated ? (await options.xet.addFile(file.source)).fileHash : undefined;
      files.set(file.path, { ...file, xetHash });
    }
    commits.set(commit.sha, { sha: commit.sha, parent: commit.parent, message: commit.message, date: commit.date, files });
    if (commit.branch) branches.set(commit.branch, commit.sha);
  }
  const head = built[built.length - 1];
  if (!head) throw new Error(`repo ${source.id} has no revisions`);
  branches.set("main", head.sha);
  const gated = source.gated === true ? "auto" : source.gated || false;
  return { id: source.id, private: !!source.private, gated, formerIds: [...(source.renamedFrom ?? [])], branches, commits, gitDir };
}
