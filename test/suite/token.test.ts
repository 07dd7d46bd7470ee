// Issue 13, item 5: Set Access Token asks the Hub whose the token is (whoami-v2) and keeps only a token the Hub
// accepts; the view says whether a token is set; Sign Out shows only when one is stored; a signed-in search
// lists the user's private repos.
import assert from "node:assert/strict";
import * as vscode from "vscode";
import type { PickItem, PickStep } from "../../src/vscode/prompts";
import type { HfModelsTestApi } from "../../src/vscode/testApi";
import type { LocalHub } from "../../hub/server";
import { packageJson, resetSettings, ScriptedPrompter, startDemoHub, tempDir, testApi, useHub } from "./helpers";

const VALID = `hf_${"v".repeat(20)}ValidSuiteToken`;

describe("Access token checked with the Hub (issue 13, item 5)", function () {
  this.timeout(60_000);
  let hub: LocalHub;
  let api: HfModelsTestApi;

  const setToken = async (token: string) => {
    api.setPrompter(new ScriptedPrompter({ input: { token: () => token } }));
    return vscode.commands.executeCommand<boolean>("hfModels.setToken");
  };
  const search = async (query: string): Promise<string[]> => {
    let items: PickItem<unknown>[] = [];
    api.setPrompter(new ScriptedPrompter({ pick: { repo: async (step: PickStep<unknown>) => ((items = await step.search!(query, new AbortController().signal)), undefined) } }));
    await vscode.commands.executeCommand("hfModels.downloadModel");
    return items.map((i) => i.label);
  };

  /** The view's title once it has caught up with the token store (it updates on the store's event). */
  const titleBecomes = async (test: (d: string | undefined) => boolean) => {
    for (const end = Date.now() + 5_000; !test(api.viewTitle()); await new Promise((r) => setTimeout(r, 20))) {
      assert.ok(Date.now() < end, `view title stayed ${JSON.stringify(api.viewTitle())}`);
    }
  };

  before(async () => {
    api = await testApi();
    hub = await startDemoHub({ tokens: [VALID] });
    await useHub(hub, await tempDir("models-token"));
    await vscode.commands.executeCommand("hfModels.signOut");
  });
  after(async () => {
    await vscode.commands.executeCommand("hfModels.signOut");
    api.setPrompter(undefined);
    await resetSettings();
    await hub.close();
  });
  beforeEach(() => api.clearNotices());

  it("does not keep a token the Hub rejects, and says so with a way to try another", async () => {
    await titleBecomes((d) => !/signed in/.test(d ?? ""));
    const before = api.viewTitle();
    assert.equal(await setToken(`hf_${"x".repeat(20)}NotKnownToTheHub`), false);
    const rejected = api.notices().find((n) => n.level === "error");
    assert.ok(rejected, JSON.stringify(api.notices()));
    assert.equal(rejected.message, `The token was not saved: The Hub at ${hub.url} does not accept this access token (invalid, expired or revoked).`);
    assert.deepEqual(rejected.actions, ["Try Another Token", "Show Log"]);
    assert.ok(hub.ctx.log.some((e) => e.route === "api-whoami" && e.status === 401), "the Hub was asked");
    assert.equal(api.viewTitle(), before, "still not signed in");
    assert.ok(!(await search("private")).includes("demo/private-model"), "no token, no private repos");
  });

  it("keeps a token the Hub accepts, says whose it is, shows it on the view, and lists the user's private repos", async () => {
    assert.equal(await setToken(VALID), true);
    const host = new URL(hub.url).host;
    assert.equal(api.notices().at(-1)?.message, `Signed in to ${host} as demo-user. Private and gated models you have access to can now be downloaded.`);
    await titleBecomes((d) => d === "Models (signed in as demo-user)");
    assert.ok(!api.logLines().join("\n").includes(VALID), "the token is not in the log");
    assert.ok((await search("private")).includes("demo/private-model"), "a signed-in search lists private repos");

    await vscode.commands.executeCommand("hfModels.signOut");
    await titleBecomes((d) => !/signed in/.test(d ?? ""));
  });

  it("offers Sign Out only while a token is stored", () => {
    const menus = packageJson().contributes.menus;
    const palette = menus.commandPalette.find((m: { command: string }) => m.command === "hfModels.signOut");
    assert.equal(palette?.when, "hfModels.signedIn");
    const title = menus["view/title"].find((m: { command: string }) => m.command === "hfModels.signOut");
    assert.equal(title?.when, "view == hfModels.models && hfModels.signedIn");
  });
});
