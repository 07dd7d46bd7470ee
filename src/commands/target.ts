// The downloaded model an item command acts on: the tree node it was run on, or a word on where to find one.
import * as vscode from "vscode";
import type { LocalModel } from "../core/library/index";
import type { ModelNode } from "../views/nodes";
import type { Services } from "./services";

export function localModel(s: Services, target: unknown, action: string): LocalModel | undefined {
  const node = target as ModelNode | undefined;
  if (node?.kind === "local") return node.model;
  s.notifier.warn(vscode.l10n.t("{0}: right-click a downloaded model in the HF Models view.", action));
  return undefined;
}
