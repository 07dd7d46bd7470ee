// Issue 16, item 3: the Hugging Face cache in the tree is a full citizen: a model expands to its revisions and their
// files, Verify checks each file against its blob's hash, Update goes through our routes into the cache, Delete
// removes one revision (freeing only unshared blobs) or the whole model.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { appendFile, readdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import * as vscode from "vscode";
import type { DownloadResult } from "../../src/core/download/types";
import type { ModelNode } from "../../src/views/nodes";
import type { HfModelsTestApi } from "../../src/vscode/testApi";
import type { LocalHub } from "../../hub/server";
import { hubFiles, keepEnv, resetSettings, ScriptedPrompter, setSetting, startDemoHub, tempDir, testApi, useHub } from "./helpers";

const REPO = "demo/two-revisions";

describe("the Hugging Face cache in the tree (issue 16, item 3)", function () {
  this.timeout(120_000);
  let hub: LocalHub;
  let api: HfModelsTestApi;
  let cache: string;
  const restoreCache = keepEnv("HF_HUB_CACHE");

  const cacheModel = async () => {
    api.tree.refresh();
    const group = (await api.tree.getChildren()).find((n) => n.kind === "cacheGroup");
    assert.ok(group, "the cache group is shown");
    return (await api.tree.getChildren(group)).find((n) => n.kind === "cache" && n.model.repo === REPO);
  };
  const revisions = async () => api.tree.getChildren((await cacheModel())!);

  before(async () => {
    api = await testApi();
    hub = await startDemoHub();
    await useHub(hub, await tempDir("models-cache-view"));
    cache = await tempDir("cache-view");
    process.env.HF_HUB_CACHE = cache;
    await setSetting("storage", "hfCache");
    api.setPrompter(new ScriptedPrompter({}));
    for (const revision of ["v1", "main"]) {
      const r = await vscode.commands.executeCommand<DownloadResult | undefined>("hfModels.downloadModel", { repo: REPO, revision });
      assert.ok(r, JSON.stringify(api.notices()));
    }
  });
  after(async () => {
    restoreCache();
    api.setPrompter(undefined);
    await setSetting("storage", undefined);
    await resetSettings();
    await hub.close();
  });
  beforeEach(() => api.clearNotices());

  it("expands a model to its revisions and a revision to its files with sizes", async () => {
    const model = (await cacheModel())!;
    assert.equal(api.tree.getTreeItem(model).collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    assert.match(String(api.tree.getTreeItem(model).description), /^(main, v1|v1, main) · \d/);
    const revs = await revisions();
    const main = hub.ctx.repos.get(REPO)!.branches.get("main")!;
    const v1 = hub.ctx.repos.get(REPO)!.branches.get("v1")!;
    assert.deepEqual(revs.map((r) => api.tree.getTreeItem(r).label).sort(), [`main @ ${main.slice(0, 7)}`, `v1 @ ${v1.slice(0, 7)}`].sort());
    const mainNode = revs.find((r) => r.kind === "cacheRevision" && r.commit === main)!;
    const files = await api.tree.getChildren(mainNode);
    const expected = hubFiles(hub, REPO, "main");
    assert.deepEqual(files.map((f) => (f.kind === "cacheFile" ? f.file.path : "?")).sort(), [...expected.keys()].sort());
    for (const f of files) {
      const item = api.tree.getTreeItem(f);
      assert.equal(item.contextValue, "cacheFile");
      assert.equal(f.kind === "cacheFile" && f.file.size, expected.get(String(item.label))!.size);
    }
  });

  it("Verify passes, then names a damaged file; its Repair downloads it again and the snapshot verifies", async () => {
    const model = (await cacheModel())!;
    assert.equal(await vscode.commands.executeCommand("hfModels.verifyModel", model), true);
    assert.match(api.notices().at(-1)?.message ?? "", /every file of 2 snapshot\(s\) in the Hugging Face cache matches its hash/);

    const main = hub.ctx.repos.get(REPO)!.branches.get("main")!;
    const config = await realpath(join(cache, "models--demo--two-revisions", "snapshots", main, "config.json"));
    await appendFile(config, " ");
    const revision = (await revisions()).find((r) => r.kind === "cacheRevision" && r.commit === main)!;
    assert.equal(await vscode.commands.executeCommand("hfModels.verifyModel", revision), false);
    const failed = api.notices().at(-1)!;
    assert.match(failed.message, /^demo\/two-revisions: 1 file\(s\) in the Hugging Face cache differ from their hash \(config\.json\)\. Repair downloads them again\.$/);
    assert.deepEqual(failed.actions, ["Repair", "Show Log"]);
    hub.resetLog();
    const repaired = (await failed.choose("Repair")) as DownloadResult[];
    assert.deepEqual(repaired.map((r) => r.revision), ["main"], "the revision that was verified");
    assert.equal(await vscode.commands.executeCommand("hfModels.verifyModel", await cacheModel()), true, JSON.stringify(api.notices().at(-1)));
    assert.ok(hub.ctx.log.some((e) => e.path.endsWith("/config.json") || e.route === "git-upload-pack" || e.route.startsWith("xet")), "config.json came from the Hub again");
  });

  it("Update downloads the tracked branches into the cache through our routes", async () => {
    hub.resetLog();
    const results = await vscode.commands.executeCommand<DownloadResult[]>("hfModels.updateModel", await cacheModel());
    assert.deepEqual(results.map((r) => r.revision).sort(), ["main", "v1"]);
    assert.ok(results.every((r) => r.path.startsWith(cache)), "into the cache, not the models folder");
    assert.ok(hub.ctx.log.some((e) => e.route === "api-model"), "the Hub was asked");
  });

  it("Delete of a revision keeps what the other shares; Delete of the model removes it from the tree", async () => {
    const v1 = hub.ctx.repos.get(REPO)!.branches.get("v1")!;
    api.setPrompter(new ScriptedPrompter({ confirm: { delete: true } }));
    try {
      const v1Node = (await revisions()).find((r): r is Extract<ModelNode, { kind: "cacheRevision" }> => r.kind === "cacheRevision" && r.commit === v1)!;
      assert.equal(await vscode.commands.executeCommand("hfModels.deleteModel", v1Node), true);
      const repoDir = join(cache, "models--demo--two-revisions");
      assert.deepEqual(await readdir(join(repoDir, "snapshots")), [hub.ctx.repos.get(REPO)!.branches.get("main")!]);
      assert.ok(!existsSync(join(repoDir, "refs", "v1")));
      assert.equal((await revisions()).length, 1);

      assert.equal(await vscode.commands.executeCommand("hfModels.deleteModel", await cacheModel()), true);
      assert.ok(!existsSync(repoDir));
      api.tree.refresh();
      assert.ok(!(await api.tree.getChildren()).some((n) => n.kind === "cacheGroup" && n.models.some((m) => m.repo === REPO)));
    } finally {
      api.setPrompter(new ScriptedPrompter({}));
    }
  });
});
