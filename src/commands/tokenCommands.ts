// "Set Access Token" (stored in SecretStorage, never in settings) and "Sign Out".
import * as vscode from "vscode";
import { DownloadError } from "../core/errors";
import { accountOf, type Account } from "../core/hub/account";
import { endpointFrom, readSettings } from "../vscode/settings";
import { tokenProblem } from "../vscode/token";
import { reportFailure, showLog } from "./failures";
import type { Services } from "./services";

export async function setToken(s: Services): Promise<boolean> {
  const value = await s.prompter().input({
    step: "token",
    title: vscode.l10n.t("HF Models: Set Access Token"),
    prompt: vscode.l10n.t("A Hugging Face access token (read access is enough). Stored in VS Code's secret storage."),
    placeholder: "hf_…",
    password: true,
    validate: tokenProblem,
  });
  if (value === undefined) return false;
  const token = value.trim();
  s.logger.addSecret(token);
  let endpoint: string;
  try {
    endpoint = endpointFrom(readSettings());
  } catch (err) {
    reportFailure(s, "", err, { title: () => vscode.l10n.t("Set Access Token") });
    return false;
  }
  // The Hub says whose the token is before it is kept: a mistyped or revoked token is never stored.
  let account: Account | undefined;
  try {
    account = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t("Checking the access token with the Hub") }, () =>
      accountOf({ endpoint, token }),
    );
  } catch (err) {
    if (err instanceof DownloadError && err.code === "unauthorized") {
      s.logger.warn(`Set Access Token: ${err.message}`);
      s.notifier.error(vscode.l10n.t("The token was not saved: {0}", err.message), { title: vscode.l10n.t("Try Another Token"), run: () => setToken(s) }, showLog(s));
      return false;
    }
    // The Hub cannot be asked now (offline, proxy): keep the token, and say it is unchecked.
    s.logger.warn(`Set Access Token: the token could not be checked: ${(err as Error).message}`);
    await s.tokens.set(token);
    s.notifier.warn(vscode.l10n.t("Access token saved, but the Hub could not check it: {0}", (err as Error).message), showLog(s));
    return true;
  }
  await s.tokens.set(token, account.name);
  s.logger.info(`Access token of ${account.name} (${account.kind}${account.role ? `, ${account.role}` : ""}) stored in secret storage`);
  s.notifier.info(vscode.l10n.t("Signed in to {0} as {1}. Private and gated models you have access to can now be downloaded.", new URL(endpoint).host, account.name));
  return true;
}

export async function signOut(s: Services): Promise<void> {
  const had = await s.tokens.clear();
  const { origin } = await s.tokens.get();
  s.logger.info(`Sign out: stored token ${had ? "removed" : "was not set"}; token now from ${origin}`);
  const done = had ? vscode.l10n.t("Signed out: the stored access token was removed.") : vscode.l10n.t("No access token was stored.");
  const still =
    origin === "none" ? "" :
    origin === "env" ? vscode.l10n.t("A token from HF_TOKEN is still used; remove it there to sign out completely.") :
    vscode.l10n.t("A token from the hf token file is still used; remove it there to sign out completely.");
  s.notifier.info(still ? `${done} ${still}` : done);
}
