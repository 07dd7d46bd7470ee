// "Make Available to Python" on a downloaded model (and after every download with the setting): its files are
// hard-linked into the Hugging Face cache, where transformers, diffusers and the hf tools find them offline.
import * as vscode from "vscode";
import { DownloadError } from "../core/errors";
import { linkModelIntoCache, type LinkToCacheResult } from "../core/storage/linkToCache";
import { formatBytes } from "../core/util/format";
import { reportFailure } from "./failures";
import type { Services } from "./services";
import { localModel } from "./target";

/** The snapshot folder in the cache, or undefined when the user declined or it failed (they were told). */
export async function makeAvailableToPython(s: Services, target: unknown): Promise<string | undefined> {
  const model = localModel(s, target, vscode.l10n.t("Make Available to Python"));
  if (!model) return undefined;
  const done = await linkIntoCache(s, model.path, model.repo, { askToCopy: true });
  if (!done) return undefined;
  s.refreshModels(); // the cache group lists it now
  s.notifier.info(availableText(model.repo, done));
  return done.snapshot;
}

/** After a download with `hfModels.makeAvailableToPython`: never copies, and a failure does not fail the download. */
export async function linkAfterDownload(s: Services, modelDir: string, repo: string): Promise<string | undefined> {
  const done = await linkIntoCache(s, modelDir, repo, { askToCopy: false });
  return done?.snapshot;
}

async function linkIntoCache(s: Services, modelDir: string, repo: string, o: { askToCopy: boolean }): Promise<LinkToCacheResult | undefined> {
  const log = (level: "info" | "warn" | "debug", message: string) => s.logger[level](message);
  const title = (r: string) => vscode.l10n.t("Could not make {0} available to Python", r);
  try {
    return await linkModelIntoCache({ modelDir, log });
  } catch (err) {
    if (!(err instanceof DownloadError && err.code === "cross-device") || !o.askToCopy) {
      s.logger.warn(`Make Available to Python: ${repo}: ${(err as Error).message}`);
      reportFailure(s, repo, err, { title });
      return undefined;
    }
    const copy = await s.prompter().confirm({
      step: "copyToCache",
      message: vscode.l10n.t("{0}: the Hugging Face cache is on another filesystem, so its files cannot be shared. Copy them?", repo),
      detail: err.message,
      confirm: vscode.l10n.t("Copy"),
    });
    if (!copy) return undefined;
    try {
      return await linkModelIntoCache({ modelDir, copy: true, log });
    } catch (again) {
      reportFailure(s, repo, again, { title });
      return undefined;
    }
  }
}

function availableText(repo: string, r: LinkToCacheResult): string {
  return r.copied > 0
    ? vscode.l10n.t('{0} is available to Python: from_pretrained("{0}") finds it offline ({1} copied into the Hugging Face cache).', repo, formatBytes(r.copiedBytes))
    : vscode.l10n.t('{0} is available to Python: from_pretrained("{0}") finds it offline (its files are shared with the Hugging Face cache, no extra disk).', repo);
}
