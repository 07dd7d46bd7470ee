// Human-readable sizes, speeds and durations for progress messages, tree descriptions and the log.
// Decimal units (1 GB = 10^9 bytes) as the Hugging Face Hub shows them.

const UNITS = ["B", "kB", "MB", "GB", "TB"];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "?";
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  return `${value >= 10 ? value.toFixed(0) : value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** `45s`, `1m32s`, `2h05m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export interface BytesProgress {
  doneBytes: number;
  totalBytes: number;
  currentFile?: string;
  filesDone: number;
  totalFiles: number;
  bytesPerSecond: number;
}

/** "model.safetensors · 1.2 GB / 4.5 GB · 38 MB/s · ETA 1m32s" (speed and ETA once the speed is known and trusted). */
export function progressMessage(p: BytesProgress, options: { showRate?: boolean } = {}): string {
  const parts = [p.currentFile ?? `${p.filesDone}/${p.totalFiles} files`, `${formatBytes(p.doneBytes)} / ${formatBytes(p.totalBytes)}`];
  if (p.bytesPerSecond > 0 && options.showRate !== false) {
    parts.push(formatRate(p.bytesPerSecond));
    parts.push(`ETA ${formatDuration(Math.max(0, p.totalBytes - p.doneBytes) / p.bytesPerSecond)}`);
  }
  return parts.join(" · ");
}
