// The download service's public contract: what a caller asks for, what it hears while the work runs,
// and what it gets back. The CLI and the VS Code extension both speak only these types.

import type { DownloadedFile, DownloadMethod } from "../content";

export type { DownloadedFile, DownloadMethod } from "../content";

export interface DownloadRequest {
  /** `org/name` (validated by core/hub/repoId). */
  repo: string;
  /** Branch, tag or full 40-char commit SHA. Default `main`. */
  revision?: string;
  /** Glob patterns (picomatch, matched against repo-relative paths). Empty = everything. */
  include?: string[];
  exclude?: string[];
  /** Default `lfs`. */
  method?: DownloadMethod;
  /** When the Xet route fails for a reason other than a cancel, finish with Git LFS. Default true. */
  fallbackToLfs?: boolean;
  /** The model lands in `<modelsDir>/<org>/<name>/` (with `storage: "folder"`). */
  modelsDir: string;
  /**
   * `folder` (default): `<modelsDir>/<org>/<name>/`. `hfCache`: the standard Hugging Face cache layout
   * (`models--org--name/blobs`, `snapshots/<commit>`, `refs/<revision>`) in `cacheDir`.
   */
  storage?: "folder" | "hfCache";
  /** The cache folder for `storage: "hfCache"`. Default `HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
  cacheDir?: string;
  /** Hub base URL without a trailing slash. Default `HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
  /** Hub token (`hf_…`); never logged, never written to disk. */
  token?: string;
  /**
   * Remove the files outside include/exclude (and their Git LFS objects). Default false: a narrower selection
   * downloads what it names and leaves every other file in place.
   */
  prune?: boolean;
  /**
   * Replace (or remove, when gone upstream) files the user changed since the last complete download. Default false:
   * they are left as they are, left out of the record, and reported in `DownloadResult.keptEdited`.
   */
  overwriteEdited?: boolean;
  /**
   * Download into a model folder that is a git clone HF Models did not make (the user consented): its branch is
   * reset to the Hub's commit and its files replaced, uncommitted changes included. Default false: `foreign-clone`.
   */
  adoptClone?: boolean;
  /** Connections for Git LFS objects fetched in parallel ranges; 0 leaves them all to `git lfs fetch`. Default: adaptive, 2–16. */
  lfsConnections?: number;
  /** Files fetched at once on the Xet route. Default 4. */
  concurrency?: number;
  /** No bytes for this long counts as a stall. Default 30 000 ms. */
  stallTimeoutMs?: number;
}

export interface DownloadResult {
  repo: string;
  revision: string;
  commit: string;
  /** The method that delivered the files. */
  method: DownloadMethod;
  /** Set when Xet was asked for and the download finished through Git LFS. */
  fallbackReason?: string;
  files: DownloadedFile[];
  /** Bytes received over the network in this run (excludes bytes already on disk). */
  bytesTransferred: number;
  /** Sum of the sizes of the selected files. */
  totalBytes: number;
  seconds: number;
  /** Absolute path of the model folder. */
  path: string;
  /** Files changed by the user since the last download, left untouched and not recorded (see `overwriteEdited`). */
  keptEdited?: string[];
}

/** Progress is a stream of small typed events. */
export type ProgressEvent =
  | { type: "stage"; stage: "resolving" | "listing" | "cloning" | "downloading" | "verifying" | "finalizing"; message?: string }
  | { type: "plan"; method: DownloadMethod; totalFiles: number; totalBytes: number }
  | {
      type: "bytes";
      /** Bytes of file content done across the whole download (includes bytes resumed from disk). */
      doneBytes: number;
      /** Bytes received over the network in this run: less than `doneBytes` when partials or local chunks were reused. */
      fetchedBytes: number;
      /** Bytes of partial files an interrupted run left, found when each file started: where this run resumed. */
      resumedBytes: number;
      totalBytes: number;
      /** File currently being transferred, repo-relative. */
      currentFile?: string;
      filesDone: number;
      totalFiles: number;
      /** Smoothed bytes per second over the last few seconds; 0 until known. */
      bytesPerSecond: number;
    }
  | { type: "fallback"; from: "xet"; to: "lfs"; reason: string }
  /** The Hub answered the asked id with a redirect to another (a renamed repo, a legacy id): `to` is used from here on. */
  | { type: "renamed"; from: string; to: string }
  | { type: "file-done"; path: string; size: number }
  /** The Hub asked us to wait (429 with RateLimit `t`, or Retry-After): the download resumes by itself after `seconds`. */
  | { type: "waiting"; reason: "rate-limit"; seconds: number; host: string }
  | { type: "log"; level: "info" | "warn" | "debug"; message: string };

export interface DownloadOptions {
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

export { DownloadError, isCancel, type DownloadErrorCode } from "../errors";
