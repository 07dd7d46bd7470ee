// The git half of the local Hub's routes: smart HTTP (clone/fetch through `git http-backend`) and the Git LFS
// batch API on the hub origin, LFS object downloads on the cdn origin. Pushes are refused.
import { hubError, type HubReq, type Route } from "../context";
import { authorizeGit, findRepo } from "./auth";
import { runHttpBackend } from "./cgi";
import { lfsBatchRoute, lfsObjectRoute } from "./lfs";

export { lfsObjectUrl } from "./lfs";

const REPO = String.raw`^\/([^/]+)\/([^/]+?)(?:\.git)?`;

/** Answers 503 when the `git-unavailable` fault is on; true when it did. */
function gitUnavailable(r: HubReq): boolean {
  if (!r.ctx.faults.has("git-unavailable")) return false;
  hubError(r.res, 503, "Git and LFS are temporarily unavailable", "ServiceUnavailable");
  return true;
}

const infoRefs: Route = {
  name: "git-info-refs",
  method: "GET",
  pattern: new RegExp(`${REPO}\\/info\\/refs$`),
  async handle(r) {
    r.logRoute = "git-info-refs";
    if (gitUnavailable(r)) return;
    const service = r.url.searchParams.get("service");
    if (service === "git-receive-pack") return refusePush(r);
    if (service !== "git-upload-pack") {
      return hubError(r.res, 403, "Only the smart HTTP protocol is supported (service=git-upload-pack)", "DumbHttpNotSupported");
    }
    const repo = findRepo(r, r.params[0], r.params[1]);
    if (!authorizeGit(r, repo, "WWW-Authenticate")) return;
    await runHttpBackend({ r, repo, subPath: "info/refs" });
  },
};

const uploadPack: Route = {
  name: "git-upload-pack",
  method: "POST",
  pattern: new RegExp(`${REPO}\\/git-upload-pack$`),
  async handle(r) {
    r.logRoute = "git-upload-pack";
    if (gitUnavailable(r)) return;
    const repo = findRepo(r, r.params[0], r.params[1]);
    if (!authorizeGit(r, repo, "WWW-Authenticate")) return;
    await runHttpBackend({ r, repo, subPath: "git-upload-pack" });
  },
};

const receivePack: Route = {
  name: "git-receive-pack",
  method: ["GET", "POST"],
  pattern: new RegExp(`${REPO}\\/git-receive-pack$`),
  handle(r) {
    r.logRoute = "git-receive-pack";
    if (gitUnavailable(r)) return;
    refusePush(r);
  },
};

function refusePush(r: HubReq): void {
  r.logRoute = "git-receive-pack";
  hubError(r.res, 403, "Pushing is not supported by the local Hub", "PushNotAllowed");
}

/** Hub origin: smart HTTP and the LFS batch API. */
export const gitRoutes: Route[] = [infoRefs, uploadPack, receivePack, lfsBatchRoute];

/** CDN origin: signed LFS object downloads (`lfsObjectUrl`). */
export const lfsObjectRoutes: Route[] = [lfsObjectRoute];
