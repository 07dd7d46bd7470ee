// The states a model shows in the tree, seen in the real workbench (issue 13): the revision and its commit, an
// interrupted download as incomplete, Verify marking a damaged file with Repair one click away, and the view
// saying who is signed in. Runs after the download test, on its models. Screenshots go to test-artifacts/.
import assert from "node:assert/strict";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { sha256File } from "../helpers/files";
import { chooseFromMenu, runPaletteCommand } from "./workbench";

export interface ModelStatesOptions {
  page: Page;
  modelsDir: string;
  /** sha256 by path of demo/tiny-model's files as the Hub serves them. */
  expectedFiles: Map<string, string>;
  shot(name: string): Promise<void>;
  step(text: string): void;
}

export async function checkModelStates(o: ModelStatesOptions): Promise<void> {
  const { page } = o;
  const row = (repo: string) => page.locator(".part.sidebar .monaco-list-row", { hasText: repo }).first();
  const description = (repo: string) => row(repo).locator(".label-description");
  const clearNotifications = () => runPaletteCommand(page, "Notifications: Clear All Notifications");

  // Wide enough for the descriptions to show in the screenshots: drag the sidebar's edge.
  const sidebar = await page.locator(".part.sidebar").boundingBox();
  if (sidebar) {
    await page.mouse.move(sidebar.x + sidebar.width + 1, sidebar.y + sidebar.height / 2);
    await page.mouse.down();
    await page.mouse.move(sidebar.x + 640, sidebar.y + sidebar.height / 2, { steps: 8 });
    await page.mouse.up();
  }
  const settle = () => page.waitForTimeout(800); // toasts slide in; a screenshot waits for them
  await clearNotifications();
  await description("demo/tiny-model").filter({ hasText: /^main @ [0-9a-f]{7} · .* · Git LFS$/ }).waitFor({ timeout: 20_000 });
  await description("demo/two-revisions").filter({ hasText: /^incomplete · main · / }).waitFor({ timeout: 20_000 });
  o.step("the tree shows the revision @ commit of a model, and the cancelled one as incomplete");
  await settle();
  await o.shot("09-revisions");

  // A byte changed behind our back: Verify Integrity from the item's menu marks it, in words, with Repair inline.
  const config = join(o.modelsDir, "demo", "tiny-model", "config.json");
  await appendFile(config, " ");
  await row("demo/tiny-model").click({ button: "right" });
  await chooseFromMenu(page, "Verify Integrity");
  await page.locator(".notification-toast", { hasText: "files differ from what was downloaded (config.json)" }).waitFor({ timeout: 30_000 });
  await description("demo/tiny-model").filter({ hasText: /^damaged: config\.json changed · / }).waitFor({ timeout: 20_000 });
  o.step("Verify Integrity marks the damaged model and names the file");
  await settle();
  await o.shot("10-damaged");

  await clearNotifications();
  await row("demo/tiny-model").hover();
  await row("demo/tiny-model").locator('.actions .action-label[aria-label="Repair"]').click();
  await page.locator(".monaco-dialog-box .monaco-button", { hasText: "Replace with the Hub's Version" }).click();
  await page.locator(".notification-toast", { hasText: "Downloaded demo/tiny-model" }).waitFor({ timeout: 60_000 });
  await description("demo/tiny-model").filter({ hasText: /^main @ [0-9a-f]{7} · / }).waitFor({ timeout: 20_000 });
  assert.equal(await sha256File(config), o.expectedFiles.get("config.json"), "Repair restored the Hub's config.json");
  o.step("Repair (inline) restored the file and cleared the mark");
  await settle();
  await o.shot("11-repaired");

  // Signing in: the Hub says whose the token is, and the view shows it.
  await clearNotifications();
  await runPaletteCommand(page, "HF Models: Set Access Token");
  const input = page.locator(".quick-input-widget input");
  await input.fill("hf_ui_test_token_not_a_real_one");
  await input.press("Enter");
  await page.locator(".notification-toast", { hasText: "as demo-user" }).waitFor({ timeout: 30_000 });
  await page.locator(".part.sidebar .composite.title", { hasText: "signed in as demo-user" }).waitFor({ state: "visible", timeout: 20_000 });
  o.step("Set Access Token checks the token with the Hub and the view says who is signed in");
  await settle();
  await o.shot("12-signed-in");
  await runPaletteCommand(page, "HF Models: Sign Out");
}
