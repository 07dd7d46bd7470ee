// The Git LFS route clones one commit, not the repo's history: on a repo with 150 commits of a changing config and
// a changing LFS file, the clone holds one commit and none of the old versions, on the wire or on disk. A download
// of an older commit (no branch tip) and an update to main still work.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { download } from "../../src/core/download/service";
import { pseudoRandomBytes } from "../../hub/xet/sampleData";
import { sha256File } from "../helpers/files";
import { sourceFiles, TOKEN, useServiceTestbed } from "./download-helpers";

const REPO = "history/long";
const COMMITS = 150;

describe("Git LFS route on a repo with a long history", function () {
  this.timeout(180_000);
  const bed = useServiceTestbed({
    prefix: "hf-history-",
    tokens: [TOKEN],
    sources: async (work) => {
      const revisions = [];
      for (let i = 0; i < COMMITS; i++) {
        const dir = join(work, `r${i}`);
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, "config.json"), `${JSON.stringify({ step: i, lr: 1e-4, note: "x".repeat(2000) })}\n`);
        await writeFile(join(dir, "weights.bin"), pseudoRandomBytes(64 * 1024, 1000 + i));
        revisions.push({ dir, message: `step ${i}`, ...(i === 10 ? { branch: "early" } : {}) });
      }
      return [{ id: REPO, revisions }];
    },
  });

  const git = (dir: string, ...args: string[]) => execFileSync("git", ["-C", dir, ...args], { env: bed.home.env }).toString().trim();
  const request = (revision: string) => ({ repo: REPO, revision, method: "lfs" as const, modelsDir: bed.models.path, endpoint: bed.hub.url, token: TOKEN });
  const gitBytes = () => bed.hub.ctx.log.filter((e) => e.route.startsWith("git-")).reduce((n, e) => n + e.bytes, 0);
  const lfsObjects = () => bed.hub.ctx.log.filter((e) => e.route === "lfs-object").length;

  async function assertExact(dir: string, revision: string): Promise<void> {
    for (const [path, f] of sourceFiles(bed.hub, REPO, revision)) assert.equal(await sha256File(join(dir, path)), f.sha256, `${path} at ${revision}`);
  }

  it("main: one commit in the clone, the git transfer a fraction of the history's, one LFS object fetched", async () => {
    const result = await download(request("main"), { env: bed.home.env });
    await assertExact(result.path, "main");
    assert.equal(git(result.path, "rev-list", "--count", "HEAD"), "1", "one commit, no history");
    assert.equal(git(result.path, "rev-parse", "--is-shallow-repository"), "true");
    assert.equal(lfsObjects(), 1, "only main's weights.bin");
    // Every version of config.json is ~2 KB of text; the history's would be ~150 of them (compressed, but each unique).
    const history = Number(git(result.path, "count-objects", "-v").match(/size-pack: (\d+)/)?.[1] ?? "NaN") * 1024;
    assert.ok(history < 20 * 1024, `the pack holds one commit's objects, not the history: ${history} bytes`);
    assert.ok(gitBytes() < 40 * 1024, `git moved ${gitBytes()} bytes`);
  });

  it("an older commit that is no branch tip, then an update to main, both byte-exact", async () => {
    const old = bed.hub.ctx.repos.get(REPO)!;
    const commits = [...old.commits.keys()];
    const target = commits.find((sha) => sha !== old.branches.get("main") && sha !== old.branches.get("early") && old.commits.get(sha)!.message === "step 42");
    assert.ok(target, "the local Hub knows commit 'step 42'");
    const first = await download(request(target), { env: bed.home.env });
    await assertExact(first.path, target);
    assert.equal(first.commit, target);
    const updated = await download(request("main"), { env: bed.home.env });
    await assertExact(updated.path, "main");
    assert.equal(updated.commit, old.branches.get("main"));
    assert.equal(git(updated.path, "rev-parse", "HEAD"), old.branches.get("main"));
  });
});
