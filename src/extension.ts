// Entry point: creates the services (log, messages, token store, prompts, jobs), the Models view,
// the status bar and the settings watcher, and registers the commands. No logic of its own.
import * as vscode from "vscode";
import { Command, VIEW_ID } from "./commands/ids";
import { registerCommands } from "./commands/register";
import type { Services } from "./commands/services";
import { ModelHealth } from "./views/health";
import { ModelsTreeProvider } from "./views/modelsTree";
import { DownloadStatusBar } from "./views/statusBar";
import { ModelsDirWatcher } from "./views/watcher";
import { DownloadJobs } from "./vscode/jobs";
import { Logger } from "./vscode/log";
import { Notifier } from "./vscode/notify";
import { QuickInputPrompter, type Prompter } from "./vscode/prompts";
import { applyNetworkSettings } from "./vscode/network";
import { affects, readSettings, Setting } from "./vscode/settings";
import { createTestApi, type HfModelsApi } from "./vscode/testApi";
import { TokenStore } from "./vscode/token";

export function activate(context: vscode.ExtensionContext): HfModelsApi {
  const logger = new Logger();
  // Proxy and CA settings reach core (fetch, Xet workers, git) before any command runs.
  context.subscriptions.push(applyNetworkSettings());
  const notifier = new Notifier();
  const jobs = new DownloadJobs();
  const health = new ModelHealth();
  const tree = new ModelsTreeProvider({ logger, modelsDir: () => readSettings().modelsDir, health });
  const statusBar = new DownloadStatusBar(jobs, Command.showLog);
  const watcher = new ModelsDirWatcher(() => tree.refresh());
  const realPrompter = new QuickInputPrompter();
  let prompter: Prompter = realPrompter;

  const services: Services = {
    context,
    logger,
    notifier,
    tokens: new TokenStore(context.secrets, logger),
    prompter: () => prompter,
    jobs,
    health,
    refreshModels: () => tree.refresh(),
  };

  watcher.watch(readSettings().modelsDir);
  context.subscriptions.push(
    logger,
    notifier,
    jobs,
    tree,
    statusBar,
    watcher,
    vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true }),
    ...registerCommands(services),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affects(e, Setting.modelsDirectory)) return;
      watcher.watch(readSettings().modelsDir);
      tree.refresh();
    }),
  );
  logger.info(`HF Models activated (models directory ${readSettings().modelsDir})`);

  if (context.extensionMode !== vscode.ExtensionMode.Test) return {};
  return {
    testing: createTestApi({
      setPrompter: (p) => {
        prompter = p ?? realPrompter;
      },
      notifier,
      logger,
      tree,
      jobs,
      subscriptions: context.subscriptions,
    }),
  };
}

export function deactivate(): void {
  // Everything is in context.subscriptions; running downloads are aborted by DownloadJobs.dispose().
}
