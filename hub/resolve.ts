// `/{repo}/resolve/{rev}/{path}` as the Hub answers it: regular files served directly (Range honoured),
// Xet-backed files described with the xet-fileinfo answer when asked, LFS files redirected to the CDN origin.
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { hubError, type HubReq, type Route } from "./context";
import { lfsObjectUrl } from "./git/routes";
import { repoAndCommit, xetAuthUrl, xetLinks } from "./lookup";
import { parseRange } from "./range";

const XET_FILEINFO = "application/vnd.xet-fileinfo+json";

export const resolveRoutes: Route[] = [
  { name: "resolve", method: ["GET", "HEAD"], pattern: /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/, handle: resolve },
];

async function resolve(r: HubReq): Promise<void> {
  const [repoId, revision, path] = r.params;
  const found = repoAndCommit(r, repoId, revision);
  if (!found) return;
  const { repo, commit } = found;
  const file = commit.files.get(path);
  if (!file) {
    // The Hub names the commit it looked in even on a 404, so clients can cache the absence per commit
    // (huggingface_hub file_download.py writes `.no_exist/<X-Repo-Commit>/<path>`).
    hubError(r.res, 404, `Entry not found: ${path}`, "EntryNotFound", { "X-Repo-Commit": commit.sha });
    return;
  }
  const common: Record<string, string> = { "X-Repo-Commit": commit.sha, "Accept-Ranges": "bytes" };
  if (file.lfs) {
    const linked = {
      "X-Linked-Size": String(file.size),
      "X-Linked-ETag": `"${file.sha256}"`,
      ...(file.xetHash ? { "X-Xet-Hash": file.xetHash, Link: xetLinks(r.ctx, repo, commit, file), "X-Xet-Refresh-Route": `/api/models/${repo.id}/xet-read-token/${commit.sha}` } : {}),
    };
    if (file.xetHash && (r.req.headers.accept ?? "").includes(XET_FILEINFO)) {
      r.logRoute = "resolve-xet";
      const body = JSON.stringify({ hash: file.xetHash, refreshUrl: xetAuthUrl(r.ctx, repo, commit), reconstructionUrl: `${r.ctx.cdnUrl}/v1/reconstructions/${file.xetHash}`, etag: file.sha256, size: file.size });
      r.res.writeHead(200, { ...common, ...linked, ETag: `"${file.sha256}"`, "Content-Type": XET_FILEINFO, "Content-Length": Buffer.byteLength(body) });
      r.res.end(r.req.method === "HEAD" ? undefined : body);
      return;
    }
    r.logRoute = "resolve-lfs";
    r.res.writeHead(302, { ...common, ...linked, ETag: `"${file.sha256}"`, Location: lfsObjectUrl(r.ctx, repo.id, file.sha256), "Content-Length": 0 });
    r.res.end();
    return;
  }
  r.logRoute = "resolve-file";
  // An empty file has no satisfiable range; answer it whole, as a CDN does.
  const ranges = file.size === 0 ? undefined : parseRange(r.req.headers.range, file.size);
  const headers = { ...common, ETag: `"${file.blobOid}"`, "Content-Type": "application/octet-stream" };
  if (ranges === "unsatisfiable" || (ranges && ranges.length > 1)) {
    r.res.writeHead(416, { ...headers, "Content-Range": `bytes */${file.size}` });
    r.res.end();
    return;
  }
  const range = ranges?.[0];
  if (range) {
    r.res.writeHead(206, { ...headers, "Content-Range": `bytes ${range.start}-${range.end}/${file.size}`, "Content-Length": range.end - range.start + 1 });
  } else {
    r.res.writeHead(200, { ...headers, "Content-Length": file.size });
  }
  if (r.req.method === "HEAD" || file.size === 0) {
    r.res.end();
    return;
  }
  await pipeline(createReadStream(file.source, range ? { start: range.start, end: range.end } : {}), r.res);
}
