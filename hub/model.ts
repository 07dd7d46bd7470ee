// The local Hub's in-memory picture of its repositories: commits, files and where their bytes live.
// Built once at start-up by loader.ts from folders; every route reads it, none writes it.

export interface HubFile {
  /** Repo-relative path with forward slashes. */
  path: string;
  size: number;
  /** Hex SHA-256 of the content. */
  sha256: string;
  /** Git blob id (sha1 hex) of what git stores: the pointer text for LFS files, the content otherwise. */
  blobOid: string;
  /** Present when git stores this file as an LFS pointer. */
  lfs?: { oid: string; size: number; pointerSize: number };
  /** Xet file id (Xet hex) when the file is Xet-backed (every LFS file is). */
  xetHash?: string;
  /** Absolute path of the real content on disk. */
  source: string;
}

export interface HubCommit {
  sha: string;
  parent?: string;
  message: string;
  /** ISO date. */
  date: string;
  files: Map<string, HubFile>;
}

export interface HubRepo {
  /** `org/name`. */
  id: string;
  private: boolean;
  /** As the Hub's model info says it: false, or how access requests are approved. */
  gated: false | "auto" | "manual";
  /** Former ids (a rename, or a legacy id without a namespace such as `gpt2`): the Hub redirects them here. */
  formerIds: string[];
  /** Branch name → commit sha. `main` always exists. */
  branches: Map<string, string>;
  commits: Map<string, HubCommit>;
  /** Absolute path of the bare git repository (`…/<org>/<name>.git`). */
  gitDir: string;
}

/** One revision of a repo as a folder of files; successive revisions become successive commits. */
export interface RevisionSource {
  dir: string;
  message: string;
  /** Extra branch that points at this commit (the last revision is always `main`). */
  branch?: string;
}

export interface RepoSource {
  id: string;
  revisions: RevisionSource[];
  private?: boolean;
  /** `true` is `"auto"`, as `--gated` always meant. */
  gated?: boolean | "auto" | "manual";
  /** Ids this repo had before a rename, or its legacy id without a namespace (`gpt2`); answered with a 307. */
  renamedFrom?: string[];
  /**
   * LFS files (repo paths) not migrated to Xet yet, as the Hub has newly pushed files until its background
   * migration reaches them: no `xetHash` in the tree, and resolve redirects to the LFS object with no Xet headers.
   * `"*"` marks every LFS file.
   */
  notInXet?: string[];
}

/** A branch name, `HEAD` (the default branch, as `modelInfo` asks for it) or a full commit sha. */
export function resolveRevision(repo: HubRepo, revision: string): HubCommit | undefined {
  const sha = repo.branches.get(revision === "HEAD" ? "main" : revision) ?? (/^[0-9a-f]{40}$/.test(revision) ? revision : undefined);
  return sha ? repo.commits.get(sha) : undefined;
}
