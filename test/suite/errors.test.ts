// Issue 13, item 3: every error says what failed and what to do, with Retry where another try can help.
// Search shows the Hub's failure as an item, ids are checked while they are typed, Check for Updates has its own words.
import assert from "node:assert/strict";
import * as vscode from "vscode";
import type { DownloadResult } from "../../src/core/download/types";
import type { PickItem, PickStep } from "../../src/vscode/prompts";
import type { HfModelsTestApi } from "../../src/vscode/testApi";
import type { LocalHub } from "../../hub/server";
import { resetSettings, ScriptedPrompter, setSetting, startDemoHub, tempDir, testApi, useHub } from "./helpers";

const DOWNLOAD = "hfModels.downloadModel";
const never = new AbortController().signal;

describe("Errors say what failed and what to do (issue 13, item 3)", function () {
  this.timeout(120_000);
  let hub: LocalHub;
  let api: HfModelsTestApi;

  /** The repo step's search for `query`, as the QuickPick runs it while the user types (then Esc). */
  async function searchItems(query: string): Promise<PickItem<unknown>[]> {
    let items: PickItem<unknown>[] = [];
    const prompter = new ScriptedPrompter({
      pick: {
        repo: async (step: PickStep<unknown>) => {
          items = await step.search!(query, never);
          return undefined;
        },
      },
    });
    api.setPrompter(prompter);
    assert.equal(await vscode.commands.executeCommand(DOWNLOAD), undefined);
    return items;
  }

  before(async () => {
    api = await testApi();
    hub = await startDemoHub();
    await useHub(hub, await tempDir("models-errors"));
  });
  after(async () => {
    api.setPrompter(undefined);
    await resetSettings();
    await hub.close();
  });
  beforeEach(() => api.clearNotices());

  it("search shows the Hub's failure as a retry item with the reason; the same search lists models once the Hub is back", async () => {
    const dead = await startDemoHub();
    const deadUrl = dead.url;
    await dead.close();
    await setSetting("endpoint", deadUrl);
    try {
      const items = await searchItems("tiny");
      assert.equal(items.length, 1, JSON.stringify(items));
      assert.equal(items[0]!.label, "$(warning) The Hub could not be searched");
      assert.equal(items[0]!.description, "Enter to retry");
      assert.equal(items[0]!.notice, "retry");
      assert.match(items[0]!.detail ?? "", new RegExp(`^Cannot reach the Hub at ${deadUrl.replace(/\./g, "\\.")} \\(`));
      assert.deepEqual(api.notices(), [], "a failed search is no toast");
    } finally {
      await setSetting("endpoint", hub.url);
    }
    // The Hub is back: the same search lists models again.
    const items = await searchItems("tiny");
    assert.ok(items.some((i) => i.label === "demo/tiny-model" && !i.notice), JSON.stringify(items));
  });

  it("says inline why typed text is no repo id, and rejects a repo the Hub does not have at step 1", async () => {
    const malformed = await searchItems("a/b/c");
    assert.equal(malformed[0]!.label, "$(error) Not a repo id: a/b/c");
    assert.equal(malformed[0]!.notice, "info");
    assert.match(malformed[0]!.detail ?? "", /more than two parts/);

    const withRevision = await searchItems("demo/tiny-model@v1");
    assert.equal(withRevision[0]!.notice, "info");
    assert.match(withRevision[0]!.detail ?? "", /characters the Hub does not allow/);

    const missing = await searchItems("demo/does-not-exist");
    const last = missing.at(-1)!;
    assert.equal(last.label, "$(error) demo/does-not-exist");
    assert.equal(last.description, "cannot be downloaded");
    assert.equal(last.notice, "info");
    assert.match(last.detail ?? "", /demo\/does-not-exist/);

    const typed = await searchItems("demo/tiny-model");
    assert.equal(typed[0]!.label, "demo/tiny-model");
    assert.equal(typed[0]!.notice, undefined);

    // A single word the Hub does not know is a search term: no error item for it.
    assert.ok(!(await searchItems("zzzunknownword")).some((i) => i.notice), "no notice for a search term");
  });

  it("a private repo without a token offers Set Access Token and Retry; Retry after signing in downloads it", async () => {
    await vscode.commands.executeCommand("hfModels.signOut");
    await setSetting("modelsDirectory", await tempDir("models-errors-retry"));
    api.clearNotices();
    assert.equal(await vscode.commands.executeCommand(DOWNLOAD, { repo: "demo/private-model" }), undefined);
    const denied = api.notices().find((n) => n.level === "error");
    assert.ok(denied, JSON.stringify(api.notices()));
    assert.match(denied.message, /^Could not download demo\/private-model: /);
    assert.deepEqual(denied.actions, ["Retry", "Set Access Token", "Show Log"]);

    const token = `hf_${Math.random().toString(36).slice(2)}RetryToken${Date.now()}`;
    api.setPrompter(new ScriptedPrompter({ input: { token: () => token } }));
    assert.equal(await vscode.commands.executeCommand("hfModels.setToken"), true);
    const retried = (await denied.choose("Retry")) as DownloadResult | undefined;
    assert.ok(retried, JSON.stringify(api.notices()));
    assert.equal(retried.repo, "demo/private-model");
    await vscode.commands.executeCommand("hfModels.signOut");
  });

  it("no CLI words and no literal markdown reach a message; a malformed id offers no Retry", async () => {
    assert.equal(await vscode.commands.executeCommand(DOWNLOAD, { repo: "a/b/c" }), undefined);
    const malformed = api.notices().find((n) => n.level === "error")!;
    assert.deepEqual(malformed.actions, ["Show Log"], "another try cannot make the id valid");
    const dead = await startDemoHub();
    const deadUrl = dead.url;
    await dead.close();
    await setSetting("endpoint", deadUrl);
    try {
      api.clearNotices();
      assert.equal(await vscode.commands.executeCommand(DOWNLOAD, { repo: "demo/tiny-model" }), undefined);
      const unreachable = api.notices().find((n) => n.level === "error")!;
      assert.equal(
        unreachable.message,
        `Could not download demo/tiny-model: Cannot reach the Hub at ${deadUrl} (ECONNREFUSED). Check the network, the proxy (http.proxy) and the HF Models endpoint setting.`,
      );
      assert.deepEqual(unreachable.actions, ["Retry", "Open Settings", "Show Log"]);
    } finally {
      await setSetting("endpoint", hub.url);
    }
    for (const n of api.notices()) {
      assert.doesNotMatch(n.message, /--[a-z]|HF_ENDPOINT|`/, n.message);
    }
  });

  it("Check for Updates has its own words, and its Retry checks again", async () => {
    await setSetting("modelsDirectory", await tempDir("models-errors-check"));
    api.setPrompter(new ScriptedPrompter({}));
    assert.ok(await vscode.commands.executeCommand<DownloadResult | undefined>(DOWNLOAD, { repo: "demo/tiny-model" }));
    api.tree.refresh();
    const node = (await api.tree.getChildren()).find((n) => n.kind === "local" && n.model.repo === "demo/tiny-model");
    const dead = await startDemoHub();
    const deadUrl = dead.url;
    await dead.close();
    await setSetting("endpoint", deadUrl);
    api.clearNotices();
    let failed;
    try {
      assert.equal(await vscode.commands.executeCommand("hfModels.checkForUpdates", node), undefined);
      failed = api.notices().find((n) => n.level === "error");
      assert.ok(failed, JSON.stringify(api.notices()));
      assert.match(failed.message, new RegExp(`^Could not check demo/tiny-model for updates: Cannot reach the Hub at ${deadUrl.replace(/\./g, "\\.")} `));
      assert.ok(failed.actions.includes("Retry"), JSON.stringify(failed.actions));
    } finally {
      await setSetting("endpoint", hub.url);
    }
    assert.equal(await failed.choose("Retry"), false, "the retry finds the model up to date");
    assert.match(api.notices().at(-1)?.message ?? "", /demo\/tiny-model is up to date/);
  });

  it("when the Hub dies during a Xet download, says once that it cannot be reached, with no fallback to the same dead host", async () => {
    const dying = await startDemoHub({ slow: { latencyMs: 20, perConnectionBytesPerSecond: 600_000, totalBytesPerSecond: 1_000_000 } });
    dying.setFault("slow", true);
    await setSetting("endpoint", dying.url);
    await setSetting("modelsDirectory", await tempDir("models-errors-dying"));
    api.setPrompter(new ScriptedPrompter({}));
    api.clearNotices();
    try {
      const run = vscode.commands.executeCommand<DownloadResult | undefined>(DOWNLOAD, { repo: "demo/two-revisions", method: "xet" });
      for (const end = Date.now() + 60_000; !(api.jobs.running().find((j) => j.repo === "demo/two-revisions")?.doneBytes ?? 0); await new Promise((r) => setTimeout(r, 20))) {
        assert.ok(Date.now() < end, "the Xet download started moving bytes");
      }
      await dying.close();
      assert.equal(await run, undefined);
      const shown = api.notices().filter((n) => n.level !== "status");
      assert.equal(shown.length, 1, `one message: ${JSON.stringify(shown.map((n) => n.message))}`);
      assert.match(shown[0]!.message, new RegExp(`^Could not download demo/two-revisions: Cannot reach the Hub at ${dying.url.replace(/\./g, "\\.")}: the Xet download stopped \\(`));
      assert.ok(shown[0]!.actions.includes("Retry"), JSON.stringify(shown[0]!.actions));
      assert.ok(!dying.ctx.log.some((e) => e.route.startsWith("git-") || e.route.startsWith("lfs-")), "Git LFS never tried the dead host");
    } finally {
      await setSetting("endpoint", hub.url);
    }
  });
});
