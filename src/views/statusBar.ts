// A status-bar entry while downloads run: "↓ tiny-model 38%" (or "↓ 2 downloads 45%"), hidden otherwise.
// Clicking it shows the log.
import * as vscode from "vscode";
import { formatBytes, formatRate } from "../core/util/format";
import type { DownloadJobs, JobState } from "../vscode/jobs";

/** The tooltip's word for a job's stage (JobState.stage: "starting" or core's stage code). */
const STAGE_WORD: Record<string, () => string> = {
  starting: () => vscode.l10n.t("starting"),
  resolving: () => vscode.l10n.t("resolving"),
  listing: () => vscode.l10n.t("listing"),
  cloning: () => vscode.l10n.t("cloning"),
  downloading: () => vscode.l10n.t("downloading"),
  verifying: () => vscode.l10n.t("verifying"),
  finalizing: () => vscode.l10n.t("finalizing"),
};
const stageWord = (stage: string): string => STAGE_WORD[stage]?.() ?? stage;

/** "$(cloud-download) tiny-model 38%" for the running jobs, or undefined when none runs (the entry is hidden). */
export function downloadsText(running: readonly JobState[]): string | undefined {
  if (running.length === 0) return undefined;
  const done = running.reduce((n, j) => n + j.doneBytes, 0);
  const total = running.reduce((n, j) => n + j.totalBytes, 0);
  const percent = total > 0 ? ` ${Math.floor((done / total) * 100)}%` : "";
  const what = running.length === 1 ? running[0]!.repo.split("/").pop() : vscode.l10n.t("{0} downloads", running.length);
  return `$(cloud-download) ${what}${percent}`;
}

export class DownloadStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("hfModels.downloads", vscode.StatusBarAlignment.Left, 10);
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly jobs: DownloadJobs,
    showLogCommand: string,
  ) {
    this.item.name = vscode.l10n.t("HF Models Downloads");
    this.item.command = showLogCommand;
    this.subscription = jobs.onDidChange(() => this.update());
  }

  private update(): void {
    const running = this.jobs.running();
    const text = downloadsText(running);
    if (text === undefined) {
      this.item.hide();
      return;
    }
    this.item.text = text;
    this.item.tooltip = running
      .map((j) =>
        j.bytesPerSecond
          ? vscode.l10n.t("{0}: {1}, {2} / {3}, {4}", j.repo, stageWord(j.stage), formatBytes(j.doneBytes), formatBytes(j.totalBytes), formatRate(j.bytesPerSecond))
          : vscode.l10n.t("{0}: {1}, {2} / {3}", j.repo, stageWord(j.stage), formatBytes(j.doneBytes), formatBytes(j.totalBytes)),
      )
      .join("\n");
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
