// Entry point of the `hf-models` command (bundled to dist/cli.js, started by bin/hf-models.js).
// Wires the process to runCli: argv, environment, streams, Ctrl-C → AbortSignal, and the exit code.
import { EXIT_INTERRUPTED, runCli } from "./run";

const controller = new AbortController();
let interrupts = 0;
process.on("SIGINT", () => {
  interrupts++;
  // The first Ctrl-C cancels cleanly (git is killed, partial files stay for resume); a second one quits now.
  if (interrupts === 1) controller.abort(new Error("Interrupted"));
  else process.exit(EXIT_INTERRUPTED);
});

// `hf-models … | head` closes stdout early; that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

runCli({ argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr, signal: controller.signal }).then(
  (code) => finish(code),
  (err) => {
    process.stderr.write(`hf-models: unexpected error: ${(err as Error)?.message ?? String(err)}\n`);
    finish(1);
  },
);

/** Exits once stdout and stderr are flushed, so lingering sockets or timers cannot keep the process alive. */
function finish(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write("", done);
  process.stderr.write("", done);
}
