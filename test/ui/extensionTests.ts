// Runs the compiled mocha suite (out/test/suite) inside code-server's extension host through the
// workbench's `payload` URL parameter; results come back via codeAutomationLog / codeAutomationExit.
import { format } from "node:util";
import type { Browser } from "playwright-core";

const NOISE = /socket|connection token|builtin extensions cache|Service ?Worker|ChatSession|vsda/i;

export interface ExtensionTestRun {
  exitCode: number | "timeout";
  output: string[];
}

export async function runExtensionTests(o: {
  browser: Browser;
  serverUrl: string;
  extensionDir: string;
  testsDir: string;
  workspace: string;
  timeoutMs: number;
  print(line: string): void;
  screenshotOnFailure?: string;
}): Promise<ExtensionTestRun> {
  const host = new URL(o.serverUrl).host;
  const remote = (p: string) => `vscode-remote://${host}${p}`;
  const payload = JSON.stringify([
    ["extensionDevelopmentPath", remote(o.extensionDir)],
    ["extensionTestsPath", remote(o.testsDir)],
    ["skipWelcome", "true"],
  ]);
  const context = await o.browser.newContext({ viewport: { width: 1400, height: 850 } });
  const page = await context.newPage();
  const output: string[] = [];
  let done!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (done = resolve));
  await page.exposeFunction("codeAutomationLog", (type: string, args: unknown[]) => {
    // Mocha's reporter logs printf-style ("%s (%dms)", title, ms); format it as the console would.
    const text = format(...(Array.isArray(args) ? args : [args]));
    for (const line of text.split("\n")) {
      if (NOISE.test(line)) continue;
      output.push(line);
      o.print(`${type === "error" ? "[ext error] " : ""}${line}`);
    }
  });
  await page.exposeFunction("codeAutomationExit", (code: number) => done(code));
  page.on("pageerror", (err) => o.print(`[page error] ${err.message}`));
  await page.goto(`${o.serverUrl}/?folder=${encodeURIComponent(o.workspace)}&payload=${encodeURIComponent(payload)}`);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), o.timeoutMs)));
  const exitCode = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  if (exitCode !== 0 && o.screenshotOnFailure) await page.screenshot({ path: o.screenshotOnFailure }).catch(() => undefined);
  await context.close();
  return { exitCode, output };
}
