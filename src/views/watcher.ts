// Refreshes the Models view when model folders or their records change on disk (another window,
// the CLI, a manual delete). Re-created when the models directory setting changes.
import * as vscode from "vscode";
import { RECORD_FILE } from "../core/layout";

const DEBOUNCE_MS = 400;

export class ModelsDirWatcher implements vscode.Disposable {
  private watcher?: vscode.FileSystemWatcher;
  private timer?: NodeJS.Timeout;
  private dir?: string;

  constructor(private readonly onChange: () => void) {}

  watch(dir: string): void {
    if (dir === this.dir) return;
    this.watcher?.dispose();
    this.dir = dir;
    // `<org>/<name>` folders appearing or vanishing, and records being written.
    this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), `{*,*/*,*/*/${RECORD_FILE}}`));
    const fire = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(this.onChange, DEBOUNCE_MS);
    };
    this.watcher.onDidCreate(fire);
    this.watcher.onDidChange(fire);
    this.watcher.onDidDelete(fire);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.watcher?.dispose();
  }
}
