// `hf-models` against a Hub that serves HTTPS on both origins with a private CA made at test time: trusted through
// NODE_EXTRA_CA_CERTS, both routes work (git and git-lfs get the same CA); untrusted, the error is a certificate
// problem that names the host and the fix — never "network", never a retry over plain HTTP.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LocalHub } from "../../hub/server";
import { buildCli, runCli } from "../helpers/cliBuild";
import { startDemoHub } from "../helpers/hub";
import { makeTestCa, type TestCa } from "../helpers/testCa";

const TOKEN = "hf_tls_test_token_0123456789";

describe("CLI with a private certificate authority (local Hub over HTTPS)", function () {
  let ca: TestCa;
  let hub: LocalHub;
  let bin: string;
  let home: string;

  before(async () => {
    bin = await buildCli();
    ca = await makeTestCa({ ips: ["127.0.0.1", "127.0.0.2"] });
    hub = await startDemoHub({ tls: { key: ca.key, cert: ca.cert } });
    home = await mkdtemp(join(tmpdir(), "hf-tls-cli-"));
  });

  after(async () => {
    await hub?.close();
    if (home) await rm(home, { recursive: true, force: true });
    if (ca) await rm(ca.dir, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}) => ({ HOME: home, HF_HOME: join(home, "hf-home"), HF_TOKEN: TOKEN, ...extra });

  it("serves https:// on both origins", () => {
    assert.match(hub.url, /^https:\/\/127\.0\.0\.1:/);
    assert.match(hub.cdnUrl, /^https:\/\/127\.0\.0\.2:/);
  });

  it("trusted (NODE_EXTRA_CA_CERTS): the Git LFS route works, git and git-lfs included", async () => {
    const r = await runCli(bin, ["download", "demo/private-model", "--endpoint", hub.url, "--dir", join(home, "lfs")], env({ NODE_EXTRA_CA_CERTS: ca.caFile }));
    assert.equal(r.code, 0, r.stderr);
  });

  it("trusted: the Xet route works without fallback (the workers' xorb fetches trust the CA too)", async () => {
    const r = await runCli(bin, ["download", "demo/tiny-model", "--endpoint", hub.url, "--dir", join(home, "xet"), "--use-xet", "--no-fallback"], env({ NODE_EXTRA_CA_CERTS: ca.caFile }));
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /fall|Git LFS/i);
  });

  for (const [route, args] of [["Git LFS", []], ["Xet", ["--use-xet", "--no-fallback"]]] as const) {
    it(`untrusted (${route}): a certificate error naming the host and the fix, code "tls", never "network"`, async () => {
      const r = await runCli(bin, ["download", "demo/tiny-model", "--endpoint", hub.url, "--dir", join(home, `bad-${route}`), "--json", ...args], env());
      assert.equal(r.code, 1, r.stderr);
      const host = new URL(hub.url).host;
      assert.match(r.stderr, new RegExp(`certificate of ${host.replace(/\./g, "\\.")} is not trusted`));
      assert.match(r.stderr, /NODE_EXTRA_CA_CERTS/);
      assert.doesNotMatch(r.stderr, /network/i);
      assert.match(r.stdout, /"code":"tls"/);
    });
  }

  describe("the Hub trusted, its CDN/CAS origin signed by another, untrusted CA", () => {
    let split: LocalHub;
    let other: TestCa;
    before(async () => {
      other = await makeTestCa({ ips: ["127.0.0.1", "127.0.0.2"] });
      split = await startDemoHub({ tls: { key: ca.key, cert: ca.cert, cdn: { key: other.key, cert: other.cert } } });
    });
    after(async () => {
      await split?.close();
      if (other) await rm(other.dir, { recursive: true, force: true });
    });

    for (const [route, args] of [["git-lfs object fetches", []], ["Xet CAS and worker fetches", ["--use-xet", "--no-fallback"]]] as const) {
      it(`${route}: the certificate error names the cdn host, code "tls"`, async () => {
        const r = await runCli(bin, ["download", "demo/tiny-model", "--endpoint", split.url, "--dir", join(home, `split-${args.length}`), "--json", ...args], env({ NODE_EXTRA_CA_CERTS: ca.caFile }));
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`certificate of ${new URL(split.cdnUrl).host.replace(/\./g, "\\.")} is not trusted`), r.stderr);
        assert.doesNotMatch(r.stderr, /network/i);
        assert.match(r.stdout, /"code":"tls"/);
      });
    }
  });
});
