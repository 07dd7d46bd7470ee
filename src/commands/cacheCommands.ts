// Verify, Update and Delete on the "Hugging Face cache" part of the tree: a model (every snapshot, every branch it
// tracks) or one revision. Update goes through our routes into the cache; Delete frees only unshared blobs.
import { realpath, rm } from "node:fs/promises";
import { join } from "node:path";
import * as vscode from "vscode";
import type { DownloadResult } from "../core/download/types";
import { deleteCacheRevision } from "../core/storage/cacheRevisions";
import { verifyCacheSnapshot } from "../core/storage/hfCache";
import { formatBytes } from "../core/util/format";
import type { ModelNode } from "../views/nodes";
import { readSettings } from "../vscode/settings";
import { reportFailure, showLog } from "./failures";
import { runDownload } from "./runDownload";
import type { Services } from "./services";

export type CacheTarget = Extract<ModelNode, { kind: "cache" | "cacheRevision" }>;

export function isCacheTarget(target: unknown): target is CacheTarget {
  const kind = (target as ModelNode | undefined)?.kind;
  return kind === "cache" || kind === "cacheRevision";
}

/** True when every file of the snapshot(s) hashes to its blob's name. */
export async function verifyCacheEntry(s: Services, target: CacheTarget): Promise<boolean | undefined> {
  const { model } = target;
  const commits = target.kind === "cacheRevision" ? [target.commit] : model.revisions;
  try {
    const damaged: Array<{ path: string; pointer: string }> = [];
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t("Verifying {0}", model.repo), cancellable: false }, async () => {
      for (const commit of commits) {
        for (const f of await verifyCacheSnapshot({ repoDir: model.path, commit })) {
          s.logger.warn(`Verify ${model.repo}@${commit.slice(0, 7)}: ${f.path}: ${f.why}`);
          damaged.push({ path: f.path, pointer: join(model.path, "snapshots", commit, ...f.path.split("/")) });
        }
      }
    });
    if (damaged.length === 0) {
      s.notifier.info(vscode.l10n.t("{0}: every file of {1} snapshot(s) in the Hugging Face cache matches its hash.", model.repo, commits.length));
      return true;
    }
    const names = [...new Set(damaged.map((d) => d.path))].slice(0, 3).join(", ") + (damaged.length > 3 ? " …" : "");
    s.notifier.error(
      vscode.l10n.t("{0}: {1} file(s) in the Hugging Face cache differ from their hash ({2}). Repair downloads them again.", model.repo, damaged.length, names),
      { title: vscode.l10n.t("Repair"), run: () => repairCacheEntry(s, target, damaged.map((d) => d.pointer)) },
      showLog(s),
    );
    return false;
  } catch (err) {
    reportFailure(s, model.repo, err, { title: (r) => vscode.l10n.t("Could not verify {0}", r), retry: () => verifyCacheEntry(s, target) });
    return undefined;
  }
}

/**
 * A damaged blob would be taken for complete by the next download (blobs are named, not re-hashed, to keep updates
 * cheap): the damaged ones go first, then the update fetches exactly those again.
 */
export async function repairCacheEntry(s: Services, target: CacheTarget, damagedPointers: readonly string[]): Promise<DownloadResult[]> {
  for (const pointer of damagedPointers) {
    const blob = await realpath(pointer).catch(() => undefined);
    if (blob?.startsWith(join(target.model.path, "blobs"))) await rm(blob, { force: true });
  }
  s.logger.info(`Repair ${target.model.repo}: removed ${damagedPointers.length} damaged blob(s) before downloading them again`);
  return updateCacheModel(s, target);
}

/** Downloads every branch the cache tracks for the model (main when none) again, into the cache: only changes move. */
export async function updateCacheModel(s: Services, target: CacheTarget): Promise<DownloadResult[]> {
  const { model } = target;
  const branches = target.kind === "cacheRevision" ? Object.entries(model.refs).filter(([, sha]) => sha === target.commit).map(([name]) => name) : Object.keys(model.refs);
  const revisions = branches.length > 0 ? branches : [target.kind === "cacheRevision" ? target.commit : "main"];
  const method = readSettings().useXet ? ("xet" as const) : ("lfs" as const);
  const results: DownloadResult[] = [];
  for (const revision of revisions) {
    const result = await runDownload(s, { repo: model.repo, revision, method, storage: "hfCache" });
    if (!result) break;
    results.push(result);
  }
  return results;
}

/** Deletes the revision (unshared blobs, its refs) or the whole model from the cache, after asking. */
export async function deleteCacheEntry(s: Services, target: CacheTarget): Promise<boolean> {
  const { model } = target;
  if (s.jobs.isRunning(model.repo)) {
    s.notifier.warn(vscode.l10n.t("{0} is downloading; cancel the download before deleting it.", model.repo));
    return false;
  }
  const revision = target.kind === "cacheRevision" ? target.commit : undefined;
  const confirmed = await s.prompter().confirm({
    step: "delete",
    message: revision
      ? vscode.l10n.t("Delete revision {0} of {1} from the Hugging Face cache?", revision.slice(0, 7), model.repo)
      : vscode.l10n.t("Delete {0} from the Hugging Face cache?", model.repo),
    detail: revision
      ? vscode.l10n.t("Files that other revisions share stay. Python tools download this revision again when they need it.")
      : vscode.l10n.t("It takes {0} on disk. Python tools download the model again when they need it.", formatBytes(model.sizeOnDisk)),
    confirm: vscode.l10n.t("Delete"),
  });
  if (!confirmed) return false;
  try {
    if (revision) {
      const gone = await deleteCacheRevision({ repoDir: model.path, commit: revision });
      s.logger.info(`Deleted ${model.repo}@${revision} from the cache: ${formatBytes(gone.freedBytes)} freed, refs ${gone.refs.join(", ") || "none"}`);
      s.notifier.status(vscode.l10n.t("Deleted {0}@{1} ({2} freed)", model.repo, revision.slice(0, 7), formatBytes(gone.freedBytes)));
    } else {
      await rm(model.path, { recursive: true, force: true });
      s.logger.info(`Deleted ${model.repo} from the cache (${model.path})`);
      // Not "freed": files hf_xet keeps in its store shared by all repos stay until the hf tools prune them.
      s.notifier.status(vscode.l10n.t("Deleted {0} from the Hugging Face cache", model.repo));
    }
    return true;
  } catch (err) {
    reportFailure(s, model.repo, err, { title: (r) => vscode.l10n.t("Could not delete {0}", r) });
    return false;
  } finally {
    s.refreshModels();
  }
}
