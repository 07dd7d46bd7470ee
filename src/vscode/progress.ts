// Turns core's ProgressEvents into a VS Code progress notification: stage text first, then
// "file · 1.2 GB / 4.5 GB · 38 MB/s · ETA 1m32s" with a monotonic percentage increment.
import * as vscode from "vscode";
import type { ProgressEvent } from "../core/download/types";
import { formatBytes } from "../core/util/format";
import { progressMessage, renamedText, xetFallbackText } from "./format";

/** The first seconds of a speed average swing wildly ("2.7 kB/s · ETA 25m51s"); wait before showing it. */
const RATE_WARMUP_MS = 2000;

// Looked up when shown, so the strings come from the bundle of the display language.
const STAGE_TEXT: Record<Extract<ProgressEvent, { type: "stage" }>["stage"], () => string> = {
  resolving: () => vscode.l10n.t("Resolving the revision…"),
  listing: () => vscode.l10n.t("Listing files…"),
  cloning: () => vscode.l10n.t("Cloning the repository (without weights)…"),
  downloading: () => vscode.l10n.t("Downloading…"),
  verifying: () => vscode.l10n.t("Verifying files…"),
  finalizing: () => vscode.l10n.t("Finishing…"),
};

export class ProgressReporter {
  private reportedPercent = 0;
  private lastMessageAt = 0;
  private firstBytesAt?: number;

  constructor(
    private readonly progress: vscode.Progress<{ message?: string; increment?: number }>,
    /** The model being downloaded, named in the fallback sentence. */
    private readonly repo: string,
    private readonly now: () => number = Date.now,
  ) {}

  handle(event: ProgressEvent): void {
    switch (event.type) {
      case "stage":
        this.progress.report({ message: event.message ?? STAGE_TEXT[event.stage]() });
        break;
      case "plan":
        this.progress.report({ message: vscode.l10n.t("{0} files, {1} ({2})", event.totalFiles, formatBytes(event.totalBytes), event.method === "xet" ? "Xet" : "Git LFS") });
        break;
      case "fallback":
        this.progress.report({ message: xetFallbackText(this.repo, event.reason) });
        break;
      case "renamed":
        this.progress.report({ message: renamedText(event.from, event.to) });
        break;
      case "bytes":
        this.onBytes(event);
        break;
      case "waiting":
        this.progress.report({ message: vscode.l10n.t("Rate-limited by the Hub, retrying in {0} s", event.seconds) });
        break;
      default:
        break;
    }
  }

  private onBytes(event: Extract<ProgressEvent, { type: "bytes" }>): void {
    const percent = event.totalBytes > 0 ? Math.min(100, (event.doneBytes / event.totalBytes) * 100) : 0;
    // A fallback restarts the byte count; the notification's bar cannot go back, so it just waits.
    const increment = Math.max(0, percent - this.reportedPercent);
    const t = this.now();
    this.firstBytesAt ??= t;
    if (increment < 0.5 && t - this.lastMessageAt < 250) return;
    this.reportedPercent += increment;
    this.lastMessageAt = t;
    this.progress.report({ message: progressMessage(event, { showRate: t - this.firstBytesAt >= RATE_WARMUP_MS }), increment });
  }
}
