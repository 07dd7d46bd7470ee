// The manifest and the code agree: every contributed command is registered, palette-hidden commands are the ones
// that need a model from the view, menus follow the tree's real context values, and declared settings are read.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import { Command, VIEW_ID } from "../../src/commands/ids";
import { readSettings, SECTION, Setting } from "../../src/vscode/settings";
import { ContextValue } from "../../src/views/nodes";
import { EXTENSION_ID, packageJson, resetSettings, ScriptedPrompter, testApi } from "./helpers";

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
  Command.resumeModel,
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

  it("every command hidden from the Command Palette needs a model from the view; run without one it only says where to find it", async () => {
    const api = await testApi();
    const hidden = new Set<string>(packageJson().contributes.menus.commandPalette.filter((m: any) => m.when === "false").map((m: any) => m.command));
    assert.deepEqual([...hidden].sort(), [...ITEM_COMMANDS].sort(), "exactly the item commands are hidden");
    for (const id of [Command.checkForUpdates, Command.updateModel, Command.verifyModel, Command.deleteModel, Command.openFolder, Command.revealInOS, Command.copyPath]) {
      api.clearNotices();
      assert.ok(!(await vscode.commands.executeCommand(id)), `${id} without a model does nothing`);
      const notice = api.notices().at(-1);
      assert.equal(notice?.level, "warning", `${id} says why: ${JSON.stringify(api.notices())}`);
      assert.match(notice!.message, /HF Models view/);
    }
  });

  it("every command left in the palette works without an argument: the downloads and the token ask their first question", async () => {
    const api = await testApi();
    const prompter = new ScriptedPrompter({});
    api.setPrompter(prompter);
    assert.equal(await vscode.commands.executeCommand(Command.downloadModel), undefined, "Esc at the first step ends the flow");
    assert.equal(prompter.steps()[0], "repo");
    assert.equal(await vscode.commands.executeCommand(Command.setToken), false, "Esc stores nothing");
    assert.equal(prompter.seen.at(-1)?.step, "token", "Set Access Token asks for the token");
    await vscode.commands.executeCommand(Command.refresh);
    await vscode.commands.executeCommand(Command.showLog);
  });

  it("context menus follow the context values the tree really gives its items, with destructive entries last", () => {
    const entries: Array<{ command: string; when: string; group: string }> = packageJson().contributes.menus["view/item/context"];
    const offeredFor = (contextValue: string) => entries.filter((e) => whenHolds(e.when, contextValue)).map((e) => e.command);
    for (const id of ITEM_COMMANDS) {
      assert.ok(Object.values(ContextValue).some((v) => offeredFor(v).includes(id)), `${id} is offered for some item the tree shows`);
    }
    // Models shown read-only (the Hugging Face cache) and single files can be opened, never changed or deleted.
    for (const readOnly of [ContextValue.cacheModel, ContextValue.file, ContextValue.cacheGroup]) {
      for (const id of [Command.updateModel, Command.verifyModel, Command.deleteModel, Command.checkForUpdates]) {
        assert.ok(!offeredFor(readOnly).includes(id), `${id} must not be offered for ${readOnly}`);
      }
    }
    assert.ok(offeredFor(ContextValue.incompleteModel).includes(Command.deleteModel), "an incomplete download can be deleted");
    const groups = entries.map((e) => e.group.split("@")[0]);
    assert.equal(groups.at(-1), "3_destructive");
    assert.deepEqual(entries.filter((e) => e.group.startsWith("3_destructive")).map((e) => e.command), [Command.deleteModel]);
  });

  it("every setting the code reads is declared, with the default the code falls back to", async () => {
    await resetSettings();
    const props = packageJson().contributes.configuration.properties;
    assert.deepEqual(Object.keys(props).sort(), Object.values(Setting).map((k) => `${SECTION}.${k}`).sort(), "declared = read");
    const cfg = vscode.workspace.getConfiguration(SECTION);
    const read = readSettings();
    assert.equal(cfg.inspect(Setting.useXet)?.defaultValue, read.useXet);
    assert.equal(cfg.inspect(Setting.fallbackToLfs)?.defaultValue, read.fallbackToLfs);
    assert.equal(cfg.inspect(Setting.storage)?.defaultValue, read.storage);
    assert.equal(cfg.inspect(Setting.concurrency)?.defaultValue, read.concurrency);
    assert.equal(cfg.inspect(Setting.endpoint)?.defaultValue, "", "empty means HF_ENDPOINT, else the public Hub (the tests set the local Hub)");
    assert.equal(cfg.inspect(Setting.modelsDirectory)?.defaultValue, "", "empty means the default models folder");
    for (const key of packageJson().capabilities.untrustedWorkspaces.restrictedConfigurations) assert.ok(key in props, `${key} is a declared setting`);
  });

  it("the Models view is registered and its welcome content links to a registered command", async () => {
    await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
    const registered = new Set(await vscode.commands.getCommands(true));
    const links = [...shown(packageJson().contributes.viewsWelcome[0].contents).matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]!);
    assert.ok(links.includes(Command.downloadModel), "the welcome view offers Download Model");
    for (const id of links) assert.ok(registered.has(id), `${id} (linked from the welcome view) is registered`);
  });
});

/** Evaluates the two `when` forms our menus use (`viewItem == x`, `viewItem =~ /re/`) for one item's context value. */
function whenHolds(when: string, contextValue: string): boolean {
  return when.split("&&").every((clause) => {
    const c = clause.trim();
    if (c.startsWith("view ==")) return c === `view == ${VIEW_ID}`;
    const eq = /^viewItem == (\S+)$/.exec(c);
    if (eq) return contextValue === eq[1];
    const re = /^viewItem =~ \/(.+)\/$/.exec(c);
    if (re) return new RegExp(re[1]!).test(contextValue);
    throw new Error(`unexpected when clause: ${c}`);
  });
}
