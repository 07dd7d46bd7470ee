// Real-VS-Code test run: build, compile the suite, package the .vsix, start a local Hub (slow, so the
// progress stays visible) and code-server, then (a) the extension-host mocha suite via `payload` and
// (b) the playwright UI test. Exits non-zero if either fails. Started by scripts/test-vscode.sh.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { demoRepos } from "../../hub/demo";
import { resolveRevision } from "../../hub/model";
import { startHub, type LocalHub } from "../../hub/server";
import { runProcess } from "../helpers/process";
import { launchBrowser } from "./browser";
import { codeServerBin, createProfile, installVsix, startCodeServer } from "./codeServer";
import { runUiTest } from "./downloadModel.ui";
import { compileSuite } from "./compileSuite";
import { runExtensionTests } from "./extensionTests";

const ROOT = resolve(__dirname, "..", "..");
const E2E = process.env.E2E_DIR ?? join(ROOT, ".vscode-e2e");
const RUN = join(E2E, "run");
const ARTIFACTS = join(ROOT, "test-artifacts");
const only = process.argv.includes("--ui-only") ? "ui" : process.argv.includes("--suite-only") ? "suite" : "both";

const timings: Array<[string, number]> = [];
async function timed<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  const start = Date.now();
  try {
    return await fn();
  } finally {
    timings.push([name, (Date.now() - start) / 1000]);
  }
}
const print = (line: string) => process.stdout.write(`${line}\n`);

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed with exit ${r.status}`);
}

async function main(): Promise<number> {
  rmSync(RUN, { recursive: true, force: true });
  for (const d of ["ws-suite", "ws-ui", "models-ui", "profile"]) mkdirSync(join(RUN, d), { recursive: true });
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });

  await timed("build (node esbuild.js)", () => run("node", ["esbuild.js"]));
  const testsDir = await timed("compile suite", () => compileSuite(ROOT));
  const vsix = join(RUN, "hf-models.vsix");
  await timed("vsce package", () => run("npm", ["run", "-s", "package", "--", "-o", vsix]));

  const hub = await timed("start local Hub (demo repos)", async () =>
    startHub({
      repos: await demoRepos(join(ROOT, ".hub-data", "demo")),
      faults: ["slow"],
      // A few seconds for demo/tiny-model: long enough to see and screenshot the progress notification.
      slow: { latencyMs: 40, perConnectionBytesPerSecond: 800_000, totalBytesPerSecond: 800_000 },
    }),
  );
  print(`local Hub on ${hub.url} (CDN ${hub.cdnUrl})`);
  const modelsUi = join(RUN, "models-ui");
  const profile = createProfile({ dir: join(RUN, "profile"), settings: { "hfModels.endpoint": hub.url, "hfModels.modelsDirectory": modelsUi } });
  const bin = codeServerBin(E2E);
  await timed("install .vsix", () => installVsix({ bin, profile, vsix }));
  // A Hugging Face cache of the run's own, never the machine's: empty for the suite, seeded before the UI test.
  const hfCache = join(RUN, "hf-cache");
  rmSync(hfCache, { recursive: true, force: true });
  mkdirSync(hfCache, { recursive: true });
  const server = await timed("start code-server", () => startCodeServer({ bin, profile, logFile: join(RUN, "code-server.log"), env: { ...process.env, HF_HUB_CACHE: hfCache } }));
  print(`code-server on ${server.url}`);
  const browser = await launchBrowser();

  let suiteOk = only === "ui";
  let uiOk = only === "suite";
  try {
    if (only !== "ui") {
      const suite = await timed("extension-host suite", () =>
        runExtensionTests({
          browser,
          serverUrl: server.url,
          extensionDir: ROOT,
          testsDir,
          workspace: join(RUN, "ws-suite"),
          timeoutMs: 15 * 60_000,
          print: (l) => print(`  ${l}`),
          screenshotOnFailure: join(ARTIFACTS, "suite-failure.png"),
        }),
      );
      suiteOk = suite.exitCode === 0;
      print(`extension-host suite: ${suite.exitCode === 0 ? "passed" : `FAILED (exit ${suite.exitCode})`}`);
    }
    if (only !== "suite") {
      const repo = hub.ctx.repos.get("demo/tiny-model")!;
      const files = resolveRevision(repo, "main")!.files;
      const ui = await timed("UI test", () =>
        runUiTest({
          browser,
          serverUrl: server.url,
          workspace: join(RUN, "ws-ui"),
          modelsDir: modelsUi,
          expectedFiles: new Map([...files.values()].map((f) => [f.path, f.sha256])),
          cacheRepo: CACHE_REPO,
          // After the newcomer's steps, which need an empty tree (the welcome view).
          seedCache: () => timed("seed the Hugging Face cache (hf download)", () => seedCache(hub, hfCache)),
          artifacts: ARTIFACTS,
          print,
        }),
      );
      uiOk = ui.ok;
      print(`UI test: ${ui.ok ? "passed" : "FAILED"}${ui.error ? `\n${ui.error}` : ""}`);
      for (const s of ui.screenshots) print(`  screenshot ${s}`);
    }
  } finally {
    await browser.close();
    await server.stop();
    await hub.close();
  }
  print("\ntimings:");
  for (const [name, s] of timings) print(`  ${name.padEnd(32)} ${s.toFixed(1)} s`);
  const ran = [only !== "ui" ? suiteOk : undefined, only !== "suite" ? uiOk : undefined].filter((r) => r !== undefined);
  print(`\nreal VS Code test runs (extension-host suite, UI): ${ran.filter((r) => r).length} passed, ${ran.filter((r) => !r).length} failed`);
  return suiteOk && uiOk ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

const CACHE_REPO = "demo/quantized-gguf";

/** A model in the run's Hugging Face cache, put there by the reference client (`hf download`), as a user's would be. */
async function seedCache(hub: LocalHub, cacheDir: string): Promise<void> {
  const hf = join(ROOT, ".venv-judge", "bin", "hf");
  hub.setFault("slow", false);
  try {
    const { code, stderr } = await runProcess(hf, ["download", CACHE_REPO], {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "",
      HF_HUB_CACHE: cacheDir,
      HF_ENDPOINT: hub.url,
      HF_HUB_DISABLE_TELEMETRY: "1",
    });
    if (code !== 0) throw new Error(`${hf} download ${CACHE_REPO} failed (exit ${code}; run bash scripts/ensure-python-judge.sh):\n${stderr}`);
  } finally {
    hub.setFault("slow", true);
  }
}
