// Issue 13, item 4: the tree says which revision is on disk, a download of another revision asks before it
// replaces it, and a selection of files shows as partial ("2 of 9 files").
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as vscode from "vscode";
import type { DownloadResult } from "../../src/core/download/types";
import type { ModelRecord } from "../../src/core/library/metadata";
import type { HfModelsTestApi } from "../../src/vscode/testApi";
import type { LocalHub } from "../../hub/server";
import { hubFiles, resetSettings, ScriptedPrompter, sha256File, startDemoHub, tempDir, testApi, useHub } from "./helpers";

describe("Revisions and selections in the tree (issue 13, item 4)", function () {
  this.timeout(120_000);
  let hub: LocalHub;
  let api: HfModelsTestApi;
  let models: string;
  const repo = "demo/two-revisions";
  const DOWNLOAD = "hfModels.downloadModel";

  const itemOf = async (name: string) => {
    api.tree.refresh();
    const node = (await api.tree.getChildren()).find((n) => n.kind === "local" && n.model.repo === name);
    assert.ok(node, `${name} is in the tree`);
    return api.tree.getTreeItem(node);
  };
  const record = async (name: string): Promise<ModelRecord> => JSON.parse(await readFile(join(models, ...name.split("/"), ".hf-models.json"), "utf8"));

  before(async () => {
    api = await testApi();
    hub = await startDemoHub();
    models = await tempDir("models-revisions");
    await useHub(hub, models);
  });
  after(async () => {
    api.setPrompter(undefined);
    await resetSettings();
    await hub.close();
  });
  beforeEach(() => api.clearNotices());

  it("shows the revision and its short commit, and asks before another revision replaces it", async () => {
    api.setPrompter(new ScriptedPrompter({}));
    const v1 = await vscode.commands.executeCommand<DownloadResult | undefined>(DOWNLOAD, { repo, revision: "v1" });
    assert.ok(v1, JSON.stringify(api.notices()));
    const v1Commit = hub.ctx.repos.get(repo)!.branches.get("v1")!;
    assert.match(String((await itemOf(repo)).description), new RegExp(`^v1 @ ${v1Commit.slice(0, 7)} · `));

    // Declined: nothing is fetched and v1 stays, byte for byte.
    const keep = new ScriptedPrompter({ confirm: { replaceRevision: false } });
    api.setPrompter(keep);
    const requestsBefore = hub.ctx.log.length;
    assert.equal(await vscode.commands.executeCommand(DOWNLOAD, { repo, revision: "main" }), undefined);
    const asked = keep.seen.find((q) => q.step === "replaceRevision")?.spec as { message: string; confirm: string } | undefined;
    assert.equal(asked?.message, `${repo} is on disk at v1 (${v1Commit.slice(0, 7)}). Replace it with main?`);
    assert.equal(asked?.confirm, "Replace with main");
    assert.equal(hub.ctx.log.length, requestsBefore, "no request went to the Hub");
    assert.equal((await record(repo)).commit, v1Commit);
    for (const [path, f] of hubFiles(hub, repo, "v1")) assert.equal(await sha256File(join(v1.path, path)), f.sha256, path);

    // The same revision again is an update, not a replacement: no question.
    const again = new ScriptedPrompter({});
    api.setPrompter(again);
    assert.ok(await vscode.commands.executeCommand<DownloadResult | undefined>(DOWNLOAD, { repo, revision: "v1" }));
    assert.deepEqual(again.seen, []);

    // Accepted: main replaces v1 and the tree says so.
    api.setPrompter(new ScriptedPrompter({ confirm: { replaceRevision: true } }));
    const main = await vscode.commands.executeCommand<DownloadResult | undefined>(DOWNLOAD, { repo, revision: "main" });
    assert.ok(main, JSON.stringify(api.notices()));
    const mainCommit = hub.ctx.repos.get(repo)!.branches.get("main")!;
    assert.equal((await record(repo)).commit, mainCommit);
    for (const [path, f] of hubFiles(hub, repo, "main")) assert.equal(await sha256File(join(main.path, path)), f.sha256, path);
    const item = await itemOf(repo);
    assert.match(String(item.description), new RegExp(`^main @ ${mainCommit.slice(0, 7)} · `));
    assert.match((item.tooltip as vscode.MarkdownString).value, new RegExp(`Revision: \`main\` \\(commit \`${mainCommit.slice(0, 12)}\`\\)`));
  });

  it("shows a selection of files as partial, and a whole repo without a count", async () => {
    api.setPrompter(new ScriptedPrompter({}));
    const all = [...hubFiles(hub, "demo/quantized-gguf").keys()];
    const chosen = all.filter((p) => p.endsWith("Q5_K_M.gguf") || p === "config.json");
    assert.equal(chosen.length, 2, `demo files: ${all}`);
    assert.ok(await vscode.commands.executeCommand<DownloadResult | undefined>(DOWNLOAD, { repo: "demo/quantized-gguf", files: chosen }));
    const item = await itemOf("demo/quantized-gguf");
    assert.match(String(item.description), new RegExp(`^main @ [0-9a-f]{7} · 2 of ${all.length} files · `));
    assert.match((item.tooltip as vscode.MarkdownString).value, new RegExp(`Files: 2 of ${all.length} files \\(a selection\\), \\d`));
    assert.equal((await record("demo/quantized-gguf")).repoFileCount, all.length);

    assert.doesNotMatch(String((await itemOf(repo)).description), /files ·/, "the whole of demo/two-revisions shows no count");
  });
});
