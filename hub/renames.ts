// Renamed repos and legacy ids as huggingface.co answers them: a request naming a former id (`KB/old`, or a
// legacy name without a namespace such as `gpt2`) gets a 307 whose `Location` is relative — the same path under
// the canonical id. huggingface_hub PR #983 and utils/_http.py `_httpx2_follow_hub_redirects_with_backoff`
// follow exactly these (same-host, path-only) redirects; git follows the one on info/refs (http.followRedirects).
import type { HubContext, HubReq, Route } from "./context";

/** What may follow the id under `/api/models/<id>` and under `/<id>` for the redirect to apply. */
const API_SUFFIX = /^(?:\/?$|\/revision\/|\/tree\/|\/paths-info\/|\/xet-read-token\/)/;
const ROOT_SUFFIX = /^(?:\/resolve\/|\/info\/refs$|\/git-upload-pack$|\/git-receive-pack$|\/info\/lfs\/)/;

/** The relative Location for a request naming a former id, or undefined. */
export function movedLocation(ctx: HubContext, url: URL): string | undefined {
  if (ctx.formerIds.size === 0) return undefined;
  for (const [prefix, suffix] of [["/api/models/", API_SUFFIX], ["/", ROOT_SUFFIX]] as const) {
    if (!url.pathname.startsWith(prefix)) continue;
    const rest = url.pathname.slice(prefix.length);
    const segments = rest.split("/");
    for (const n of [2, 1]) {
      if (segments.length < n) continue;
      let id = segments.slice(0, n).join("/");
      const after = rest.slice(segments.slice(0, n).join("/").length);
      const git = prefix === "/" && id.endsWith(".git") ? ".git" : "";
      if (git) id = id.slice(0, -git.length);
      const canonical = ctx.formerIds.get(id);
      if (canonical && suffix.test(after)) return `${prefix}${canonical}${git}${after}${url.search}`;
    }
  }
  return undefined;
}

/** Answers the 307 the Hub sends for a former id; dispatch puts it before every hub-origin route. */
export const renamedRoute: Route = {
  name: "renamed-redirect",
  method: ["GET", "HEAD", "POST"],
  pattern: /^/,
  handle(r: HubReq) {
    const location = movedLocation(r.ctx, r.url)!;
    r.res.writeHead(307, { Location: location, "Content-Type": "text/plain; charset=utf-8" });
    r.res.end(r.req.method === "HEAD" ? undefined : `Temporary Redirect. Redirecting to ${location}`);
  },
};

/** Former id → canonical id of every repo. */
export function formerIdMap(repos: HubContext["repos"]): Map<string, string> {
  const map = new Map<string, string>();
  for (const repo of repos.values()) for (const old of repo.formerIds) map.set(old, repo.id);
  return map;
}
