// Runs one download with the full VS Code experience: cancellable progress notification, status-bar
// entry, log lines (method, fallback, files, timings; never the token) and a clear outcome message.
import { homedir } from "node:os";
import * as vscode from "vscode";
import { download } from "../core/download/service";
import { DownloadError, isCancel } from "../core/errors";
import { type DownloadMethod, type DownloadRequest, type DownloadResult } from "../core/download/types";
import { abortSignalFrom } from "../vscode/cancel";
import { formatBytes, formatDuration } from "../core/util/format";
import { fetchedIsNews, renamedText, xetFallbackText } from "../vscode/format";
import { ProgressReporter } from "../vscode/progress";
import { endpointFrom, readSettings } from "../vscode/settings";
import { reportFailure, showLog } from "./failures";
import { Command } from "./ids";
import { linkAfterDownload } from "./pythonCommands";
import type { Services } from "./services";

export interface DownloadPlan {
  repo: string;
  revision: string;
  include?: string[];
  exclude?: string[];
  method: DownloadMethod;
  /** Replace files the user changed since the last download (asked for by the keep/replace prompt). */
  overwriteEdited?: boolean;
  /** Download into a git clone HF Models did not make (the user consented in the modal). */
  adoptClone?: boolean;
  /** Overrides `hfModels.storage` (an update of a model in the Hugging Face cache stays there). */
  storage?: "folder" | "hfCache";
}

const FOREIGN_CLONE = Symbol("foreign-clone");

/** Resolves to the result, or undefined when cancelled or failed (the user has been told which). */
export async function runDownload(s: Services, plan: DownloadPlan): Promise<DownloadResult | undefined> {
  const outcome = await runDownloadOnce(s, plan);
  if (outcome !== FOREIGN_CLONE) return outcome;
  // The model folder is a git clone someone else made: taking it over only with the user's explicit consent.
  const useIt = vscode.l10n.t("Use It Anyway");
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t("The folder for {0} is a git repository not made by HF Models.", plan.repo),
    {
      modal: true,
      detail: vscode.l10n.t("Downloading into it resets its current branch to the Hub's commit and replaces its files. Uncommitted changes in it are lost. Move it away to keep it."),
    },
    useIt,
  );
  if (answer !== useIt) return undefined;
  const again = await runDownloadOnce(s, { ...plan, adoptClone: true });
  return again === FOREIGN_CLONE ? undefined : again;
}

async function runDownloadOnce(s: Services, plan: DownloadPlan): Promise<DownloadResult | undefined | typeof FOREIGN_CLONE> {
  const settings = readSettings();
  let endpoint: string;
  try {
    endpoint = endpointFrom(settings);
  } catch (err) {
    reportFailure(s, plan.repo, err, { retry: () => runDownload(s, plan) });
    return undefined;
  }
  const { token, origin } = await s.tokens.get();
  const request: DownloadRequest = {
    repo: plan.repo,
    revision: plan.revision,
    include: plan.include,
    ...(plan.exclude ? { exclude: plan.exclude } : {}),
    method: plan.method,
    fallbackToLfs: settings.fallbackToLfs,
    modelsDir: settings.modelsDir,
    ...((plan.storage ?? settings.storage) === "hfCache" ? { storage: "hfCache" as const } : {}),
    endpoint,
    token,
    concurrency: settings.concurrency,
    ...(plan.overwriteEdited ? { overwriteEdited: true } : {}),
    ...(plan.adoptClone ? { adoptClone: true } : {}),
  };
  const files = plan.include ? `${plan.include.length} selected` : "all";
  s.logger.info(
    `Download ${plan.repo}@${plan.revision}: method ${plan.method}${plan.method === "xet" ? ` (fallback to LFS: ${settings.fallbackToLfs ? "on" : "off"})` : ""}, ` +
      `files ${files}, into ${settings.modelsDir}, endpoint ${endpoint}, token ${token ? `from ${origin}` : "none"}`,
  );
  if (plan.include) s.logger.debug(`Include patterns: ${plan.include.join(" ")}`);

  const job = s.jobs.start(plan.repo);
  const started = Date.now();
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t("Downloading {0}", plan.repo), cancellable: true },
      async (progress, cancelToken) => {
        const abort = abortSignalFrom(cancelToken, job.controller);
        const reporter = new ProgressReporter(progress, plan.repo);
        try {
          return await download(request, {
            signal: abort.signal,
            onProgress: (event) => {
              job.update(event);
              reporter.handle(event);
              if (event.type === "fallback") {
                const text = xetFallbackText(plan.repo, event.reason);
                s.logger.warn(text);
                s.notifier.info(text, showLog(s));
              } else if (event.type === "renamed") {
                s.logger.info(renamedText(event.from, event.to));
              } else if (event.type === "log") {
                s.logger[event.level](`${plan.repo}: ${event.message}`);
              } else if (event.type === "stage") {
                s.logger.debug(`${plan.repo}: ${event.stage}${event.message ? ` (${event.message})` : ""}`);
              } else if (event.type === "file-done") {
                s.logger.debug(`${plan.repo}: done ${event.path} (${formatBytes(event.size)})`);
              }
            },
          });
        } finally {
          abort.dispose();
        }
      },
    );
    logSuccess(s, result);
    // Folder storage with the setting: Python tools see the model too (a failure there is told, the download stands).
    if (settings.makeAvailableToPython && (plan.storage ?? settings.storage) === "folder") await linkAfterDownload(s, result.path, result.repo);
    // The size is what was written; what came over the network is said too when it was far less (reused chunks, an update).
    const size = fetchedIsNews(result.bytesTransferred, result.totalBytes)
      ? vscode.l10n.t("{0}, {1} of it fetched", formatBytes(result.totalBytes), formatBytes(result.bytesTransferred))
      : formatBytes(result.totalBytes);
    s.notifier.info(
      result.fallbackReason
        ? vscode.l10n.t("Downloaded {0} ({1} files, {2}, via Git LFS) to {3}.", result.repo, result.files.length, size, tildify(result.path))
        : vscode.l10n.t("Downloaded {0} ({1} files, {2}) to {3}.", result.repo, result.files.length, size, tildify(result.path)),
      { title: vscode.l10n.t("Open Folder"), run: () => vscode.commands.executeCommand(Command.openFolder, result.path) },
      { title: vscode.l10n.t("Reveal"), run: () => vscode.commands.executeCommand(Command.revealInOS, result.path) },
    );
    return result;
  } catch (err) {
    const seconds = (Date.now() - started) / 1000;
    if (isCancel(err) || job.controller.signal.aborted) {
      s.logger.info(`Download ${plan.repo} cancelled after ${formatDuration(seconds)}`);
      s.notifier.status(vscode.l10n.t("HF Models: download of {0} cancelled", plan.repo));
    } else if (err instanceof DownloadError && err.code === "foreign-clone" && !plan.adoptClone) {
      s.logger.warn(`Download ${plan.repo}: ${err.message}`);
      return FOREIGN_CLONE;
    } else {
      s.logger.error(`Download ${plan.repo} failed after ${formatDuration(seconds)}`, err);
      reportFailure(s, plan.repo, err, { endpoint, retry: () => runDownload(s, plan) });
    }
    return undefined;
  } finally {
    s.jobs.end(job);
    s.refreshModels();
  }
}

function logSuccess(s: Services, r: DownloadResult): void {
  const rate = r.seconds > 0 ? ` (${formatBytes(r.bytesTransferred / r.seconds)}/s)` : "";
  s.logger.info(
    `Downloaded ${r.repo}@${r.revision} (commit ${r.commit}) by ${r.method}${r.fallbackReason ? ` after Xet fallback: ${r.fallbackReason}` : ""}: ` +
      `${r.files.length} files, ${formatBytes(r.totalBytes)}, ${formatBytes(r.bytesTransferred)} transferred in ${formatDuration(r.seconds)}${rate} → ${r.path}`,
  );
  for (const f of r.files) s.logger.debug(`  ${f.path} ${f.size} bytes ${f.hashKind}:${f.hash}`);
}

export function tildify(path: string): string {
  const home = homedir();
  return path === home || path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}
