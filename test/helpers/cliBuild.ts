// The bundled CLI (esbuild.js's own options: dist/cli.js + dist/xet-worker.js) built once under out/ for suites
// that run `hf-models` as a user does, and a runner that captures its output.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import type { BuildContext, BuildOptions } from "esbuild";

const ROOT = resolve(__dirname, "..", "..");

export async function buildCli(): Promise<string> {
  const esbuildConfig = createRequire(__filename)(join(ROOT, "esbuild.js")) as {
    ENTRIES: Array<{ in: string; out: string }>;
    contexts(options: { entries: Array<{ in: string; out: string }>; root: string; overrides?: BuildOptions }): Promise<BuildContext[]>;
  };
  await mkdir(join(ROOT, "out"), { recursive: true });
  const buildDir = await mkdtemp(join(ROOT, "out", "cli-test-"));
  const entries = esbuildConfig.ENTRIES.filter((e) => e.out === "dist/cli.js" || e.out === "dist/xet-worker.js");
  assert.equal(entries.length, 2, "esbuild.js lists the CLI and the Xet worker");
  for (const context of await esbuildConfig.contexts({ entries, root: buildDir, overrides: { logLevel: "silent" } })) {
    await context.rebuild();
    await context.dispose();
  }
  await mkdir(join(buildDir, "bin"));
  const bin = join(buildDir, "bin", "hf-models.js");
  await copyFile(join(ROOT, "bin", "hf-models.js"), bin);
  return bin;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(bin: string, args: string[], env: Record<string, string>): Promise<CliRun> {
  const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((res) => child.on("close", (code) => res({ code, stdout, stderr })));
}
