// Hostile modes of the local Hub: answers a broken or malicious Hub could give (unsafe tree paths, endless or
// malformed JSON, reconstructions that lie, redirect loops, redirects to another origin), switched per mode.
import type { ServerResponse } from "node:http";
import { apiRoutes } from "./api";
import { drainedOrClosed, hubError, sendJson, type HubContext, type HubReq, type Origin, type Route } from "./context";
import { gitRoutes } from "./git/routes";
import { signUrlQuery } from "./tokens";

export const HOSTILE_MODES = [
  /** Tree listings with one extra entry whose path is unsafe. */
  "tree-dotdot",
  "tree-absolute",
  "tree-backslash",
  "tree-nul",
  "tree-case-collision",
  "tree-git-dir",
  /** An extra entry of type "symlink" pointing outside the repo. */
  "tree-symlink",
  /** The tree endpoint streams a JSON array that never ends. */
  "huge-json",
  /** The tree endpoint answers truncated JSON. */
  "malformed-json",
  /** The tree endpoint answers valid JSON of the wrong shape (an object, not an array). */
  "wrong-json",
  /** Reconstructions without their last term (or with an empty one): the file comes out short. */
  "recon-short",
  /** Reconstructions whose terms claim a terabyte of unpacked bytes. */
  "recon-huge",
  /** Model info, resolve, or git info/refs + LFS batch redirect to themselves forever. */
  "redirect-loop-api",
  "redirect-loop-resolve",
  "redirect-loop-git",
  /** Tree, resolve, git info/refs and the LFS batch API redirect to a mirror on the cdn origin. */
  "redirect-offsite",
  /** Only the LFS batch API redirects (307) to the cdn origin's mirror. */
  "redirect-offsite-batch",
  /** The first LFS batch answer for each object carries an href that has already expired (403 on use). */
  "lfs-url-expired",
  /** LFS object downloads ignore Range and always send the whole object with 200, as some servers do. */
  "lfs-ignore-range",
] as const;
export type HostileMode = (typeof HOSTILE_MODES)[number];

export function isHostileMode(name: string): name is HostileMode {
  return (HOSTILE_MODES as readonly string[]).includes(name);
}

/** Where the cdn origin mirrors hub-origin paths for `redirect-offsite`. */
export const OFFSITE_PREFIX = "/offsite";

type Variant = (r: HubReq, original: Route) => Promise<void> | void;

const TREE_ENTRIES: Partial<Record<HostileMode, (like: TreeEntry) => Record<string, unknown>>> = {
  "tree-dotdot": (like) => ({ ...like, path: "../escape.txt" }),
  "tree-absolute": (like) => ({ ...like, path: "/tmp/hf-hostile-absolute.txt" }),
  "tree-backslash": (like) => ({ ...like, path: "..\\..\\escape.txt" }),
  "tree-nul": (like) => ({ ...like, path: `${like.path}\u0000.evil` }),
  "tree-case-collision": (like) => ({ ...like, path: like.path.toUpperCase() }),
  "tree-git-dir": (like) => ({ ...like, path: ".git/hooks/post-checkout" }),
  "tree-symlink": (like) => ({ type: "symlink", oid: like.oid, size: 11, path: "evil-link", target: "/etc/passwd" }),
};

interface TreeEntry {
  type: string;
  path: string;
  oid: string;
  size: number;
}

/** Route name → hostile variants, first matching mode wins. */
const VARIANTS: Record<string, Array<[HostileMode, Variant]>> = {
  "api-model": [["redirect-loop-api", (r) => redirectToSelf(r)]],
  "api-tree": [
    ...Object.keys(TREE_ENTRIES).map((mode): [HostileMode, Variant] => [mode as HostileMode, (r, route) => treeWithExtra(r, route, mode as HostileMode)]),
    ["huge-json", endlessJson],
    ["malformed-json", (r) => rawJson(r, '[{"type":"file","oid":"0123456789abcdef0123456789abcdef01234567","size":1,"path":"conf')],
    ["wrong-json", (r) => rawJson(r, '{"error":null,"files":"not an array"}')],
    ["redirect-offsite", (r) => redirectOffsite(r)],
  ],
  resolve: [
    ["redirect-loop-resolve", (r, route) => (isRegularFile(r) ? redirectToSelf(r) : route.handle(r))],
    ["redirect-offsite", (r, route) => (isRegularFile(r) ? redirectOffsite(r) : route.handle(r))],
  ],
  "git-info-refs": [
    ["redirect-loop-git", (r) => redirectToSelf(r)],
    ["redirect-offsite", (r) => redirectOffsite(r)],
  ],
  "lfs-batch": [
    ["redirect-loop-git", (r) => redirectToSelf(r, 307)],
    ["redirect-offsite", (r) => redirectOffsite(r, 307)],
    ["redirect-offsite-batch", (r) => redirectOffsite(r, 307)],
    ["lfs-url-expired", (r, route) => rewriteJson(r, route, (body) => expireHrefsOnce(r.ctx, body))],
  ],
  "lfs-object": [["lfs-ignore-range", ignoringRange]],
  "reconstruction-v1": [
    ["recon-short", (r, route) => rewriteJson(r, route, shortenReconstruction)],
    ["recon-huge", (r, route) => rewriteJson(r, route, inflateReconstruction)],
  ],
  "reconstruction-v2": [
    ["recon-short", (r, route) => rewriteJson(r, route, shortenReconstruction)],
    ["recon-huge", (r, route) => rewriteJson(r, route, inflateReconstruction)],
  ],
};

/** An origin's route table with the hostile variants wired in; the cdn origin also gets the offsite mirror. */
export function withHostileModes(origin: Origin, routes: Route[]): Route[] {
  const wrapped = routes.map((route): Route => {
    const variants = VARIANTS[route.name];
    if (!variants) return route;
    return {
      ...route,
      handle(r) {
        const hostile = r.ctx.hostile;
        const variant = hostile.size > 0 ? variants.find(([mode]) => hostile.has(mode)) : undefined;
        return variant ? variant[1](r, route) : route.handle(r);
      },
    };
  });
  return origin === "cdn" ? [offsiteMirror, ...wrapped] : wrapped;
}

function redirectToSelf(r: HubReq, status = 302): void {
  r.logRoute = "hostile-redirect-loop";
  r.res.writeHead(status, { Location: r.url.pathname + r.url.search, "Content-Length": 0 });
  r.res.end();
}

function redirectOffsite(r: HubReq, status = 302): void {
  r.logRoute = "hostile-redirect-offsite";
  r.res.writeHead(status, { Location: `${r.ctx.cdnUrl}${OFFSITE_PREFIX}${r.url.pathname}${r.url.search}`, "Content-Length": 0 });
  r.res.end();
}

/** The cdn origin answers a hub-origin path as the hub would: only a client that dropped the token can read private repos. */
const offsiteMirror: Route = {
  name: "offsite",
  method: ["GET", "HEAD", "POST"],
  pattern: new RegExp(`^${OFFSITE_PREFIX}(/.*)$`),
  async handle(r) {
    const inner = new URL(r.params[0] + r.url.search, r.ctx.hubUrl);
    const method = r.req.method ?? "GET";
    for (const route of [...apiRoutes, ...gitRoutes]) {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const match = route.pattern.exec(inner.pathname);
      if (!match || !methods.includes(method)) continue;
      const params = match.slice(1).map((p) => (p === undefined ? p : decodeURIComponent(p)));
      const innerReq: HubReq = { ...r, url: inner, params };
      await route.handle(innerReq);
      r.logRoute = `offsite-${innerReq.logRoute ?? route.name}`;
      return;
    }
    hubError(r.res, 404, `No hub route for ${inner.pathname}`, "EntryNotFound");
  },
};

function isRegularFile(r: HubReq): boolean {
  const [repoId, revision, path] = r.params;
  const repo = r.ctx.repos.get(repoId);
  const sha = repo?.branches.get(revision) ?? revision;
  const file = repo?.commits.get(sha)?.files.get(path);
  return file !== undefined && !file.lfs;
}

/** The real handler, blind to the Range header (the request log still shows what was asked). */
async function ignoringRange(r: HubReq, route: Route): Promise<void> {
  const asked = r.req.headers.range;
  delete r.req.headers.range;
  try {
    await route.handle(r);
  } finally {
    r.req.headers.range = asked;
  }
}

/** Runs the real handler with its JSON answer captured, then sends `edit(answer)` instead. */
async function rewriteJson(r: HubReq, route: Route, edit: (body: unknown) => unknown): Promise<void> {
  const captured = await capture(r, route);
  if (captured.status !== 200) return replay(r.res, captured);
  sendJson(r.res, 200, edit(JSON.parse(captured.body)), withoutLength(captured.headers));
}

async function treeWithExtra(r: HubReq, route: Route, mode: HostileMode): Promise<void> {
  await rewriteJson(r, route, (body) => {
    const items = body as TreeEntry[];
    const like = items.find((e) => e.type === "file");
    return like ? [...items, TREE_ENTRIES[mode]!(like)] : items;
  });
}

function shortenReconstruction(body: unknown): unknown {
  const answer = body as { terms: Array<{ unpacked_length: number }> };
  return { ...answer, terms: answer.terms.slice(0, Math.max(0, answer.terms.length - 1)) };
}

function inflateReconstruction(body: unknown): unknown {
  const answer = body as { terms: Array<{ unpacked_length: number }> };
  return { ...answer, terms: answer.terms.map((t) => ({ ...t, unpacked_length: 2 ** 40 })) };
}

const expiredOnce = new WeakMap<HubContext, Set<string>>();

/** Re-signs each object's href as expired, the first time the object is asked for on this hub. */
function expireHrefsOnce(ctx: HubContext, body: unknown): unknown {
  const seen = expiredOnce.get(ctx) ?? new Set<string>();
  expiredOnce.set(ctx, seen);
  const answer = body as { objects: Array<{ oid: string; actions?: { download?: { href: string } } }> };
  for (const o of answer.objects) {
    const download = o.actions?.download;
    if (!download || seen.has(o.oid)) continue;
    seen.add(o.oid);
    const path = new URL(download.href).pathname;
    download.href = `${ctx.cdnUrl}${path}?${signUrlQuery(ctx.secret, path, Math.floor(Date.now() / 1000) - 60)}`;
  }
  return answer;
}

function rawJson(r: HubReq, text: string): void {
  r.logRoute = "hostile-json";
  r.res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  r.res.end(text);
}

/** `[` and then file entries forever, as fast as the client reads, until it hangs up. */
async function endlessJson(r: HubReq): Promise<void> {
  r.logRoute = "hostile-huge-json";
  const { res } = r;
  const entry = (i: number) => `{"type":"file","oid":"${"ab".repeat(20)}","size":1024,"path":"junk/${String(i).padStart(9, "0")}.bin"},`;
  const block = Buffer.from(Array.from({ length: 8192 }, (_, i) => entry(i)).join(""));
  res.writeHead(200, { "Content-Type": "application/json" });
  res.write("[");
  while (!res.destroyed && !res.writableEnded) {
    if (!res.write(block)) await drainedOrClosed(res);
  }
}

interface Captured {
  status: number;
  headers: Record<string, string | number>;
  body: string;
}

/** Calls the handler with `writeHead`/`end` intercepted (the JSON routes answer with exactly these two calls). */
async function capture(r: HubReq, route: Route): Promise<Captured> {
  const { res } = r;
  const out: Captured = { status: 0, headers: {}, body: "" };
  const { writeHead, end } = res;
  res.writeHead = ((status: number, headers?: Record<string, string | number>) => {
    out.status = status;
    out.headers = headers ?? {};
    return res;
  }) as typeof res.writeHead;
  res.end = ((chunk?: unknown) => {
    if (chunk !== undefined && typeof chunk !== "function") out.body += Buffer.isBuffer(chunk) ? chunk.toString("utf8") : String(chunk);
    return res;
  }) as typeof res.end;
  try {
    await route.handle(r);
  } finally {
    res.writeHead = writeHead;
    res.end = end;
  }
  return out;
}

function replay(res: ServerResponse, c: Captured): void {
  res.writeHead(c.status, withoutLength(c.headers));
  res.end(c.body);
}

function withoutLength(headers: Record<string, string | number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== "content-length") out[k] = String(v);
  return out;
}
