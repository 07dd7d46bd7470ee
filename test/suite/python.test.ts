// Issue 16, item 2: "Make Available to Python" on a model in the folder, and the setting that does it after every
// download: the files are hard-linked into the Hugging Face cache (same inodes), which the tree then lists; a cache on
// another filesystem asks before it copies.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import * as vscode from "vscode";
import type { DownloadResult } from "../../src/core/download/types";
import type { HfModelsTestApi } from "../../src/vscode/testApi";
import type { LocalHub } from "../../hub/server";
import { hubFiles, keepEnv, resetSettings, ScriptedPrompter, setSetting, startDemoHub, tempDir, testApi, useHub } from "./helpers";

describe("Make Available to Python (issue 16, item 2)", function () {
  this.timeout(120_000);
  let hub: LocalHub;
  let api: HfModelsTestApi;
  const restoreCache = keepEnv("HF_HUB_CACHE");
  const localNode = async (repo: string) => {
    api.tree.refresh();
    return (await api.tree.getChildren()).find((n) => n.kind === "local" && n.model.repo === repo);
  };

  before(async () => {
    api = await testApi();
    hub = await startDemoHub();
    await useHub(hub, await tempDir("models-python"));
    api.setPrompter(new ScriptedPrompter({}));
  });
  after(async () => {
    restoreCache();
    api.setPrompter(undefined);
    await resetSettings();
    await hub.close();
  });
  beforeEach(() => api.clearNotices());

  it("links a downloaded model's files into the cache (no second copy), and the cache group then lists it", async () => {
    process.env.HF_HUB_CACHE = await tempDir("python-cache");
    const result = await vscode.commands.executeCommand<DownloadResult | undefined>("hfModels.downloadModel", { repo: "demo/tiny-model" });
    assert.ok(result, JSON.stringify(api.notices()));
    const snapshot = await vscode.commands.executeCommand<string | undefined>("hfModels.makeAvailableToPython", await localNode("demo/tiny-model"));
    assert.equal(snapshot, join(process.env.HF_HUB_CACHE, "models--demo--tiny-model", "snapshots", result.commit));
    for (const path of hubFiles(hub, "demo/tiny-model").keys()) {
      assert.equal((await stat(join(snapshot, path))).ino, (await stat(join(result.path, path))).ino, `${path} is one file on disk`);
    }
    assert.equal(
      api.notices().at(-1)?.message,
      'demo/tiny-model is available to Python: from_pretrained("demo/tiny-model") finds it offline (its files are shared with the Hugging Face cache, no extra disk).',
    );
    const group = (await api.tree.getChildren()).find((n) => n.kind === "cacheGroup");
    assert.ok(group && group.kind === "cacheGroup" && group.models.some((m) => m.repo === "demo/tiny-model"), "the cache group lists it");
  });

  it("with hfModels.makeAvailableToPython on, every download lands in the cache too", async () => {
    process.env.HF_HUB_CACHE = await tempDir("python-cache-setting");
    await setSetting("makeAvailableToPython", true);
    try {
      const result = await vscode.commands.executeCommand<DownloadResult | undefined>("hfModels.downloadModel", { repo: "demo/two-revisions" });
      assert.ok(result, JSON.stringify(api.notices()));
      const repoDir = join(process.env.HF_HUB_CACHE, "models--demo--two-revisions");
      assert.equal((await readFile(join(repoDir, "refs", "main"), "utf8")).trim(), result.commit);
      const path = "model.safetensors";
      assert.equal((await stat(join(repoDir, "snapshots", result.commit, path))).ino, (await stat(join(result.path, path))).ino);
    } finally {
      await setSetting("makeAvailableToPython", undefined);
    }
  });

  it("a cache on another filesystem: asks, and copies only on yes", async () => {
    const other = await mkdtemp("/dev/shm/hf-python-cache-");
    process.env.HF_HUB_CACHE = other;
    try {
      const no = new ScriptedPrompter({ confirm: { copyToCache: false } });
      api.setPrompter(no);
      assert.equal(await vscode.commands.executeCommand("hfModels.makeAvailableToPython", await localNode("demo/tiny-model")), undefined);
      const asked = no.seen.find((q) => q.step === "copyToCache")?.spec as { message: string; confirm: string } | undefined;
      assert.equal(asked?.message, "demo/tiny-model: the Hugging Face cache is on another filesystem, so its files cannot be shared. Copy them?");
      assert.ok(!existsSync(join(other, "models--demo--tiny-model", "snapshots")), "nothing copied on No");

      api.setPrompter(new ScriptedPrompter({ confirm: { copyToCache: true } }));
      const snapshot = await vscode.commands.executeCommand<string | undefined>("hfModels.makeAvailableToPython", await localNode("demo/tiny-model"));
      assert.ok(snapshot?.startsWith(other), String(snapshot));
      assert.match(api.notices().at(-1)?.message ?? "", /copied into the Hugging Face cache\)\.$/);
    } finally {
      api.setPrompter(new ScriptedPrompter({}));
      await rm(other, { recursive: true, force: true });
    }
  });
});
