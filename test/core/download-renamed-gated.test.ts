// Our client on renamed repos, legacy ids and gated repos, on both routes. The Hub answers a former id with a
// 307 to the canonical one; the download carries on under the id the model info names (git remote, resolve
// URLs, folder, record) and says so once. A gated repo's model info is public and says `gated`: the download
// tells the user before the first byte to sign in, accept the terms or wait for approval, and never falls back.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { download } from "../../src/core/download/service";
import { shouldFallBack } from "../../src/core/download/fallback";
import { DownloadError, type DownloadMethod } from "../../src/core/download/types";
import { demoRepos } from "../../hub/demo";
import { rejectsWithCode } from "../helpers/assertions";
import { collect, sameBytes, sourceFiles, useServiceTestbed } from "./download-helpers";

const GRANTED = "hf_gate_granted_0123456789";
const PENDING = "hf_gate_pending_0123456789";
const OTHER = "hf_gate_other_0123456789";

describe("download: renamed repos, legacy ids, gated repos", function () {
  this.timeout(120_000);
  const bed = useServiceTestbed({
    prefix: "hf-renamed-",
    gatedAccess: [GRANTED],
    gatedPending: [PENDING],
    sources: async (work) => {
      const sources = await demoRepos(join(work, "demo"));
      sources.find((s) => s.id === "demo/tiny-model")!.renamedFrom = ["old-org/tiny-model", "tiny"];
      const gated = sources.find((s) => s.id === "demo/gated-model")!;
      sources.push({ ...gated, id: "demo/manual-gated", gated: "manual" });
      return sources.filter((s) => ["demo/tiny-model", "demo/gated-model", "demo/manual-gated"].includes(s.id));
    },
  });

  const run = (repo: string, method: DownloadMethod, token?: string, onProgress?: ReturnType<typeof collect>["onProgress"]) =>
    download({ repo, method, token, modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env, onProgress });
  const fileRequests = () => bed.hub.ctx.log.filter((e) => /^(resolve|git-|lfs-|xet-read-token|reconstruction|xorb)/.test(e.route));

  async function assertCanonical(result: Awaited<ReturnType<typeof download>>, id: string): Promise<void> {
    assert.equal(result.repo, id);
    assert.equal(result.path, join(bed.models.path, ...id.split("/")));
    for (const [path, s] of sourceFiles(bed.hub, id)) assert.ok(await sameBytes(join(result.path, path), s.source), `${path} is byte-exact`);
  }

  for (const method of ["lfs", "xet"] as const) {
    for (const token of [undefined, GRANTED]) {
      it(`${method}: a renamed repo downloads by its old id ${token ? "with" : "without"} a token, under the canonical id`, async () => {
        const { events, onProgress } = collect();
        const result = await run("old-org/tiny-model", method, token, onProgress);
        await assertCanonical(result, "demo/tiny-model");
        assert.equal(result.method, method);
        assert.deepEqual(events.filter((e) => e.type === "renamed"), [{ type: "renamed", from: "old-org/tiny-model", to: "demo/tiny-model" }], "said once");
        // Only the model info meets the redirect: every file request names the canonical id.
        assert.deepEqual(bed.hub.ctx.log.filter((e) => e.route === "renamed-redirect").map((e) => e.path.split("?")[0]), ["/api/models/old-org/tiny-model/revision/main"]);
        if (method === "lfs") {
          const remote = execFileSync("git", ["config", "--get", "remote.origin.url"], { cwd: result.path, env: bed.home.env }).toString().trim();
          assert.equal(remote, `${bed.hub.url}/demo/tiny-model`);
        }
      });
    }
  }

  for (const method of ["lfs", "xet"] as const) {
    it(`${method}: a legacy id without a namespace resolves to its canonical org/name`, async () => {
      const { events, onProgress } = collect();
      const result = await run("tiny", method, undefined, onProgress);
      await assertCanonical(result, "demo/tiny-model");
      assert.deepEqual(events.filter((e) => e.type === "renamed"), [{ type: "renamed", from: "tiny", to: "demo/tiny-model" }]);
    });
  }

  for (const method of ["lfs", "xet"] as const) {
    it(`${method}: a gated repo without a token says "sign in" before any file request`, async () => {
      await rejectsWithCode(run("demo/gated-model", method), "gated", /gated model: sign in with an access token, and accept its terms at http:\/\/127\.0\.0\.1:\d+\/demo\/gated-model/);
      assert.deepEqual(fileRequests(), []);
    });

    it(`${method}: a gated repo with a token not granted says "accept the terms at <page>"`, async () => {
      const err = await rejectsWithCode(run("demo/gated-model", method, OTHER), "gated", /accept the terms at http:\/\/127\.0\.0\.1:\d+\/demo\/gated-model/);
      assert.equal(err.detail.hubErrorCode, "GatedRepo");
      assert.equal(err.detail.status, 403);
      assert.ok(!err.message.includes(OTHER), "the token is never in a message");
      assert.deepEqual(fileRequests().map((e) => `${e.route} ${e.status}`), ["resolve 403"], "one HEAD, no byte, no git");
    });

    it(`${method}: a manual gated repo says "wait for approval" to a pending token and "request access" to another`, async () => {
      await rejectsWithCode(run("demo/manual-gated", method, PENDING), "gated", /awaiting review by its authors: wait for approval/);
      await rejectsWithCode(run("demo/manual-gated", method, OTHER), "gated", /request access at http:\/\/127\.0\.0\.1:\d+\/demo\/manual-gated; its authors approve requests by hand/);
    });

    it(`${method}: a granted token downloads a gated repo`, async () => {
      for (const id of ["demo/gated-model", "demo/manual-gated"]) {
        const result = await run(id, method, GRANTED);
        await assertCanonical(result, id);
        assert.equal(result.method, method);
      }
    });
  }

  it("xet: a gated refusal after the check never falls back to Git LFS", async () => {
    const access = bed.hub.ctx.options.gatedAccess;
    // Access withdrawn between the check and the first Xet request (the plan event comes after the check).
    const onProgress = (e: { type: string }) => {
      if (e.type === "plan") bed.hub.ctx.options.gatedAccess = [];
    };
    try {
      const err = await rejectsWithCode(run("demo/gated-model", "xet", GRANTED, onProgress), "gated", /accept the terms at/);
      assert.equal(err.message.includes("Git LFS"), false);
    } finally {
      bed.hub.ctx.options.gatedAccess = access;
    }
    const routes = bed.hub.ctx.log.map((e) => e.route);
    assert.ok(bed.hub.ctx.log.some((e) => e.status === 403), `the Xet route met the refusal: ${routes.join(",")}`);
    assert.ok(!routes.some((r) => r.startsWith("git-") || r.startsWith("lfs-")), `no git or LFS request: ${routes.join(",")}`);
  });

  it("the fallback rule never falls back on a gated refusal", () => {
    assert.equal(shouldFallBack(new DownloadError("gated", "x is a gated model"), true), false);
    assert.equal(shouldFallBack(new DownloadError("xet-unavailable", "the Xet token endpoint answered 403", { detail: { status: 403, hubErrorCode: "GatedRepo" } }), true), false);
  });
});
