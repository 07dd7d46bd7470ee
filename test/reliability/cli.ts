// The real `hf-models` command for the reliability suites: built once with `node esbuild.js`, started as
// `node bin/hf-models.js …` in a process group of its own so a kill -9 takes its git children along.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../helpers/hub";

let built: Promise<void> | undefined;

/** `node esbuild.js` (bundles dist/cli.js, as `npm run build` does); once per test process. */
export function buildCli(): Promise<void> {
  built ??= promisify(execFile)(process.execPath, ["esbuild.js"], { cwd: ROOT }).then(() => undefined);
  return built;
}

export interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process and its output streams are closed. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL to the whole process group: the CLI and every git / git-lfs it started. */
  kill9(): void;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv): CliRun {
  return startGroup(process.execPath, [join(ROOT, "bin", "hf-models.js"), ...args], env);
}

/** Any command in a process group of its own, with its output collected (e.g. the CLI under `unshare`). */
export function startGroup(command: string, argv: string[], env: NodeJS.ProcessEnv): CliRun {
  const child = spawn(command, argv, { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d));
  child.stderr!.on("data", (d: Buffer) => (err += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    done,
    kill9() {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // Already gone.
      }
    },
  };
}

/** A minimal environment for the CLI: the git HOME given, no inherited HF_* or proxy settings. */
export function cliEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "", HOME: home, XDG_CONFIG_HOME: join(home, ".config"), GIT_CONFIG_NOSYSTEM: "1", HF_HOME: join(home, "hf-home"), ...extra };
}
