// Finds the Hub token the way the `hf` tools do (flag, HF_TOKEN, HF_TOKEN_PATH, $HF_HOME/token), holds the one
// rule for what a Hub token looks like, and the one redaction for any text that may be shown or logged.
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { DownloadError } from "../errors";

export type TokenSource = "explicit" | "file" | "env" | "hf-home" | "none";

export interface ResolvedToken {
  token?: string;
  source: TokenSource;
}

/** `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`. */
export function hfHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HOME) return env.HF_HOME;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "huggingface");
}

/** The token file `hf auth login` writes: `$HF_TOKEN_PATH`, else `$HF_HOME/token`. */
export function hfTokenPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.HF_TOKEN_PATH || join(hfHome(env), "token");
}

function clean(value: string | undefined): string | undefined {
  const t = value?.trim();
  return t ? t : undefined;
}

/**
 * Precedence: `explicit`, then `tokenFile` (must be readable), then `HF_TOKEN` (or the legacy
 * `HUGGING_FACE_HUB_TOKEN`), then the `hf` token file. A missing default token file just means "no token".
 */
export async function resolveToken(options: { explicit?: string; tokenFile?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ResolvedToken> {
  const env = options.env ?? process.env;
  const explicit = clean(options.explicit);
  if (explicit) return { token: explicit, source: "explicit" };

  if (options.tokenFile !== undefined) {
    let text: string;
    try {
      text = await readFile(options.tokenFile, "utf8");
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? "error";
      throw new DownloadError("unauthorized", `Cannot read the token file ${options.tokenFile} (${code}).`, { cause });
    }
    const token = clean(text);
    if (!token) throw new DownloadError("unauthorized", `The token file ${options.tokenFile} is empty.`);
    assertOneLine(token, options.tokenFile);
    return { token, source: "file" };
  }

  const fromEnv = clean(env.HF_TOKEN) ?? clean(env.HUGGING_FACE_HUB_TOKEN);
  if (fromEnv) return { token: fromEnv, source: "env" };

  try {
    const token = clean(await readFile(hfTokenPath(env), "utf8"));
    if (token) {
      assertOneLine(token, hfTokenPath(env));
      return { token, source: "hf-home" };
    }
  } catch (err) {
    if (err instanceof DownloadError) throw err;
    // No `hf auth login` token on this machine: anonymous access.
  }
  return { source: "none" };
}

/** A token file holds one line: a second one is a broken token, refused with the file's name instead of dropped or sent. */
function assertOneLine(token: string, file: string): void {
  if (/[\r\n]/.test(token)) throw new DownloadError("unauthorized", `The token file ${file} holds more than one line; a Hub token is a single line starting with "hf_".`);
}

/** What is wrong with the shape of a Hub token, as a code each face words: `undefined` when it looks fine. */
export type TokenShapeProblem = "empty" | "whitespace" | "not-hf";

/** The one `hf_` rule: a Hub token starts with `hf_`, has more after it, and no whitespace or control characters. */
export function tokenShapeProblem(token: string): TokenShapeProblem | undefined {
  if (token.length === 0) return "empty";
  if (/[\s\x00-\x1f\x7f]/.test(token)) return "whitespace";
  if (!/^hf_./.test(token)) return "not-hf";
  return undefined;
}

/** Returns `token` unchanged, or throws `unauthorized` before anything is sent when it is not a Hub token. */
export function assertHubToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const problem = tokenShapeProblem(token);
  if (problem === "not-hf") throw new DownloadError("unauthorized", 'The access token is not a Hugging Face token (it must start with "hf_").');
  if (problem) throw new DownloadError("unauthorized", `The access token is not usable (${problem === "empty" ? "it is empty" : "it contains whitespace, a line break or a control character"}).`);
  return token;
}

const HF_TOKEN_PATTERN = /\bhf_[A-Za-z0-9]{20,}\b/g;
const AUTHORIZATION_PATTERN = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
/** A signed URL's query string (X-Amz-Signature, X-Xet-Signed-Range …) is a credential for as long as it lives. */
const URL_QUERY_PATTERN = /(https?:\/\/[^\s?#"'<>]+)\?[^\s"'<>]*/gi;

/**
 * The one redaction: replaces `token` everywhere in `text` (also URL-encoded), anything shaped like a Hub token,
 * Bearer/Basic Authorization values and the query strings of URLs, so that messages coming back from git,
 * fetch, the CAS or the server can be shown and logged safely.
 */
export function redact(text: string, token?: string): string {
  let out = String(text);
  if (token) {
    out = out.split(token).join("***");
    const encoded = encodeURIComponent(token);
    if (encoded !== token) out = out.split(encoded).join("***");
  }
  return out.replace(AUTHORIZATION_PATTERN, "$1 ***").replace(HF_TOKEN_PATTERN, "hf_***").replace(URL_QUERY_PATTERN, "$1");
}
