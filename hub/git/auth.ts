// Authorization for the git side of the local Hub: the Hub's token rules (authorizeRepo), plus what git and
// git-lfs need on top — Basic auth whose password is the token, and a Basic challenge on 401 so they ask for it.
import { authorizeRepo, type HubReq } from "../context";
import type { HubRepo } from "../model";

export const REALM = 'Basic realm="Hugging Face"';

export function findRepo(r: HubReq, org: string, name: string): HubRepo | undefined {
  return r.ctx.repos.get(`${org}/${name}`);
}

/**
 * Like authorizeRepo, for git (`WWW-Authenticate`) or git-lfs (`LFS-Authenticate`) clients: a 401 carries the
 * challenge header that makes the client consult its credential helper.
 */
export function authorizeGit(r: HubReq, repo: HubRepo | undefined, challenge: "WWW-Authenticate" | "LFS-Authenticate"): repo is HubRepo {
  if (r.bearer === undefined) r.bearer = basicPassword(r.req.headers.authorization);
  const { res } = r;
  // authorizeRepo writes the head itself; a header set beforehand is merged into it, and only a 401 keeps it.
  const writeHead = res.writeHead;
  res.writeHead = function (this: typeof res, status: number, ...rest: unknown[]) {
    if (status === 401) res.setHeader(challenge, REALM);
    return (writeHead as (...args: unknown[]) => typeof res).call(this, status, ...rest);
  } as typeof res.writeHead;
  try {
    return authorizeRepo(r, repo);
  } finally {
    res.writeHead = writeHead;
  }
}

/** The password of `Authorization: Basic …` (git sends the token as the password); undefined otherwise. */
export function basicPassword(header: string | undefined): string | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const password = colon >= 0 ? decoded.slice(colon + 1) : "";
  return password || undefined;
}
