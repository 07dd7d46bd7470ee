// Mocha entry point loaded inside the VS Code extension host (by code-server's `payload` or by
// @vscode/test-electron): runs every compiled `*.test.js` beside this file and rejects on failure.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import Mocha from "mocha";

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: "bdd", color: false, timeout: 90_000, reporter: "spec" });
  const grep = process.env.HF_MODELS_SUITE_GREP;
  if (grep) mocha.grep(grep);
  for (const file of readdirSync(__dirname).filter((f) => f.endsWith(".test.js")).sort()) mocha.addFile(join(__dirname, file));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} extension test(s) failed`)) : resolve()));
  });
}
