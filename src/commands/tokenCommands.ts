// "Set Access Token" (stored in SecretStorage, never in settings) and "Sign Out".
import * as vscode from "vscode";
import { tokenProblem } from "../vscode/token";
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
  await s.tokens.set(value.trim());
  s.logger.info("Access token stored in secret storage");
  s.notifier.info(vscode.l10n.t("Hugging Face access token saved. Private and gated models you have access to can now be downloaded."));
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
