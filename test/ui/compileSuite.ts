// Bundles the extension-host suite (test/suite/index.ts and every *.test.ts) into out/test/suite/,
// one CommonJS file each; `vscode` and `mocha` stay external (the host provides vscode, mocha is a devDependency).
import { readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";

export async function compileSuite(root: string): Promise<string> {
  const outdir = join(root, "out", "test", "suite");
  rmSync(outdir, { recursive: true, force: true });
  const dir = join(root, "test", "suite");
  const entries = readdirSync(dir)
    .filter((f) => f === "index.ts" || f.endsWith(".test.ts"))
    .map((f) => join(dir, f));
  await build({
    entryPoints: entries,
    outdir,
    outbase: dir,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    sourcemap: "inline",
    external: ["vscode", "mocha", "lz4-napi", "playwright-core"],
    logLevel: "warning",
  });
  return outdir;
}

if (require.main === module) {
  compileSuite(resolve(__dirname, "..", "..")).then(
    (out) => console.log(`compiled the suite into ${out}`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
