// The Hub's JSON API as huggingface.co shapes it: model info, paginated trees, paths-info, search,
// and the Xet read token. Route table for the hub origin (resolve lives in resolve.ts).
import { createHash } from "node:crypto";
import { hubError, isValidToken, readBody, sendJson, type HubReq, type Route } from "./context";
import { repoAndCommit } from "./lookup";
import type { HubCommit, HubFile, HubRepo } from "./model";
import { resolveRoutes } from "./resolve";
import { issueXetToken } from "./tokens";

const REPO = "([^/]+/[^/]+)";
/** Model info, tree and paths-info of a gated repo are public on huggingface.co; its files are not. */
const METADATA = { files: false };

export const apiRoutes: Route[] = [
  { name: "api-search", method: "GET", pattern: /^\/api\/models\/?$/, handle: search },
  { name: "api-model", method: "GET", pattern: new RegExp(`^/api/models/${REPO}(?:/revision/([^/]+))?/?$`), handle: modelInfo },
  { name: "api-tree", method: "GET", pattern: new RegExp(`^/api/models/${REPO}/tree/([^/]+)(?:/(.*))?$`), handle: tree },
  { name: "api-paths-info", method: "POST", pattern: new RegExp(`^/api/models/${REPO}/paths-info/([^/]+)$`), handle: pathsInfo },
  { name: "xet-read-token", method: "GET", pattern: new RegExp(`^/api/models/${REPO}/xet-read-token/([^/]+)$`), handle: xetReadToken },
  { name: "api-whoami", method: "GET", pattern: /^\/api\/whoami-v2\/?$/, handle: whoami },
  ...resolveRoutes,
];

/** A signed-in search also lists the private repos the token can read (here: every private repo, as the demo user owns them). */
function search(r: HubReq): void {
  if (r.bearer !== undefined && !isValidToken(r.ctx, r.bearer)) return hubError(r.res, 401, "Invalid credentials in Authorization header");
  const signedIn = r.bearer !== undefined;
  const query = (r.url.searchParams.get("search") ?? "").toLowerCase();
  const limit = Math.min(Number(r.url.searchParams.get("limit") ?? 20) || 20, 1000);
  const found = [...r.ctx.repos.values()]
    .filter((repo) => (signedIn || !repo.private) && repo.id.toLowerCase().includes(query))
    .slice(0, limit)
    .map((repo) => summary(repo));
  sendJson(r.res, 200, found);
}

/**
 * `GET /api/whoami-v2` as huggingface.co answers it: the token's user (name, orgs) and the token itself (`auth`);
 * 401 without a token or with one the Hub does not know. Every valid token here belongs to the demo user.
 */
function whoami(r: HubReq): void {
  if (r.bearer === undefined) return hubError(r.res, 401, "Invalid username or password.");
  if (!isValidToken(r.ctx, r.bearer)) return hubError(r.res, 401, "Invalid credentials in Authorization header");
  const name = DEMO_USER;
  sendJson(r.res, 200, {
    type: "user",
    id: createHash("sha1").update(name).digest("hex").slice(0, 24),
    name,
    fullname: "Demo User",
    email: `${name}@example.com`,
    emailVerified: true,
    isPro: false,
    canPay: false,
    avatarUrl: "",
    periodEnd: null,
    billingMode: "prepaid",
    orgs: [{ type: "org", id: createHash("sha1").update("demo").digest("hex").slice(0, 24), name: "demo", fullname: "Demo", email: null, canPay: false, avatarUrl: "", periodEnd: null }],
    auth: { type: "access_token", accessToken: { displayName: "local", role: "read", createdAt: new Date(0).toISOString() } },
  });
}

/** Whose every valid token is on the local Hub (the owner of the demo repos). */
export const DEMO_USER = "demo-user";

function modelInfo(r: HubReq): void {
  const [repoId, revision = "main"] = r.params;
  const found = repoAndCommit(r, repoId, revision, METADATA);
  if (!found) return;
  const { repo, commit } = found;
  sendJson(r.res, 200, {
    ...summary(repo),
    sha: commit.sha,
    lastModified: commit.date,
    siblings: [...commit.files.keys()].map((rfilename) => ({ rfilename })),
  });
}

function summary(repo: HubRepo) {
  const head = repo.commits.get(repo.branches.get("main")!)!;
  return {
    _id: createHash("sha1").update(repo.id).digest("hex").slice(0, 24),
    id: repo.id,
    modelId: repo.id,
    author: repo.id.split("/")[0],
    private: repo.private,
    gated: repo.gated,
    downloads: 0,
    likes: 0,
    tags: [],
    pipeline_tag: "text-generation",
    lastModified: head.date,
  };
}

type TreeItem = ReturnType<typeof fileItem> | { type: "directory"; oid: string; size: 0; path: string };

function fileItem(repo: HubRepo, commit: HubCommit, file: HubFile, expand: boolean) {
  const item = {
    type: "file" as const,
    oid: file.blobOid,
    size: file.size,
    path: file.path,
    ...(file.lfs ? { lfs: file.lfs } : {}),
    ...(file.xetHash ? { xetHash: file.xetHash } : {}),
  };
  if (!expand) return item;
  const last = lastCommitTouching(repo, commit, file);
  return { ...item, lastCommit: { id: last.sha, title: last.message, date: last.date }, securityFileStatus: { status: "safe" } };
}

function lastCommitTouching(repo: HubRepo, commit: HubCommit, file: HubFile): HubCommit {
  let current = commit;
  for (;;) {
    const parent = current.parent ? repo.commits.get(current.parent) : undefined;
    if (parent?.files.get(file.path)?.blobOid !== file.blobOid) return current;
    current = parent;
  }
}

function directoryItem(commit: HubCommit, path: string): TreeItem {
  return { type: "directory", oid: createHash("sha1").update(`${commit.sha}:${path}`).digest("hex"), size: 0, path };
}

/** Every entry under `prefix` (files and directories), sorted like the Hub: by path. */
function entries(repo: HubRepo, commit: HubCommit, prefix: string, recursive: boolean, expand: boolean): TreeItem[] {
  const base = prefix ? `${prefix}/` : "";
  const dirs = new Set<string>();
  const items: TreeItem[] = [];
  for (const file of commit.files.values()) {
    if (!file.path.startsWith(base)) continue;
    const rest = file.path.slice(base.length).split("/");
    for (let depth = 1; depth < rest.length && (recursive || depth === 1); depth++) dirs.add(base + rest.slice(0, depth).join("/"));
    if (recursive || rest.length === 1) items.push(fileItem(repo, commit, file, expand));
  }
  for (const dir of dirs) items.push(directoryItem(commit, dir));
  return items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function tree(r: HubReq): void {
  const [repoId, revision, path = ""] = r.params;
  const found = repoAndCommit(r, repoId, revision, METADATA);
  if (!found) return;
  const { repo, commit } = found;
  const prefix = path.replace(/\/+$/, "");
  const recursive = r.url.searchParams.get("recursive") === "true";
  const expand = r.url.searchParams.get("expand") === "true";
  const all = entries(repo, commit, prefix, recursive, expand);
  if (prefix && all.length === 0) {
    hubError(r.res, 404, `Entry not found: ${prefix}`, "EntryNotFound");
    return;
  }
  const start = Number(r.url.searchParams.get("cursor") ?? 0) || 0;
  const pageSize = r.ctx.options.treePageSize;
  const page = all.slice(start, start + pageSize);
  const headers: Record<string, string> = {};
  if (start + pageSize < all.length) {
    const next = new URL(r.url.pathname + r.url.search, r.ctx.hubUrl);
    next.searchParams.set("cursor", String(start + pageSize));
    headers.Link = `<${next.toString()}>; rel="next"`;
  }
  sendJson(r.res, 200, page, headers);
}

async function pathsInfo(r: HubReq): Promise<void> {
  const [repoId, revision] = r.params;
  const found = repoAndCommit(r, repoId, revision, METADATA);
  if (!found) return;
  const { repo, commit } = found;
  let body: { paths?: unknown; expand?: unknown };
  try {
    const raw = await readBody(r.req);
    body = r.req.headers["content-type"]?.includes("json") ? JSON.parse(raw.toString()) : Object.fromEntries(new URLSearchParams(raw.toString()));
  } catch {
    hubError(r.res, 400, "Invalid JSON body");
    return;
  }
  const paths = Array.isArray(body.paths) ? body.paths.map(String) : typeof body.paths === "string" ? [body.paths] : [];
  const expand = body.expand === true || body.expand === "true";
  const items: TreeItem[] = [];
  for (const path of paths) {
    const file = commit.files.get(path);
    if (file) items.push(fileItem(repo, commit, file, expand));
    else if ([...commit.files.keys()].some((p) => p.startsWith(`${path}/`))) items.push(directoryItem(commit, path));
  }
  sendJson(r.res, 200, items);
}

function xetReadToken(r: HubReq): void {
  const [repoId, revision] = r.params;
  const found = repoAndCommit(r, repoId, revision);
  if (!found) return;
  if (r.ctx.faults.has("token-error")) {
    hubError(r.res, 401, "Unauthorized: could not issue a Xet read token (token-error fault)");
    return;
  }
  const exp = Math.floor(Date.now() / 1000) + r.ctx.options.xetTokenTtlSeconds;
  const accessToken = issueXetToken(r.ctx.secret, { repo: repoId, commit: found.commit.sha, exp });
  sendJson(
    r.res,
    200,
    { accessToken, exp, casUrl: r.ctx.cdnUrl },
    { "X-Xet-Access-Token": accessToken, "X-Xet-Token-Expiration": String(exp), "X-Xet-Cas-Url": r.ctx.cdnUrl },
  );
}
