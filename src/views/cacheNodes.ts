// The "Hugging Face cache" part of the Models tree: the group, each model (revisions as children), each revision
// (its files as children) and the files of a snapshot. Disk use counts each blob once.
import { stat } from "node:fs/promises";
import { join } from "node:path";
import * as vscode from "vscode";
import type { HfCacheModel } from "../core/library/hfCache";
import { snapshotFiles } from "../core/storage/hfCache";
import { formatBytes } from "../core/util/format";
import { ContextValue, fileItemAt, type ModelNode } from "./nodes";

type CacheNode = Extract<ModelNode, { kind: "cacheGroup" | "cache" | "cacheRevision" | "cacheFile" }>;

export function cacheItemFor(node: CacheNode): vscode.TreeItem {
  switch (node.kind) {
    case "cacheGroup":
      return groupItem(node.dir, node.models);
    case "cache":
      return modelItem(node.model);
    case "cacheRevision":
      return revisionItem(node.model, node.commit);
    case "cacheFile":
      return fileItemAt(join(node.model.path, "snapshots", node.commit, node.file.path), node.file, ContextValue.cacheFile);
  }
}

/** A cache model's snapshots (newest ref first), or a snapshot's files with their sizes. */
export async function cacheNodeChildren(node: Extract<ModelNode, { kind: "cache" | "cacheRevision" }>): Promise<ModelNode[]> {
  const { model } = node;
  if (node.kind === "cache") {
    const named = new Set(Object.values(model.refs));
    const ordered = [...model.revisions].sort((a, b) => Number(named.has(b)) - Number(named.has(a)));
    return ordered.map((commit) => ({ kind: "cacheRevision", model, commit }));
  }
  const files = await snapshotFiles(model.path, node.commit).catch(() => []);
  return Promise.all(
    files.map(async (f) => ({ kind: "cacheFile" as const, model, commit: node.commit, file: { path: f.path, size: (await stat(f.target).catch(() => undefined))?.size ?? 0 } })),
  );
}

function groupItem(dir: string, models: HfCacheModel[]): vscode.TreeItem {
  const item = new vscode.TreeItem(vscode.l10n.t("Hugging Face cache"), vscode.TreeItemCollapsibleState.Collapsed);
  item.id = "cache-group";
  const total = models.reduce((n, m) => n + m.sizeOnDisk, 0);
  item.description = models.length === 1 ? vscode.l10n.t("1 model · {0}", formatBytes(total)) : vscode.l10n.t("{0} models · {1}", models.length, formatBytes(total));
  item.tooltip = vscode.l10n.t("Models in the Hugging Face cache ({0}), shared with transformers, diffusers and the hf tools.", dir);
  item.iconPath = new vscode.ThemeIcon("database");
  item.contextValue = ContextValue.cacheGroup;
  return item;
}

function modelItem(m: HfCacheModel): vscode.TreeItem {
  const item = new vscode.TreeItem(m.repo, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `cache:${m.path}`;
  const refs = Object.keys(m.refs);
  const revisions = refs.length ? refs.join(", ") : m.revisions.length === 1 ? vscode.l10n.t("1 revision") : vscode.l10n.t("{0} revisions", m.revisions.length);
  item.description = `${revisions} · ${formatBytes(m.sizeOnDisk)}`;
  item.tooltip = new vscode.MarkdownString(
    [
      vscode.l10n.t("**{0}** (Hugging Face cache)", m.repo),
      "",
      vscode.l10n.t("Folder: `{0}`", m.path),
      "",
      vscode.l10n.t("On disk: {0}, files that revisions share counted once", formatBytes(m.sizeOnDisk)),
    ].join("\n"),
  );
  item.iconPath = new vscode.ThemeIcon("archive");
  item.contextValue = ContextValue.cacheModel;
  return item;
}

function revisionItem(m: HfCacheModel, commit: string): vscode.TreeItem {
  const names = Object.entries(m.refs).filter(([, sha]) => sha === commit).map(([name]) => name);
  const item = new vscode.TreeItem(names.length ? `${names.join(", ")} @ ${commit.slice(0, 7)}` : commit.slice(0, 7), vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `cache:${m.path}:${commit}`;
  item.tooltip = vscode.l10n.t("Snapshot {0} of {1}", commit, m.repo);
  item.iconPath = new vscode.ThemeIcon("git-commit");
  item.contextValue = ContextValue.cacheRevision;
  return item;
}
