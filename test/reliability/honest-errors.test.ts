// Issue 17, point 9: errors that blame the right thing, through the real `hf-models` command where the defect was
// seen: an endpoint that is not a Hub, a token with a newline or a control character, a read-only model folder,
// a model folder deleted while the LFS route runs, `--revision HEAD` on both routes, a pasted URL of another host.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { download } from "../../src/core/download/service";
import { readRecord } from "../../src/core/library/metadata";
import { useServiceTestbed } from "../core/download-helpers";
import { assertDownloadError } from "../helpers/assertions";
import { buildCli, cliEnv, startCli } from "./cli";
import { folderViolations, writeSmallRepo } from "./helpers";

const REPO = "rel/small";

describe("reliability: honest errors (issue 17, point 9)", function () {
  this.timeout(180_000);
  const bed = useServiceTestbed({
    prefix: "hf-honest-",
    sources: async (work) => {
      await writeSmallRepo(join(work, "repo"));
      return [{ id: REPO, revisions: [{ dir: join(work, "repo"), message: "Add small model" }] }];
    },
  });
  before(() => buildCli());

  /** One CLI run with --json; the error's code and message (or none). */
  async function cli(args: string[], env: Record<string, string> = {}, repo = REPO, models = bed.models.path) {
    const run = startCli(["download", repo, "--dir", models, "--json", ...args], cliEnv(bed.home.path, env));
    const { code } = await run.done;
    const line = run.stdout().trim().split("\n").pop() ?? "";
    const parsed = line.startsWith("{") ? (JSON.parse(line) as { error?: { code: string; message: string } }) : {};
    return { code, error: parsed.error, stderr: run.stderr() };
  }
  const modelDir = () => join(bed.models.path, ...REPO.split("/"));

  it("an endpoint with a wrong path is invalid-endpoint, not a missing revision", async () => {
    const run = await cli(["--endpoint", `${bed.hub.url}/wrong`]);
    assert.notEqual(run.code, 0);
    assert.equal(run.error?.code, "invalid-endpoint", run.stderr);
    assert.match(run.error!.message, /not a Hugging Face Hub/i);
    assert.doesNotMatch(run.error!.message, /Revision/);
  });

  for (const [what, token] of [["a newline", "hf_abcdefghij\nklmnopqrstuv"], ["a control character", "hf_abcdefghij\u0001klmnopqrstuv"]] as const) {
    for (const via of ["HF_TOKEN", "--token-file", "xet"] as const) {
      it(`a token with ${what} (${via}) is unauthorized, said before anything is sent`, async () => {
        const file = join(bed.models.path, "token.txt");
        await writeFile(file, token);
        const args = via === "--token-file" ? ["--token-file", file] : via === "xet" ? ["--use-xet", "--no-fallback"] : [];
        const run = await cli(["--endpoint", bed.hub.url, ...args], via === "HF_TOKEN" || via === "xet" ? { HF_TOKEN: token } : {});
        assert.equal(run.error?.code, "unauthorized", run.stderr);
        assert.match(run.error!.message, /token/i);
        assert.deepEqual(bed.hub.ctx.log, [], "no request");
      });
    }
  }

  it("a read-only model folder is not-writable", async function () {
    if (process.getuid?.() !== 0) this.skip();
    const models = join(bed.work.path, "readonly");
    await mkdir(models, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", models]);
    try {
      // A complete download first: the rerun (an update) meets the read-only folder with a clone and a record in it.
      const first = await cli(["--endpoint", bed.hub.url], {}, REPO, models);
      assert.equal(first.code, 0, first.stderr);
      execFileSync("mount", ["-o", "remount,ro", models]);
      for (const flags of [[], ["--use-xet", "--no-fallback"]]) {
        const run = await cli(["--endpoint", bed.hub.url, ...flags], {}, REPO, models);
        assert.equal(run.error?.code, "not-writable", `${flags.join(" ")}: ${run.stderr}`);
        assert.match(run.error!.message, /read-only|cannot write|not writable/i);
      }
    } finally {
      spawnSync("umount", [models]);
    }
  });

  it("a model folder deleted while the LFS route runs says so (not-writable), no 'not a git repository'", async () => {
    let removed = false;
    const error = await download(
      { repo: REPO, modelsDir: bed.models.path, endpoint: bed.hub.url, method: "lfs" },
      {
        env: bed.home.env,
        onProgress: (e) => {
          if (!removed && e.type === "stage" && e.stage === "downloading") {
            removed = true;
            rmSync(modelDir(), { recursive: true, force: true });
          }
        },
      },
    ).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(removed, "the folder was deleted mid-run");
    assertDownloadError(error, "not-writable", /deleted|vanished|disappeared/i);
    assert.doesNotMatch((error as Error).message, /not a git repository/i);
  });

  for (const route of ["lfs", "xet"] as const) {
    it(`--revision HEAD (${route}) downloads the default branch and never drops a complete download's record`, async () => {
      const flags = route === "xet" ? ["--use-xet", "--no-fallback"] : [];
      const first = await cli(["--endpoint", bed.hub.url, ...flags]);
      assert.equal(first.code, 0, first.stderr);
      const head = await cli(["--endpoint", bed.hub.url, "--revision", "HEAD", ...flags]);
      assert.equal(head.code, 0, head.stderr);
      const record = await readRecord(modelDir());
      assert.ok(record, "the record is there");
      assert.equal(record.commit, bed.hub.ctx.repos.get(REPO)!.branches.get("main"));
      assert.deepEqual(await folderViolations({ hub: bed.hub, repo: REPO, modelDir: modelDir(), result: { method: record.method, commit: record.commit } as never }), []);
    });
  }

  it("a pasted URL of another host than the endpoint is an error naming both", async () => {
    const run = await cli(["--endpoint", bed.hub.url], {}, `https://huggingface.co/${REPO}`);
    assert.equal(run.error?.code, "invalid-endpoint", run.stderr);
    assert.match(run.error!.message, /huggingface\.co/);
    assert.ok(run.error!.message.includes(new URL(bed.hub.url).host), run.error!.message);
    assert.deepEqual(bed.hub.ctx.log, [], "nothing asked of the endpoint");
    assert.equal(existsSync(modelDir()), false);
  });
});
