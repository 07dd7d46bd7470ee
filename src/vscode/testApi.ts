// What activate() returns in test mode: handles the extension-host tests use to answer prompts and
// observe outcomes (messages, log lines, tree, jobs). Not exported outside ExtensionMode.Test; the histories
// live here, fed by the notifier's and the logger's events, so production code keeps none.
import type * as vscode from "vscode";
import { downloadSpeedLimit } from "../core/net/bandwidth";
import type { ModelsTreeProvider } from "../views/modelsTree";
import { downloadsText } from "../views/statusBar";
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
  /** The Models view's title (it says whether a token is set). */
  viewTitle(): string | undefined;
  /** The download speed cap in force, bytes per second (0: none). */
  speedCap(): number;
}

export interface HfModelsApi {
  testing?: HfModelsTestApi;
}

export function createTestApi(o: {
  setPrompter(p: Prompter | undefined): void;
  notifier: Notifier;
  logger: Logger;
  tree: ModelsTreeProvider;
  view: vscode.TreeView<unknown>;
  jobs: DownloadJobs;
  /** Where the event subscriptions are disposed. */
  subscriptions: vscode.Disposable[];
}): HfModelsTestApi {
  const notices: Notice[] = [];
  const lines: string[] = [];
  o.subscriptions.push(
    o.notifier.onDidNotify((n) => notices.push(n)),
    o.logger.onDidWrite((line) => lines.push(line)),
  );
  return {
    setPrompter: o.setPrompter,
    notices: () => [...notices],
    clearNotices: () => {
      notices.length = 0;
    },
    logLines: () => [...lines],
    tree: o.tree,
    jobs: o.jobs,
    statusBarText: () => downloadsText(o.jobs.running()),
    viewTitle: () => o.view.title,
    speedCap: () => downloadSpeedLimit.bytesPerSecond,
  };
}
