// The extension's wording of a download's progress, built from core's number formatting:
// "model.safetensors · 1.2 GB / 4.5 GB · 38 MB/s · ETA 1m32s", and the one sentence for a Xet fallback.
import * as vscode from "vscode";
import type { ProgressEvent } from "../core/download/types";
import { formatBytes, formatDuration, formatRate } from "../core/util/format";

/** The fields of a `bytes` progress event. */
export type BytesProgress = Omit<Extract<ProgressEvent, { type: "bytes" }>, "type">;

/**
 * "model.safetensors · 1.2 GB / 4.5 GB · 38 MB/s · ETA 1m32s" (speed and ETA once the speed is known and trusted),
 * with "resumed at 1.1 GB" after an interruption and "9.5 MB fetched" when far less came over the network than was written.
 */
export function progressMessage(p: BytesProgress, options: { showRate?: boolean } = {}): string {
  const parts = [p.currentFile ?? vscode.l10n.t("{0}/{1} files", p.filesDone, p.totalFiles), `${formatBytes(p.doneBytes)} / ${formatBytes(p.totalBytes)}`];
  if (p.resumedBytes > 0) parts.push(vscode.l10n.t("resumed at {0}", formatBytes(p.resumedBytes)));
  if (fetchedIsNews(p.fetchedBytes, p.doneBytes - p.resumedBytes)) parts.push(vscode.l10n.t("{0} fetched", formatBytes(p.fetchedBytes)));
  if (p.bytesPerSecond > 0 && options.showRate !== false) {
    parts.push(formatRate(p.bytesPerSecond));
    parts.push(vscode.l10n.t("ETA {0}", formatDuration(Math.max(0, p.totalBytes - p.doneBytes) / p.bytesPerSecond)));
  }
  return parts.join(" · ");
}

/** The extension's one wording of a renamed repo (progress and log): said once per download. */
export function renamedText(from: string, to: string): string {
  return vscode.l10n.t("{0} was renamed to {1} on the Hub; downloading {1}", from, to);
}

/** The extension's one wording of a Xet-to-Git-LFS fallback (progress, notice and log all use it). */
export function xetFallbackText(repo: string, reason: string): string {
  return vscode.l10n.t("Xet failed for {0}, continuing with Git LFS: {1}", repo, reason);
}

/** Worth saying when the network carried under 90 % of what was written (reused chunks, files already there) and the gap is over 1 MB. */
export function fetchedIsNews(fetched: number, written: number): boolean {
  return written - fetched > 1_000_000 && fetched < written * 0.9;
}
