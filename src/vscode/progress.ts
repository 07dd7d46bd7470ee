// Turns core's ProgressEvents into a VS Code progress notification: stage text first, then
// "file · 1.2 GB / 4.5 GB · 38 MB/s · ETA 1m32s" with a monotonic percentage increment.
import type * as vscode from "vscode";
import type { ProgressEvent } from "../core/download/types";
import { formatBytes } from "../core/util/format";
import { progressMessage } from "./format";

/** The first seconds of a speed average swing wildly ("2.7 kB/s · ETA 25m51s"); wait before showing it. */
const RATE_WARMUP_MS = 2000;

const STAGE_TEXT: Record<string, string> = {
  resolving: "Resolving the revision…",
  listing: "Listing files…",
  cloning: "Cloning the repository (without weights)…",
  downloading: "Downloading…",
  verifying: "Verifying files…",
  finalizing: "Finishing…",
};

export class ProgressReporter {
  private reportedPercent = 0;
  private lastMessageAt = 0;
  private firstBytesAt?: number;

  constructor(
    private readonly progress: vscode.Progress<{ message?: string; increment?: number }>,
    private readonly now: () => number = Date.now,
  ) {}

  handle(event: ProgressEvent): void {
    switch (event.type) {
      case "stage":
        this.progress.report({ message: event.message ?? STAGE_TEXT[event.stage] ?? event.stage });
        break;
      case "plan":
        this.progress.report({ message: `${event.totalFiles} files, ${formatBytes(event.totalBytes)} (${event.method === "xet" ? "Xet" : "Git LFS"})` });
        break;
      case "fallback":
        this.progress.report({ message: `Xet failed, continuing with Git LFS: ${event.reason}` });
        break;
      case "bytes":
        this.onBytes(event);
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
