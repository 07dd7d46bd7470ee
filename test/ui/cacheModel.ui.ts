// A model `hf download` put in the Hugging Face cache, in the real workbench (issue 16): the group expands to the model, its revision
// and its files; Verify, Update and Delete run from the model's menu. Screenshots go to test-artifacts/.
import type { Page } from "playwright-core";
import { chooseFromMenu, runPaletteCommand } from "./workbench";

export async function checkCacheModel(o: { page: Page; repo: string; shot(name: string): Promise<void>; step(text: string): void }): Promise<void> {
  const { page, repo } = o;
  const row = (text: string | RegExp) => page.locator(".part.sidebar .monaco-list-row", { hasText: text }).first();
  const clearNotifications = () => runPaletteCommand(page, "Notifications: Clear All Notifications");
  await clearNotifications();

  await row("Hugging Face cache").click();
  await row(repo).click();
  await row(/^main @ [0-9a-f]{7}/).click();
  await row("config.json").waitFor({ timeout: 20_000 });
  await page.waitForTimeout(500);
  o.step("the cache group expands to the model, its revision and its files");
  await o.shot("13-cache-model");

  await row(repo).click({ button: "right" });
  await chooseFromMenu(page, "Verify Integrity");
  await page.locator(".notification-toast", { hasText: `${repo}: every file of 1 snapshot(s) in the Hugging Face cache matches its hash` }).waitFor({ timeout: 30_000 });
  o.step("Verify Integrity on the cache model passes");

  await clearNotifications();
  await row(repo).click({ button: "right" });
  await chooseFromMenu(page, "Update");
  await page.locator(".notification-toast", { hasText: `Downloaded ${repo}` }).waitFor({ timeout: 120_000 });
  o.step("Update on the cache model downloads through our routes");

  await clearNotifications();
  await row(repo).click({ button: "right" });
  await chooseFromMenu(page, "Delete");
  await page.locator(".monaco-dialog-box", { hasText: `Delete ${repo} from the Hugging Face cache?` }).waitFor({ timeout: 20_000 });
  await page.locator(".monaco-dialog-box .monaco-button", { hasText: "Delete" }).first().click();
  await row("Hugging Face cache").waitFor({ state: "detached", timeout: 20_000 });
  o.step("Delete removes the model from the cache and the group from the tree");
  await page.waitForTimeout(500);
  await o.shot("14-cache-deleted");
}
