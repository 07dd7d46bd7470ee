// Open Folder, Reveal in OS, Copy Path and Open Model Page for tree nodes (or a plain path, as passed
// by the "Open Folder" / "Reveal" buttons of the download-finished message).
import * as vscode from "vscode";
import { pathOf, type ModelNode } from "../views/nodes";
import { endpointFrom, readSettings } from "../vscode/settings";
import type { Services } from "./services";

function requirePath(s: Services, target: unknown, action: string): string | undefined {
  const path = pathOf(target);
  if (!path) s.notifier.warn(vscode.l10n.t("{0}: select a model in the HF Models view first.", action));
  return path;
}

export async function openFolder(s: Services, target: unknown): Promise<void> {
  const path = requirePath(s, target, vscode.l10n.t("Open Folder"));
  if (path) await vscode.commands.executeCommand("vscode.openFolder", vscode.Uri.file(path), { forceNewWindow: true });
}

export async function revealInOS(s: Services, target: unknown): Promise<void> {
  const path = requirePath(s, target, vscode.l10n.t("Reveal in OS"));
  if (!path) return;
  // A browser or remote window has no local file manager to open; say where the files are instead.
  if (vscode.env.uiKind === vscode.UIKind.Web || vscode.env.remoteName) {
    s.notifier.info(vscode.env.remoteName ? vscode.l10n.t("The model is on the remote machine at {0}.", path) : vscode.l10n.t("The model is on the server at {0}.", path), {
      title: vscode.l10n.t("Copy Path"),
      run: () => vscode.env.clipboard.writeText(path),
    });
    return;
  }
  await vscode.commands.executeCommand("revealFileInOS", vscode.Uri.file(path));
}

export async function copyPath(s: Services, target: unknown): Promise<void> {
  const path = requirePath(s, target, vscode.l10n.t("Copy Path"));
  if (!path) return;
  await vscode.env.clipboard.writeText(path);
  s.notifier.status(vscode.l10n.t("Copied {0}", path));
}

export async function openModelPage(s: Services, target: unknown): Promise<void> {
  const node = target as ModelNode | undefined;
  const repo = node?.kind === "local" || node?.kind === "cache" ? node.model.repo : undefined;
  if (!repo) return;
  const endpoint = node?.kind === "local" && node.model.record ? node.model.record.endpoint : endpointFrom(readSettings());
  await vscode.env.openExternal(vscode.Uri.parse(`${endpoint}/${repo}`));
}
