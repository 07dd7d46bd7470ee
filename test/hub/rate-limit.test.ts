// The local Hub's rate limits, as huggingface.co sends them: fixed windows per client and bucket, counted answers
// carrying RateLimit + RateLimit-Policy, and a 429 with the Hub's JSON error and no Retry-After.
import assert from "node:assert/strict";
import type { LocalHub } from "../../hub/server";
import { startDemoHub } from "../helpers/hub";

const TOKEN = "hf_rate_limit_token";

describe("local Hub: rate limits the Hub's way", function () {
  this.timeout(60_000);
  let hub: LocalHub;

  before(async () => {
    hub = await startDemoHub({ rateLimit: { windowSeconds: 2, anonymous: { api: 2, resolvers: 1 }, token: { api: 3 } } });
  });
  after(() => hub.close());
  beforeEach(() => hub.resetLog());

  it("answers 429 with RateLimit and RateLimit-Policy, the Hub's JSON error and no Retry-After; the window then resets", async () => {
    const info = () => fetch(`${hub.url}/api/models/demo/tiny-model`);
    const first = await info();
    assert.equal(first.status, 200);
    assert.match(first.headers.get("ratelimit") ?? "", /^"api";r=1;t=[12]$/, "counted answers say what is left");
    await info();
    const limited = await info();
    assert.equal(limited.status, 429);
    assert.match(limited.headers.get("ratelimit") ?? "", /^"api";r=0;t=[12]$/);
    assert.equal(limited.headers.get("ratelimit-policy"), '"fixed window";"api";q=2;w=2');
    assert.equal(limited.headers.get("retry-after"), null, "the Hub sends no Retry-After");
    assert.match(limited.headers.get("content-type") ?? "", /application\/json/);
    assert.match(((await limited.json()) as { error: string }).error, /api rate limit/);

    const t = Number(/t=(\d+)/.exec(limited.headers.get("ratelimit")!)![1]);
    await new Promise((resolve) => setTimeout(resolve, t * 1000 + 100));
    assert.equal((await info()).status, 200, "a new window after t seconds");
  });

  it("counts buckets, tokens and IPs apart; git and data bodies are not counted", async () => {
    const resolve = (token?: string) => fetch(`${hub.url}/demo/tiny-model/resolve/main/config.json`, { headers: token ? { Authorization: `Bearer ${token}` } : {}, redirect: "manual" });
    assert.notEqual((await resolve()).status, 429);
    const second = await resolve();
    assert.equal(second.status, 429);
    assert.match(second.headers.get("ratelimit") ?? "", /^"resolvers";r=0;t=\d+$/);
    assert.equal((await fetch(`${hub.url}/api/models/demo/tiny-model`)).status, 200, "the api bucket has its own count");
    assert.notEqual((await resolve(TOKEN)).status, 429, "a token is another client");
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${hub.url}/demo/tiny-model.git/info/refs?service=git-upload-pack`)).status, 200);
  });

  it("the LFS batch API and the CAS count as resolvers and answer 429 in their own shapes", async () => {
    const batch = () =>
      fetch(`${hub.url}/demo/tiny-model.git/info/lfs/objects/batch`, {
        method: "POST",
        headers: { "Content-Type": "application/vnd.git-lfs+json", Accept: "application/vnd.git-lfs+json" },
        body: JSON.stringify({ operation: "download", objects: [] }),
      });
    assert.equal((await batch()).status, 200);
    const limited = await batch();
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), null);
    assert.match(limited.headers.get("ratelimit") ?? "", /^"resolvers";r=0;t=\d+$/);
    assert.match(((await limited.json()) as { message: string }).message, /resolvers rate limit/);

    // Same IP, same bucket: the CAS is already over the quota the batch used up.
    const cas = await fetch(`${hub.cdnUrl}/v2/reconstructions/${"0".repeat(64)}`);
    assert.equal(cas.status, 429);
    assert.match(cas.headers.get("ratelimit") ?? "", /^"resolvers";r=0;t=\d+$/);
  });

  it("is off with rateLimit: false", async () => {
    const open = await startDemoHub({ rateLimit: false });
    try {
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${open.url}/api/models/demo/tiny-model`);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("ratelimit"), null);
      }
    } finally {
      await open.close();
    }
  });
});
