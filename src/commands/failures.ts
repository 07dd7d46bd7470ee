// How a failure is told in this face: the error's message with what failed, the hint and the one button its kind
// needs, Retry when another try can help, and always the log.
import * as vscode from "vscode";
import { DownloadError, type DownloadErrorCode } from "../core/errors";
import type { NoticeAction } from "../vscode/notify";
import { SECTION, Setting } from "../vscode/settings";
import { Command } from "./ids";
import type { Services } from "./services";

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
  const code: DownloadErrorCode = err instanceof DownloadError ? err.code : "internal";
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
const RETRYABLE = new Set<DownloadErrorCode>(["network", "tls", "server", "rate-limited", "stalled", "unauthorized", "gated", "disk-full", "not-writable", "locked", "integrity", "xet-unavailable", "git-lfs-missing", "git-missing", "internal"]);

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
