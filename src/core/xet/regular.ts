// Opens the byte stream of one repo file from a given offset: Xet-backed files through the stock
// @huggingface/hub XetBlob (a slice becomes a range reconstruction), small files by a plain resolve GET.
import { __internal_XetBlob as XetBlob, downloadFile } from "@huggingface/hub";
import type { RepoFileEntry } from "../hub/api";
import { DownloadError } from "../errors";
import { HttpStatusError, parseRetryAfter, requestKind } from "./transport";

export interface SourceParams {
  endpoint: string;
  token?: string;
  repo: string;
  commit: string;
  file: RepoFileEntry;
  /** Bytes already on disk; the stream starts here when the server can. */
  offset: number;
  fetch: typeof fetch;
}

export interface OpenedSource {
  stream: ReadableStream<Uint8Array>;
  /** Where the stream really starts: `offset`, or 0 when the server answered the whole file. */
  offset: number;
}

export async function openXetSource(params: SourceParams): Promise<OpenedSource> {
  const { file } = params;
  const blob = await downloadFile({
    repo: { type: "model", name: params.repo },
    path: file.path,
    revision: params.commit,
    hubUrl: params.endpoint,
    accessToken: params.token,
    fetch: params.fetch,
    // Serial mode yields each chunk as it is decoded, so progress moves and the partial grows while a xorb
    // streams in; the parallel mode holds a whole term (up to a 64 MB xorb) before the first byte reaches
    // us, which freezes progress and loses that much on every interruption. Files run in parallel instead.
    parallelDownloads: false,
  });
  if (!blob) throw new DownloadError("server", `The Hub answered 404 for ${file.path} at ${params.commit.slice(0, 12)}, although the listing has it.`);
  if (!(blob instanceof XetBlob)) throw new DownloadError("xet-unavailable", `${file.path} is not stored in Xet`);
  const size = file.lfs?.size ?? file.size;
  if (blob.size !== size) {
    throw new DownloadError("integrity", `The Hub reports ${blob.size} bytes for ${file.path}, the listing said ${size}.`);
  }
  return { stream: blob.slice(params.offset).stream(), offset: params.offset };
}

const MAX_REDIRECTS = 5;

export async function openRegularSource(params: SourceParams): Promise<OpenedSource> {
  const hubOrigin = new URL(params.endpoint).origin;
  const encodedPath = params.file.path.split("/").map(encodeURIComponent).join("/");
  let url = new URL(`${params.endpoint}/${params.repo}/resolve/${encodeURIComponent(params.commit)}/${encodedPath}`);
  let offset = params.offset;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = {};
    if (params.token && url.origin === hubOrigin) headers.Authorization = `Bearer ${params.token}`;
    if (offset > 0) headers.Range = `bytes=${offset}-`;
    const response = await params.fetch(url, { headers, redirect: "manual" });
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel().catch(() => {});
      url = new URL(location, url);
      continue;
    }
    if (response.status === 416 && offset > 0) {
      // The partial is not a prefix the server recognises; start over.
      await response.body?.cancel().catch(() => {});
      offset = 0;
      hop--;
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw new HttpStatusError({ kind: requestKind(url), host: url.host, status: response.status, retryAfterMs: parseRetryAfter(response.headers.get("retry-after")) });
    }
    const rangeStart = /^bytes (\d+)-/.exec(response.headers.get("content-range") ?? "")?.[1];
    const start = response.status === 206 && rangeStart !== undefined ? Number(rangeStart) : 0;
    if (start !== 0 && start !== offset) {
      await response.body?.cancel().catch(() => {});
      throw new DownloadError("server", `The Hub answered bytes from ${start} for ${params.file.path}, asked from ${offset}.`);
    }
    return { stream: response.body ?? new ReadableStream({ start: (c) => c.close() }), offset: start };
  }
  throw new DownloadError("server", `Too many redirects for ${params.file.path}.`);
}
