// Nodes of the Models tree and how each looks: local models (with their files as children) and the "Hugging Face
// cache" group (its items in cacheNodes.ts). `contextValue` drives the context menus in package.json.
import { join } from "node:path";
import * as vscode from "vscode";
import type { HfCacheModel } from "../core/library/hfCache";
import type { LocalModel } from "../core/library/index";
import type { ModelRecord } from "../core/library/metadata";
import { formatBytes } from "../core/util/format";
import type { DamagedFile, ModelHealth } from "./health";

export type ModelNode =
  | { kind: "local"; model: LocalModel }
  | { kind: "file"; model: LocalModel; file: { path: string; size: number } }
  | { kind: "cacheGroup"; dir: string; models: HfCacheModel[] }
  | { kind: "cache"; model: HfCacheModel }
  | { kind: "cacheRevision"; model: HfCacheModel; commit: string }
  | { kind: "cacheFile"; model: HfCacheModel; commit: string; file: { path: string; size: number } };

export const ContextValue = {
  localModel: "localModel",
  damagedModel: "localModel.damaged",
  incompleteModel: "localModel.incomplete",
  file: "modelFile",
  cacheGroup: "cacheGroup",
  cacheModel: "cacheModel",
  cacheRevision: "cacheRevision",
  cacheFile: "cacheFile",
} as const;

const METHOD_LABEL = { lfs: "Git LFS", xet: "Xet" } as const;
const TEXT_FILE = /\.(json|md|txt|yaml|yml|jinja|py|model|vocab|merges|csv|toml|cfg)$|(^|\/)(LICENSE|NOTICE|README)[^/]*$/i;
const MAX_TEXT_OPEN = 20 * 1024 * 1024;

/** Items of the local models and their files (the cache's are in cacheNodes.ts). */
export function localItemFor(node: Extract<ModelNode, { kind: "local" | "file" }>, health?: ModelHealth): vscode.TreeItem {
  switch (node.kind) {
    case "local":
      return localModelItem(node.model, health?.damagedFiles(node.model.path));
    case "file":
      return fileItem(node.model, node.file);
  }
}

/** Verify's finding in a few words: "config.json changed", "2 files damaged". */
export function damageSummary(files: readonly DamagedFile[]): string {
  if (files.length > 1) return vscode.l10n.t("{0} files damaged", files.length);
  const { path, damage } = files[0]!;
  switch (damage) {
    case "missing":
      return vscode.l10n.t("{0} missing", path);
    case "size":
    case "content":
      return vscode.l10n.t("{0} changed", path);
    default:
      return vscode.l10n.t("{0} unreadable", path);
  }
}

/** "main @ 1a2b3c4", or the short commit alone when a commit was asked for. */
export function revisionLabel(r: Pick<ModelRecord, "revision" | "commit">): string {
  const short = r.commit.slice(0, 7);
  return r.revision === r.commit ? short : `${r.revision} @ ${short}`;
}

/** "2 of 9 files" when the user chose a selection; undefined for a whole repo or a record that predates the count. */
export function partialSelection(r: Pick<ModelRecord, "files" | "keptEdited" | "repoFileCount">): string | undefined {
  const have = r.files.length + (r.keptEdited?.length ?? 0);
  if (r.repoFileCount === undefined || have >= r.repoFileCount) return undefined;
  return vscode.l10n.t("{0} of {1} files", have, r.repoFileCount);
}

function localModelItem(m: LocalModel, damaged?: readonly DamagedFile[]): vscode.TreeItem {
  const item = new vscode.TreeItem(m.repo, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `local:${m.path}`;
  const r = m.record;
  const lines = [`**${m.repo}**`, "", vscode.l10n.t("Folder: `{0}`", m.path)];
  if (r) {
    const partial = partialSelection(r);
    item.description = [revisionLabel(r), ...(partial ? [partial] : []), formatBytes(m.sizeOnDisk), METHOD_LABEL[r.method] ?? r.method].join(" · ");
    item.iconPath = new vscode.ThemeIcon("package");
    item.contextValue = ContextValue.localModel;
    if (damaged?.length) {
      item.description = vscode.l10n.t("damaged: {0} · {1}", damageSummary(damaged), item.description);
      item.iconPath = new vscode.ThemeIcon("warning", new vscode.ThemeColor("list.warningForeground"));
      item.contextValue = ContextValue.damagedModel;
      lines.push("", vscode.l10n.t("Verify Integrity found damaged files: {0}. Repair downloads them again.", damaged.map((f) => f.path).join(", ")));
    }
    lines.push("", vscode.l10n.t("Revision: `{0}` (commit `{1}`)", r.revision, r.commit.slice(0, 12)), vscode.l10n.t("Method: {0}", METHOD_LABEL[r.method] ?? r.method));
    const filesBytes = r.files.reduce((n, f) => n + f.size, 0);
    const count = partial ? vscode.l10n.t("{0} (a selection)", partial) : String(r.files.length);
    lines.push(
      vscode.l10n.t("Files: {0}, {1}", count, formatBytes(filesBytes)),
      // The description shows the disk use; say why it is more than the files.
      m.sizeOnDisk > filesBytes * 1.01
        ? vscode.l10n.t("On disk: {0}, with the download's own data (git metadata, the record)", formatBytes(m.sizeOnDisk))
        : vscode.l10n.t("On disk: {0}", formatBytes(m.sizeOnDisk)),
      vscode.l10n.t("Downloaded: {0}", new Date(r.completedAt).toLocaleString()),
    );
  } else {
    const why = m.recordProblem ? vscode.l10n.t("damaged record") : vscode.l10n.t("incomplete");
    const p = m.pending;
    item.description = p ? `${why} · ${p.revision} · ${formatBytes(m.sizeOnDisk)} · ${METHOD_LABEL[p.method] ?? p.method}` : `${why} · ${formatBytes(m.sizeOnDisk)}`;
    item.iconPath = new vscode.ThemeIcon("warning");
    item.contextValue = ContextValue.incompleteModel;
    lines.push("", m.recordProblem ?? (p
      ? vscode.l10n.t("The download of {0} with {1} did not finish. Resume continues it where it stopped, or delete it.", p.revision, METHOD_LABEL[p.method] ?? p.method)
      : vscode.l10n.t("The download did not finish. Resume downloads it again and keeps what is already there, or delete it.")));
  }
  item.tooltip = new vscode.MarkdownString(lines.join("\n\n"));
  return item;
}

function fileItem(m: LocalModel, f: { path: string; size: number }): vscode.TreeItem {
  return fileItemAt(join(m.path, f.path), f, ContextValue.file);
}

/** A file of a model (in the folder or a cache snapshot): opens on click when it is text of a readable size. */
export function fileItemAt(absolute: string, f: { path: string; size: number }, contextValue: string): vscode.TreeItem {
  const uri = vscode.Uri.file(absolute);
  const item = new vscode.TreeItem(uri, vscode.TreeItemCollapsibleState.None);
  item.id = `file:${absolute}`;
  item.label = f.path;
  item.description = formatBytes(f.size);
  item.tooltip = uri.fsPath;
  item.contextValue = contextValue;
  if (TEXT_FILE.test(f.path) && f.size <= MAX_TEXT_OPEN) {
    item.command = { command: "vscode.open", title: vscode.l10n.t("Open"), arguments: [uri] };
  }
  return item;
}

/** The folder or file a node stands for (item commands also accept a plain path). */
export function pathOf(target: unknown): string | undefined {
  if (typeof target === "string") return target;
  if (target instanceof vscode.Uri) return target.fsPath;
  const node = target as ModelNode | undefined;
  switch (node?.kind) {
    case "local":
    case "cache":
      return node.model.path;
    case "file":
      return join(node.model.path, node.file.path);
    case "cacheRevision":
      return join(node.model.path, "snapshots", node.commit);
    case "cacheFile":
      return join(node.model.path, "snapshots", node.commit, node.file.path);
    case "cacheGroup":
      return node.dir;
    default:
      return undefined;
  }
}
