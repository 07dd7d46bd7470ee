// The CLI's own words around core's codes: the hint a failure of a given code needs on the command line,
// and the one wording of a Xet-to-Git-LFS fallback. Core's messages stay face-neutral; these are added once here.
import type { DownloadErrorCode } from "../core/errors";

/** The command line's next step after a failure of these codes: where a token comes from, what decides the Hub's address. */
const HINTS: Partial<Record<DownloadErrorCode, string>> = {
  unauthorized: "Pass --token-file or set HF_TOKEN.",
  network: "Check the network, proxy or HF_ENDPOINT.",
  "invalid-endpoint": "The endpoint comes from --endpoint, else HF_ENDPOINT.",
};

/** Core's message of a failed download plus the CLI's next step for `code`. */
export function cliErrorText(code: DownloadErrorCode, message: string): string {
  const hint = HINTS[code];
  return hint ? `${message} ${hint}` : message;
}

/** "Xet failed (<reason>)": the start of every line that reports a fallback. */
export function xetFailedText(reason: string): string {
  return `Xet failed (${reason})`;
}
