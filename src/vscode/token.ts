// Where the Hub token comes from: SecretStorage (set with "HF Models: Set Access Token"), else what the
// `hf` tools use (HF_TOKEN, HF_TOKEN_PATH, $HF_HOME/token) through core's resolveToken.
import * as vscode from "vscode";
import { resolveToken, tokenShapeProblem } from "../core/hub/token";
import type { Logger } from "./log";

const SECRET_KEY = "hfModels.token";
/** The context key that is true while a token is stored (Sign Out shows only then). */
export const SIGNED_IN_CONTEXT = "hfModels.signedIn";
/** The Hub account the stored token belongs to (a name, not a secret), as whoami-v2 said when it was set. */
const ACCOUNT_KEY = "hfModels.account";

export type TokenOrigin = "secret-storage" | "env" | "file" | "hf-home" | "explicit" | "none";

export class TokenStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires after Set Access Token or Sign Out. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly state: vscode.Memento,
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

  /** Where the token comes from, and whose the stored one is (when the Hub could say). */
  async status(): Promise<{ origin: TokenOrigin; account?: string }> {
    const { origin } = await this.get();
    const account = origin === "secret-storage" ? this.state.get<string>(ACCOUNT_KEY) : undefined;
    return account ? { origin, account } : { origin };
  }

  async set(token: string, account?: string): Promise<void> {
    this.logger.addSecret(token);
    await this.secrets.store(SECRET_KEY, token);
    await this.state.update(ACCOUNT_KEY, account);
    this.changed.fire();
  }

  async clear(): Promise<boolean> {
    const had = (await this.secrets.get(SECRET_KEY)) !== undefined;
    await this.secrets.delete(SECRET_KEY);
    await this.state.update(ACCOUNT_KEY, undefined);
    this.changed.fire();
    return had;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** For the Models view's title: whether a token is set and where from ("signed in as demo-user", "token from HF_TOKEN"). */
export function tokenStatusText(status: { origin: TokenOrigin; account?: string }): string | undefined {
  switch (status.origin) {
    case "secret-storage":
      return status.account ? vscode.l10n.t("signed in as {0}", status.account) : vscode.l10n.t("signed in");
    case "env":
      return vscode.l10n.t("token from HF_TOKEN");
    case "file":
    case "hf-home":
      return vscode.l10n.t("token from the hf CLI");
    default:
      return undefined;
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
