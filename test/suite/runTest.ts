// Runs the same extension-host suite in VS Code desktop through @vscode/test-electron, for machines that
// can download VS Code (this offline box uses scripts/test-vscode.sh instead). Compile first:
//   node esbuild.js && npx tsx test/ui/compileSuite.ts && npx tsx test/suite/runTest.ts
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runTests } from "@vscode/test-electron";

async function main(): Promise<void> {
  const root = resolve(__dirname, "..", "..");
  const workspace = mkdtempSync(join(tmpdir(), "hf-models-ws-"));
  await runTests({
    version: process.env.VSCODE_VERSION ?? "1.100.3",
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, "out", "test", "suite", "index.js"),
    // The suite starts its own local Hub and writes workspace settings, so it needs a folder and nothing else.
    launchArgs: [workspace, "--disable-extensions", "--disable-workspace-trust", "--skip-welcome", "--skip-release-notes"],
  });
}

main().catch((err) => {
  console.error("Extension tests failed:", err);
  process.exit(1);
});
