// Issue 13, item 7: the page a .vsix shows (its readme) is written for users: install, use, settings,
// troubleshooting, with no developer steps and no image that cannot render. Packs the .vsix as `npm run package`
// does and reads the page out of it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../helpers/hub";

const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const nls: Record<string, string> = JSON.parse(readFileSync(join(ROOT, "package.nls.json"), "utf8"));
const shown = (value: string) => nls[/^%(.+)%$/.exec(value)?.[1] ?? ""] ?? value;

describe("the .vsix page (issue 13, item 7)", function () {
  this.timeout(180_000);
  let page = "";
  let entries: string[] = [];
  const work = mkdtempSync(join(tmpdir(), "hf-vsix-"));
  before(() => {
    const vsix = join(work, "hf-models.vsix");
    execFileSync("npm", ["run", "-s", "package", "--", "-o", vsix], { cwd: ROOT, stdio: "pipe" });
    const read = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nprint('\\n'.join(z.namelist()))\nprint('=====')\nprint(z.read('extension/readme.md').decode(), end='')";
    const [names, text] = execFileSync("python3", ["-c", read, vsix], { encoding: "utf8" }).split("\n=====\n");
    entries = names!.split("\n");
    page = text!;
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("is docs/MARKETPLACE.md, with the four sections a user needs", () => {
    assert.equal(page, readFileSync(join(ROOT, "docs", "MARKETPLACE.md"), "utf8"));
    assert.deepEqual([...page.matchAll(/^## (.+)$/gm)].map((m) => m[1]), ["Install", "Use", "Settings", "Troubleshooting"]);
    assert.ok(!entries.some((e) => e.startsWith("extension/docs/")), `no developer docs or images packed: ${entries.join(", ")}`);
  });

  it("has no developer or command-line steps, and no relative image", () => {
    assert.doesNotMatch(page, /npm (start|test|install|run)|npx |hf-models download|--token-file|--use-xet/);
    for (const m of page.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) assert.match(m[1]!, /^https:\/\//, `image ${m[1]} renders on the page only with an absolute URL`);
  });

  it("explains every setting and names every command of the Command Palette", () => {
    for (const key of Object.keys(manifest.contributes.configuration.properties)) assert.ok(page.includes(`\`${key}\``), `the page explains ${key}`);
    const hidden = new Set(manifest.contributes.menus.commandPalette.filter((m: { when: string }) => m.when === "false").map((m: { command: string }) => m.command));
    for (const c of manifest.contributes.commands) {
      const title = shown(c.title);
      if (hidden.has(c.command) || ["Refresh", "Sign Out"].includes(title)) continue;
      assert.ok(page.includes(`**HF Models: ${title}**`), `the page names the command ${title}`);
    }
  });
});
