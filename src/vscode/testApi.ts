// What activate() returns in test mode: handles the extension-host tests use to answer prompts and
// observe outcomes (messages, log lines, tree, jobs). Not exported outside ExtensionMode.Test.
import type { ModelsTreeProvider } from "../views/modelsTree";
import type { DownloadStatusBar } from "../views/statusBar";
import type { DownloadJobs } from "./jobs";
import type { Logger } from "./log";
import type { Notice, Notifier } from "./notify";
import type { Prompter } from "./prompts";

export interface HfModelsTestApi {
  /** Replace the real QuickPicks/input boxes/dialogs; `undefined` restores them. */
  setPrompter(prompter: Prompter | undefined): void;
  notices(): Notice[];
  clearNotices(): void;
  logLines(): string[];
  tree: ModelsTreeProvider;
  jobs: DownloadJobs;
  statusBarText(): string | undefined;
}

export interface HfModelsApi {
  testing?: HfModelsTestApi;
}

export function createTestApi(o: {
  setPrompter(p: Prompter | undefined): void;
  notifier: Notifier;
  logger: Logger;
  tree: ModelsTreeProvider;
  jobs: DownloadJobs;
  statusBar: DownloadStatusBar;
}): HfModelsTestApi {
  return {
    setPrompter: o.setPrompter,
    notices: () => o.notifier.history(),
    clearNotices: () => o.notifier.clearHistory(),
    logLines: () => o.logger.recentLines(),
    tree: o.tree,
    jobs: o.jobs,
    statusBarText: () => o.statusBar.text,
  };
}
