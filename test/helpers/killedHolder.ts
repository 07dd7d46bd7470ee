// Runs `script` in a separate Node process until it prints "locked", then SIGKILLs it, so whatever lock it took is
// left behind exactly as a crashed download would leave it (SIGKILL skips every exit handler).
import { spawn } from "node:child_process";

export async function lockAndKill(script: string, cwd: string): Promise<void> {
  const child = spawn(process.execPath, ["-e", script], { cwd, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => d.toString().includes("locked") && resolve());
    child.on("exit", (code) => reject(new Error(`lock holder exited early (${code})`)));
  });
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
}
