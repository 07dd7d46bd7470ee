// Git LFS on the local Hub: the batch API on the hub origin (download only, basic transfer) and the signed,
// range-capable object downloads on the cdn origin that its hrefs point at (no Hub token needed there).
import { createReadStream } from "node:fs";
import type { ServerResponse } from "node:http";
import { hubError, readBody, sendData, sendJson, type HubContext, type Route } from "../context";
import type { HubFile, HubRepo } from "../model";
import { parseRange } from "../range";
import { checkSignedUrl, signUrlQuery } from "../tokens";
import { authorizeGit, findRepo } from "./auth";

const LFS_JSON = "application/vnd.git-lfs+json";

/** Signed CDN URL of an LFS object, valid for `ctx.options.urlTtlSeconds`. */
export function lfsObjectUrl(ctx: HubContext, repoId: string, oid: string): string {
  const [org, name] = repoId.split("/");
  const path = `/lfs/${encodeURIComponent(org)}/${encodeURIComponent(name)}/${oid}`;
  const expires = Math.floor(Date.now() / 1000) + ctx.options.urlTtlSeconds;
  return `${ctx.cdnUrl}${path}?${signUrlQuery(ctx.secret, path, expires)}`;
}

const objectIndex = new WeakMap<HubRepo, Map<string, HubFile>>();

/** The LFS file with this oid in any commit of the repo. */
export function findLfsObject(repo: HubRepo, oid: string): HubFile | undefined {
  let index = objectIndex.get(repo);
  if (!index) {
    index = new Map();
    for (const commit of repo.commits.values()) for (const file of commit.files.values()) if (file.lfs) index.set(file.lfs.oid, file);
    objectIndex.set(repo, index);
  }
  return index.get(oid);
}

/** git-lfs' whole-request error shape (it prints `message`). */
function lfsError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { message, documentation_url: "https://github.com/git-lfs/git-lfs/blob/main/docs/api/batch.md" }, { "Content-Type": LFS_JSON, ...headers });
}

interface BatchRequest {
  operation?: unknown;
  objects?: unknown;
  hash_algo?: unknown;
}

export const lfsBatchRoute: Route = {
  name: "lfs-batch",
  method: "POST",
  pattern: /^\/([^/]+)\/([^/]+?)(?:\.git)?\/info\/lfs\/objects\/batch$/,
  async handle(r) {
    r.logRoute = "lfs-batch";
    const { ctx, res } = r;
    if (ctx.faults.has("git-unavailable")) return hubError(res, 503, "Git and LFS are temporarily unavailable", "ServiceUnavailable");
    if (ctx.faults.has("rate-limit") && ctx.firstTime("rate-limit", r.url.pathname)) {
      return lfsError(res, 429, "Too many requests; retry later", { "Retry-After": String(ctx.options.retryAfterSeconds) });
    }
    const repo = findRepo(r, r.params[0], r.params[1]);
    if (!authorizeGit(r, repo, "LFS-Authenticate")) return;

    let body: BatchRequest;
    try {
      body = JSON.parse((await readBody(r.req)).toString("utf8")) as BatchRequest;
    } catch (cause) {
      return lfsError(res, 422, `The batch request body is not valid JSON: ${(cause as Error).message}`);
    }
    if (body.operation === "upload") return lfsError(res, 403, `You do not have write access to ${repo.id} on this local Hub`);
    if (body.operation !== "download") return lfsError(res, 422, `Unsupported operation ${JSON.stringify(body.operation)}; expected "download"`);
    if (!Array.isArray(body.objects)) return lfsError(res, 422, "The batch request has no objects array");
    const hashAlgo = body.hash_algo ?? "sha256";

    const objects = (body.objects as Array<{ oid?: unknown; size?: unknown }>).map((o) => {
      const oid = typeof o?.oid === "string" ? o.oid : "";
      const size = typeof o?.size === "number" ? o.size : 0;
      if (hashAlgo !== "sha256") return { oid, size, error: { code: 409, message: `Unsupported hash algorithm ${JSON.stringify(hashAlgo)}` } };
      if (!/^[0-9a-f]{64}$/.test(oid)) return { oid, size, error: { code: 422, message: "Invalid object id" } };
      const file = findLfsObject(repo, oid);
      if (!file) return { oid, size, error: { code: 404, message: "Object does not exist" } };
      return {
        oid,
        size: file.size,
        authenticated: true,
        actions: { download: { href: lfsObjectUrl(ctx, repo.id, oid), expires_in: ctx.options.urlTtlSeconds } },
      };
    });
    sendJson(res, 200, { transfer: "basic", objects, hash_algo: "sha256" }, { "Content-Type": LFS_JSON });
  },
};

export const lfsObjectRoute: Route = {
  name: "lfs-object",
  method: ["GET", "HEAD"],
  pattern: /^\/lfs\/([^/]+)\/([^/]+)\/([0-9a-f]{64})$/,
  async handle(r) {
    r.logRoute = "lfs-object";
    const { ctx, res } = r;
    const check = checkSignedUrl(ctx.secret, r.url);
    if (!check.ok) {
      const message = check.reason === "expired" ? "Request has expired; ask the batch API for a new href" : "Signature does not match the URL";
      return hubError(res, 403, message, check.reason === "expired" ? "ExpiredUrl" : "BadSignature");
    }
    const [org, name, oid] = r.params;
    const repo = ctx.repos.get(`${org}/${name}`);
    const file = repo && findLfsObject(repo, oid);
    if (!file) return hubError(res, 404, `LFS object ${oid} does not exist in ${org}/${name}`, "EntryNotFound");

    const headers: Record<string, string | number> = {
      "Content-Type": "application/octet-stream",
      "Accept-Ranges": "bytes",
      ETag: `"${oid}"`,
    };
    const ranges = parseRange(r.req.headers.range, file.size);
    if (ranges === "unsatisfiable") {
      return hubError(res, 416, `Range ${r.req.headers.range} is outside the object (${file.size} bytes)`, "RangeNotSatisfiable", {
        "Content-Range": `bytes */${file.size}`,
      });
    }
    // Several ranges get the whole object (HTTP allows that); git-lfs only ever asks for one.
    const range = ranges?.length === 1 ? ranges[0] : undefined;
    const start = range?.start ?? 0;
    const end = range?.end ?? file.size - 1;
    headers["Content-Length"] = end - start + 1;
    if (range) headers["Content-Range"] = `bytes ${start}-${end}/${file.size}`;
    const status = range ? 206 : 200;
    if (r.req.method === "HEAD" || file.size === 0) {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    await sendData(r, status, headers, createReadStream(file.source, { start, end }));
  },
};
