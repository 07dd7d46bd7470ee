// The manifest and the code agree: the commands the code registers are exactly the declared ones, palette-hidden
// commands are the ones that need a model from the view (run bare, they only say so), menus follow the tree's real
// context values, declared settings are those the code reads with the code's own fallbacks as defaults, and every
// %key% of the manifest resolves in package.nls.json.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import { Command, VIEW_ID } from "../../src/commands/ids";
import { readSettings, SECTION, Setting, SettingDefault } from "../../src/vscode/settings";
import { ContextValue } from "../../src/views/nodes";
import { EXTENSION_ID, packageJson, resetSettings, ScriptedPrompter, testApi } from "./helpers";

/** A manifest string as users see it: a `%key%` placeholder resolved through package.nls.json. */
function shown(value: string): string {
  const key = /^%(.+)%$/.exec(value)?.[1];
  if (key === undefined) return value;
  const nls = shipped("package.nls.json");
  assert.equal(typeof nls[key], "string", `package.nls.json has no ${key}`);
  return nls[key];
}

/** A JSON file of the installed extension as shipped (not the manifest VS Code may already have localized). */
function shipped(file: string): any {
  return JSON.parse(readFileSync(join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, file), "utf8"));
}

/** Every string anywhere in a JSON value. */
function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === "object") return Object.values(value).flatMap(stringsIn);
  return [];
}

const ITEM_COMMANDS = [
  Command.openFolder,
  Command.revealInOS,
  Command.copyPath,
  Command.openModelPage,
  Command.checkForUpdates,
  Command.updateModel,
  Command.repairModel,
  Command.resumeModel,
  Command.verifyModel,
  Command.makeAvailableToPython,
  Command.deleteModel,
];

describe("activation and contributions", () => {
  before(async () => {
    await testApi();
  });

  it("the commands the running extension registers are exactly the ones package.json declares, all under its display name", async () => {
    const ours = (await vscode.commands.getCommands(true)).filter(
      // VS Code itself registers `<view id>.focus` and friends for the Models view.
      (id) => id.startsWith(`${SECTION}.`) && !id.startsWith(`${VIEW_ID}.`),
    );
    const manifest = shipped("package.json");
    const contributed: Array<{ command: string; category: string }> = manifest.contributes.commands;
    assert.deepEqual([...new Set(ours)].sort(), contributed.map((c) => c.command).sort(), "registered = declared");
    assert.deepEqual(contributed.map((c) => c.command).sort(), Object.values(Command).sort(), "ids.ts = declared");
    for (const c of contributed) assert.equal(shown(c.category), shown(manifest.displayName), `${c.command} is filed under the extension's name`);
    const declared = new Set(contributed.map((c) => c.command));
    for (const [menu, entries] of Object.entries<Array<{ command: string }>>(manifest.contributes.menus)) {
      for (const e of entries) assert.ok(declared.has(e.command), `${menu} names ${e.command}, which is not a declared command`);
    }
  });

  it("every %key% of package.json resolves in package.nls.json, and every key there is used", () => {
    const nls = shipped("package.nls.json");
    const keys = stringsIn(shipped("package.json")).flatMap((s) => [...s.matchAll(/%([^%\s]+)%/g)].map((m) => m[1]!));
    assert.ok(keys.length > 0, "the manifest's user-facing strings are placeholders");
    for (const key of keys) assert.equal(typeof nls[key], "string", `%${key}% has no text in package.nls.json`);
    const used = new Set(keys);
    assert.deepEqual(Object.keys(nls).filter((k) => !used.has(k)), [], "package.nls.json keys that nothing uses");
  });

  it("every command hidden from the Command Palette needs a model from the view; run without one it only says where to find it", async () => {
    const api = await testApi();
    const hidden = new Set<string>(packageJson().contributes.menus.commandPalette.filter((m: any) => m.when === "false").map((m: any) => m.command));
    assert.deepEqual([...hidden].sort(), [...ITEM_COMMANDS].sort(), "exactly the item commands are hidden");
    const prompter = new ScriptedPrompter({});
    api.setPrompter(prompter);
    try {
      for (const id of ITEM_COMMANDS) {
        api.clearNotices();
        assert.ok(!(await vscode.commands.executeCommand(id)), `${id} without a model does nothing`);
        const notices = api.notices();
        if (id === Command.openModelPage) {
          assert.deepEqual(notices, [], "Open Model Page without a model opens nothing and says nothing");
          continue;
        }
        assert.equal(notices.length, 1, `${id} says why, once: ${JSON.stringify(notices)}`);
        assert.equal(notices[0]!.level, "warning", `${id} warns rather than fails (the command's error net was not reached)`);
        assert.match(notices[0]!.message, /HF Models view/);
      }
      assert.deepEqual(prompter.seen, [], "no item command asks a question without a model");
    } finally {
      api.setPrompter(undefined);
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
    // Single files and the cache group can be opened, never changed or deleted.
    for (const readOnly of [ContextValue.file, ContextValue.cacheFile, ContextValue.cacheGroup]) {
      for (const id of [Command.updateModel, Command.repairModel, Command.verifyModel, Command.deleteModel, Command.checkForUpdates]) {
        assert.ok(!offeredFor(readOnly).includes(id), `${id} must not be offered for ${readOnly}`);
      }
    }
    // A model in the Hugging Face cache, and each of its revisions, is verified, updated and deleted like one in the folder.
    for (const cached of [ContextValue.cacheModel, ContextValue.cacheRevision]) {
      for (const id of [Command.updateModel, Command.verifyModel, Command.deleteModel]) assert.ok(offeredFor(cached).includes(id), `${id} is offered for ${cached}`);
    }
    assert.ok(offeredFor(ContextValue.incompleteModel).includes(Command.deleteModel), "an incomplete download can be deleted");
    // VS Code sorts a context menu's groups by name and separates them: Delete must come last, alone in its group.
    const groupOf = (e: { group: string }) => e.group.split("@")[0]!;
    for (const contextValue of Object.values(ContextValue)) {
      const offered = entries.filter((e) => whenHolds(e.when, contextValue));
      const del = offered.find((e) => e.command === Command.deleteModel);
      if (!del) continue;
      // Inline actions sit on the item's row, not in the menu.
      for (const other of offered.filter((e) => e !== del && e.group !== "inline")) {
        assert.ok(groupOf(other) < groupOf(del), `for ${contextValue}, ${other.command} (${other.group}) is shown after or beside Delete (${del.group})`);
      }
    }
  });

  it("every setting the code reads is declared, with the default the code falls back to", async () => {
    await resetSettings();
    const props = packageJson().contributes.configuration.properties;
    assert.deepEqual(Object.keys(props).sort(), Object.values(Setting).map((k) => `${SECTION}.${k}`).sort(), "declared = read");
    const cfg = vscode.workspace.getConfiguration(SECTION);
    for (const name of Object.values(Setting)) {
      assert.deepEqual(cfg.inspect(name)?.defaultValue, SettingDefault[name], `${SECTION}.${name}: VS Code's default = the code's fallback`);
    }
    // Unset, the settings read as those defaults.
    const read = readSettings();
    assert.equal(read.useXet, SettingDefault.useXet);
    assert.equal(read.fallbackToLfs, SettingDefault.fallbackToLfs);
    assert.equal(read.storage, SettingDefault.storage);
    assert.equal(read.concurrency, SettingDefault.concurrency);
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
