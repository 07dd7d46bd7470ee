// Download Model end to end inside VS Code against a local Hub: the QuickPick flow (answered by a
// scripted prompter), the args shortcut, Git LFS vs Xet by setting, the Xet→LFS fallback, Esc and cancel.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import * as vscode from "vscode";
import { formatBytes } from "../../src/core/util/format";
import type { DownloadResult } from "../../src/core/download/types";
import type { PickItem } from "../../src/vscode/prompts";
import type { HfModelsTestApi } from "../../src/vscode/testApi";
import type { LocalHub } from "../../hub/server";
import { hubFiles, resetSettings, ScriptedPrompter, setSetting, sha256File, startDemoHub, tempDir, testApi, useHub, waitFor } from "./helpers";

const DOWNLOAD = "hfModels.downloadModel";
const XET_ROUTES = /^(xet-read-token|reconstruction-v[12]|xorb)$/;

async function assertSameAsHub(hub: LocalHub, modelDir: string, repo: string, only?: string[]): Promise<void> {
  const expected = hubFiles(hub, repo);
  const wanted = only ?? [...expected.keys()];
  for (const path of wanted) {
    const file = expected.get(path);
    assert.ok(file, `hub has no ${path}`);
    assert.equal(await sha256File(join(modelDir, path)), file.sha256, `${path} differs from the hub's bytes`);
  }
  if (only) {
    for (const path of expected.keys()) if (!only.includes(path)) assert.ok(!existsSync(join(modelDir, path)), `${path} was not selected but is on disk`);
  }
}

async function readRecordFile(modelDir: string): Promise<any> {
  return JSON.parse(await readFile(join(modelDir, ".hf-models.json"), "utf8"));
}

describe("Download Model", () => {
  let hub: LocalHub;
  let api: HfModelsTestApi;
  let models: string;

  before(async () => {
    api = await testApi();
    hub = await startDemoHub();
  });
  after(async () => {
    api.setPrompter(undefined);
    await resetSettings();
    await hub.close();
  });
  beforeEach(async () => {
    models = await tempDir("models");
    await useHub(hub, models);
    await setSetting("useXet", undefined);
    hub.setFault("cas-unavailable", false);
    hub.resetLog();
    api.clearNotices();
  });

  it("asks repo (live search), revision, files and method, then downloads byte-exact files with Git LFS", async () => {
    let searched: PickItem<any>[] = [];
    const prompter = new ScriptedPrompter({
      pick: {
        repo: async (step) => {
          searched = await step.search!("tiny", new AbortController().signal);
          return [searched.find((i) => i.label === "demo/tiny-model")!.value];
        },
        files: (step) => {
          assert.equal(step.canPickMany, true);
          assert.ok(step.items.every((i) => i.picked), "every file starts selected");
          assert.ok(step.items.every((i) => /\d( B| kB| MB)$/.test(i.description ?? "")), "sizes are shown");
          return step.items.filter((i) => i.picked).map((i) => i.value);
        },
        method: (step) => {
          assert.deepEqual(step.items.map((i) => i.value), ["lfs", "xet"], "Git LFS is offered first while hfModels.useXet is off");
          return [step.items[0]!.value];
        },
      },
      input: {
        revision: (step) => {
          assert.equal(step.value, "main");
          assert.match(step.validate!("bad..rev") ?? "", /Invalid revision/);
          return step.value;
        },
      },
    });
    api.setPrompter(prompter);
    const result = await vscode.commands.executeCommand<DownloadResult | undefined>(DOWNLOAD);

    assert.deepEqual(prompter.steps(), ["repo", "revision", "files", "method"]);
    assert.ok(searched.some((i) => i.label === "demo/tiny-model"), "the live search found demo/tiny-model");
    assert.ok(hub.ctx.log.some((e) => e.route === "api-search" && e.path.includes("search=tiny")), "the search went to the Hub");
    assert.ok(result, `download failed: ${JSON.stringify(api.notices())}`);
    assert.equal(result.method, "lfs");
    const dir = join(models, "demo", "tiny-model");
    assert.equal(result.path, dir);
    await assertSameAsHub(hub, dir, "demo/tiny-model");
    const record = await readRecordFile(dir);
    assert.equal(record.repo, "demo/tiny-model");
    assert.equal(record.method, "lfs");
    assert.equal(record.commit, hub.ctx.repos.get("demo/tiny-model")!.branches.get("main"));
    assert.ok(hub.ctx.log.some((e) => e.route === "git-upload-pack"), "git clone reached the hub");
    assert.ok(!hub.ctx.log.some((e) => XET_ROUTES.test(e.route)), "no Xet route was used");
    const done = api.notices().find((n) => n.message.startsWith("Downloaded demo/tiny-model"));
    assert.ok(done, "a success message is shown");
    assert.deepEqual(done.actions, ["Open Folder", "Reveal"]);
    assert.ok(api.logLines().some((l) => /Downloaded demo\/tiny-model@main .* by lfs/.test(l)), "the download is logged");
  });

  it("accepts a pasted model URL and takes the revision from it", async () => {
    const prompter = new ScriptedPrompter({
      pick: {
        repo: async (step) => {
          const items = await step.search!(`${hub.url}/demo/two-revisions/tree/v1`, new AbortController().signal);
          assert.equal(items[0]?.label, "demo/two-revisions");
          assert.equal(items[0]?.description, "revision v1");
          return [items[0]!.value];
        },
      },
      input: { revision: (step) => (assert.equal(step.value, "v1"), undefined) },
    });
    api.setPrompter(prompter);
    assert.equal(await vscode.commands.executeCommand(DOWNLOAD), undefined);
    assert.deepEqual(prompter.steps(), ["repo", "revision"]);
  });

  it("offers a quantization picker for several GGUF files and downloads only the chosen one", async () => {
    const prompter = new ScriptedPrompter({
      pick: {
        repo: async (step) => [(await step.search!("demo/quantized-gguf", new AbortController().signal))[0]!.value],
        quantization: (step) => {
          assert.deepEqual(step.items.map((i) => i.label), ["Q4_K_M", "Q5_K_M", "Q8_0", "All quantizations"]);
          assert.equal(step.title, "HF Models: Download Model (3/5): demo/quantized-gguf");
          return [step.items[1]!.value];
        },
        files: (step) => {
          const picked = step.items.filter((i) => i.picked).map((i) => i.value as string);
          assert.ok(picked.includes("tiny-Q5_K_M.gguf") && !picked.some((p) => /Q4_K_M|Q8_0/.test(p)), `preselection ${picked}`);
          assert.ok(picked.includes("config.json"), "non-GGUF files stay selected");
          // Its own step number, and the size of the selection, not of the whole repo.
          assert.equal(step.title, "HF Models: Download Model (4/5): demo/quantized-gguf");
          const sizes = hubFiles(hub, "demo/quantized-gguf");
          const selected = picked.reduce((n, p) => n + sizes.get(p)!.size, 0);
          assert.equal(step.placeholder, `${picked.length} of ${sizes.size} files selected, ${formatBytes(selected)}: uncheck what you do not need`);
          return picked;
        },
        method: (step) => (assert.equal(step.title, "HF Models: Download Model (5/5)"), [step.items[0]!.value]),
      },
      input: { revision: (step) => step.value },
    });
    api.setPrompter(prompter);
    const result = await vscode.commands.executeCommand<DownloadResult | undefined>(DOWNLOAD);
    assert.ok(result, JSON.stringify(api.notices()));
    const expected = [...hubFiles(hub, "demo/quantized-gguf").keys()].filter((p) => !/Q4_K_M|Q8_0/.test(p));
    assert.deepEqual(result.files.map((f) => f.path).sort(), expected.sort());
    await assertSameAsHub(hub, result.path, "demo/quantized-gguf", expected);
  });

  it("skips every prompt when given { repo, files, method } and fetches only those files", async () => {
    api.setPrompter(new ScriptedPrompter({}));
    const result = await vscode.commands.executeCommand<DownloadResult | undefined>(DOWNLOAD, {
      repo: "demo/quantized-gguf",
      files: ["config.json", "tiny-Q4_K_M.gguf"],
      method: "lfs",
    });
    assert.ok(result, JSON.stringify(api.notices()));
    assert.deepEqual(result.files.map((f) => f.path).sort(), ["config.json", "tiny-Q4_K_M.gguf"]);
    await assertSameAsHub(hub, result.path, "demo/quantized-gguf", ["config.json", "tiny-Q4_K_M.gguf"]);
  });

  it("uses Xet when hfModels.useXet is on (the Hub sees Xet routes), and an explicit method wins", async () => {
    await setSetting("useXet", true);
    const result = await vscode.commands.executeCommand<DownloadResult | undefined>(DOWNLOAD, { repo: "demo/two-revisions" });
    assert.ok(result, JSON.stringify(api.notices()));
    assert.equal(result.method, "xet");
    assert.equal(result.fallbackReason, undefined);
    assert.ok(hub.ctx.log.some((e) => e.route === "xet-read-token"), "a Xet read token was requested");
    assert.ok(hub.ctx.log.some((e) => /^reconstruction-v[12]$/.test(e.route) && e.status === 200), "reconstructions were fetched");
    assert.ok(!hub.ctx.log.some((e) => e.route === "lfs-batch"), "Git LFS was not used");
    await assertSameAsHub(hub, result.path, "demo/two-revisions");
    assert.equal((await readRecordFile(result.path)).method, "xet");

    hub.resetLog();
    const lfs = await vscode.commands.executeCommand<DownloadResult | undefined>(DOWNLOAD, { repo: "demo/tiny-model", method: "lfs" });
    assert.equal(lfs?.method, "lfs");
    assert.ok(!hub.ctx.log.some((e) => XET_ROUTES.test(e.route)), "method: lfs overrides the setting");
  });

  it("falls back to Git LFS when the CAS is unavailable and tells the user why", async () => {
    await setSetting("useXet", true);
    hub.setFault("cas-unavailable", true);
    const result = await vscode.commands.executeCommand<DownloadResult | undefined>(DOWNLOAD, { repo: "demo/tiny-model" });
    assert.ok(result, JSON.stringify(api.notices()));
    assert.equal(result.method, "lfs");
    assert.ok(result.fallbackReason, "the result names the fallback reason");
    assert.ok(hub.ctx.log.some((e) => /^reconstruction-v[12]$/.test(e.route) && e.status === 503), "Xet was tried first");
    assert.ok(hub.ctx.log.some((e) => e.route === "lfs-batch"), "Git LFS finished the job");
    const notice = api.notices().find((n) => n.message.startsWith("Xet failed for demo/tiny-model, continuing with Git LFS: "));
    assert.ok(notice, `no fallback message in ${JSON.stringify(api.notices())}`);
    assert.equal(notice.level, "info");
    assert.ok(notice.message.includes(result.fallbackReason!), "the message names the reason");
    assert.ok(api.logLines().some((l) => l.includes("Xet failed")), "the fallback is logged");
    await assertSameAsHub(hub, result.path, "demo/tiny-model");
  });

  it("Esc at any prompt cancels cleanly: nothing downloaded, no error", async () => {
    for (const stopAt of ["repo", "revision", "files", "method"]) {
      const answers: any = {
        pick: {
          repo: async (step: any) => [(await step.search("demo/tiny-model", new AbortController().signal))[0].value],
          files: (step: any) => step.items.map((i: any) => i.value),
          method: (step: any) => [step.items[0].value],
        },
        input: { revision: (step: any) => step.value },
      };
      delete answers.pick[stopAt];
      delete answers.input[stopAt];
      const prompter = new ScriptedPrompter(answers);
      api.setPrompter(prompter);
      assert.equal(await vscode.commands.executeCommand(DOWNLOAD), undefined);
      assert.equal(prompter.steps().at(-1), stopAt);
    }
    assert.ok(!existsSync(join(models, "demo")), "no model folder was created");
    assert.deepEqual(api.notices(), [], "no message was shown");
    assert.deepEqual(api.jobs.running(), []);
  });

  it("reports a missing repo as an error with Show Log, and rejects a malformed id before any request", async () => {
    assert.equal(await vscode.commands.executeCommand(DOWNLOAD, { repo: "demo/does-not-exist" }), undefined);
    const missing = api.notices().find((n) => n.level === "error");
    assert.ok(missing, JSON.stringify(api.notices()));
    assert.match(missing.message, /^Could not download demo\/does-not-exist: /);
    assert.ok(missing.actions.includes("Show Log"));
    assert.ok(!existsSync(join(models, "demo", "does-not-exist", ".hf-models.json")));

    api.clearNotices();
    hub.resetLog();
    assert.equal(await vscode.commands.executeCommand(DOWNLOAD, { repo: "../../etc" }), undefined);
    assert.match(api.notices()[0]?.message ?? "", /Invalid repository id/);
    assert.deepEqual(hub.ctx.log, [], "nothing was sent to the Hub");
  });

  it("stores the token from Set Access Token in secret storage, uses it, never logs it; Sign Out removes it", async () => {
    const token = `hf_${Math.random().toString(36).slice(2)}SuiteToken${Date.now()}`;
    api.setPrompter(
      new ScriptedPrompter({
        input: {
          token: (step) => {
            assert.equal(step.password, true);
            assert.match(step.validate!("not-a-token") ?? "", /hf_/);
            return token;
          },
        },
      }),
    );
    assert.equal(await vscode.commands.executeCommand("hfModels.setToken"), true);
    const result = await vscode.commands.executeCommand<DownloadResult | undefined>(DOWNLOAD, { repo: "demo/private-model" });
    assert.ok(result, JSON.stringify(api.notices()));
    await assertSameAsHub(hub, result.path, "demo/private-model");
    assert.ok(hub.ctx.log.some((e) => e.origin === "hub" && e.auth === "hub-token"), "the Hub saw the token");
    assert.ok(!api.logLines().join("\n").includes(token), "the token is not in the log");
    assert.ok(!hub.ctx.log.some((e) => e.path.includes(token)), "the token is not in any URL");
    for (const f of await readdir(join(result.path, ".git")).catch(() => [] as string[])) {
      if (f === "config") assert.ok(!(await readFile(join(result.path, ".git", f), "utf8")).includes(token), ".git/config holds no token");
    }

    await vscode.commands.executeCommand("hfModels.signOut");
    await setSetting("modelsDirectory", await tempDir("models-signed-out"));
    api.clearNotices();
    assert.equal(await vscode.commands.executeCommand(DOWNLOAD, { repo: "demo/private-model" }), undefined);
    const denied = api.notices().find((n) => n.level === "error");
    assert.ok(denied, JSON.stringify(api.notices()));
    assert.ok(denied.actions.includes("Set Access Token") && denied.actions.includes("Show Log"), JSON.stringify(denied));
  });

  it("a gated repo without a token: the error says sign in and offers Open Model Page and Set Access Token…, before any file request", async () => {
    await vscode.commands.executeCommand("hfModels.signOut");
    assert.equal(await vscode.commands.executeCommand(DOWNLOAD, { repo: "demo/gated-model" }), undefined);
    const denied = api.notices().find((n) => n.level === "error");
    assert.ok(denied, JSON.stringify(api.notices()));
    assert.match(denied.message, /gated model: sign in/);
    assert.ok(denied.actions.includes("Open Model Page") && denied.actions.includes("Set Access Token…"), JSON.stringify(denied));
    assert.ok(!hub.ctx.log.some((e) => /^(resolve|git-|lfs-|xet-read-token)/.test(e.route)), "no file was requested");
  });
});

describe("Download Model: cancel", () => {
  let hub: LocalHub;
  let api: HfModelsTestApi;

  before(async () => {
    api = await testApi();
    // Slow enough that the download is still running when the test cancels it.
    hub = await startDemoHub({ faults: ["slow"], slow: { latencyMs: 20, perConnectionBytesPerSecond: 150_000, totalBytesPerSecond: 300_000 } });
  });
  after(async () => {
    await resetSettings();
    await hub.close();
  });

  for (const method of ["lfs", "xet"] as const) {
    it(`cancelling a running ${method} download leaves no record and shows no error`, async () => {
      const models = await tempDir(`models-cancel-${method}`);
      await useHub(hub, models);
      api.clearNotices();
      const running = vscode.commands.executeCommand<DownloadResult | undefined>(DOWNLOAD, { repo: "demo/tiny-model", method });
      await waitFor(api.jobs.onDidProgress, (p) => p.event.type === "bytes" && p.event.doneBytes > 0 && p.event.doneBytes < p.event.totalBytes, 60_000, "the first bytes");
      assert.match(api.statusBarText() ?? "", /tiny-model/, "the status bar shows the running download");
      assert.equal(api.jobs.cancelAll(), 1);
      assert.equal(await running, undefined);
      assert.ok(!existsSync(join(models, "demo", "tiny-model", ".hf-models.json")), "no record after a cancel");
      assert.deepEqual(api.jobs.running(), []);
      assert.equal(api.statusBarText(), undefined, "the status bar entry is gone");
      assert.ok(!api.notices().some((n) => n.level === "error"), JSON.stringify(api.notices()));
      assert.ok(api.notices().some((n) => n.level === "status" && /cancelled/.test(n.message)));
    });
  }
});
