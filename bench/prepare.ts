// `npx tsx bench/prepare.ts [--quick]`: generates the benchmark models and builds the hub's xorbs once, so the
// first `npm run bench` does not spend its time there.
import { join, resolve } from "node:path";
import { startHub } from "../hub/server";
import { ensureModel, FULL_MODELS, QUICK_MODELS } from "./data";

async function main(): Promise<void> {
  const work = resolve("bench/work");
  const specs = process.argv.includes("--quick") ? QUICK_MODELS : [...QUICK_MODELS, ...FULL_MODELS];
  const repos = [];
  for (const spec of specs) repos.push(await ensureModel(join(work, "models"), spec));
  const started = Date.now();
  const hub = await startHub({ repos, dataDir: join(work, "hub-data") });
  process.stderr.write(`bench: hub data ready in ${((Date.now() - started) / 1000).toFixed(0)} s (${JSON.stringify(hub.ctx.xet.stats())})\n`);
  await hub.close();
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
