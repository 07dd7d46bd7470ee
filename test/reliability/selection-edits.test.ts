// Issue 17, points 2 and 7, through the real `hf-models` command on both routes: a narrower --include never deletes
// what is already downloaded (nor its LFS objects; --prune is the explicit way), an update removes the files the new
// revision no longer has, and a file the user edited is never overwritten or removed without --overwrite-edited.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readRecord } from "../../src/core/library/metadata";
import { lfsObjectPath } from "../../src/core/lfs/objects";
import { pseudoRandomBytes } from "../../hub/xet/sampleData";
import { sourceFiles, useServiceTestbed } from "../core/download-helpers";
import { sha256File } from "../helpers/files";
import { buildCli, cliEnv, startCli } from "./cli";

const REPO = "rel/update";

async function writeTree(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, ".."), { recursive: true });
    await writeFile(join(dir, name), content);
  }
}

describe("reliability: selections and updates never delete the user's files (issue 17, points 2 and 7)", function () {
  this.timeout(180_000);
  const bed = useServiceTestbed({
    prefix: "hf-selection-",
    sources: async (work) => {
      const shared = { "config.json": '{"model_type": "update-test"}\n', "model.safetensors": pseudoRandomBytes(300 * 1024 + 5, 61), "weights/extra.bin": pseudoRandomBytes(100 * 1024 + 3, 62) };
      const v1 = join(work, "v1");
      const main = join(work, "main");
      await writeTree(v1, { ...shared, "README.md": "# v1\n", "old.bin": pseudoRandomBytes(50 * 1024, 63), "notes.txt": "notes of v1\n" });
      await writeTree(main, { ...shared, "README.md": "# main\n", "new.json": '{"added": true}\n' });
      return [{ id: REPO, revisions: [{ dir: v1, message: "v1", branch: "v1" }, { dir: main, message: "main" }] }];
    },
  });
  before(() => buildCli());

  async function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const run = startCli(["download", REPO, "--endpoint", bed.hub.url, "--dir", bed.models.path, ...args], cliEnv(bed.home.path));
    const { code } = await run.done;
    return { code, stdout: run.stdout(), stderr: run.stderr() };
  }
  const modelDir = () => join(bed.models.path, ...REPO.split("/"));
  async function assertHubBytes(path: string, revision = "main"): Promise<void> {
    const source = sourceFiles(bed.hub, REPO, revision).get(path)!;
    assert.equal(await sha256File(join(modelDir(), path)), source.sha256, `${path} is the Hub's ${revision} version`);
  }

  for (const route of ["lfs", "xet"] as const) {
    const flags = route === "xet" ? ["--use-xet", "--no-fallback"] : [];

    it(`${route}: a narrower --include keeps the other complete files and their objects; --prune removes them`, async () => {
      const full = await cli(flags);
      assert.equal(full.code, 0, full.stderr);
      const narrow = await cli([...flags, "--include", "*.json"]);
      assert.equal(narrow.code, 0, narrow.stderr);
      for (const path of ["README.md", "model.safetensors", "weights/extra.bin", "config.json", "new.json"]) await assertHubBytes(path);
      if (route === "lfs") {
        const oid = sourceFiles(bed.hub, REPO).get("model.safetensors")!.lfsOid!;
        assert.ok(existsSync(lfsObjectPath(join(modelDir(), ".git"), oid)), "the weights' LFS object stays");
      }
      // The whole selection again takes the kept files back as they are (no conflict with the sparse checkout).
      const whole = await cli(flags);
      assert.equal(whole.code, 0, whole.stderr);
      for (const path of ["README.md", "model.safetensors", "weights/extra.bin"]) await assertHubBytes(path);
      // Removing them is its own, explicit action.
      const pruned = await cli([...flags, "--include", "*.json", "--prune"]);
      assert.equal(pruned.code, 0, pruned.stderr);
      assert.ok(!existsSync(join(modelDir(), "model.safetensors")), "--prune removes the files outside the selection");
      await assertHubBytes("config.json");
    });

    it(`${route}: an update removes the files gone upstream, keeps and reports an edited README.md and an edited gone-upstream file`, async () => {
      const v1 = await cli([...flags, "--revision", "v1"]);
      assert.equal(v1.code, 0, v1.stderr);
      await new Promise((r) => setTimeout(r, 20)); // the edit is later than the record, as any real edit is
      await appendFile(join(modelDir(), "README.md"), "my own notes\n");
      await appendFile(join(modelDir(), "notes.txt"), "mine too\n");

      const update = await cli(flags);
      assert.equal(update.code, 0, update.stderr);
      assert.match(update.stderr, /warning: kept 2 file\(s\) you changed.*README\.md.*notes\.txt.*--overwrite-edited/s);
      assert.equal(await readFile(join(modelDir(), "README.md"), "utf8"), "# v1\nmy own notes\n", "the edited README.md is kept");
      assert.equal(await readFile(join(modelDir(), "notes.txt"), "utf8"), "notes of v1\nmine too\n", "the edited file gone upstream is kept");
      assert.ok(!existsSync(join(modelDir(), "old.bin")), "the unedited file gone upstream is removed");
      await assertHubBytes("new.json");
      await assertHubBytes("model.safetensors");
      const record = (await readRecord(modelDir()))!;
      assert.ok(!record.files.some((f) => f.path === "README.md"), "the record never claims the user's README.md");

      // Later runs keep them as well: the record remembers them.
      const again = await cli(flags);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /warning: kept 2 file\(s\)/);
      assert.equal(await readFile(join(modelDir(), "README.md"), "utf8"), "# v1\nmy own notes\n", "still kept on the next update");

      // Replacing them is asked for explicitly.
      const replace = await cli([...flags, "--overwrite-edited"]);
      assert.equal(replace.code, 0, replace.stderr);
      assert.doesNotMatch(replace.stderr, /warning: kept/);
      await assertHubBytes("README.md");
      assert.ok(!existsSync(join(modelDir(), "notes.txt")), "with --overwrite-edited the edited file gone upstream goes too");
    });
  }
});
