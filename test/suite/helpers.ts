// Shared by the extension-host tests: the extension's test API, a local Hub with the demo repos started
// inside the extension host, settings written to the test workspace, and a scripted Prompter.
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vscode from "vscode";
import type { HfModelsApi, HfModelsTestApi } from "../../src/vscode/testApi";
import type { ConfirmStep, InputStep, PickStep, Prompter } from "../../src/vscode/prompts";
import { demoRepos } from "../../hub/demo";
import { startHub, type LocalHub } from "../../hub/server";
import { resolveRevision } from "../../hub/model";
import { tempDir as newTempDir } from "../helpers/files";

export { sha256File } from "../helpers/files";

export const EXTENSION_ID = "hf-models-dev.hf-models";

export async function testApi(): Promise<HfModelsTestApi> {
  const ext = vscode.extensions.getExtension<HfModelsApi>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not loaded in this window`);
  const api = await ext.activate();
  if (!api.testing) throw new Error("The extension did not expose its test API: it must run in ExtensionMode.Test");
  return api.testing;
}

export function packageJson(): any {
  return vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
}

/** One Hub per test file, with the demo repos generated once per machine in the temp folder. */
export async function startDemoHub(options: Partial<Parameters<typeof startHub>[0]> = {}): Promise<LocalHub> {
  const repos = await demoRepos(join(tmpdir(), "hf-models-suite-demo"));
  return startHub({ repos, ...options });
}

/** A fresh folder's path (left for the run's throw-away TMPDIR to collect). */
export async function tempDir(prefix: string): Promise<string> {
  return (await newTempDir(`hf-models-${prefix}-`)).path;
}

function target(): vscode.ConfigurationTarget {
  return vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
}

export async function setSetting(name: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration("hfModels").update(name, value, target());
}

/** Points the extension at `hub` and `modelsDir` (workspace settings, so the user settings stay as they were). */
export async function useHub(hub: LocalHub, modelsDir: string): Promise<void> {
  await setSetting("endpoint", hub.url);
  await setSetting("modelsDirectory", modelsDir);
}

export async function resetSettings(): Promise<void> {
  for (const name of ["endpoint", "modelsDirectory", "useXet", "fallbackToLfs", "concurrency"]) await setSetting(name, undefined);
}

/** Remembers an environment variable of the extension host now; the returned function puts it back as it was. */
export function keepEnv(name: string): () => void {
  const saved = process.env[name];
  return () => {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  };
}

/** sha256 of every file at the repo's revision as the Hub serves it. */
export function hubFiles(hub: LocalHub, repo: string, revision = "main"): Map<string, { sha256: string; size: number }> {
  const r = hub.ctx.repos.get(repo);
  if (!r) throw new Error(`hub has no repo ${repo}`);
  const commit = resolveRevision(r, revision);
  if (!commit) throw new Error(`hub has no revision ${revision} of ${repo}`);
  return new Map([...commit.files.values()].map((f) => [f.path, { sha256: f.sha256, size: f.size }]));
}

type PickAnswer = (step: PickStep<any>) => Promise<unknown[] | undefined> | unknown[] | undefined;
type InputAnswer = (step: InputStep) => Promise<string | undefined> | string | undefined;

/**
 * Answers prompts by step name. `pick` answers return chosen *values*; a missing answer means Esc.
 * Every step seen is recorded for assertions.
 */
export class ScriptedPrompter implements Prompter {
  readonly seen: Array<{ kind: "pick" | "input" | "confirm"; step: string; spec: unknown }> = [];

  constructor(
    private readonly answers: {
      pick?: Record<string, PickAnswer>;
      input?: Record<string, InputAnswer>;
      confirm?: Record<string, boolean>;
    },
  ) {}

  async pick<T>(step: PickStep<T>): Promise<T[] | undefined> {
    this.seen.push({ kind: "pick", step: step.step, spec: step });
    const answer = this.answers.pick?.[step.step];
    return answer ? ((await answer(step)) as T[] | undefined) : undefined;
  }

  async input(step: InputStep): Promise<string | undefined> {
    this.seen.push({ kind: "input", step: step.step, spec: step });
    const answer = this.answers.input?.[step.step];
    return answer ? await answer(step) : undefined;
  }

  async confirm(step: ConfirmStep): Promise<boolean> {
    this.seen.push({ kind: "confirm", step: step.step, spec: step });
    return this.answers.confirm?.[step.step] ?? false;
  }

  steps(): string[] {
    return this.seen.map((s) => s.step);
  }
}

/** Resolves with the first value `event` fires that satisfies `test`, or rejects after `ms`. */
export function waitFor<T>(event: vscode.Event<T>, test: (value: T) => boolean, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const sub = event((value) => {
      if (!test(value)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(value);
    });
  });
}
