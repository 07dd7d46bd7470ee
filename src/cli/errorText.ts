// The CLI's own words around core's codes: the hint a failure of a given code needs on the command line,
// and the one wording of a Xet-to-Git-LFS fallback. Core's messages stay face-neutral; these are added once here.
import type { DownloadErrorCode } from "../core/errors";

/** Where the command line takes a token from, said after every `unauthorized` failure. */
const TOKEN_HINT = "Pass --token-file or set HF_TOKEN.";

/** Core's message of a failed download plus the CLI's next step for `code`. */
export function cliErrorText(code: DownloadErrorCode, message: string): string {
  return code === "unauthorized" ? `${message} ${TOKEN_HINT}` : message;
}

/** "Xet failed (<reason>)": the start of every line that reports a fallback. */
export function xetFailedText(reason: string): string {
  return `Xet failed (${reason})`;
}
