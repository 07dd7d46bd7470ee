// Issue 13, M2 (wiring): after the endpoint moves (the sandbox's port changes on every start), Check for Updates
// and Update of a model downloaded from the old address use the current one; the old Hub is closed.
import assert from "node:assert/strict";
import * as vscode from "vscode";
import type { DownloadResult } from "../../src/core/download/types";
import type { HfModelsTestApi } from "../../src/vscode/testApi";
import type { LocalHub } from "../../hub/server";
import { resetSettings, ScriptedPrompter, setSetting, startDemoHub, tempDir, testApi, useHub } from "./helpers";

describe("The endpoint moves (issue 13, M2)", function () {
  this.timeout(120_000);
  let a: LocalHub;
  let b: LocalHub | undefined;
  let api: HfModelsTestApi;
  const localNode = async (repo: string) => (await api.tree.getChildren()).find((n) => n.kind === "local" && n.model.repo === repo);

  before(async () => {
    api = await testApi();
    a = await startDemoHub();
    await useHub(a, await tempDir("models-endpoint"));
    api.setPrompter(new ScriptedPrompter({}));
  });
  after(async () => {
    api.setPrompter(undefined);
    await resetSettings();
    await a.close().catch(() => undefined);
    await b?.close();
  });

  it("Check for Updates and Update ask the current endpoint, not the one the model came from", async () => {
    const first = await vscode.commands.executeCommand<DownloadResult | undefined>("hfModels.downloadModel", { repo: "demo/tiny-model" });
    assert.ok(first, JSON.stringify(api.notices()));
    await a.close();
    b = await startDemoHub();
    await setSetting("endpoint", b.url);
    api.tree.refresh();
    api.clearNotices();
    assert.equal(await vscode.commands.executeCommand("hfModels.checkForUpdates", await localNode("demo/tiny-model")), false, JSON.stringify(api.notices()));
    assert.match(api.notices().at(-1)?.message ?? "", /is up to date/);
    assert.ok(b.ctx.log.length > 0, "hub B was asked");
    const updated = await vscode.commands.executeCommand<DownloadResult | undefined>("hfModels.updateModel", await localNode("demo/tiny-model"));
    assert.ok(updated, JSON.stringify(api.notices()));
  });
});
