// VS Code's http.systemCertificates: the operating system's CA bundle is trusted by our own requests, the Xet
// workers and git / git-lfs alike. The local Hub serves HTTPS with a CA made at test time that only the "system"
// bundle holds; nothing in the environment trusts it.
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { download } from "../../src/core/download/service";
import { applyGitNetworkEnv, configureNetwork } from "../../src/core/net/proxy";
import { systemCaBundle } from "../../src/core/net/systemCa";
import type { LocalHub } from "../../hub/server";
import { assertDownloadError } from "../helpers/assertions";
import { startDemoHub } from "../helpers/hub";
import { makeTestCa, type TestCa } from "../helpers/testCa";
import { tempDir } from "../helpers/files";
import { gitHome, TOKEN } from "./download-helpers";

describe("system certificate authorities (http.systemCertificates)", function () {
  this.timeout(120_000);
  let ca: TestCa;
  let hub: LocalHub;
  let home: Awaited<ReturnType<typeof gitHome>>;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    ca = await makeTestCa({ ips: ["127.0.0.1", "127.0.0.2"] });
    hub = await startDemoHub({ tls: { key: ca.key, cert: ca.cert } });
    home = await gitHome();
    env = { ...home.env };
    for (const k of Object.keys(env)) if (/_proxy$|NODE_EXTRA_CA_CERTS|GIT_SSL|SSL_CERT/i.test(k)) delete env[k];
  });
  after(async () => {
    configureNetwork(undefined);
    await hub?.close();
    await home?.cleanup();
    if (ca) await rm(ca.dir, { recursive: true, force: true });
  });
  afterEach(() => configureNetwork(undefined));

  it("finds the bundle as OpenSSL does: SSL_CERT_FILE when it exists, else the distribution's file; none on macOS/Windows", async () => {
    assert.equal(systemCaBundle({ SSL_CERT_FILE: ca.caFile }, "linux"), ca.caFile);
    assert.equal(systemCaBundle({ SSL_CERT_FILE: ca.caFile }, "darwin"), ca.caFile);
    assert.equal(systemCaBundle({ SSL_CERT_FILE: join(ca.dir, "missing.pem") }, "linux"), "/etc/ssl/certs/ca-certificates.crt", "Debian's bundle");
    assert.equal(systemCaBundle({}, "win32"), undefined);
  });

  it("git gets one bundle with the built-in roots and the system CAs, so it trusts what our requests trust", async () => {
    const gitEnv: NodeJS.ProcessEnv = {};
    applyGitNetworkEnv(gitEnv, { systemCaFile: ca.caFile });
    const bundle = gitEnv.GIT_SSL_CAINFO!;
    const pem = await readFile(bundle, "utf8");
    const caPem = (await readFile(ca.caFile, "utf8")).trim();
    assert.ok(pem.includes(caPem), "the system CA is in git's bundle");
    assert.ok((pem.match(/BEGIN CERTIFICATE/g) ?? []).length > 100, "the built-in roots are there too");
    const none: NodeJS.ProcessEnv = {};
    applyGitNetworkEnv(none, {});
    assert.equal(none.GIT_SSL_CAINFO, undefined, "no extra CA, no bundle of ours");
  });

  for (const method of ["lfs", "xet"] as const) {
    it(`${method}: trusted through the system bundle alone, the download works without fallback`, async () => {
      const models = await tempDir("hf-system-ca-");
      try {
        configureNetwork({ systemCaFile: ca.caFile });
        const result = await download(
          { repo: method === "lfs" ? "demo/private-model" : "demo/tiny-model", modelsDir: models.path, endpoint: hub.url, method, fallbackToLfs: false, token: TOKEN },
          { env },
        );
        assert.equal(result.method, method);
        assert.equal(result.fallbackReason, undefined);
      } finally {
        await models.cleanup();
      }
    });
  }

  it("with http.systemCertificates off (no system bundle) the same download is a certificate error naming the host", async () => {
    const models = await tempDir("hf-system-ca-");
    try {
      configureNetwork({});
      const err = await download({ repo: "demo/tiny-model", modelsDir: models.path, endpoint: hub.url, method: "xet", fallbackToLfs: false, token: TOKEN }, { env }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assertDownloadError(err, "tls", new RegExp(`certificate of ${new URL(hub.url).host.replace(/\./g, "\\.")} is not trusted`));
    } finally {
      await models.cleanup();
    }
  });
});
