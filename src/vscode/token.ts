// Where the Hub token comes from: SecretStorage (set with "HF Models: Set Access Token"), else what the
// `hf` tools use (HF_TOKEN, HF_TOKEN_PATH, $HF_HOME/token) through core's resolveToken.
import * as vscode from "vscode";
import { resolveToken, tokenShapeProblem } from "../core/hub/token";
import type { Logger } from "./log";

const SECRET_KEY = "hfModels.token";

export type TokenOrigin = "secret-storage" | "env" | "file" | "hf-home" | "explicit" | "none";

export class TokenStore {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly logger: Logger,
  ) {}

  async get(): Promise<{ token?: string; origin: TokenOrigin }> {
    const stored = (await this.secrets.get(SECRET_KEY))?.trim();
    if (stored) {
      this.logger.addSecret(stored);
      return { token: stored, origin: "secret-storage" };
    }
    const resolved = await resolveToken({});
    this.logger.addSecret(resolved.token);
    return { token: resolved.token, origin: resolved.source };
  }

  async set(token: string): Promise<void> {
    this.logger.addSecret(token);
    await this.secrets.store(SECRET_KEY, token);
  }

  async clear(): Promise<boolean> {
    const had = (await this.secrets.get(SECRET_KEY)) !== undefined;
    await this.secrets.delete(SECRET_KEY);
    return had;
  }
}

/** Input-box check: core's one token rule (`tokenShapeProblem`), worded for the input box before the token is stored. */
export function tokenProblem(value: string): string | undefined {
  switch (tokenShapeProblem(value.trim())) {
    case "empty":
      return vscode.l10n.t("Paste a token from https://huggingface.co/settings/tokens");
    case "whitespace":
      return vscode.l10n.t("A token has no spaces");
    case "not-hf":
      return vscode.l10n.t('Hugging Face tokens start with "hf_"');
    default:
      return undefined;
  }
}
