// When a failed Xet attempt hands over to Git LFS, and the one sentence the user sees about why.
import { DownloadError, isCancel } from "../errors";

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
