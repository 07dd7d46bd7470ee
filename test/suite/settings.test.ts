// Issue 13, M1: the models folder stays what the user chose, in every settings target, when an unrelated
// setting changes the way the Settings UI changes it, and when the user settings file is written by hand.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as vscode from "vscode";
import type { DownloadResult } from "../../src/core/download/types";
import type { HfModelsTestApi } from "../../src/vscode/testApi";
import type { LocalHub } from "../../hub/server";
import { resetSettings, ScriptedPrompter, startDemoHub, tempDir, testApi, useHub } from "./helpers";

async function until(test: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const T = vscode.ConfigurationTarget;

describe("Settings: the models folder stays put (issue 13, M1)", () => {
  let hub: LocalHub;
  let api: HfModelsTestApi;
  let models: string;
  const cfg = () => vscode.workspace.getConfiguration("hfModels", vscode.workspace.workspaceFolders?.[0]?.uri);
  const listed = async () => (await api.tree.getChildren()).filter((n) => n.kind === "local").map((n) => (n.kind === "local" ? n.model.repo : ""));
  const targets = () => [
    T.Global,
    ...(vscode.workspace.workspaceFolders?.length ? [T.Workspace, T.WorkspaceFolder] : []),
  ];
  async function clearEverywhere(name: string): Promise<void> {
    for (const t of targets()) await cfg().update(name, undefined, t);
  }
  /** The values each target held before, so the profile's own folder (the UI test's) is there again afterwards. */
  function snapshot(name: string): () => Promise<void> {
    const seen = cfg().inspect(name);
    const values = new Map([
      [T.Global, seen?.globalValue],
      [T.Workspace, seen?.workspaceValue],
      [T.WorkspaceFolder, seen?.workspaceFolderValue],
    ]);
    return async () => {
      for (const t of targets()) await cfg().update(name, values.get(t), t);
    };
  }
  let restore: Array<() => Promise<void>> = [];

  before(async () => {
    restore = [snapshot("useXet"), snapshot("modelsDirectory")];
    api = await testApi();
    hub = await startDemoHub();
    models = await tempDir("models-settings");
    await useHub(hub, models);
    api.setPrompter(new ScriptedPrompter({}));
    const result = await vscode.commands.executeCommand<DownloadResult | undefined>("hfModels.downloadModel", { repo: "demo/tiny-model" });
    assert.ok(result, JSON.stringify(api.notices()));
  });
  after(async () => {
    api.setPrompter(undefined);
    await clearEverywhere("useXet");
    await clearEverywhere("modelsDirectory");
    await resetSettings();
    for (const undo of restore) await undo();
    await hub.close();
  });

  for (const where of ["Global", "Workspace", "WorkspaceFolder"] as const) {
    it(`keeps the folder chosen in ${where} settings while unrelated settings change in every target`, async function () {
      if (T[where] !== T.Global && !vscode.workspace.workspaceFolders?.length) this.skip();
      await clearEverywhere("modelsDirectory");
      await cfg().update("modelsDirectory", models, T[where]);
      assert.equal(cfg().get("modelsDirectory"), models);
      for (const t of targets()) {
        for (const value of [true, false, undefined]) {
          await cfg().update("useXet", value, t);
          assert.equal(cfg().get("modelsDirectory"), models, `after useXet=${value} in target ${T[t]}`);
        }
      }
      await until(async () => (await listed()).includes("demo/tiny-model"), 10_000, "the tree to list demo/tiny-model");
    });
  }

  it("keeps a folder written straight into the user settings file (as the sandbox does) after a Settings UI change", async function () {
    const ud = process.env.HF_MODELS_TEST_USER_DATA_DIR;
    const file = ud && join(ud, "User", "settings.json");
    if (!file || !existsSync(file)) this.skip();
    const before = await readFile(file, "utf8");
    try {
      await clearEverywhere("modelsDirectory");
      await writeFile(file, JSON.stringify({ ...JSON.parse(before), "hfModels.modelsDirectory": models }, null, 2));
      // What the Settings UI does when "Use Xet" is ticked: the user settings file is edited and read again, with the
      // hand-written line in it. A machine-scoped setting there was dropped by that re-read in a remote window (M1).
      await new Promise((r) => setTimeout(r, 500));
      await cfg().update("useXet", true, T.Global);
      await until(() => cfg().get("useXet") === true, 10_000, "the Settings UI change to be read");
      await until(() => cfg().get("modelsDirectory") === models, 10_000, "the hand-written folder after the re-read");
      await cfg().update("useXet", undefined, T.Global);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(cfg().get("modelsDirectory"), models);
      await until(async () => (await listed()).includes("demo/tiny-model"), 10_000, "the tree to list demo/tiny-model");
    } finally {
      await writeFile(file, before);
    }
  });
});
