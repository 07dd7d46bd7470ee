// Downloads one Xet file into its partial: reconstructions in windows, parallel xorb-range fetches decoded and
// written out of order by the worker pool, SHA-256 of the contiguous prefix, old-revision reuse, prompt cancel.
import { fileDownloadInfo } from "@huggingface/hub";
import { DownloadError } from "../../errors";
import { encodeRepoPath } from "../../hub/urls";
import { xetToken } from "./cas";
import { XetFileDownload } from "./fileDownload";
import type { EngineFileParams, EngineResult } from "./options";
import { sharedPool } from "./pool";
import { defaultChunkMapDir } from "./reuse";
import { onEndpoint } from "./mirror";
import { defaultWindowBytes } from "./options";
import { ADAPTIVE_XORB_REQUESTS } from "./scheduling";

export { DataFailure, StallError } from "./failures";
export { landedNotePath } from "./landedNote";
export type { EngineFileParams, EngineOptions, EngineResult } from "./options";

/**
 * Windows a large file is split into when the count of requests is adaptive (see defaultWindowBytes): one per
 * connection it starts with. 12 (the most it takes) cut a 1 GiB file into twice the calls and more, shorter xorb
 * ranges: 6 % less on the slowing host at 6 connections, nothing gained on the plain WAN profile or loopback
 * (docs/PERFORMANCE.md, issue 14).
 */
const WINDOWS_PER_FILE = ADAPTIVE_XORB_REQUESTS.initial;

export async function downloadXetFile(params: EngineFileParams): Promise<EngineResult> {
  const opts = params.options ?? {};
  const { path, size } = params;
  // The library puts `path` into the resolve URL as given: `#`, `?` and `%` must reach the Hub percent-encoded.
  const info = await fileDownloadInfo({ repo: { type: "model", name: params.repo }, path: encodeRepoPath(path), revision: params.commit, hubUrl: params.endpoint, accessToken: params.token, fetch: params.fetch });
  if (!info) throw new DownloadError("server", `The Hub answered 404 for ${path} at ${params.commit.slice(0, 12)}, although the listing has it.`);
  if (!info.xet) throw new DownloadError("xet-unavailable", `${path} is not stored in Xet`);
  if (info.size !== size) throw new DownloadError("integrity", `The Hub reports ${info.size} bytes for ${path}, the listing said ${size}.`);
  // A mirror forwards huggingface.co's xet-auth link: the token request goes to the configured endpoint instead.
  const refreshUrl = onEndpoint(info.xet.refreshUrl.href, params.endpoint);
  const token = await xetToken({ refreshUrl, hubToken: params.token, fetch: params.fetch });
  return new XetFileDownload(params, {
    pool: opts.pool ?? sharedPool(),
    concurrency: opts.concurrency === undefined ? undefined : Math.max(1, opts.concurrency),
    windowBytes: Math.max(1 << 16, opts.windowBytes ?? defaultWindowBytes(size, Math.max(1, opts.concurrency ?? WINDOWS_PER_FILE))),
    mapDir: opts.chunkMapDir ?? defaultChunkMapDir(),
    refreshUrl,
    reconstructionUrl: info.xet.reconstructionUrl.href,
    token,
  }).run();
}
