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
import { downloadSpeedLimit } from "./core/net/bandwidth";
import { affects, maxBytesPerSecond, readSettings, Setting } from "./vscode/settings";
import { createTestApi, type HfModelsApi } from "./vscode/testApi";
import { SIGNED_IN_CONTEXT, TokenStore, tokenStatusText } from "./vscode/token";

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
  const tokens = new TokenStore(context.secrets, context.globalState, logger);
  const realPrompter = new QuickInputPrompter();
  let prompter: Prompter = realPrompter;

  const services: Services = {
    context,
    logger,
    notifier,
    tokens,
    prompter: () => prompter,
    jobs,
    health,
    refreshModels: () => tree.refresh(),
  };

  watcher.watch(readSettings().modelsDir);
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  // Whether a token is set shows on the view, and Sign Out only when there is a stored token to remove.
  const showTokenStatus = async () => {
    const status = await tokens.status();
    // In the view's title: a lone view's description is not shown in its container's header.
    const text = tokenStatusText(status);
    view.title = text ? vscode.l10n.t("Models ({0})", text) : vscode.l10n.t("Models");
    await vscode.commands.executeCommand("setContext", SIGNED_IN_CONTEXT, status.origin === "secret-storage");
  };
  void showTokenStatus();
  // One cap for every connection of this window's downloads, running ones included.
  const applySpeedCap = () => {
    const cap = maxBytesPerSecond();
    if (cap === downloadSpeedLimit.bytesPerSecond) return;
    downloadSpeedLimit.setBytesPerSecond(cap);
    logger.info(cap > 0 ? `Download speed capped at ${cap / 1_000_000} MB/s (hfModels.maxDownloadSpeed)` : "Download speed cap lifted");
  };
  applySpeedCap();
  context.subscriptions.push(
    logger,
    notifier,
    jobs,
    tree,
    statusBar,
    watcher,
    tokens,
    view,
    tokens.onDidChange(() => void showTokenStatus()),
    ...registerCommands(services),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affects(e, Setting.maxDownloadSpeed)) applySpeedCap();
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
      view,
      jobs,
      subscriptions: context.subscriptions,
    }),
  };
}

export function deactivate(): void {
  // Everything is in context.subscriptions; running downloads are aborted by DownloadJobs.dispose().
}
