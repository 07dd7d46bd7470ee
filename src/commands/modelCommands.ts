// Check for Updates / Update, Verify Integrity and Delete for a local model node.
import * as vscode from "vscode";
import { listRepoFiles } from "../core/hub/api";
import { parseRepoId } from "../core/hub/repoId";
import { checkForUpdate, deleteModel, verifyModel, type LocalModel } from "../core/library/index";
import type { ModelRecord } from "../core/library/metadata";
import { isCancel } from "../core/errors";
import { type DownloadResult } from "../core/download/types";
import { abortSignalFrom } from "../vscode/cancel";
import { formatBytes } from "../core/util/format";
import { exactPattern, includePatterns } from "./fileChoices";
import { reportFailure, showLog } from "./failures";
import { runDownload } from "./runDownload";
import type { Services } from "./services";
import { localModel } from "./target";
import { endpointFrom, readSettings } from "../vscode/settings";

/** The endpoint the settings name now, else `fallback` (when the setting is not a usable URL). */
function endpointOr(fallback: string): string {
  try {
    return endpointFrom(readSettings());
  } catch {
    return fallback;
  }
}


export async function checkForUpdates(s: Services, target: unknown): Promise<boolean | undefined> {
  const model = localModel(s, target, vscode.l10n.t("Check for Updates"));
  if (!model?.record) return undefined;
  const record = model.record;
  const { token } = await s.tokens.get();
  try {
    // The current endpoint, not the one the model was downloaded from (it may have moved: issue 13, M2).
    const endpoint = endpointFrom(readSettings());
    const check = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t("Checking {0} for updates", model.repo) }, () =>
      checkForUpdate({ modelDir: model.path, endpoint, token }),
    );
    s.logger.info(`Update check ${model.repo}@${record.revision}: local ${check.localCommit}, remote ${check.remoteCommit}`);
    if (check.upToDate) {
      s.notifier.info(vscode.l10n.t("{0} is up to date ({1} at {2}).", model.repo, record.revision, check.localCommit.slice(0, 7)));
      return false;
    }
    s.notifier.info(vscode.l10n.t("{0} has a newer {1}: {2} → {3}.", model.repo, record.revision, check.localCommit.slice(0, 7), check.remoteCommit.slice(0, 7)), {
      title: vscode.l10n.t("Update"),
      run: () => updateModel(s, target),
    });
    return true;
  } catch (err) {
    s.logger.error(`Update check for ${model.repo} failed`, err);
    reportFailure(s, model.repo, err, {
      endpoint: endpointOr(record.endpoint),
      retry: () => checkForUpdates(s, target),
      title: (repo) => vscode.l10n.t("Could not check {0} for updates", repo),
    });
    return undefined;
  }
}

/** Downloads the recorded revision again with the recorded method and files (only changed files move). */
export async function updateModel(s: Services, target: unknown): Promise<DownloadResult | undefined> {
  const model = localModel(s, target, vscode.l10n.t("Update"));
  if (!model) return undefined;
  const r = model.record;
  // An unfinished download continues as it was asked for (route, revision, selection), keeping its partials (issue 13, M4).
  const p = r ? undefined : model.pending;
  const plan = {
    repo: model.repo,
    revision: r?.revision ?? p?.revision ?? "main",
    include: r ? await recordedSelection(s, r) : p?.include,
    ...(p?.exclude ? { exclude: p.exclude } : {}),
    method: r?.method ?? p?.method ?? (readSettings().useXet ? ("xet" as const) : ("lfs" as const)),
  };
  const result = await repaired(s, model, await runDownload(s, plan));
  if (!result?.keptEdited) return result;
  // Core never replaces a file the user changed; the user decides here (Update and Repair alike).
  const replace = await s.prompter().confirm({
    step: "replaceEdited",
    message: vscode.l10n.t("{0}: {1} file(s) differ from the last download. Replace them with the Hub's version?", model.repo, result.keptEdited.length),
    detail: vscode.l10n.t("Cancel keeps your version of: {0}", result.keptEdited.join(", ")),
    confirm: vscode.l10n.t("Replace with the Hub's Version"),
  });
  return replace ? repaired(s, model, await runDownload(s, { ...plan, overwriteEdited: true })) : result;
}

/** A finished download with no file kept back leaves nothing damaged that Verify had found. */
function repaired(s: Services, model: LocalModel, result: DownloadResult | undefined): DownloadResult | undefined {
  if (result && !result.keptEdited?.length && s.health.damagedFiles(model.path)) {
    s.health.markHealthy(model.path);
    s.refreshModels();
  }
  return result;
}

/**
 * Files the user left out last time stay out, and a model downloaded whole stays whole (new files
 * included): compare the record with the listing at the recorded commit.
 */
async function recordedSelection(s: Services, r: ModelRecord): Promise<string[] | undefined> {
  const recorded = r.files.map((f) => f.path);
  try {
    const { token } = await s.tokens.get();
    const then = await listRepoFiles({ endpoint: endpointOr(r.endpoint), token, repo: parseRepoId(r.repo), revision: r.commit });
    return includePatterns(recorded, then.files);
  } catch (err) {
    s.logger.warn(`Cannot list ${r.repo} at ${r.commit} (${(err as Error).message}); updating the recorded files only`);
    return recorded.map(exactPattern);
  }
}

export async function verifyLocalModel(s: Services, target: unknown): Promise<boolean | undefined> {
  const model = localModel(s, target, vscode.l10n.t("Verify Integrity"));
  if (!model?.record) return undefined;
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t("Verifying {0}", model.repo), cancellable: true },
      async (progress, cancelToken) => {
        const abort = abortSignalFrom(cancelToken);
        let reported = 0;
        try {
          return await verifyModel({
            modelDir: model.path,
            signal: abort.signal,
            onProgress: (p) => {
              const percent = p.totalBytes > 0 ? (p.doneBytes / p.totalBytes) * 100 : 0;
              progress.report({ message: `${p.path} · ${formatBytes(p.doneBytes)} / ${formatBytes(p.totalBytes)}`, increment: Math.max(0, percent - reported) });
              reported = Math.max(reported, percent);
            },
          });
        } finally {
          abort.dispose();
        }
      },
    );
    s.logger.info(`Verify ${model.repo}: ${result.checked} files checked, ${result.problems.length} problems`);
    for (const p of result.problems) s.logger.warn(`  ${p}`);
    s.health.markDamaged(model.path, result.damaged);
    s.refreshModels();
    if (result.ok) {
      s.notifier.info(vscode.l10n.t("{0}: all {1} files match their recorded hashes.", model.repo, result.checked));
    } else {
      const names = result.damaged.slice(0, 3).map((f) => f.path).join(", ") + (result.damaged.length > 3 ? " …" : "");
      s.notifier.error(
        vscode.l10n.t("{0}: {1} of {2} files differ from what was downloaded ({3}). Repair downloads them again.", model.repo, result.damaged.length, result.checked, names),
        { title: vscode.l10n.t("Repair"), run: () => updateModel(s, target) },
        showLog(s),
      );
    }
    return result.ok;
  } catch (err) {
    if (isCancel(err)) return undefined;
    s.logger.error(`Verify ${model.repo} failed`, err);
    reportFailure(s, model.repo, err, { retry: () => verifyLocalModel(s, target), title: (repo) => vscode.l10n.t("Could not verify {0}", repo) });
    return undefined;
  }
}

export async function deleteLocalModel(s: Services, target: unknown): Promise<boolean> {
  const model = localModel(s, target, vscode.l10n.t("Delete"));
  if (!model) return false;
  if (s.jobs.isRunning(model.repo)) {
    s.notifier.warn(vscode.l10n.t("{0} is downloading; cancel the download before deleting it.", model.repo));
    return false;
  }
  const confirmed = await s.prompter().confirm({
    step: "delete",
    message: vscode.l10n.t("Delete {0}?", model.repo),
    detail: vscode.l10n.t("This removes {0} ({1}) from disk.", model.path, formatBytes(model.sizeOnDisk)),
    confirm: vscode.l10n.t("Delete"),
  });
  if (!confirmed) return false;
  try {
    await deleteModel(model.path);
    s.logger.info(`Deleted ${model.repo} (${model.path})`);
    s.notifier.status(vscode.l10n.t("Deleted {0}", model.repo));
    return true;
  } catch (err) {
    s.logger.error(`Delete ${model.repo} failed`, err);
    s.notifier.error(vscode.l10n.t("Could not delete {0}: {1}", model.repo, (err as Error).message), showLog(s));
    return false;
  } finally {
    s.refreshModels();
  }
}
