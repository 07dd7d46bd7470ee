// Child process of the engine memory test: downloads one Xet file with the engine and reports its digest and
// peak RSS (worker threads included), so the measurement sees the engine alone, not the Hub or mocha. The worker
// threads run the bundled xet-worker.js given as the second argument, as the shipped extension and CLI do (a worker
// compiling its TypeScript source through tsx carries the compiler too).
import { readFileSync } from "node:fs";
import { downloadXetFile } from "../../src/core/xet/engine/download";
import { configureSharedPool } from "../../src/core/xet/engine/pool";

configureSharedPool({ script: { file: process.argv[3]! } });

/**
 * This process's own peak RSS (all threads): Linux's VmHWM, which starts afresh at exec. Not `resourceUsage().maxRSS`:
 * Linux carries the high-water mark of the forked copy of the parent across exec, so that figure is at least the
 * RSS of the mocha process (which holds the local Hub) at the moment it spawned this one.
 */
function peakRssBytes(): number {
  const kB = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  if (!kB) throw new Error("no VmHWM in /proc/self/status");
  return Number(kB) * 1024;
}

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
  process.stdout.write(`${JSON.stringify({ digest: result.digest, maxRssBytes: peakRssBytes() })}\n`);
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
