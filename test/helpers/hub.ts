// Test helpers around the local Hub: start it with the demo repos (generated once per machine into
// .hub-data/demo-test). Temporary folders and hashes live in ./files (re-exported for older imports).
import { join, resolve } from "node:path";
import { demoRepos } from "../../hub/demo";
import type { RepoSource } from "../../hub/model";
import { startHub, type LocalHub, type StartHubOptions } from "../../hub/server";
// Every suite that starts a Hub may run the Xet engine: its workers start from the TypeScript source.
import "./xetWorker";

export const ROOT = resolve(__dirname, "..", "..");
export const DEMO_DIR = join(ROOT, ".hub-data", "demo-test");

export async function startDemoHub(options: Partial<StartHubOptions> = {}): Promise<LocalHub> {
  return startHub({ repos: await demoRepos(DEMO_DIR), ...options });
}

export async function demoSources(): Promise<RepoSource[]> {
  return demoRepos(DEMO_DIR);
}

export { sha256, sha256File, tempDir } from "./files";
