// Bundles the extension, the CLI, the Xet engine's worker thread, the local Hub and the benchmark as separate Node
// entry points. Native and VS Code modules stay external; everything else is bundled so the .vsix needs no
// node_modules. `require("./esbuild.js")` gives the same options to tests that bundle into another folder.
const esbuild = require("esbuild");
const fs = require("fs");
const path = require("path");

const ENTRIES = [
  { in: "src/extension.ts", out: "dist/extension.js" },
  { in: "src/cli/main.ts", out: "dist/cli.js" },
  // Loaded by the engine's pool from beside the bundle that uses it (extension.js, cli.js, bench.js).
  { in: "src/core/xet/engine/worker.ts", out: "dist/xet-worker.js" },
  { in: "hub/cli.ts", out: "dist/hub.js" },
  { in: "bench/main.ts", out: "dist/bench.js" },
].filter((e) => fs.existsSync(path.join(__dirname, e.in)));

const OPTIONS = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: true,
  external: ["vscode", "lz4-napi", "playwright-core", "mocha", "tsx"],
  logLevel: "warning",
};

/** Build contexts for `entries` (default all), written under `root` (default this folder). */
function contexts({ entries = ENTRIES, root = __dirname, overrides = {} } = {}) {
  return Promise.all(
    entries.map((e) => esbuild.context({ ...OPTIONS, ...overrides, entryPoints: [path.join(__dirname, e.in)], outfile: path.join(root, e.out) })),
  );
}

async function main() {
  const built = await contexts();
  if (process.argv.includes("--watch")) {
    await Promise.all(built.map((c) => c.watch()));
    return;
  }
  await Promise.all(built.map((c) => c.rebuild()));
  await Promise.all(built.map((c) => c.dispose()));
}

module.exports = { ENTRIES, OPTIONS, contexts };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
