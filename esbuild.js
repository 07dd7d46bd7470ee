// Bundles the extension, the CLI, the Xet engine's worker thread, the local Hub and the benchmark as separate Node
// entry points. Native and VS Code modules stay external; everything else is bundled so the .vsix needs no
// node_modules.
const esbuild = require("esbuild");
const fs = require("fs");

const watch = process.argv.includes("--watch");
const entries = [
  { in: "src/extension.ts", out: "dist/extension.js" },
  { in: "src/cli/main.ts", out: "dist/cli.js" },
  { in: "src/core/xet/engine/worker.ts", out: "dist/xet-worker.js" },
  { in: "test/hub/cli.ts", out: "dist/hub.js" },
  { in: "bench/main.ts", out: "dist/bench.js" },
].filter((e) => fs.existsSync(e.in));

async function main() {
  const contexts = await Promise.all(
    entries.map((e) =>
      esbuild.context({
        entryPoints: [e.in],
        outfile: e.out,
        bundle: true,
        platform: "node",
        target: "node20",
        format: "cjs",
        sourcemap: true,
        external: ["vscode", "lz4-napi", "playwright-core", "mocha", "tsx"],
        logLevel: "warning",
      }),
    ),
  );
  if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
    return;
  }
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
