// Small moves in the real workbench the UI tests share: run a Command Palette command, find a QuickPick row.
import type { Page } from "playwright-core";

export async function runPaletteCommand(page: Page, title: string): Promise<void> {
  await page.locator(".monaco-workbench .part.editor").click();
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ timeout: 20_000 });
  await input.fill(`>${title}`);
  await quickPickRow(page, title).waitFor({ timeout: 20_000 });
  await input.press("Enter");
}

export function quickPickRow(page: Page, text: string) {
  return page.locator(".quick-input-widget .quick-input-list .monaco-list-row", { hasText: text }).first();
}

/** Clicks an entry of the context menu that is open. */
export async function chooseFromMenu(page: Page, label: string): Promise<void> {
  const entry = page.locator(".context-view .action-label", { hasText: label }).first();
  await entry.waitFor();
  // The workbench ignores a menu click that comes right after the menu opened (it guards against a stray mouse-up).
  await page.waitForTimeout(500);
  await entry.click();
}
