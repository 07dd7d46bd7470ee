// The downloads running in this window: each with its AbortController and latest progress, so the
// status bar can summarise them and a cancel (from the notification or a test) reaches core.
import * as vscode from "vscode";
import type { ProgressEvent } from "../core/download/types";

export interface JobState {
  id: number;
  repo: string;
  stage: string;
  doneBytes: number;
  totalBytes: number;
  bytesPerSecond: number;
}

export class DownloadJob {
  readonly controller = new AbortController();
  readonly state: JobState;

  constructor(
    id: number,
    repo: string,
    private readonly changed: (job: DownloadJob, event?: ProgressEvent) => void,
  ) {
    this.state = { id, repo, stage: "starting", doneBytes: 0, totalBytes: 0, bytesPerSecond: 0 };
  }

  update(event: ProgressEvent): void {
    if (event.type === "stage") this.state.stage = event.stage;
    if (event.type === "plan") this.state.totalBytes = event.totalBytes;
    if (event.type === "bytes") {
      this.state.doneBytes = event.doneBytes;
      this.state.totalBytes = event.totalBytes;
      this.state.bytesPerSecond = event.bytesPerSecond;
    }
    this.changed(this, event);
  }
}

export class DownloadJobs implements vscode.Disposable {
  private nextId = 1;
  private readonly jobs = new Map<number, DownloadJob>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly progressEmitter = new vscode.EventEmitter<{ repo: string; event: ProgressEvent }>();
  /** Jobs started, updated or ended. */
  readonly onDidChange = this.changeEmitter.event;
  /** Every progress event of every job (the tests wait on these). */
  readonly onDidProgress = this.progressEmitter.event;

  start(repo: string): DownloadJob {
    const job = new DownloadJob(this.nextId++, repo, (j, event) => {
      if (event) this.progressEmitter.fire({ repo: j.state.repo, event });
      this.changeEmitter.fire();
    });
    this.jobs.set(job.state.id, job);
    this.changeEmitter.fire();
    return job;
  }

  end(job: DownloadJob): void {
    this.jobs.delete(job.state.id);
    this.changeEmitter.fire();
  }

  running(): JobState[] {
    return [...this.jobs.values()].map((j) => ({ ...j.state }));
  }

  isRunning(repo: string): boolean {
    return [...this.jobs.values()].some((j) => j.state.repo.toLowerCase() === repo.toLowerCase());
  }

  /** Aborts every running download; returns how many were asked to stop. */
  cancelAll(): number {
    for (const job of this.jobs.values()) job.controller.abort();
    return this.jobs.size;
  }

  dispose(): void {
    this.cancelAll();
    this.changeEmitter.dispose();
    this.progressEmitter.dispose();
  }
}
