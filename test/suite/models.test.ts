// The Models view and the item commands on a downloaded model: tree contents, the read-only HF cache
// group, Verify Integrity, Check for Updates / Update, Delete with confirmation, refresh on disk changes.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { appendFile, cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as vscode from "vscode";
import type { DownloadResult } from "../../src/core/download/types";
import { formatBytes } from "../../src/core/util/format";
import type { HfModelsTestApi } from "../../src/vscode/testApi";
import type { LocalHub } from "../../hub/server";
import { hubFiles, keepEnv, resetSettings, ScriptedPrompter, sha256File, startDemoHub, tempDir, testApi, useHub, waitFor } from "./helpers";

describe("Models view and item commands", () => {
  let hub: LocalHub;
  let api: HfModelsTestApi;
  let models: string;
  let modelDir: string;
  const restoreCache = keepEnv("HF_HUB_CACHE");

  const roots = () => api.tree.getChildren();
  const localNode = async (repo: string) => (await roots()).find((n) => n.kind === "local" && n.model.repo === repo);

  before(async () => {
    api = await testApi();
    hub = await startDemoHub();
    models = await tempDir("models-view");
    process.env.HF_HUB_CACHE = await tempDir("empty-hf-cache");
    await useHub(hub, models);
    api.setPrompter(new ScriptedPrompter({}));
    const result = await vscode.commands.executeCommand<DownloadResult | undefined>("hfModels.downloadModel", { repo: "demo/tiny-model" });
    assert.ok(result, JSON.stringify(api.notices()));
    modelDir = result.path;
  });
  after(async () => {
    restoreCache();
    api.setPrompter(undefined);
    await resetSettings();
    await hub.close();
  });
  beforeEach(() => api.clearNotices());

  it("shows the downloaded model with revision @ commit · size · method, and its files with sizes", async () => {
    const nodes = await roots();
    assert.deepEqual(nodes.map((n) => n.kind), ["local"]);
    const node = nodes[0]!;
    const item = api.tree.getTreeItem(node);
    assert.equal(item.label, "demo/tiny-model");
    assert.match(String(item.description), /^main @ [0-9a-f]{7} · \d+(\.\d)? [kM]B · Git LFS$/);
    assert.equal(item.contextValue, "localModel");
    const files = await api.tree.getChildren(node);
    const expected = hubFiles(hub, "demo/tiny-model");
    // The description's size is the disk use; the tooltip says what the files weigh and why the disk holds more.
    const filesBytes = [...expected.values()].reduce((n, f) => n + f.size, 0);
    const tooltip = (item.tooltip as vscode.MarkdownString).value;
    assert.ok(tooltip.includes(`Files: ${expected.size}, ${formatBytes(filesBytes)}`), tooltip);
    assert.match(tooltip, /On disk: \d+(\.\d)? [kM]B, with the download's own data \(git metadata, the record\)/);
    assert.deepEqual(files.map((f) => (f.kind === "file" ? f.file.path : "?")).sort(), [...expected.keys()].sort());
    for (const f of files) {
      const fileItem = api.tree.getTreeItem(f);
      assert.equal(fileItem.contextValue, "modelFile");
      assert.equal(fileItem.description, formatBytes(expected.get(String(fileItem.label))!.size));
    }
  });

  it("lists models of the Hugging Face cache in their own group", async () => {
    const cache = await tempDir("hf-cache");
    const sha = "a".repeat(40);
    await mkdir(join(cache, "models--acme--cached-model", "snapshots", sha), { recursive: true });
    await mkdir(join(cache, "models--acme--cached-model", "refs"), { recursive: true });
    await writeFile(join(cache, "models--acme--cached-model", "snapshots", sha, "config.json"), "{}\n");
    await writeFile(join(cache, "models--acme--cached-model", "refs", "main"), sha);
    process.env.HF_HUB_CACHE = cache;
    try {
      await vscode.commands.executeCommand("hfModels.refresh");
      const nodes = await roots();
      const group = nodes.at(-1)!;
      assert.equal(group.kind, "cacheGroup");
      assert.equal(api.tree.getTreeItem(group).label, "Hugging Face cache");
      const children = await api.tree.getChildren(group);
      assert.deepEqual(children.map((c) => (c.kind === "cache" ? c.model.repo : "?")), ["acme/cached-model"]);
      const item = api.tree.getTreeItem(children[0]!);
      assert.equal(item.contextValue, "cacheModel");
      assert.match(String(item.description), /^main · /);
    } finally {
      process.env.HF_HUB_CACHE = await tempDir("empty-hf-cache");
      await vscode.commands.executeCommand("hfModels.refresh");
    }
  });

  it("Verify Integrity passes on a fresh download, names the damaged file in words and marks the item; Repair heals it", async () => {
    const node = (await localNode("demo/tiny-model"))!;
    assert.equal(await vscode.commands.executeCommand("hfModels.verifyModel", node), true);
    assert.match(api.notices().at(-1)?.message ?? "", /all \d+ files match/);

    await appendFile(join(modelDir, "config.json"), " ");
    api.clearNotices();
    assert.equal(await vscode.commands.executeCommand("hfModels.verifyModel", node), false);
    const problem = api.notices().find((n) => n.level === "error");
    assert.ok(problem, JSON.stringify(api.notices()));
    assert.match(problem.message, /^demo\/tiny-model: 1 of \d+ files differ from what was downloaded \(config\.json\)\. Repair downloads them again\.$/);
    assert.doesNotMatch(problem.message, /[0-9a-f]{40}/, "no hashes in the toast (they are in the log)");
    assert.deepEqual(problem.actions, ["Repair", "Show Log"]);

    // The tree remembers: a warning icon, what is wrong, and Repair inline.
    const damaged = api.tree.getTreeItem((await localNode("demo/tiny-model"))!);
    assert.equal(damaged.contextValue, "localModel.damaged");
    assert.match(String(damaged.description), /^damaged: config\.json changed · main @ [0-9a-f]{7} · /);
    assert.equal((damaged.iconPath as vscode.ThemeIcon).id, "warning");
    const menus: Array<{ command: string; when: string; group?: string }> = vscode.extensions.getExtension("hf-models-dev.hf-models")!.packageJSON.contributes.menus["view/item/context"];
    assert.ok(menus.some((m) => m.command === "hfModels.repairModel" && m.group === "inline" && m.when.includes("viewItem == localModel.damaged")), "Repair is one click on the item");

    // A damaged file and an edited one look alike: Repair asks before it replaces either.
    const repair = new ScriptedPrompter({ confirm: { replaceEdited: true } });
    api.setPrompter(repair);
    const repaired = await vscode.commands.executeCommand<DownloadResult | undefined>("hfModels.repairModel", await localNode("demo/tiny-model"));
    assert.ok(repaired, JSON.stringify(api.notices()));
    const asked = repair.seen.find((q) => q.step === "replaceEdited")?.spec as { detail: string } | undefined;
    assert.match(asked?.detail ?? "", /config\.json/, "the question names the file it would replace");
    assert.equal(await sha256File(join(modelDir, "config.json")), hubFiles(hub, "demo/tiny-model").get("config.json")!.sha256);
    const healed = api.tree.getTreeItem((await localNode("demo/tiny-model"))!);
    assert.equal(healed.contextValue, "localModel", "healthy again after the Repair");
    assert.match(String(healed.description), /^main @ [0-9a-f]{7} · /);
    assert.equal(await vscode.commands.executeCommand("hfModels.verifyModel", await localNode("demo/tiny-model")), true);
  });

  it("Check for Updates says up to date, then offers Update when the Hub has a newer commit", async () => {
    assert.equal(await vscode.commands.executeCommand("hfModels.checkForUpdates", await localNode("demo/tiny-model")), false);
    assert.match(api.notices().at(-1)?.message ?? "", /demo\/tiny-model is up to date/);

    // Pretend the local copy is from an older commit.
    const recordFile = join(modelDir, ".hf-models.json");
    const record = JSON.parse(await readFile(recordFile, "utf8"));
    const head = record.commit;
    await writeFile(recordFile, JSON.stringify({ ...record, commit: "0".repeat(40) }, null, 2));
    await vscode.commands.executeCommand("hfModels.refresh");
    api.clearNotices();
    assert.equal(await vscode.commands.executeCommand("hfModels.checkForUpdates", await localNode("demo/tiny-model")), true);
    const offer = api.notices().at(-1)!;
    assert.match(offer.message, /has a newer main: 0000000 → [0-9a-f]{7}/);
    assert.deepEqual(offer.actions, ["Update"]);

    const updated = await vscode.commands.executeCommand<DownloadResult | undefined>("hfModels.updateModel", await localNode("demo/tiny-model"));
    assert.equal(updated?.commit, head);
    assert.equal(JSON.parse(await readFile(recordFile, "utf8")).commit, head);
  });

  it("Reveal in OS shows where the model is when the window has no local file manager", async () => {
    await vscode.commands.executeCommand("hfModels.revealInOS", await localNode("demo/tiny-model"));
    if (vscode.env.uiKind === vscode.UIKind.Web || vscode.env.remoteName) {
      const n = api.notices().at(-1)!;
      assert.ok(n.message.includes(modelDir), n.message);
      assert.deepEqual(n.actions, ["Copy Path"]);
    } else {
      assert.deepEqual(api.notices(), [], "on the desktop the OS file manager opens and nothing is said");
    }
  });

  it("refreshes when a model folder appears on disk", async () => {
    await roots();
    const changed = waitFor(api.tree.onDidChangeTreeData, () => true, 20_000, "a tree refresh from the file watcher");
    await cp(modelDir, join(models, "demo", "copied-model"), { recursive: true });
    const record = JSON.parse(await readFile(join(models, "demo", "copied-model", ".hf-models.json"), "utf8"));
    await writeFile(join(models, "demo", "copied-model", ".hf-models.json"), JSON.stringify({ ...record, repo: "demo/copied-model" }));
    await changed;
    assert.ok(await localNode("demo/copied-model"), "the copied model is listed");
    await rm(join(models, "demo", "copied-model"), { recursive: true });
    await vscode.commands.executeCommand("hfModels.refresh");
  });

  it("Delete asks first: No keeps the model, Delete removes it and the tree forgets it", async () => {
    const keep = new ScriptedPrompter({ confirm: { delete: false } });
    api.setPrompter(keep);
    assert.equal(await vscode.commands.executeCommand("hfModels.deleteModel", await localNode("demo/tiny-model")), false);
    assert.ok(existsSync(modelDir));
    const confirm = keep.seen[0]!.spec as { message: string; confirm: string };
    assert.equal(confirm.message, "Delete demo/tiny-model?");
    assert.equal(confirm.confirm, "Delete");

    api.setPrompter(new ScriptedPrompter({ confirm: { delete: true } }));
    assert.equal(await vscode.commands.executeCommand("hfModels.deleteModel", await localNode("demo/tiny-model")), true);
    assert.ok(!existsSync(modelDir), "the folder is gone");
    assert.equal(await localNode("demo/tiny-model"), undefined, "the tree no longer lists it");
    assert.deepEqual(await roots(), [], "the view is empty, so the welcome content shows");
  });
});

