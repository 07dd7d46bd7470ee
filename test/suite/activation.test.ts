// The extension activates, registers every contributed command, hides item commands from the palette,
// groups its context menus, and declares its settings with the documented defaults and scopes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import { Command } from "../../src/commands/ids";
import { EXTENSION_ID, packageJson, testApi } from "./helpers";

/** A manifest string as users see it: a `%key%` placeholder resolved through package.nls.json. */
function shown(value: string): string {
  const key = /^%(.+)%$/.exec(value)?.[1];
  if (key === undefined) return value;
  const nls = JSON.parse(readFileSync(join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, "package.nls.json"), "utf8"));
  assert.equal(typeof nls[key], "string", `package.nls.json has no ${key}`);
  return nls[key];
}

const ITEM_COMMANDS = [
  Command.openFolder,
  Command.revealInOS,
  Command.copyPath,
  Command.openModelPage,
  Command.checkForUpdates,
  Command.updateModel,
  Command.verifyModel,
  Command.deleteModel,
];

describe("activation and contributions", () => {
  before(async () => {
    await testApi();
  });

  it("registers every contributed command under the HF Models category", async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed: Array<{ command: string; category: string }> = packageJson().contributes.commands;
    assert.deepEqual(contributed.map((c) => c.command).sort(), Object.values(Command).sort());
    for (const c of contributed) {
      assert.ok(registered.has(c.command), `${c.command} is not registered`);
      assert.equal(shown(c.category), "HF Models");
    }
  });

  it("hides item commands from the Command Palette and keeps the others there", () => {
    const hidden = new Map<string, string>(packageJson().contributes.menus.commandPalette.map((m: any) => [m.command, m.when]));
    for (const id of ITEM_COMMANDS) assert.equal(hidden.get(id), "false", `${id} should be hidden`);
    for (const id of [Command.downloadModel, Command.setToken, Command.signOut, Command.refresh]) assert.ok(!hidden.has(id), `${id} should be in the palette`);
  });

  it("orders context-menu entries in open / general / destructive groups keyed on contextValue", () => {
    const entries: Array<{ command: string; when: string; group: string }> = packageJson().contributes.menus["view/item/context"];
    const groupOf = (id: string) => entries.find((e) => e.command === id)?.group.split("@")[0];
    assert.equal(groupOf(Command.openFolder), "1_open");
    assert.equal(groupOf(Command.revealInOS), "1_open");
    assert.equal(groupOf(Command.copyPath), "2_general");
    assert.equal(groupOf(Command.verifyModel), "2_general");
    assert.equal(groupOf(Command.deleteModel), "3_destructive");
    for (const e of entries) assert.match(e.when, /viewItem/, `${e.command} menu must depend on the item's contextValue`);
  });

  it("declares the settings with their defaults and scopes", () => {
    const props = packageJson().contributes.configuration.properties;
    assert.deepEqual(
      Object.fromEntries(Object.entries(props).map(([k, v]: [string, any]) => [k, [v.default, v.scope]])),
      {
        "hfModels.useXet": [false, "resource"],
        "hfModels.fallbackToLfs": [true, "resource"],
        "hfModels.modelsDirectory": ["", "resource"],
        "hfModels.endpoint": ["", "window"],
        "hfModels.concurrency": [4, "window"],
      },
    );
    const untrusted = packageJson().capabilities.untrustedWorkspaces;
    assert.equal(untrusted.supported, "limited");
    assert.deepEqual(untrusted.restrictedConfigurations, ["hfModels.modelsDirectory", "hfModels.endpoint"]);
    const cfg = vscode.workspace.getConfiguration("hfModels");
    assert.equal(cfg.inspect("useXet")?.defaultValue, false);
    assert.equal(cfg.inspect("concurrency")?.defaultValue, 4);
  });

  it("contributes an activity-bar container, the Models view and its welcome content", () => {
    const c = packageJson().contributes;
    assert.equal(c.viewsContainers.activitybar[0].id, "hfModels");
    assert.equal(c.views.hfModels[0].id, "hfModels.models");
    assert.match(shown(c.viewsWelcome[0].contents), /\[Download a model\]\(command:hfModels\.downloadModel\)/);
  });
});
