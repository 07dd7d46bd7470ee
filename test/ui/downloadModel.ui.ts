// The newcomer's path in the real workbench: open the HF Models view (welcome content), run
// "HF Models: Download Model" from the palette, answer the QuickPicks by typing, watch the progress
// notification and status bar, and find the model in the tree. Screenshots go to test-artifacts/.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { sha256File } from "../helpers/files";
import { checkCacheModel } from "./cacheModel.ui";
import { checkModelStates } from "./modelStates.ui";
import { quickPickRow, runPaletteCommand } from "./workbench";

export interface UiTestOptions {
  browser: Browser;
  serverUrl: string;
  workspace: string;
  modelsDir: string;
  /** sha256 by path of the files the Hub serves for the repo. */
  expectedFiles: Map<string, string>;
  /** The model `seedCache` puts in the Hugging Face cache. */
  cacheRepo: string;
  seedCache(): Promise<void>;
  artifacts: string;
  print(line: string): void;
}

const REPO = "demo/tiny-model";
const CANCEL_REPO = "demo/two-revisions";

export async function runUiTest(o: UiTestOptions): Promise<{ ok: boolean; error?: string; screenshots: string[] }> {
  const context = await o.browser.newContext({ viewport: { width: 1400, height: 850 } });
  const page = await context.newPage();
  const screenshots: string[] = [];
  const shot = async (name: string) => {
    const file = join(o.artifacts, `ui-${name}.png`);
    await page.screenshot({ path: file });
    screenshots.push(file);
  };
  page.on("pageerror", (err) => o.print(`[page error] ${err.message}`));
  const step = (text: string) => o.print(`[ui] ${text}`);
  try {
    await page.goto(`${o.serverUrl}/?folder=${encodeURIComponent(o.workspace)}`);
    await page.waitForSelector(".monaco-workbench .part.activitybar", { timeout: 90_000 });
    step("workbench ready");

    await page.locator('.activitybar [aria-label^="HF Models"]').first().click();
    await page.getByText("No models yet.", { exact: false }).first().waitFor({ timeout: 30_000 });
    step("welcome view shows the Download link");
    await shot("01-welcome");

    // The welcome view's settings link opens the Settings editor on that one setting (it once opened an empty search).
    await page.locator(".welcome-view-content a", { hasText: "HF Models: Models Directory" }).first().click();
    const settingRow = page.locator(".settings-editor .setting-item-contents", { hasText: "Models Directory" }).first();
    await settingRow.waitFor({ timeout: 20_000 });
    const rows = await page.locator(".settings-editor .setting-item-contents .setting-item-title").allInnerTexts();
    assert.ok(rows.length >= 1 && rows.every((t) => /Models Directory/.test(t)), `the Settings editor shows the setting: ${JSON.stringify(rows)}`);
    step("the welcome view's Models Directory link shows that setting");
    await shot("01b-settings-link");
    await page.keyboard.press("Control+W");

    await runPaletteCommand(page, "HF Models: Download Model");
    const input = page.locator(".quick-input-widget input");
    await page.locator(".quick-input-widget .quick-input-title", { hasText: "(1/4)" }).waitFor({ timeout: 20_000 });
    await input.fill(REPO);
    await quickPickRow(page, REPO).waitFor({ timeout: 20_000 });
    step("live search shows the repo");
    await shot("02-repo-search");
    await input.press("Enter");

    await page.locator(".quick-input-widget .quick-input-title", { hasText: "(2/4)" }).waitFor({ timeout: 20_000 });
    assert.equal(await input.inputValue(), "main");
    await input.press("Enter");

    await page.locator(".quick-input-widget .quick-input-title", { hasText: "(3/4)" }).waitFor({ timeout: 30_000 });
    await quickPickRow(page, "model.safetensors").waitFor({ timeout: 20_000 });
    step("file list with sizes, all selected");
    await shot("03-files");
    await input.press("Enter");

    await page.locator(".quick-input-widget .quick-input-title", { hasText: "(4/4)" }).waitFor({ timeout: 20_000 });
    await quickPickRow(page, "Git LFS").waitFor({ timeout: 20_000 });
    await input.press("Enter");

    const progress = page.locator(".notification-toast", { hasText: `Downloading ${REPO}` });
    await progress.waitFor({ timeout: 30_000 });
    await page.locator(".notification-toast", { hasText: / MB \/ | kB \/ / }).first().waitFor({ timeout: 60_000 });
    await page.locator(".statusbar-item", { hasText: "tiny-model" }).first().waitFor({ timeout: 10_000 });
    step("progress notification with bytes, and the status-bar entry");
    await shot("04-progress");

    await page.locator(".notification-toast", { hasText: `Downloaded ${REPO}` }).waitFor({ timeout: 180_000 });
    step("download finished");
    await shot("05-done");

    const row = page.locator(".part.sidebar .monaco-list-row", { hasText: REPO }).first();
    await row.waitFor({ timeout: 20_000 });
    await row.click();
    await page.locator(".part.sidebar .monaco-list-row", { hasText: "model.safetensors" }).first().waitFor({ timeout: 20_000 });
    step("the model and its files are in the tree");
    await shot("06-tree");

    for (const [path, sha256] of o.expectedFiles) {
      const actual = await sha256File(join(o.modelsDir, REPO, path));
      assert.equal(actual, sha256, `${path} on disk differs from the Hub`);
    }
    step(`${o.expectedFiles.size} files on disk are byte-identical to the Hub's`);

    // Cancel from the notification: the CancellationToken must reach core and leave no record behind.
    await page.locator(".notification-toast .codicon-notifications-clear, .notification-toast .codicon-close").first().click().catch(() => undefined);
    await runPaletteCommand(page, "HF Models: Download Model");
    await page.locator(".quick-input-widget .quick-input-title", { hasText: "(1/4)" }).waitFor({ timeout: 20_000 });
    await input.fill(CANCEL_REPO);
    await quickPickRow(page, CANCEL_REPO).waitFor({ timeout: 20_000 });
    await input.press("Enter");
    for (const title of ["(2/4)", "(3/4)", "(4/4)"]) {
      await page.locator(".quick-input-widget .quick-input-title", { hasText: title }).waitFor({ timeout: 30_000 });
      if (title === "(3/4)") await quickPickRow(page, "model.safetensors").waitFor({ timeout: 20_000 });
      await input.press("Enter");
    }
    const cancelToast = page.locator(".notification-toast", { hasText: `Downloading ${CANCEL_REPO}` });
    await page.locator(".notification-toast", { hasText: / MB \/ | kB \/ / }).first().waitFor({ timeout: 60_000 });
    await shot("07-before-cancel");
    await cancelToast.getByRole("button", { name: "Cancel" }).click();
    await cancelToast.waitFor({ state: "detached", timeout: 30_000 });
    await page.locator(".statusbar-item", { hasText: "two-revisions" }).first().waitFor({ state: "detached", timeout: 30_000 });
    assert.ok(!existsSync(join(o.modelsDir, CANCEL_REPO, ".hf-models.json")), "a cancelled download must not write a record");
    assert.equal(await page.locator(".notification-toast", { hasText: `Downloaded ${CANCEL_REPO}` }).count(), 0);
    step("Cancel on the progress notification stopped the download; no record was written");
    await shot("08-after-cancel");

    await checkModelStates({ page, modelsDir: o.modelsDir, expectedFiles: o.expectedFiles, shot, step });
    await o.seedCache();
    await runPaletteCommand(page, "HF Models: Refresh");
    await checkCacheModel({ page, repo: o.cacheRepo, shot, step });
    return { ok: true, screenshots };
  } catch (err) {
    await shot("failure").catch(() => undefined);
    return { ok: false, error: (err as Error).stack ?? String(err), screenshots };
  } finally {
    await context.close();
  }
}
