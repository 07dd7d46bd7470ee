// User-facing messages with their action buttons, in one place. Each message is also remembered
// (text, level, actions) so the extension-host tests can assert what the user was told.
import * as vscode from "vscode";

export type NoticeLevel = "info" | "warning" | "error" | "status";

export interface Notice {
  level: NoticeLevel;
  message: string;
  actions: string[];
}

export interface NoticeAction {
  title: string;
  run(): unknown;
}

export class Notifier {
  private readonly notices: Notice[] = [];

  /** Shows the message without waiting for it; runs the chosen action when the user clicks one. */
  show(level: Exclude<NoticeLevel, "status">, message: string, ...actions: NoticeAction[]): void {
    this.notices.push({ level, message, actions: actions.map((a) => a.title) });
    if (this.notices.length > 200) this.notices.shift();
    const titles = actions.map((a) => a.title);
    const shown =
      level === "error"
        ? vscode.window.showErrorMessage(message, ...titles)
        : level === "warning"
          ? vscode.window.showWarningMessage(message, ...titles)
          : vscode.window.showInformationMessage(message, ...titles);
    void Promise.resolve(shown).then(
      (choice) => actions.find((a) => a.title === choice)?.run(),
      () => undefined,
    );
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
    this.notices.push({ level: "status", message, actions: [] });
    vscode.window.setStatusBarMessage(message, ms);
  }

  history(): Notice[] {
    return [...this.notices];
  }

  clearHistory(): void {
    this.notices.length = 0;
  }
}
