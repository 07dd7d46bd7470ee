// The CLI's own words around core's codes: the hint a failure of a given code needs on the command line,
// and the one wording of a Xet-to-Git-LFS fallback. Core's messages stay face-neutral; these are added once here.
import type { DownloadErrorCode } from "../core/errors";

/** Where the command line takes a token from, said after every `unauthorized` failure. */
const TOKEN_HINT = "Pass --token-file or set HF_TOKEN.";

/** Core's message plus the CLI's next step for `code`. */
export function cliErrorText(code: DownloadErrorCode | "usage" | string, message: string): string {
  if (code === "unauthorized") return `${message} ${TOKEN_HINT}`;
  if (code === "invalid-endpoint") return `${message} Check --endpoint or HF_ENDPOINT.`;
  return message;
}

/** "Xet failed (<reason>)": the start of every line that reports a fallback. */
export function xetFailedText(reason: string): string {
  return `Xet failed (${reason})`;
}
