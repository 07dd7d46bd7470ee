// The Download Model questions: repo (live Hub search, pasted URLs), revision, quantization (several GGUFs),
// files (all preselected, sizes shown) and method. Any Esc returns undefined; nothing is downloaded here.
import * as vscode from "vscode";
import type { DownloadMethod } from "../core/download/types";
import { DownloadError } from "../core/errors";
import { listRepoFiles, repoInfo, searchModels, type RepoFileEntry } from "../core/hub/api";
import { parseRepoId, validateRevision, type RepoId } from "../core/hub/repoId";
import { formatBytes } from "../core/util/format";
import type { Logger } from "../vscode/log";
import type { PickItem, Prompter } from "../vscode/prompts";
import { ggufQuantizations, offersSafetensorsOnly, safetensorsOnly, withQuantization, type Quantization } from "./fileChoices";

export interface DownloadAnswers {
  repo: string;
  revision: string;
  /** Exact repo paths; undefined = every file. */
  files?: string[];
  method: DownloadMethod;
}

export interface AskDownloadOptions {
  prompter: Prompter;
  logger: Logger;
  endpoint: string;
  token?: string;
  defaultMethod: DownloadMethod;
}

const title = (step: string, detail?: string) =>
  detail ? vscode.l10n.t("HF Models: Download Model ({0}): {1}", step, detail) : vscode.l10n.t("HF Models: Download Model ({0})", step);

/** The Hub could not answer a question about a chosen repo (its files at the revision): names the repo for the message. */
export class RepoAskFailed extends Error {
  constructor(
    readonly repo: string,
    readonly failure: unknown,
  ) {
    super((failure as Error)?.message ?? String(failure));
  }
}

export async function askDownload(o: AskDownloadOptions): Promise<DownloadAnswers | undefined> {
  const picked = await o.prompter.pick<RepoId>({
    step: "repo",
    title: title("1/4"),
    placeholder: vscode.l10n.t("Search the Hub, or paste org/name or a model URL"),
    items: [],
    search: (query, signal) => repoItems(o, query, signal),
  });
  const repo = picked?.[0];
  if (!repo) return undefined;

  const revision = await o.prompter.input({
    step: "revision",
    title: title("2/4", repo.id),
    prompt: vscode.l10n.t("Branch, tag or commit SHA"),
    value: repo.revision ?? "main",
    validate: revisionProblem,
  });
  if (revision === undefined) return undefined;

  let listing: Awaited<ReturnType<typeof listRepoFiles>>;
  try {
    listing = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t("Listing files of {0}@{1}", repo.id, revision) }, () =>
      listRepoFiles({ endpoint: o.endpoint, token: o.token, repo, revision: revision.trim() }),
    );
  } catch (err) {
    throw new RepoAskFailed(repo.id, err);
  }
  // Several GGUF quantizations add a step: pick one, then the files.
  const steps = ggufQuantizations(listing.files).length > 1 ? 5 : 4;
  const files = await askFiles(o, repo.id, listing.files, steps);
  if (!files) return undefined;

  const method = await askMethod(o, steps);
  if (!method) return undefined;
  return { repo: repo.id, revision: revision.trim(), files: files.length === listing.files.length ? undefined : files, method };
}

async function repoItems(o: AskDownloadOptions, query: string, signal: AbortSignal): Promise<PickItem<RepoId>[]> {
  const text = query.trim();
  let typed: RepoId | undefined;
  let typo: string | undefined;
  try {
    typed = text ? parseRepoId(text) : undefined;
  } catch (err) {
    // A search term is not an id (yet); text that can only be meant as one ("a/b/c", "org/name@rev") is told why not.
    if (/[/@]/.test(text) && !text.endsWith("/")) typo = (err as Error).message;
  }
  const isUrl = /^https?:\/\//i.test(text);
  let hits: PickItem<RepoId>[];
  try {
    // Search as you type: a short rate-limit wait is sat out, a long one ends this search (the next keystroke asks again).
    const found = await searchModels({ endpoint: o.endpoint, token: o.token, query: isUrl && typed ? typed.id : text, limit: 20, signal, maxRateLimitWaitMs: 5_000 });
    hits = found.map((h) => ({ label: h.id, description: stats(h.downloads, h.likes), value: toRepoId(h.id) }));
  } catch (err) {
    if (signal.aborted) throw err;
    o.logger.warn(`Model search for ${JSON.stringify(text)} failed: ${(err as Error).message}`);
    return [unreachable(err, typed)];
  }
  if (typo) return [{ label: `$(error) ${vscode.l10n.t("Not a repo id: {0}", text)}`, detail: typo, value: toRepoId(text), notice: "info" }, ...hits];
  if (!typed) return hits;
  const exact = hits.find((h) => h.label.toLowerCase() === typed.id.toLowerCase());
  if (exact && !isUrl) return [exact, ...hits.filter((h) => h !== exact)];
  const others = hits.filter((h) => h !== exact);
  const typedItem = exact ? { ...exact, value: typed, description: typed.revision ? vscode.l10n.t("revision {0}", typed.revision) : exact.description } : await typedRepoItem(o, typed, signal);
  if (!typedItem) return hits;
  // A pasted URL says exactly what is wanted; a typed id the search does not know goes last.
  return isUrl ? [typedItem, ...others] : [...others, typedItem];
}

/**
 * The id as typed, once the Hub says it exists; otherwise a notice that says why it cannot be chosen (nothing for
 * a single word the Hub does not know: that is a search term, not an id).
 */
async function typedRepoItem(o: AskDownloadOptions, typed: RepoId, signal: AbortSignal): Promise<PickItem<RepoId> | undefined> {
  const description = typed.revision ? vscode.l10n.t("revision {0}", typed.revision) : vscode.l10n.t("repository id as typed");
  try {
    await repoInfo({ endpoint: o.endpoint, token: o.token, repo: typed, revision: typed.revision ?? "main", signal });
  } catch (err) {
    if (signal.aborted) throw err;
    const code = err instanceof DownloadError ? err.code : "internal";
    // The repo is there; its revision is asked for (and checked) at the next step.
    if (code === "revision-not-found") return { label: typed.id, description, value: typed };
    if (code === "not-found" || code === "unauthorized") {
      if (typed.legacy) return undefined;
      return { label: `$(error) ${typed.id}`, description: vscode.l10n.t("cannot be downloaded"), detail: (err as Error).message, value: typed, notice: "info" };
    }
    return unreachable(err, typed);
  }
  return { label: typed.id, description, value: typed };
}

function unreachable(err: unknown, typed: RepoId | undefined): PickItem<RepoId> {
  return {
    label: `$(warning) ${vscode.l10n.t("The Hub could not be searched")}`,
    description: vscode.l10n.t("Enter to retry"),
    detail: (err as Error).message,
    value: typed ?? { id: "", org: "", name: "" },
    notice: "retry",
  };
}

function toRepoId(id: string): RepoId {
  try {
    return parseRepoId(id);
  } catch {
    const [org = "", name = ""] = id.split("/");
    return { id, org, name };
  }
}

function stats(downloads?: number, likes?: number): string | undefined {
  const parts: string[] = [];
  if (downloads !== undefined) parts.push(`$(cloud-download) ${compact(downloads)}`);
  if (likes !== undefined) parts.push(`$(heart) ${compact(likes)}`);
  return parts.length ? parts.join("  ") : undefined;
}

function compact(n: number): string {
  return new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 }).format(n);
}

function revisionProblem(value: string): string | undefined {
  try {
    validateRevision(value.trim());
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

async function askFiles(o: AskDownloadOptions, repo: string, files: RepoFileEntry[], steps: number): Promise<string[] | undefined> {
  let preselected: RepoFileEntry[] = files;
  const quants = ggufQuantizations(files);
  if (quants.length > 1) {
    const all = { name: "all", paths: [], size: 0 } as Quantization;
    const choice = await o.prompter.pick<Quantization>({
      step: "quantization",
      title: title(`3/${steps}`, repo),
      placeholder: vscode.l10n.t("{0} GGUF quantizations: pick one, or all of them", quants.length),
      items: [
        ...quants.map((q) => ({ label: q.name, description: formatBytes(q.size), detail: q.paths.join(", "), value: q })),
        { label: vscode.l10n.t("All quantizations"), description: formatBytes(quants.reduce((n, q) => n + q.size, 0)), value: all },
      ],
    });
    if (!choice?.[0]) return undefined;
    if (choice[0] !== all) preselected = withQuantization(files, choice[0]);
  }
  const selected = new Set(preselected.map((f) => f.path));
  const items: PickItem<string>[] = files.map((f) => ({
    label: f.path,
    description: formatBytes(f.size),
    picked: selected.has(f.path),
    value: f.path,
  }));
  const chosen = await o.prompter.pick<string>({
    step: "files",
    title: title(`${steps - 1}/${steps}`, repo),
    placeholder: vscode.l10n.t(
      "{0} of {1} files selected, {2}: uncheck what you do not need",
      preselected.length,
      files.length,
      formatBytes(preselected.reduce((n, f) => n + f.size, 0)),
    ),
    items,
    canPickMany: true,
    buttons: [
      ...(offersSafetensorsOnly(files)
        ? [{ label: vscode.l10n.t("Safetensors only"), icon: "filter", select: () => itemsFor(items, safetensorsOnly(files)) }]
        : []),
      { label: vscode.l10n.t("Select all"), icon: "check-all", select: () => items },
    ],
  });
  if (!chosen) return undefined;
  if (chosen.length === 0) {
    o.logger.info(`Download of ${repo} not started: no files were selected.`);
    return undefined;
  }
  return chosen;
}

function itemsFor(items: PickItem<string>[], files: RepoFileEntry[]): PickItem<string>[] {
  const keep = new Set(files.map((f) => f.path));
  return items.filter((i) => keep.has(i.value));
}

async function askMethod(o: AskDownloadOptions, steps: number): Promise<DownloadMethod | undefined> {
  const lfs: PickItem<DownloadMethod> = { label: "Git LFS", description: vscode.l10n.t("git clone + git-lfs"), value: "lfs" };
  const xet: PickItem<DownloadMethod> = { label: "Xet", description: vscode.l10n.t("chunk-deduplicated storage; falls back to Git LFS if it fails"), value: "xet" };
  const first = o.defaultMethod === "xet" ? xet : lfs;
  first.description = vscode.l10n.t("{0} (default, from the Use Xet setting)", first.description ?? "");
  const picked = await o.prompter.pick<DownloadMethod>({
    step: "method",
    title: title(`${steps}/${steps}`),
    placeholder: vscode.l10n.t("Download method"),
    items: o.defaultMethod === "xet" ? [xet, lfs] : [lfs, xet],
  });
  return picked?.[0];
}
