// Child process of the engine memory test: downloads one Xet file with the engine and reports its digest and
// peak RSS (worker threads included), so the measurement sees the engine alone, not the Hub or mocha. The worker
// threads run the bundled xet-worker.js given as the second argument, as the shipped extension and CLI do (a worker
// compiling its TypeScript source through tsx carries the compiler too).
import { downloadXetFile } from "../../src/core/xet/engine/download";
import { configureSharedPool } from "../../src/core/xet/engine/pool";

configureSharedPool({ script: { file: process.argv[3]! } });

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as { endpoint: string; repo: string; commit: string; path: string; size: number; sha256: string; partialPath: string };
  const signal = new AbortController().signal;

  const result = await downloadXetFile({
    ...job,
    token: "hf_engine_memory_test",
    offset: 0,
    signal,
    fetch: (input, init) => fetch(input, { ...init, signal }),
    stallTimeoutMs: 30_000,
    onProgress: () => {},
    onActivity: () => {},
    log: () => {},
    options: { reuse: false },
  });
  process.stdout.write(`${JSON.stringify({ digest: result.digest, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
