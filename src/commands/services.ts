// What every command needs, created once in activate(): log, messages, token, prompts, running jobs
// and a way to refresh the Models view. Commands receive this bag instead of reaching for globals.
import type * as vscode from "vscode";
import type { ModelHealth } from "../views/health";
import type { DownloadJobs } from "../vscode/jobs";
import type { Logger } from "../vscode/log";
import type { Notifier } from "../vscode/notify";
import type { Prompter } from "../vscode/prompts";
import type { TokenStore } from "../vscode/token";

export interface Services {
  context: vscode.ExtensionContext;
  logger: Logger;
  notifier: Notifier;
  tokens: TokenStore;
  /** Read on every use: tests swap in a scripted prompter. */
  prompter(): Prompter;
  jobs: DownloadJobs;
  /** What the last Verify found per model folder; the tree shows it. */
  health: ModelHealth;
  refreshModels(): void;
}
