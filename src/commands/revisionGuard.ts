// A models folder keeps one revision of a repo: downloading another one replaces it, so the user is asked first.
import * as vscode from "vscode";
import { parseRepoId } from "../core/hub/repoId";
import { modelDirFor } from "../core/library/index";
import { readRecord } from "../core/library/metadata";
import { readSettings } from "../vscode/settings";
import type { DownloadPlan } from "./runDownload";
import type { Services } from "./services";

/** True to go on: nothing on disk, the same revision (an update), the cache (it keeps revisions side by side), or a yes. */
export async function confirmRevisionChange(s: Services, plan: DownloadPlan): Promise<boolean> {
  const settings = readSettings();
  if (settings.storage === "hfCache") return true;
  const record = await readRecord(modelDirFor(settings.modelsDir, parseRepoId(plan.repo))).catch(() => undefined);
  if (!record || record.revision === plan.revision || record.commit === plan.revision) return true;
  return s.prompter().confirm({
    step: "replaceRevision",
    message: vscode.l10n.t("{0} is on disk at {1} ({2}). Replace it with {3}?", plan.repo, record.revision, record.commit.slice(0, 7), plan.revision),
    detail: vscode.l10n.t("The models folder keeps one revision of each repo. Files that are the same in both stay; the others are replaced."),
    confirm: vscode.l10n.t("Replace with {0}", plan.revision),
  });
}
