// Shared lookups for hub-origin routes: find and authorize a repo at a revision, and build the Xet
// headers that point clients from a file to its token and reconstruction endpoints.
import { authorizeRepo, hubError, type HubContext, type HubReq } from "./context";
import { resolveRevision, type HubCommit, type HubFile, type HubRepo } from "./model";

/**
 * Authorizes the repo and resolves the revision, answering 401/403/404 itself. `files: false` for metadata
 * (model info, tree, paths-info), which a gated repo shows to everyone.
 */
export function repoAndCommit(r: HubReq, repoId: string, revision: string, access = { files: true }): { repo: HubRepo; commit: HubCommit } | undefined {
  const repo = r.ctx.repos.get(repoId);
  if (!authorizeRepo(r, repo, access)) return undefined;
  const commit = resolveRevision(repo, revision);
  if (!commit) {
    hubError(r.res, 404, `Invalid rev id: ${revision}`, "RevisionNotFound");
    return undefined;
  }
  return { repo, commit };
}

/** The xet-read-token URL; in mirror mode it names the upstream Hub, as a mirror forwards its headers. */
export function xetAuthUrl(ctx: HubContext, repo: HubRepo, commit: HubCommit): string {
  return `${ctx.options.mirrorOf ?? ctx.hubUrl}/api/models/${repo.id}/xet-read-token/${commit.sha}`;
}

export function xetLinks(ctx: HubContext, repo: HubRepo, commit: HubCommit, file: HubFile): string {
  const auth = xetAuthUrl(ctx, repo, commit);
  const recon = `${ctx.cdnUrl}/v1/reconstructions/${file.xetHash}`;
  return `<${auth}>; rel="xet-auth", <${recon}>; rel="xet-reconstruction-info"`;
}
