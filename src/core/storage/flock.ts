// The per-blob lock huggingface_hub takes (`.locks/models--org--name/<blob>.lock`, Python `filelock`, which is
// flock(2) on Linux and macOS). Node has no flock without native code, so the lock is held by util-linux's `flock`
// command (also flock(2): the two exclude each other) running `cat`; it ends, and the lock with it, when we close
// its stdin or when this process dies. Where `flock` is missing, writes stay safe without it: a blob is only ever
// created by an atomic rename of verified bytes, and a snapshot link by an atomic rename of a fresh link.
import { spawn } from "node:child_process";

let available: boolean | undefined;

export async function withBlobLock<T>(lockPath: string, log: ((level: "info" | "warn" | "debug", message: string) => void) | undefined, body: () => Promise<T>): Promise<T> {
  const release = available === false ? undefined : await takeFlock(lockPath).catch((err: Error) => {
    available = false;
    log?.("debug", `No flock(1) to take ${lockPath} (${err.message}); relying on atomic renames`);
    return undefined;
  });
  try {
    return await body();
  } finally {
    release?.();
  }
}

function takeFlock(lockPath: string): Promise<() => void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn("flock", ["--exclusive", lockPath, "sh", "-c", "echo locked; exec cat"], { stdio: ["pipe", "pipe", "ignore"] });
    let done = false;
    child.once("error", (err) => {
      if (!done) (done = true), reject(err);
    });
    child.once("exit", (code) => {
      if (!done) (done = true), reject(new Error(`flock exited with ${code}`));
    });
    child.stdout.once("data", () => {
      if (done) return;
      done = true;
      available = true;
      resolvePromise(() => child.stdin.end());
    });
  });
}
