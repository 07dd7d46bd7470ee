// Finds the Hub token the way the `hf` tools do (flag, HF_TOKEN, HF_TOKEN_PATH, $HF_HOME/token) and
// scrubs it from any text that may be shown or logged.
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
    const token = clean(firstLine(text));
    if (!token) throw new DownloadError("unauthorized", `The token file ${options.tokenFile} is empty.`);
    return { token, source: "file" };
  }

  const fromEnv = clean(env.HF_TOKEN) ?? clean(env.HUGGING_FACE_HUB_TOKEN);
  if (fromEnv) return { token: fromEnv, source: "env" };

  try {
    const token = clean(firstLine(await readFile(hfTokenPath(env), "utf8")));
    if (token) return { token, source: "hf-home" };
  } catch {
    // No `hf auth login` token on this machine: anonymous access.
  }
  return { source: "none" };
}

function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] ?? "";
}

const HF_TOKEN_PATTERN = /\bhf_[A-Za-z0-9]{20,}\b/g;
const BEARER_PATTERN = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;

/**
 * Replaces `token` everywhere in `text`, plus anything shaped like a Hub token or an Authorization value,
 * so that messages coming back from git, fetch or the server can be shown safely.
 */
export function redact(text: string, token?: string): string {
  let out = String(text);
  if (token) {
    out = out.split(token).join("***");
    const encoded = encodeURIComponent(token);
    if (encoded !== token) out = out.split(encoded).join("***");
  }
  return out.replace(BEARER_PATTERN, "$1 ***").replace(HF_TOKEN_PATTERN, "hf_***");
}
