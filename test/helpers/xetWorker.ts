// How the suites start the Xet engine's worker threads: from the TypeScript source, compiled by tsx in each worker
// (production loads the bundled dist/xet-worker.js). Importing this module configures the shared pool once.
import { join, resolve } from "node:path";
import { configureSharedPool, type WorkerScript } from "../../src/core/xet/engine/pool";

export const SOURCE_WORKER: WorkerScript = {
  file: join(resolve(__dirname, "..", ".."), "src", "core", "xet", "engine", "worker.ts"),
  execArgv: ["--require", require.resolve("tsx/cjs")],
};

configureSharedPool({ script: SOURCE_WORKER });
