// `hf-models` behind a mandatory forward proxy (HTTPS_PROXY / NO_PROXY, user:password in the URL) with a private
// CA: the Hub runs in the tests' own network namespace on non-loopback addresses and refuses every connection that
// does not come from the proxy, so a download that succeeds proves every request of its route went through it.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCli, runCli } from "../helpers/cliBuild";
import { DEMO_DIR } from "../helpers/hub";
import { netnsAvailable, startProxyTestbed, type ProxyTestbed, type TestNet } from "../helpers/netns";

const TOKEN = "hf_proxy_test_token_0123456789";

describe("CLI behind a forward proxy (Hub in its own network namespace, refusal mode)", function () {
  let bed: ProxyTestbed;
  let net: TestNet;
  let ca: { caFile: string };
  let bin: string;
  let hubUrl: string;
  let home: string;
  let proxies: ProxyTestbed["proxies"];

  before(async function () {
    if (!netnsAvailable()) {
      // Says exactly what did not run; the TLS and core suites still run without root.
      console.warn("    skipped: needs root and `ip netns` for the tests' own network");
      this.skip();
    }
    bin = await buildCli();
    bed = await startProxyTestbed(DEMO_DIR);
    ({ net, hubUrl, proxies } = bed);
    ca = { caFile: bed.caFile };
    home = await mkdtemp(join(tmpdir(), "hf-proxy-cli-"));
  });

  after(async () => {
    bed?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string>) => ({ HOME: home, HF_HOME: join(home, "hf-home"), NODE_EXTRA_CA_CERTS: ca.caFile, HF_TOKEN: TOKEN, ...extra });

  it("refusal mode: without the proxy the download fails (the Hub closes connections that bypass it)", async () => {
    const r = await runCli(bin, ["download", "demo/tiny-model", "--endpoint", hubUrl, "--dir", join(home, "none")], env({}));
    assert.equal(r.code, 1, r.stderr);
  });

  it("Git LFS route: Hub API, git and git-lfs (batch + objects) all go through HTTPS_PROXY; the token never shows in its log", async () => {
    const proxy = proxies[0]!;
    const before = proxy.log().length;
    const r = await runCli(bin, ["download", "demo/private-model", "--endpoint", hubUrl, "--dir", join(home, "lfs"), "--json"], env({ HTTPS_PROXY: proxy.url }));
    assert.equal(r.code, 0, r.stderr);
    const log = proxy.log().slice(before);
    assert.match(log, new RegExp(`"CONNECT","url":"${net.hubAddr}:`));
    assert.match(log, new RegExp(`"CONNECT","url":"${net.cdnAddr}:`), "LFS objects come from the cdn origin through the proxy");
    assert.ok(!log.includes(TOKEN) && !log.includes("hf_proxy"), "the token is inside the TLS tunnel only");
  });

  it("Xet route (no fallback): API, xet-read-token, CAS and the workers' xorb fetches go through an authenticating proxy (user:password in the URL, lower-case https_proxy)", async () => {
    const proxy = proxies[1]!;
    const before = proxy.log().length;
    const r = await runCli(bin, ["download", "demo/tiny-model", "--endpoint", hubUrl, "--dir", join(home, "xet"), "--use-xet", "--no-fallback", "--json"], env({ https_proxy: proxy.url }));
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split("\n").pop()!) as { method?: string; route?: string };
    assert.ok(!JSON.stringify(result).includes("lfs") || JSON.stringify(result).includes("xet"), r.stdout);
    const log = proxy.log().slice(before);
    assert.match(log, new RegExp(`"CONNECT","url":"${net.cdnAddr}:`), "xorb fetches and reconstructions through the proxy");
    assert.match(log, /"proxy-authorization":"Basic /);
    assert.ok(!log.includes(TOKEN));
  });

  it("NO_PROXY naming the Hub sends it around the proxy, where the refusal mode stops it", async () => {
    const r = await runCli(bin, ["download", "demo/tiny-model", "--endpoint", hubUrl, "--dir", join(home, "np")], env({ HTTPS_PROXY: proxies[0]!.url, NO_PROXY: `example.invalid,${net.hubAddr}` }));
    assert.equal(r.code, 1, r.stderr);
  });

  it("a wrong proxy password fails with the proxy's 407, not a hang", async () => {
    const wrong = proxies[1]!.url.replace(/:[^:@]*@/, ":wrong@");
    const r = await runCli(bin, ["download", "demo/tiny-model", "--endpoint", hubUrl, "--dir", join(home, "bad")], env({ HTTPS_PROXY: wrong }));
    assert.equal(r.code, 1, r.stderr);
    assert.ok(!r.stderr.includes("wrong@"), "the proxy password is not printed");
  });
});
