// Registers every command id with its handler; the handlers get the shared Services bag.
import * as vscode from "vscode";
import { deleteCacheEntry, isCacheTarget, updateCacheModel, verifyCacheEntry } from "./cacheCommands";
import { downloadModel } from "./downloadModel";
import { Command, type CommandId } from "./ids";
import { copyPath, openFolder, openModelPage, revealInOS } from "./itemCommands";
import { checkForUpdates, deleteLocalModel, updateModel, verifyLocalModel } from "./modelCommands";
import { makeAvailableToPython } from "./pythonCommands";
import type { Services } from "./services";
import { setToken, signOut } from "./tokenCommands";

type Handler = (s: Services, arg?: unknown) => unknown;

const handlers: Record<CommandId, Handler> = {
  [Command.downloadModel]: downloadModel,
  [Command.setToken]: setToken,
  [Command.signOut]: signOut,
  [Command.refresh]: (s) => s.refreshModels(),
  [Command.showLog]: (s) => s.logger.show(),
  [Command.openFolder]: openFolder,
  [Command.revealInOS]: revealInOS,
  [Command.copyPath]: copyPath,
  [Command.openModelPage]: openModelPage,
  [Command.checkForUpdates]: checkForUpdates,
  [Command.updateModel]: (s, arg) => (isCacheTarget(arg) ? updateCacheModel(s, arg) : updateModel(s, arg)),
  [Command.resumeModel]: updateModel,
  [Command.repairModel]: updateModel,
  [Command.verifyModel]: (s, arg) => (isCacheTarget(arg) ? verifyCacheEntry(s, arg) : verifyLocalModel(s, arg)),
  [Command.makeAvailableToPython]: makeAvailableToPython,
  [Command.deleteModel]: (s, arg) => (isCacheTarget(arg) ? deleteCacheEntry(s, arg) : deleteLocalModel(s, arg)),
};

export function registerCommands(s: Services): vscode.Disposable[] {
  return Object.entries(handlers).map(([id, handler]) =>
    vscode.commands.registerCommand(id, async (arg?: unknown) => {
      try {
        return await handler(s, arg);
      } catch (err) {
        // Handlers report expected failures themselves; this is the net for the unexpected.
        s.logger.error(`Command ${id} failed`, err);
        s.notifier.error(vscode.l10n.t("HF Models: {0}", (err as Error)?.message ?? String(err)), { title: vscode.l10n.t("Show Log"), run: () => s.logger.show() });
        return undefined;
      }
    }),
  );
}
