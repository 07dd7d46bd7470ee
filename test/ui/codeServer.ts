// Starts and stops code-server 4.100.3 (installed by scripts/ensure-vscode-test-deps.sh) for the tests:
// a fresh profile with seeded settings, .vsix install, its own process group, ready when /healthz answers.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export const BASE_SETTINGS = {
  "window.autoDetectHighContrast": false,
  "workbench.colorTheme": "Default Dark Modern",
  "workbench.startupEditor": "none",
  "telemetry.telemetryLevel": "off",
  "workbench.tips.enabled": false,
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "git.enabled": false,
};

export interface Profile {
  userDataDir: string;
  extensionsDir: string;
}

export function codeServerBin(e2eDir: string): string {
  return join(e2eDir, "cs", "node_modules", ".bin", "code-server");
}

export function createProfile(o: { dir: string; settings: Record<string, unknown> }): Profile {
  const userDataDir = join(o.dir, "ud");
  const extensionsDir = join(o.dir, "exts");
  mkdirSync(join(userDataDir, "User"), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(join(userDataDir, "User", "settings.json"), `${JSON.stringify({ ...BASE_SETTINGS, ...o.settings }, null, 2)}\n`);
  return { userDataDir, extensionsDir };
}

export function installVsix(o: { bin: string; profile: Profile; vsix: string }): void {
  const r = spawnSync(o.bin, ["--user-data-dir", o.profile.userDataDir, "--extensions-dir", o.profile.extensionsDir, "--install-extension", o.vsix], {
    encoding: "utf8",
  });
  if (r.status !== 0 || !/successfully installed/i.test(r.stdout + r.stderr)) {
    throw new Error(`code-server --install-extension ${o.vsix} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RunningCodeServer {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startCodeServer(o: { bin: string; profile: Profile; logFile: string; port?: number; env?: NodeJS.ProcessEnv }): Promise<RunningCodeServer> {
  const port = o.port ?? (await freePort());
  const log = openSync(o.logFile, "a");
  const child = spawn(
    o.bin,
    [
      "--auth", "none",
      "--bind-addr", `127.0.0.1:${port}`,
      "--user-data-dir", o.profile.userDataDir,
      "--extensions-dir", o.profile.extensionsDir,
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--disable-getting-started-override",
    ],
    // Own process group, so stop() ends the server and every child it spawned (extension hosts, git).
    { detached: true, stdio: ["ignore", log, log], env: { ...(o.env ?? process.env), HF_MODELS_TEST_USER_DATA_DIR: o.profile.userDataDir } },
  );
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}; see ${o.logFile}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`code-server did not answer ${url}/healthz within 60 s; see ${o.logFile}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    port,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
