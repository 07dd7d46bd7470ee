// The one proxy rule (src/core/net/proxy.ts) and core downloads through a real proxy with explicitly configured
// settings — the extension's path: proxy URL and CA file given as options, not inherited from the environment.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { gitEnv } from "../../src/core/lfs/env";
import { download } from "../../src/core/download/service";
import { configureNetwork, networkFromEnv, proxyForUrl } from "../../src/core/net/proxy";
import { DEMO_DIR, tempDir } from "../helpers/hub";
import { netnsAvailable, startProxyTestbed, type ProxyTestbed } from "../helpers/netns";
import { gitHome, TOKEN } from "./download-helpers";

describe("network settings: the one proxy rule", () => {
  afterEach(() => configureNetwork(undefined));

  it("reads HTTPS_PROXY / HTTP_PROXY / NO_PROXY in either case (lower case wins, as curl)", () => {
    const net = networkFromEnv({ HTTPS_PROXY: "http://upper:3128", https_proxy: "http://lower:3128", HTTP_PROXY: "proxy.corp:8080", no_proxy: "internal.corp" });
    assert.equal(net.httpsProxy, "http://lower:3128");
    assert.equal(proxyForUrl("http://hub.example/x", net), "http://proxy.corp:8080");
    assert.equal(proxyForUrl("https://huggingface.co/api/models", net), "http://lower:3128");
  });

  it("NO_PROXY: exact hosts, domain suffixes (.x, *.x), host:port and *", () => {
    const net = { httpsProxy: "http://p:1", noProxy: "hub.corp, .cdn.corp,*.xet.corp 10.0.0.5:443 localhost:9" };
    assert.equal(proxyForUrl("https://hub.corp/", net), undefined);
    assert.equal(proxyForUrl("https://a.cdn.corp/", net), undefined);
    assert.equal(proxyForUrl("https://b.xet.corp/", net), undefined);
    assert.equal(proxyForUrl("https://10.0.0.5/", net), undefined);
    assert.equal(proxyForUrl("https://localhost/", net), "http://p:1", "another port than the entry's");
    assert.equal(proxyForUrl("https://nothub.corp/", net), "http://p:1", "a suffix match needs the dot");
    assert.equal(proxyForUrl("https://anything/", { ...net, noProxy: "*" }), undefined);
  });

  it("git and git-lfs get the configured proxy and CA as environment only (both cases), replacing inherited ones", async () => {
    const ca = await tempDir("hf-proxy-ca-");
    try {
      const caFile = `${ca.path}/ca.pem`;
      await writeFile(caFile, "-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----\n");
      configureNetwork({ httpsProxy: "http://u:s3cret@proxy.corp:3128", noProxy: "intranet", caFile });
      const env = gitEnv({ endpoint: "https://huggingface.co", baseEnv: { PATH: "/bin", HTTPS_PROXY: "http://old:1", http_proxy: "http://old:2" } });
      assert.equal(env.https_proxy, "http://u:s3cret@proxy.corp:3128");
      assert.equal(env.HTTPS_PROXY, "http://u:s3cret@proxy.corp:3128");
      assert.equal(env.http_proxy, "http://u:s3cret@proxy.corp:3128");
      assert.equal(env.NO_PROXY, "intranet");
      assert.ok(!Object.values(env).some((v) => v === "http://old:1" || v === "http://old:2"));
      assert.ok(!Object.entries(env).some(([k, v]) => k.startsWith("GIT_CONFIG") && /proxy|s3cret/i.test(String(v))), "never as git config");
      const bundle = await readFile(env.GIT_SSL_CAINFO!, "utf8");
      assert.match(bundle, /TEST/);
      assert.ok(bundle.length > 100_000, "the built-in roots stay trusted next to the private CA");
    } finally {
      await ca.cleanup();
    }
  });
});

describe("core downloads through a proxy configured explicitly (Hub in its own namespace, refusal mode)", function () {
  let bed: ProxyTestbed;
  let home: Awaited<ReturnType<typeof gitHome>>;

  before(async function () {
    if (!netnsAvailable()) {
      console.warn("    skipped: needs root and `ip netns` for the tests' own network");
      this.skip();
    }
    bed = await startProxyTestbed(DEMO_DIR);
    home = await gitHome();
  });
  after(async () => {
    configureNetwork(undefined);
    bed?.close();
    await home?.cleanup();
  });
  afterEach(() => configureNetwork(undefined));

  for (const method of ["lfs", "xet"] as const) {
    it(`${method}: every request through the authenticating proxy, the CA from caFile (not NODE_EXTRA_CA_CERTS)`, async () => {
      const models = await tempDir("hf-proxy-core-");
      try {
        // The environment names no proxy and no CA: only the explicit settings can make this work.
        configureNetwork({ httpsProxy: bed.proxies[1]!.url, caFile: bed.caFile });
        const before = bed.proxies[1]!.log().length;
        const env = { ...home.env };
        for (const k of Object.keys(env)) if (/_proxy$|NODE_EXTRA_CA_CERTS|GIT_SSL/i.test(k)) delete env[k];
        const result = await download(
          { repo: method === "lfs" ? "demo/private-model" : "demo/tiny-model", modelsDir: models.path, endpoint: bed.hubUrl, method, fallbackToLfs: false, token: TOKEN },
          { env },
        );
        assert.equal(result.fallbackReason, undefined);
        const log = bed.proxies[1]!.log().slice(before);
        assert.match(log, new RegExp(`"CONNECT","url":"${bed.net.cdnAddr}:`));
        assert.ok(!log.includes(TOKEN));
      } finally {
        await models.cleanup();
      }
    });
  }

  it("without the settings the refusal mode stops the download", async () => {
    const models = await tempDir("hf-proxy-core-");
    try {
      configureNetwork({ caFile: bed.caFile });
      await assert.rejects(download({ repo: "demo/tiny-model", modelsDir: models.path, endpoint: bed.hubUrl, method: "xet", fallbackToLfs: false }, { env: home.env }));
    } finally {
      await models.cleanup();
    }
  });
});
