// User-facing messages with their action buttons, in one place. Each message is also announced as an
// event (text, level, actions), so whoever needs to know what the user was told can listen.
import * as vscode from "vscode";

export type NoticeLevel = "info" | "warning" | "error" | "status";

export interface Notice {
  level: NoticeLevel;
  message: string;
  actions: string[];
  /** Runs the action titled so, as a click on its button does. */
  choose(title: string): Promise<unknown>;
}

export interface NoticeAction {
  title: string;
  run(): unknown;
}

export class Notifier implements vscode.Disposable {
  private readonly notified = new vscode.EventEmitter<Notice>();
  readonly onDidNotify: vscode.Event<Notice> = this.notified.event;

  /** Shows the message without waiting for it; runs the chosen action when the user clicks one. */
  show(level: Exclude<NoticeLevel, "status">, message: string, ...actions: NoticeAction[]): void {
    const run = async (title: string | undefined) => actions.find((a) => a.title === title)?.run();
    this.notified.fire({ level, message, actions: actions.map((a) => a.title), choose: run });
    const titles = actions.map((a) => a.title);
    const shown =
      level === "error"
        ? vscode.window.showErrorMessage(message, ...titles)
        : level === "warning"
          ? vscode.window.showWarningMessage(message, ...titles)
          : vscode.window.showInformationMessage(message, ...titles);
    void Promise.resolve(shown).then(run, () => undefined);
  }

  info(message: string, ...actions: NoticeAction[]): void {
    this.show("info", message, ...actions);
  }
  warn(message: string, ...actions: NoticeAction[]): void {
    this.show("warning", message, ...actions);
  }
  error(message: string, ...actions: NoticeAction[]): void {
    this.show("error", message, ...actions);
  }

  /** A short note in the status bar (for outcomes that need no attention, such as a cancel). */
  status(message: string, ms = 5000): void {
    this.notified.fire({ level: "status", message, actions: [], choose: async () => undefined });
    vscode.window.setStatusBarMessage(message, ms);
  }

  dispose(): void {
    this.notified.dispose();
  }
}
