// Runs git plumbing commands for the local Hub's server side, isolated from the user's git configuration
// (no global/system config, no inherited GIT_DIR) so the repositories it builds are the same on every machine.
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { devNull } from "node:os";
import { pipeline } from "node:stream/promises";

/** Environment for server-side git: only PATH from the parent, no user or system config. */
export function isolatedGitEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: devNull,
    GIT_TERMINAL_PROMPT: "0",
    LANG: "C",
    LC_ALL: "C",
  };
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

export interface RunGitOptions {
  args: string[];
  /** Bare repository the command works on (set as GIT_DIR). */
  gitDir?: string;
  /** Bytes for stdin, or `{ file }` to stream a file (never read whole) into stdin. */
  input?: Buffer | string | { file: string };
  env?: Record<string, string | undefined>;
}

/** Runs `git <args>` and resolves with its stdout; rejects with git's stderr when it exits non-zero. */
export function runGit(options: RunGitOptions): Promise<string> {
  const env = isolatedGitEnv({ ...options.env, GIT_DIR: options.gitDir });
  return new Promise((resolve, reject) => {
    const child = spawn("git", options.args, { env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let inputError: Error | undefined;
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    // git may exit before reading all of stdin; its exit code and stderr say why, so EPIPE adds nothing.
    child.stdin.on("error", () => undefined);
    child.on("error", (cause) => reject(new Error(`could not run git ${options.args[0]}: ${cause.message}`, { cause })));
    child.on("close", (code) => {
      const stderr = Buffer.concat(err).toString().trim();
      if (code !== 0 || inputError) {
        const why = stderr || inputError?.message || `exit code ${code}`;
        reject(new Error(`git ${options.args.join(" ")} failed (exit ${code}): ${why}`, { cause: inputError }));
      } else resolve(Buffer.concat(out).toString());
    });
    const input = options.input;
    if (input === undefined) child.stdin.end();
    else if (typeof input === "string" || Buffer.isBuffer(input)) child.stdin.end(input);
    else
      pipeline(createReadStream(input.file), child.stdin).catch((cause: Error) => {
        inputError = new Error(`could not stream ${input.file} into git: ${cause.message}`, { cause });
        child.kill();
      });
  });
}
