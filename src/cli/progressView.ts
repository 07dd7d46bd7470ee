// Shows download progress on stderr: a cli-progress bar on a terminal (file, bytes, speed, ETA),
// plain milestone lines otherwise. Every line goes through redact() before it is written.
import { MultiBar, type SingleBar } from "cli-progress";
import type { ProgressEvent } from "../core/download/types";
import { redact } from "../core/hub/token";
import { formatBytes, formatDuration, formatRate } from "../core/util/format";
import { xetFailedText } from "./errorText";

export interface ProgressViewOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Draw a live bar (a terminal) or print milestone lines (pipes, CI logs). */
  interactive: boolean;
  token?: string;
  debug?: boolean;
}

/** One download's terminal output; call `handle` for every ProgressEvent and `stop` at the end. */
export class ProgressView {
  private multi?: MultiBar;
  private bar?: SingleBar;
  private stage = "starting";
  private lastDecile = -1;

  constructor(private readonly options: ProgressViewOptions) {}

  /** Writes one line above the bar (or plainly). */
  line(text: string): void {
    const safe = `${redact(text, this.options.token)}\n`;
    if (this.multi) this.multi.log(safe);
    else this.options.stream.write(safe);
  }

  handle(event: ProgressEvent): void {
    switch (event.type) {
      case "stage": {
        const changed = event.stage !== this.stage;
        this.stage = event.stage;
        // Before bytes flow (cloning, verifying) the label shows what is happening instead of a file.
        if (this.bar) this.bar.update({ label: this.label(event.message ?? event.stage) });
        // In logs one line per stage is enough; git's own percentages would flood them.
        else if (!this.options.interactive && changed) this.line(`${event.stage}${event.message ? `: ${event.message}` : ""}…`);
        break;
      }
      case "plan":
        this.line(`Downloading ${event.totalFiles} file${event.totalFiles === 1 ? "" : "s"} (${formatBytes(event.totalBytes)}) via ${event.method === "xet" ? "Xet" : "Git LFS"}`);
        this.startBar(event.totalBytes);
        break;
      case "bytes":
        this.onBytes(event);
        break;
      case "fallback":
        this.stopBar();
        this.lastDecile = -1;
        this.line(`${xetFailedText(event.reason)}; continuing with Git LFS`);
        break;
      case "renamed":
        this.line(`${event.from} was renamed to ${event.to} on the Hub; downloading ${event.to}`);
        break;
      case "log":
        if (event.level === "warn") this.line(`warning: ${event.message}`);
        else if (this.options.debug || (event.level === "info" && !this.options.interactive)) this.line(event.message);
        break;
      case "waiting":
        this.line(`rate-limited by the Hub (${event.host}), retrying in ${event.seconds} s`);
        break;
      case "file-done":
        break;
    }
  }

  stop(): void {
    this.stopBar();
  }

  /** Widths that fit the terminal: the label and the bar share what the numbers leave over. */
  private layout(): { label: number; bar: number } {
    const columns = this.options.stream.columns || 80;
    const label = columns >= 120 ? 36 : 22;
    return { label, bar: Math.max(6, Math.min(40, columns - 1 - label - 46)) };
  }

  private startBar(total: number): void {
    this.stopBar();
    this.lastDecile = -1;
    if (!this.options.interactive) return;
    const { bar } = this.layout();
    this.multi = new MultiBar({
      stream: this.options.stream,
      format: "{label} [{bar}] {percentage}% {done}/{size} {speed} ETA {eta_h}",
      barsize: bar,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      fps: 10,
    });
    this.bar = this.multi.create(Math.max(total, 1), 0, { label: this.label(this.stage), done: formatBytes(0), size: formatBytes(total), speed: formatRate(0), eta_h: "--:--" });
  }

  private label(text: string): string {
    return shortenPath(text, this.layout().label);
  }

  private onBytes(event: Extract<ProgressEvent, { type: "bytes" }>): void {
    const remaining = Math.max(event.totalBytes - event.doneBytes, 0);
    const eta = event.bytesPerSecond > 0 ? formatDuration(remaining / event.bytesPerSecond) : "--:--";
    // After a fallback the LFS route may report bytes without a new plan: bring the bar back.
    if (!this.bar && this.options.interactive) this.startBar(event.totalBytes);
    if (this.bar) {
      this.bar.setTotal(Math.max(event.totalBytes, 1));
      this.bar.update(event.doneBytes, {
        label: this.label(event.currentFile && this.stage === "downloading" ? event.currentFile : this.stage),
        done: formatBytes(event.doneBytes),
        size: formatBytes(event.totalBytes),
        speed: formatRate(event.bytesPerSecond),
        eta_h: eta,
      });
      return;
    }
    if (this.options.interactive || event.totalBytes <= 0) return;
    const decile = Math.floor((event.doneBytes / event.totalBytes) * 10);
    if (decile > this.lastDecile) {
      this.lastDecile = decile;
      const file = event.currentFile ? ` ${event.currentFile}` : "";
      this.line(`${decile * 10}% ${formatBytes(event.doneBytes)}/${formatBytes(event.totalBytes)} (${event.filesDone}/${event.totalFiles} files)${file} ${formatRate(event.bytesPerSecond)} ETA ${eta}`);
    }
  }

  private stopBar(): void {
    this.multi?.stop();
    this.multi = undefined;
    this.bar = undefined;
  }
}

/** Keeps the end of a long path, which is the part that tells files apart. */
export function shortenPath(path: string, max: number): string {
  return path.length <= max ? path.padEnd(max) : `…${path.slice(path.length - max + 1)}`;
}
