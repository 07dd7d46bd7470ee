// When a failed Xet attempt hands over to Git LFS, and the one sentence the user sees about why.
import { DownloadError, isCancel } from "../errors";
import { hubAnswers } from "../hub/reachable";

/**
 * Errors LFS would hit just the same (a full disk, an unwritable folder, a gated repo the token may not read)
 * and cancels never fall back.
 */
export function shouldFallBack(err: unknown, fallbackToLfs: boolean | undefined): boolean {
  if (fallbackToLfs === false || isCancel(err)) return false;
  if (err instanceof DownloadError && (err.code === "disk-full" || err.code === "not-writable" || err.code === "locked" || err.code === "gated")) return false;
  if (err instanceof DownloadError && err.detail.hubErrorCode === "GatedRepo") return false;
  return true;
}

/** A short reason such as "the CAS answered 503 for reconstructions": the error's `detail.reason`, else its message. */
export function fallbackReason(err: unknown): string {
  const text = (err instanceof DownloadError ? err.detail.reason : undefined) ?? (err instanceof Error ? err.message : String(err));
  const reason = text.trim();
  return (reason.length > 200 ? `${reason.slice(0, 197)}...` : reason) || "the Xet download failed";
}

/**
 * A Xet attempt that lost its connection or stalled, when the Hub itself no longer answers: Git LFS would meet the
 * same dead host, so this is the one error to report (no fallback). Undefined when the Hub answers or the cause was another.
 */
export async function unreachableHub(err: unknown, endpoint: string, signal?: AbortSignal): Promise<DownloadError | undefined> {
  if (!(err instanceof DownloadError) || (err.code !== "network" && err.code !== "stalled")) return undefined;
  if (await hubAnswers({ endpoint, signal })) return undefined;
  const reason = fallbackReason(err);
  return new DownloadError("network", `Cannot reach the Hub at ${endpoint}: the Xet download stopped (${reason}) and the Hub does not answer either.`, {
    cause: err,
    detail: { reason, host: new URL(endpoint).host },
  });
}
