// Issue 14, item 3 (wiring): hfModels.maxDownloadSpeed reaches the one cap every connection shares, at once,
// also while a download runs, and the log says so.
import assert from "node:assert/strict";
import { join } from "node:path";
import * as vscode from "vscode";
import type { DownloadResult } from "../../src/core/download/types";
import type { HfModelsTestApi } from "../../src/vscode/testApi";
import type { LocalHub } from "../../hub/server";
import { hubFiles, resetSettings, ScriptedPrompter, sha256File, startDemoHub, tempDir, testApi, useHub } from "./helpers";

describe("Download speed cap (issue 14, item 3)", function () {
  this.timeout(120_000);
  let hub: LocalHub;
  let api: HfModelsTestApi;
  let models: string;
  const repo = "demo/tiny-model";
  // Application-scoped: it lives in the user settings, whatever folder is open.
  const setCap = (mbPerSecond: number | undefined) => vscode.workspace.getConfiguration("hfModels").update("maxDownloadSpeed", mbPerSecond, vscode.ConfigurationTarget.Global);

  before(async () => {
    api = await testApi();
    hub = await startDemoHub();
    models = await tempDir("models-cap");
    await useHub(hub, models);
    api.setPrompter(new ScriptedPrompter({}));
  });
  after(async () => {
    await setCap(undefined);
    api.setPrompter(undefined);
    await resetSettings();
    await hub.close();
  });

  it("follows the setting at once, also while a download runs, and says so in the log", async () => {
    await setCap(1);
    assert.equal(api.speedCap(), 1_000_000);
    assert.ok(api.logLines().some((l) => l.includes("Download speed capped at 1 MB/s")), api.logLines().slice(-5).join("\n"));

    // About 3 MB at 1 MB/s: the download is still running when the cap is lifted.
    const run = vscode.commands.executeCommand<DownloadResult | undefined>("hfModels.downloadModel", { repo });
    const end = Date.now() + 60_000;
    while (!api.jobs.running().some((j) => j.repo === repo && j.doneBytes > 0)) {
      assert.ok(Date.now() < end, "the download started");
      await new Promise((r) => setTimeout(r, 20));
    }
    await setCap(undefined);
    assert.equal(api.speedCap(), 0);
    assert.ok(api.jobs.running().some((j) => j.repo === repo), "the cap was lifted while the download ran");
    assert.ok(api.logLines().some((l) => l.includes("Download speed cap lifted")));

    const result = await run;
    assert.ok(result, "the download finished");
    for (const [path, file] of hubFiles(hub, repo, "main")) assert.equal(await sha256File(join(result.path, path)), file.sha256, path);
  });
});
