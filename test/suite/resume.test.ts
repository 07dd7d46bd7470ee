// Issue 13, M4 (wiring): an incomplete model in the tree offers Resume, which continues the interrupted run with
// its route, revision and selection (from the note core left beside the record's place), keeping the Xet partials.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import * as vscode from "vscode";
import type { DownloadResult } from "../../src/core/download/types";
import { PARTIAL_DIR } from "../../src/core/layout";
import type { HfModelsTestApi } from "../../src/vscode/testApi";
import type { LocalHub } from "../../hub/server";
import { hubFiles, resetSettings, ScriptedPrompter, sha256File, startDemoHub, tempDir, testApi, useHub } from "./helpers";

describe("Resume of an incomplete model (issue 13, M4)", function () {
  this.timeout(120_000);
  let hub: LocalHub;
  let api: HfModelsTestApi;
  let models: string;
  const repo = "demo/two-revisions";
  const include = ["model.safetensors", "config.json"];

  before(async () => {
    api = await testApi();
    hub = await startDemoHub({ slow: { latencyMs: 20, perConnectionBytesPerSecond: 600_000, totalBytesPerSecond: 1_000_000 } });
    models = await tempDir("models-resume");
    await useHub(hub, models);
    api.setPrompter(new ScriptedPrompter({}));
  });
  after(async () => {
    api.setPrompter(undefined);
    await resetSettings();
    await hub.close();
  });

  it("offers Resume on the incomplete item and continues with Xet, revision v1 and the same files", async () => {
    // The interrupted run: a Xet download of v1 with a selection, cancelled at about 35 % (as Cancel in the notification).
    hub.setFault("slow", true);
    const total = include.reduce((n, p) => n + hubFiles(hub, repo, "v1").get(p)!.size, 0);
    const run = vscode.commands.executeCommand<DownloadResult | undefined>("hfModels.downloadModel", { repo, revision: "v1", files: include, method: "xet" });
    const end = Date.now() + 60_000;
    for (;;) {
      const job = api.jobs.running().find((j) => j.repo === repo);
      if (job && job.doneBytes > total * 0.35) break;
      assert.ok(Date.now() < end, "the download reached 35 %");
      await new Promise((r) => setTimeout(r, 20));
    }
    api.jobs.cancelAll();
    assert.equal(await run, undefined, "the download was cancelled");
    hub.setFault("slow", false);
    const dir = join(models, "demo", "two-revisions");
    assert.ok((await readdir(join(dir, PARTIAL_DIR))).length > 0, "Xet partials are there");

    api.tree.refresh();
    const node = (await api.tree.getChildren()).find((n) => n.kind === "local" && n.model.repo === repo);
    assert.ok(node && node.kind === "local");
    const item = api.tree.getTreeItem(node);
    assert.equal(item.contextValue, "localModel.incomplete");
    assert.match(String(item.description), /^incomplete · v1 · .* · Xet$/);
    const menus: Array<{ command: string; when: string }> = vscode.extensions.getExtension("hf-models-dev.hf-models")!.packageJSON.contributes.menus["view/item/context"];
    assert.ok(menus.some((m) => m.command === "hfModels.resumeModel" && m.when.includes("viewItem == localModel.incomplete")), "Resume is offered on it");

    hub.resetLog();
    const result = await vscode.commands.executeCommand<DownloadResult | undefined>("hfModels.resumeModel", node);
    assert.ok(result, JSON.stringify(api.notices()));
    assert.deepEqual([result.method, result.revision], ["xet", "v1"]);
    assert.deepEqual(result.files.map((f) => f.path).sort(), [...include].sort());
    for (const p of include) assert.equal(await sha256File(join(dir, p)), hubFiles(hub, repo, "v1").get(p)!.sha256, `${p} is v1's`);
    assert.ok(!existsSync(join(dir, "README.md")), "the selection stayed the selection");
    assert.ok(!hub.ctx.log.some((e) => e.route === "lfs-object" || e.route.startsWith("git-")), "no Git LFS traffic");
    assert.ok(result.bytesTransferred < total * 0.8, `only the rest was fetched: ${result.bytesTransferred} of ${total}`);
  });
});
