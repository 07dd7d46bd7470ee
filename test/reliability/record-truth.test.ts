// Issue 17, point 1: the record tells the truth. Files deleted while a download runs (one finished file, the whole
// model folder) are fetched again or the run fails clearly, never a complete record listing a missing file; and the
// extension's Delete takes the download lock, so it cannot pull a model out from under a running CLI.
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { lockPathFor } from "../../src/core/download/lock";
import { CHECKING_DISK, download } from "../../src/core/download/service";
import type { DownloadRequest, ProgressEvent } from "../../src/core/download/types";
import { deleteModel } from "../../src/core/library/index";
import { readRecord } from "../../src/core/library/metadata";
import { useServiceTestbed } from "../core/download-helpers";
import { rejectsWithCode } from "../helpers/assertions";
import { buildCli, cliEnv, startCli } from "./cli";
import { folderViolations, writeSmallRepo } from "./helpers";

const REPO = "rel/truth";

describe("reliability: the record tells the truth (issue 17, point 1)", function () {
  this.timeout(180_000);
  const bed = useServiceTestbed({
    prefix: "hf-truth-",
    slow: { latencyMs: 5, perConnectionBytesPerSecond: 2_000_000, totalBytesPerSecond: 2_000_000 },
    sources: async (work) => {
      const dir = join(work, "truth");
      await writeSmallRepo(dir, { model: 6 * 1024 * 1024 + 11, extra: 256 * 1024 + 7 });
      return [{ id: REPO, revisions: [{ dir, message: "Add model" }] }];
    },
  });

  const request = (method: "lfs" | "xet"): DownloadRequest => ({ repo: REPO, method, fallbackToLfs: false, modelsDir: bed.models.path, endpoint: bed.hub.url, concurrency: 1 });
  const modelDir = () => join(bed.models.path, ...REPO.split("/"));

  /** Runs the download, calling `onEvent` synchronously on each event (so a deletion lands exactly there). */
  async function run(method: "lfs" | "xet", onEvent: (e: ProgressEvent) => void) {
    return download(request(method), { env: bed.home.env, onProgress: onEvent });
  }

  it("xet: a finished file deleted while the others download is fetched again; the record lists only files on disk", async () => {
    const done: string[] = [];
    let deleted: string | undefined;
    const result = await run("xet", (e) => {
      if (e.type !== "file-done") return;
      done.push(e.path);
      // With one file at a time, the previous file is renamed into place by now.
      if (done.length === 2 && deleted === undefined) {
        deleted = done[0]!;
        rmSync(join(modelDir(), deleted));
      }
    });
    assert.ok(deleted, "a finished file was deleted during the run");
    assert.deepEqual(await folderViolations({ hub: bed.hub, repo: REPO, modelDir: result.path, result }), []);
  });

  it("xet: the whole model folder deleted mid-run ends with every recorded file on disk", async () => {
    let done = 0;
    let deleted = false;
    const result = await run("xet", (e) => {
      if (e.type !== "file-done" || ++done !== 3 || deleted) return;
      deleted = true;
      rmSync(modelDir(), { recursive: true, force: true });
    });
    assert.ok(deleted);
    assert.deepEqual(await folderViolations({ hub: bed.hub, repo: REPO, modelDir: result.path, result }), []);
  });

  it("lfs: a verified file deleted before the record is written is fetched again", async () => {
    let deleted = false;
    const result = await run("lfs", (e) => {
      if (e.type !== "stage" || e.stage !== "finalizing" || deleted) return;
      deleted = true;
      rmSync(join(modelDir(), "model.safetensors"));
    });
    assert.ok(deleted);
    assert.deepEqual(await folderViolations({ hub: bed.hub, repo: REPO, modelDir: result.path, result }), []);
  });

  for (const method of ["lfs", "xet"] as const) {
    it(`${method}: a file that keeps vanishing fails the run with a clear error and no record`, async () => {
      const victim = join(modelDir(), "weights", "extra.bin");
      // Deleted whenever it is there and the run reports progress: the second pass cannot keep it either.
      const onEvent = (e: ProgressEvent) => {
        if (e.type === "stage" && e.message === CHECKING_DISK) rmSync(victim, { force: true });
      };
      await rejectsWithCode(run(method, onEvent), "integrity", /weights\/extra\.bin: it is missing.*changed on disk while the download/);
      assert.equal(await readRecord(modelDir()), undefined, "no record claims the folder complete");
    });
  }

  it("Delete refuses while a CLI download holds the model's lock, and says so", async () => {
    await buildCli();
    bed.hub.setFault("slow", true);
    const cli = startCli(["download", REPO, "--use-xet", "--no-fallback", "--endpoint", bed.hub.url, "--dir", bed.models.path], cliEnv(bed.home.path));
    try {
      const started = Date.now();
      while (!(existsSync(lockPathFor(modelDir())) && existsSync(join(modelDir(), ".hf-models-partial")))) {
        assert.ok(Date.now() - started < 30_000, `the CLI never started downloading: ${cli.stderr()}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await rejectsWithCode(deleteModel(modelDir()), "locked", /another process is downloading it/);
      assert.ok(existsSync(modelDir()), "nothing was deleted");
      bed.hub.setFault("slow", false);
      const { code } = await cli.done;
      assert.equal(code, 0, cli.stderr());
      assert.ok(await readRecord(modelDir()), "the CLI's download completed");
    } finally {
      cli.kill9();
    }
    // Once it is done, Delete works and leaves no lock behind.
    await deleteModel(modelDir());
    assert.ok(!existsSync(modelDir()) && !existsSync(lockPathFor(modelDir())));
  });
});
