// The ground floor every layer of core imports: the one error type, with a code callers branch on and a
// structured detail, so no layer ever reads another's message text.

/** Error codes callers can branch on; the message is the one clear, actionable line shown to users. */
export type DownloadErrorCode =
  | "invalid-repo"
  | "invalid-revision"
  | "not-found"
  | "revision-not-found"
  | "unauthorized"
  | "gated"
  | "git-missing"
  | "git-lfs-missing"
  | "not-writable"
  | "disk-full"
  | "integrity"
  | "network"
  | "tls"
  | "invalid-endpoint"
  | "server"
  | "rate-limited"
  | "stalled"
  | "cancelled"
  | "locked"
  | "foreign-clone"
  | "xet-unavailable"
  | "cross-device"
  | "internal";

/** What a caller may need beyond the code, as data: never parse the message for these. */
export interface ErrorDetail {
  /** HTTP status of the answer that failed. */
  status?: number;
  /** Host (`name:port`) that really answered or failed. */
  host?: string;
  /** The Hub's `X-Error-Code` header (RepoNotFound, RevisionNotFound, GatedRepo, EntryNotFound …). */
  hubErrorCode?: string;
  /** How long the server asked us to wait. */
  retryAfterMs?: number;
  /** The short reason a Xet attempt failed, for the fallback notice ("the CAS answered 503 for reconstructions"). */
  reason?: string;
}

export class DownloadError extends Error {
  readonly detail: ErrorDetail;

  constructor(
    readonly code: DownloadErrorCode,
    message: string,
    options?: { cause?: unknown; detail?: ErrorDetail },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DownloadError";
    this.detail = options?.detail ?? {};
  }
}

/** The one error a cancel ends in, whatever was running. */
export function cancelledError(cause?: unknown): DownloadError {
  return new DownloadError("cancelled", "Download cancelled.", cause === undefined ? undefined : { cause });
}

export function isCancel(err: unknown): boolean {
  return err instanceof DownloadError && err.code === "cancelled";
}
