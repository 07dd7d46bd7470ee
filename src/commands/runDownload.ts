// Runs one download with the full VS Code experience: cancellable progress notification, status-bar
// entry, log lines (method, fallback, files, timings; never the token) and a clear outcome message.
import { homedir } from "node:os";
import * as vscode from "vscode";
import { download } from "../core/download/service";
import { DownloadError, isCancel } from "../core/errors";
import { type DownloadMethod, type DownloadRequest, type DownloadResult } from "../core/download/types";
import { abortSignalFrom } from "../vscode/cancel";
import { formatBytes, formatDuration } from "../core/util/format";
import type { NoticeAction } from "../vscode/notify";
import { fetchedIsNews, renamedText, xetFallbackText } from "../vscode/format";
import { ProgressReporter } from "../vscode/progress";
import { endpointFrom, readSettings, SECTION, Setting } from "../vscode/settings";
import { Command } from "./ids";
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
    ...(settings.storage === "hfCache" ? { storage: "hfCache" as const } : {}),
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

export function showLog(s: Services): NoticeAction {
  return { title: vscode.l10n.t("Show Log"), run: () => s.logger.show() };
}

export interface FailureReport {
  /** The Hub the failed request went to, for Open Model Page. */
  endpoint?: string;
  /** What "Retry" runs again; no Retry without it. */
  retry?: () => unknown;
  /** The first words of the message, when the failure was not a download ("Could not check {0} for updates"). */
  title?: (repo: string) => string;
}

/** The error message with what failed and what to do, Retry when it can help, the one action its kind needs, and the log. */
export function reportFailure(s: Services, repo: string, err: unknown, report: FailureReport = {}): void {
  const message = err instanceof DownloadError ? err.message : vscode.l10n.t("Unexpected error: {0}", (err as Error)?.message ?? String(err));
  if (!(err instanceof DownloadError)) s.logger.error(`Unexpected failure for ${repo}`, err);
  const code = err instanceof DownloadError ? err.code : "internal";
  const actions: NoticeAction[] = [];
  if (report.retry && RETRYABLE.has(code)) actions.push({ title: vscode.l10n.t("Retry"), run: report.retry });
  const openSettings = (setting: string): NoticeAction => ({
    title: vscode.l10n.t("Open Settings"),
    run: () => vscode.commands.executeCommand("workbench.action.openSettings", `${SECTION}.${setting}`),
  });
  // Core's message is face-neutral; the way forward in this face is the hint and the button.
  if (code === "gated") actions.push(...gatedActions(repo, report.endpoint));
  if (code === "unauthorized") actions.push({ title: vscode.l10n.t("Set Access Token"), run: () => vscode.commands.executeCommand(Command.setToken) });
  if (code === "not-writable" || code === "disk-full") actions.push(openSettings(Setting.modelsDirectory));
  if (code === "invalid-endpoint" || code === "network") actions.push(openSettings(Setting.endpoint));
  actions.push(showLog(s));
  const hint = code === "network" ? ` ${vscode.l10n.t("Check the network, the proxy (http.proxy) and the HF Models endpoint setting.")}` : "";
  const title = report.title?.(repo) ?? vscode.l10n.t("Could not download {0}", repo);
  s.notifier.error(`${title}: ${message}${hint}`, ...actions);
}

/** Failures another try can get past: the network, the server, a token set meanwhile, a freed disk. Not a bad id or a missing repo. */
const RETRYABLE = new Set<string>(["network", "tls", "server", "rate-limited", "stalled", "unauthorized", "gated", "disk-full", "not-writable", "locked", "integrity", "xet-unavailable", "git-lfs-missing", "git-missing", "internal"]);

export function tildify(path: string): string {
  const home = homedir();
  return path === home || path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

/**
 * A gated repo: the terms are accepted (or access requested) on the model page, and the token is what proves it;
 * both ways forward, whichever core's message named. `repo` is the canonical id the download used.
 */
export function gatedActions(repo: string, endpoint?: string): NoticeAction[] {
  const actions: NoticeAction[] = [];
  if (endpoint) actions.push({ title: vscode.l10n.t("Open Model Page"), run: () => vscode.env.openExternal(vscode.Uri.parse(`${endpoint}/${repo}`)) });
  actions.push({ title: vscode.l10n.t("Set Access Token…"), run: () => vscode.commands.executeCommand(Command.setToken) });
  return actions;
}
