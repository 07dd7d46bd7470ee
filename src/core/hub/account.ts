// Whose a token is: the Hub's /api/whoami-v2, asked through the official client.
import { HubApiError, whoAmI } from "@huggingface/hub";
import { DownloadError } from "../errors";
import { hubFetch, mapHubError, type CallState, type HubCallOptions } from "./api";
import { assertHubToken } from "./token";

export interface Account {
  /** The user's (or org's, or app's) name on the Hub. */
  name: string;
  kind: "user" | "org" | "app";
  /** The token's role ("read", "write", "fineGrained"), when the Hub says. */
  role?: string;
}

/** The account `token` belongs to; `unauthorized` when the Hub does not accept the token. */
export async function accountOf(options: HubCallOptions & { token: string }): Promise<Account> {
  const { endpoint, token, signal, timeoutMs } = options;
  const state: CallState = {};
  try {
    const me = await whoAmI({ hubUrl: endpoint, accessToken: assertHubToken(token) ?? token, fetch: hubFetch(signal, state, timeoutMs, options) });
    return { name: me.name, kind: me.type, ...(me.auth?.accessToken?.role ? { role: me.auth.accessToken.role } : {}) };
  } catch (err) {
    if (err instanceof HubApiError && err.statusCode === 401) {
      throw new DownloadError("unauthorized", `The Hub at ${endpoint} does not accept this access token (invalid, expired or revoked).`, {
        cause: err,
        detail: { status: 401, host: new URL(endpoint).host },
      });
    }
    throw mapHubError(err, { endpoint, repo: "your account", token, state, signal, timeoutMs });
  }
}
