// The extension behind a mandatory proxy with a private CA: VS Code's http.proxy (user:password in the URL) and
// hfModels.caFile reach fetch, the Xet workers and git / git-lfs. The Hub runs in the tests' own network namespace
// and refuses every connection that does not come from the proxy (test/helpers/netns.ts); needs root.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vscode from "vscode";
import type { HfModelsTestApi } from "../../src/vscode/testApi";
import { netnsAvailable, startProxyTestbed, type ProxyTestbed } from "../helpers/netns";
import { resetSettings, setSetting, tempDir, testApi } from "./helpers";

const DOWNLOAD = "hfModels.downloadModel";

describe("Download Model behind a proxy with a private CA (http.proxy, hfModels.caFile, http.systemCertificates)", function () {
  let bed: ProxyTestbed;
  let api: HfModelsTestApi;
  const http = () => vscode.workspace.getConfiguration("http");

  before(async function () {
    if (!netnsAvailable()) this.skip();
    api = await testApi();
    const root = vscode.extensions.getExtension("hf-models-dev.hf-models")!.extensionPath;
    bed = await startProxyTestbed(join(tmpdir(), "hf-models-suite-demo-proxy"), root);
    await setSetting("endpoint", bed.hubUrl);
    // Trusting a CA is the user's decision: the setting is application-scoped (a workspace cannot set it).
    await vscode.workspace.getConfiguration("hfModels").update("caFile", bed.caFile, vscode.ConfigurationTarget.Global);
    await http().update("proxy", bed.proxies[1]!.url, vscode.ConfigurationTarget.Global);
    assert.equal(vscode.workspace.getConfiguration("hfModels").get("caFile"), bed.caFile, "the user setting is in force");
  });
  after(async () => {
    bed?.close();
    await http().update("proxy", undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration("hfModels").update("caFile", undefined, vscode.ConfigurationTarget.Global);
    await resetSettings();
  });

  for (const useXet of [false, true]) {
    it(`${useXet ? "Xet (no fallback)" : "Git LFS"}: every request goes through the proxy and trusts the CA from the setting`, async () => {
      const models = await tempDir("models-proxy");
      await setSetting("modelsDirectory", models);
      await setSetting("useXet", useXet);
      await setSetting("fallbackToLfs", !useXet);
      api.clearNotices();
      const before = bed.proxies[1]!.log().length;
      const result = await vscode.commands.executeCommand<{ bytesTransferred: number; fallbackReason?: string } | undefined>(DOWNLOAD, { repo: "demo/tiny-model" });
      assert.ok(result && result.bytesTransferred > 0 && result.fallbackReason === undefined, JSON.stringify(api.notices()));
      assert.deepEqual(api.notices().filter((n) => n.level === "error"), []);
      assert.ok(existsSync(join(models, "demo", "tiny-model", ".hf-models.json")), JSON.stringify(api.notices()));
      assert.match(bed.proxies[1]!.log().slice(before), new RegExp(`"CONNECT","url":"${bed.net.cdnAddr.replace(/\./g, "\\.")}:`));
    });
  }

  it("trusts the operating system's CA bundle (http.systemCertificates) with hfModels.caFile empty, and not when it is off", async () => {
    const hf = vscode.workspace.getConfiguration("hfModels");
    const sslCertFile = process.env.SSL_CERT_FILE;
    // The extension host's process is this one: point OpenSSL's variable at a "system" bundle holding the test CA.
    process.env.SSL_CERT_FILE = bed.caFile;
    try {
      await hf.update("caFile", undefined, vscode.ConfigurationTarget.Global);
      await setSetting("useXet", true);
      await setSetting("fallbackToLfs", false);
      for (const system of [true, false]) {
        await http().update("systemCertificates", !system, vscode.ConfigurationTarget.Global);
        await http().update("systemCertificates", system, vscode.ConfigurationTarget.Global);
        const models = await tempDir("models-system-ca");
        await setSetting("modelsDirectory", models);
        api.clearNotices();
        await vscode.commands.executeCommand(DOWNLOAD, { repo: "demo/tiny-model" });
        const errors = api.notices().filter((n) => n.level === "error");
        if (system) {
          assert.deepEqual(errors, [], JSON.stringify(api.notices()));
          assert.ok(existsSync(join(models, "demo", "tiny-model", ".hf-models.json")), "downloaded and recorded");
        } else {
          assert.ok(errors.some((n) => /certificate .* is not trusted/.test(n.message)), JSON.stringify(api.notices()));
          assert.ok(!existsSync(join(models, "demo", "tiny-model", ".hf-models.json")), "nothing recorded");
        }
      }
    } finally {
      if (sslCertFile === undefined) delete process.env.SSL_CERT_FILE;
      else process.env.SSL_CERT_FILE = sslCertFile;
      await http().update("systemCertificates", undefined, vscode.ConfigurationTarget.Global);
      await hf.update("caFile", bed.caFile, vscode.ConfigurationTarget.Global);
    }
  });

  it("without http.proxy the refusal mode stops the download with an error", async () => {
    await http().update("proxy", undefined, vscode.ConfigurationTarget.Global);
    try {
      await setSetting("modelsDirectory", await tempDir("models-noproxy"));
      api.clearNotices();
      await vscode.commands.executeCommand(DOWNLOAD, { repo: "demo/tiny-model" });
      assert.ok(api.notices().some((n) => n.level === "error"), JSON.stringify(api.notices()));
    } finally {
      await http().update("proxy", bed.proxies[1]!.url, vscode.ConfigurationTarget.Global);
    }
  });
});
