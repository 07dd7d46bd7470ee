// "HF Models: Download Model": asks the questions (or takes them from an args object, which skips every
// prompt), then hands the plan to runDownload. Resolves to the DownloadResult, or undefined on Esc/cancel/error.
import * as vscode from "vscode";
import { DownloadError } from "../core/errors";
import { type DownloadMethod, type DownloadResult } from "../core/download/types";
import { mergeRevision, parseRepoId } from "../core/hub/repoId";
import { endpointFrom, readSettings } from "../vscode/settings";
import { askDownload, RepoAskFailed } from "./downloadPrompts";
import { exactPattern } from "./fileChoices";
import { confirmRevisionChange } from "./revisionGuard";
import { reportFailure } from "./failures";
import { runDownload, type DownloadPlan } from "./runDownload";
import type { Services } from "./services";

/** Arguments that skip the prompts: `executeCommand("hfModels.downloadModel", { repo: "org/name" })`. */
export interface DownloadModelArgs {
  repo: string;
  revision?: string;
  /** Exact repo-relative paths; omitted or empty = every file. */
  files?: string[];
  /** Omitted = `hfModels.useXet`. */
  method?: DownloadMethod;
}

export function isDownloadModelArgs(value: unknown): value is DownloadModelArgs {
  return typeof value === "object" && value !== null && typeof (value as { repo?: unknown }).repo === "string";
}

export async function downloadModel(s: Services, args?: unknown): Promise<DownloadResult | undefined> {
  const settings = readSettings();
  const defaultMethod: DownloadMethod = settings.useXet ? "xet" : "lfs";
  let plan: DownloadPlan;
  if (isDownloadModelArgs(args)) {
    try {
      plan = planFromArgs(args, defaultMethod);
    } catch (err) {
      reportFailure(s, args.repo, err);
      return undefined;
    }
  } else {
    let endpoint: string;
    try {
      endpoint = endpointFrom(settings);
    } catch (err) {
      reportFailure(s, "", err, { title: () => vscode.l10n.t("Download Model") });
      return undefined;
    }
    const { token } = await s.tokens.get();
    let answers;
    try {
      answers = await askDownload({ prompter: s.prompter(), logger: s.logger, endpoint, token, defaultMethod });
    } catch (err) {
      s.logger.error("Download Model: the Hub could not be asked", err);
      const retry = () => downloadModel(s);
      if (err instanceof RepoAskFailed) reportFailure(s, err.repo, err.failure, { endpoint, retry });
      else reportFailure(s, "", err, { endpoint, retry, title: () => vscode.l10n.t("Download Model") });
      return undefined;
    }
    if (!answers) {
      s.logger.debug("Download Model: cancelled at a prompt");
      return undefined;
    }
    plan = {
      repo: answers.repo,
      revision: answers.revision,
      include: answers.files?.map(exactPattern),
      method: answers.method,
    };
  }
  if (s.jobs.isRunning(plan.repo)) {
    s.notifier.warn(vscode.l10n.t("{0} is already downloading in this window.", plan.repo));
    return undefined;
  }
  if (!(await confirmRevisionChange(s, plan))) {
    s.logger.info(`Download of ${plan.repo}@${plan.revision} not started: the other revision on disk stays.`);
    return undefined;
  }
  return runDownload(s, plan);
}

function planFromArgs(args: DownloadModelArgs, defaultMethod: DownloadMethod): DownloadPlan {
  const repo = parseRepoId(args.repo);
  const revision = mergeRevision({ repo, explicit: args.revision }) ?? "main";
  if (args.method !== undefined && args.method !== "lfs" && args.method !== "xet") {
    throw new DownloadError("internal", vscode.l10n.t('Unknown download method {0}; use "lfs" or "xet".', JSON.stringify(args.method)));
  }
  const files = args.files?.filter((f) => typeof f === "string" && f.length > 0);
  return {
    repo: repo.id,
    revision,
    include: files && files.length > 0 ? files.map(exactPattern) : undefined,
    method: args.method ?? defaultMethod,
  };
}
