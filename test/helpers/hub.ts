// Test helpers around the local Hub: start it with the demo repos (generated once per machine into
// .hub-data/demo-test), make temporary folders, and hash files.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { demoRepos } from "../../hub/demo";
import type { RepoSource } from "../../hub/model";
import { startHub, type LocalHub, type StartHubOptions } from "../../hub/server";

export const ROOT = resolve(__dirname, "..", "..");
export const DEMO_DIR = join(ROOT, ".hub-data", "demo-test");

export async function startDemoHub(options: Partial<StartHubOptions> = {}): Promise<LocalHub> {
  return startHub({ repos: await demoRepos(DEMO_DIR), ...options });
}

export async function demoSources(): Promise<RepoSource[]> {
  return demoRepos(DEMO_DIR);
}

export async function tempDir(prefix = "hf-test-"): Promise<{ path: string; cleanup(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
