// api.ts against the local Hub (listing, pagination, revisions, search, 401/403/404) and against tiny
// fake servers for what the local Hub does not do on purpose (endless listings, unsafe paths, 5xx, 429).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { HubApiError } from "@huggingface/hub";
import { listRepoFiles, mapHubError, resolveCommit, searchModels } from "../../src/core/hub/api";
import { parseRepoId } from "../../src/core/hub/repoId";
import type { LocalHub } from "../../hub/server";
import { rejectsWithCode, throwsWithCode } from "../helpers/assertions";
import { gitBlobId, sha256File } from "../helpers/files";
import { demoSources, startDemoHub } from "../helpers/hub";

const TOKEN = "hf_local_test_token";
const GRANTED = "hf_granted_token";
const NOT_GRANTED = "hf_not_granted_token";

async function fakeServer(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const SHA = "a".repeat(40);

describe("hub api.ts against the local Hub", function () {
  this.timeout(120_000);
  let hub: LocalHub;
  let tinyDir: string;
  let twoDir: string;

  before(async () => {
    hub = await startDemoHub({ treePageSize: 2, tokens: [TOKEN, GRANTED, NOT_GRANTED], gatedAccess: [GRANTED] });
    const sources = await demoSources();
    tinyDir = sources.find((s) => s.id === "demo/tiny-model")!.revisions[0]!.dir;
    twoDir = join(sources.find((s) => s.id === "demo/two-revisions")!.revisions[0]!.dir, "..");
  });
  after(() => hub?.close());
  beforeEach(() => hub.resetLog());

  it("lists every file at the resolved commit, across pages, with blob ids, LFS sha256 and Xet hashes", async () => {
    const { commit, files } = await listRepoFiles({ endpoint: hub.url, repo: parseRepoId("demo/tiny-model"), revision: "main" });
    assert.match(commit, /^[0-9a-f]{40}$/);
    assert.equal(commit, hub.ctx.repos.get("demo/tiny-model")!.branches.get("main"));
    assert.deepEqual(files.map((f) => f.path), [".gitattributes", "README.md", "config.json", "generation_config.json", "model.safetensors", "tokenizer.json"]);
    const served = hub.ctx.repos.get("demo/tiny-model")!.commits.get(commit)!.files;
    assert.equal(files[0]!.blobOid, served.get(".gitattributes")!.blobOid, "the generated .gitattributes is listed like any file");
    for (const f of files.slice(1)) {
      const content = await readFile(join(tinyDir, f.path));
      assert.equal(f.size, content.length, f.path);
      if (f.lfs) {
        assert.equal(f.lfs.oid, await sha256File(join(tinyDir, f.path)), f.path);
        assert.equal(f.lfs.size, content.length);
        assert.match(f.xetHash ?? "", /^[0-9a-f]{64}$/, `${f.path} is Xet-backed`);
      } else {
        assert.equal(f.blobOid, gitBlobId(content), f.path);
        assert.equal(f.xetHash, undefined);
      }
    }
    assert.ok(files.find((f) => f.path === "model.safetensors")!.lfs, "the safetensors file is stored in LFS");
    const routes = hub.ctx.log.map((e) => `${e.route} ${e.path.split("?")[0]}`);
    assert.equal(routes[0], "api-model /api/models/demo/tiny-model/revision/main");
    const trees = hub.ctx.log.filter((e) => e.route === "api-tree");
    assert.equal(trees.length, 3, "6 files in pages of 2 → 3 tree requests");
    assert.ok(trees.every((e) => e.path.startsWith(`/api/models/demo/tiny-model/tree/${commit}?`)), "the tree is read at the commit, not the branch");
  });

  it("resolves branches and pinned commits of a repo with two revisions", async () => {
    const main = await listRepoFiles({ endpoint: hub.url, repo: parseRepoId("demo/two-revisions"), revision: "main" });
    const v1 = await listRepoFiles({ endpoint: hub.url, repo: parseRepoId("demo/two-revisions"), revision: "v1" });
    assert.notEqual(main.commit, v1.commit);
    const cfg = (r: typeof v1) => r.files.find((f) => f.path === "config.json")!;
    assert.equal(cfg(v1).blobOid, gitBlobId(await readFile(join(twoDir, "v1", "config.json"))));
    assert.equal(cfg(main).blobOid, gitBlobId(await readFile(join(twoDir, "v2", "config.json"))));
    const st = (r: typeof v1) => r.files.find((f) => f.path === "model.safetensors")!;
    assert.notEqual(st(v1).lfs!.oid, st(main).lfs!.oid);
    const pinned = await listRepoFiles({ endpoint: hub.url, repo: parseRepoId("demo/two-revisions"), revision: v1.commit });
    assert.equal(pinned.commit, v1.commit);
    assert.equal(await resolveCommit({ endpoint: hub.url, repo: parseRepoId("demo/two-revisions"), revision: "v1" }), v1.commit);
  });

  it("accepts a pasted URL as the repo and still reads the right repo", async () => {
    const { commit } = await listRepoFiles({ endpoint: hub.url, repo: parseRepoId(`${hub.url}/demo/tiny-model`), revision: "main" });
    assert.equal(commit, hub.ctx.repos.get("demo/tiny-model")!.branches.get("main"));
  });

  it("private repo: 401 without a token → unauthorized with the three ways to set one; with a token it lists", async () => {
    await rejectsWithCode(listRepoFiles({ endpoint: hub.url, repo: parseRepoId("demo/private-model"), revision: "main" }), "unauthorized", /^demo\/private-model is private or does not exist\.$/);
    assert.equal(hub.ctx.log[0]!.status, 401);
    assert.equal(hub.ctx.log[0]!.auth, "none");
    const { files } = await listRepoFiles({ endpoint: hub.url, repo: parseRepoId("demo/private-model"), revision: "main", token: TOKEN });
    assert.ok(files.some((f) => f.path === "model.safetensors"));
    assert.ok(hub.ctx.log.every((e) => !e.path.includes(TOKEN)), "the token never appears in a URL");
    assert.ok(hub.ctx.log.filter((e) => e.status === 200).every((e) => e.auth === "hub-token"));
  });

  it("gated repo: model info and tree are public, as on huggingface.co; the listing says `gated` (no token, or one without access)", async () => {
    for (const token of [undefined, NOT_GRANTED]) {
      const listing = await listRepoFiles({ endpoint: hub.url, repo: parseRepoId("demo/gated-model"), revision: "main", token });
      assert.equal(listing.gated, "auto");
      assert.equal(listing.repo.id, "demo/gated-model");
      assert.deepEqual(listing.files.map((f) => f.path), [".gitattributes", "README.md", "config.json", "model.safetensors"]);
    }
  });

  it("a GatedRepo answer from the Hub maps to gated (token) or unauthorized (none), naming the model page", () => {
    const apiError = (status: number) => new HubApiError(`${hub.url}/api/models/demo/gated-model`, status, undefined, "Access to model demo/gated-model is restricted.");
    const page = `${hub.url}/demo/gated-model`;
    const withToken = mapHubError(apiError(403), { endpoint: hub.url, repo: "demo/gated-model", token: NOT_GRANTED, state: { errorCode: "GatedRepo" } });
    assert.equal(withToken.code, "gated");
    assert.ok(withToken.message.includes(`accept the terms at ${page}`) && !withToken.message.includes(NOT_GRANTED), withToken.message);
    const without = mapHubError(apiError(401), { endpoint: hub.url, repo: "demo/gated-model", state: { errorCode: "GatedRepo" } });
    assert.equal(without.code, "unauthorized");
    assert.match(without.message, /gated model: accept its terms at .*, then use an access token\.$/);
  });

  it("gated repo with a granted token lists its files", async () => {
    const { files } = await listRepoFiles({ endpoint: hub.url, repo: parseRepoId("demo/gated-model"), revision: "main", token: GRANTED });
    assert.deepEqual(files.map((f) => f.path), [".gitattributes", "README.md", "config.json", "model.safetensors"]);
  });

  it("unknown repo: 404 with a token → not-found; 401 without one → unauthorized (the Hub hides which)", async () => {
    await rejectsWithCode(listRepoFiles({ endpoint: hub.url, repo: parseRepoId("demo/nope"), revision: "main", token: TOKEN }), "not-found", /^demo\/nope was not found on http:\/\/127\.0\.0\.1:\d+ \(or this token cannot read it\)\. Check the spelling at http:\/\/127\.0\.0\.1:\d+\/demo\/nope\.$/);
    assert.equal(hub.ctx.log[0]!.status, 404);
    await rejectsWithCode(listRepoFiles({ endpoint: hub.url, repo: parseRepoId("demo/nope"), revision: "main" }), "unauthorized", /demo\/nope is private or does not exist/);
  });

  it("unknown revision → revision-not-found naming the revision", async () => {
    await rejectsWithCode(listRepoFiles({ endpoint: hub.url, repo: parseRepoId("demo/tiny-model"), revision: "no-such-branch" }), "revision-not-found", /^Revision "no-such-branch" was not found in demo\/tiny-model\./);
    await rejectsWithCode(listRepoFiles({ endpoint: hub.url, repo: parseRepoId("demo/tiny-model"), revision: "b".repeat(40) }), "revision-not-found", /Revision "b{40}"/);
  });

  it("a token the Hub does not know → unauthorized 'rejected the access token'", async () => {
    await rejectsWithCode(listRepoFiles({ endpoint: hub.url, repo: parseRepoId("demo/tiny-model"), revision: "main", token: "hf_unknown_token" }), "unauthorized", /rejected the access token/);
  });

  it("a token without the hf_ prefix fails before any request, without echoing it", async () => {
    const err = await rejectsWithCode(listRepoFiles({ endpoint: hub.url, repo: parseRepoId("demo/tiny-model"), revision: "main", token: "ghp_secret_value" }), "unauthorized", /must start with "hf_"/);
    assert.ok(!err.message.includes("ghp_secret_value"));
    assert.equal(hub.ctx.log.length, 0);
  });

  it("invalid repo ids and revisions are refused before any request", async () => {
    throwsWithCode(() => parseRepoId("--upload-pack=x"), "invalid-repo", /must not start with "-"/);
    await rejectsWithCode(listRepoFiles({ endpoint: hub.url, repo: parseRepoId("demo/tiny-model"), revision: "../main" }), "invalid-revision", /"\.\."/);
    assert.equal(hub.ctx.log.length, 0);
  });

  it("an aborted signal cancels", async () => {
    const controller = new AbortController();
    controller.abort();
    await rejectsWithCode(listRepoFiles({ endpoint: hub.url, repo: parseRepoId("demo/tiny-model"), revision: "main", signal: controller.signal }), "cancelled", /Cancelled/);
  });

  it("searchModels sends search and limit and returns public repo ids only", async () => {
    const hits = await searchModels({ endpoint: hub.url, query: "model", limit: 10 });
    assert.deepEqual(hits.map((h) => h.id).sort(), ["demo/gated-model", "demo/tiny-model"]);
    assert.ok(hits.every((h) => h.downloads === 0 && h.likes === 0));
    const entry = hub.ctx.log.find((e) => e.route === "api-search")!;
    const url = new URL(entry.path, hub.url);
    assert.equal(url.searchParams.get("search"), "model");
    assert.equal(url.searchParams.get("limit"), "10");
    const two = await searchModels({ endpoint: hub.url, query: "demo", limit: 2 });
    assert.equal(two.length, 2);
    assert.deepEqual(await searchModels({ endpoint: hub.url, query: "zzz-nothing" }), []);
  });
});

describe("hub api.ts against misbehaving servers", () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => {
    s.closeAllConnections();
    s.close();
  }));
  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const { url, server } = await fakeServer(handler);
    servers.push(server);
    return url;
  }
  const json = (res: import("node:http").ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "Content-Type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
  const model = { _id: "x", id: "o/n", sha: SHA, private: false, gated: false, downloads: 0, likes: 0, lastModified: "2024-01-01T00:00:00Z" };

  it("network error names the endpoint", async () => {
    const { url, server } = await fakeServer(() => undefined);
    await new Promise((r) => server.close(r));
    await rejectsWithCode(listRepoFiles({ endpoint: url, repo: parseRepoId("o/n"), revision: "main" }), "network", new RegExp(`^Cannot reach the Hub at ${url.replace(/[.]/g, "\\.")} \\(ECONNREFUSED\\)`));
  });

  it("a Hub that never answers times out as a network error", async () => {
    const url = await serve(() => undefined); // accepts the request, never responds
    await rejectsWithCode(resolveCommit({ endpoint: url, repo: parseRepoId("o/n"), revision: "main", timeoutMs: 1000 }), "network", /did not answer within 1 s/);
  });

  it("refuses an endless paginated listing after 100 000 files", async function () {
    this.timeout(120_000);
    let pages = 0;
    const page = Array.from({ length: 5000 }, (_, i) => ({ type: "file", oid: "c".repeat(40), size: 1, path: `f${i}` }));
    const body = JSON.stringify(page);
    const url = await serve((req, res) => {
      if (req.url!.startsWith("/api/models/o/n/revision/")) return json(res, 200, model);
      pages++;
      res.writeHead(200, { "Content-Type": "application/json", Link: `<http://${req.headers.host}/api/models/o/n/tree/${SHA}?cursor=${pages}>; rel="next"` });
      res.end(body);
    });
    await rejectsWithCode(listRepoFiles({ endpoint: url, repo: parseRepoId("o/n"), revision: "main" }), "server", /lists more than 100000 files/);
    assert.equal(pages, 21, "stops reading right after the limit");
  });

  for (const [label, item, why] of [
    ["a path that is not a string", { type: "file", oid: "c".repeat(40), size: 1, path: 7 }, /path not a string/],
    ["a negative size", { type: "file", oid: "c".repeat(40), size: -1, path: "x" }, /bad size/],
    ["an LFS size that disagrees", { type: "file", oid: "c".repeat(40), size: 5, path: "x", lfs: { oid: "d".repeat(64), size: 6, pointerSize: 100 } }, /bad LFS pointer/],
  ] as const) {
    it(`refuses a listing with ${label}`, async () => {
      const url = await serve((req, res) => (req.url!.includes("/revision/") ? json(res, 200, model) : json(res, 200, [item])));
      await rejectsWithCode(listRepoFiles({ endpoint: url, repo: parseRepoId("o/n"), revision: "main" }), "server", why);
    });
  }

  it("lists unsafe paths as they are: the download refuses them only when the selection keeps them (util/safePaths)", async () => {
    const paths = ["../evil", "/etc/x", "sub/.git/config", ".hf-models.json", "ok.bin"];
    const items = paths.map((path) => ({ type: "file", oid: "c".repeat(40), size: 1, path }));
    const url = await serve((req, res) => (req.url!.includes("/revision/") ? json(res, 200, model) : json(res, 200, items)));
    const { files } = await listRepoFiles({ endpoint: url, repo: parseRepoId("o/n"), revision: "main" });
    assert.deepEqual(files.map((f) => f.path).sort(), [...paths].sort());
  });

  it("a model info without a commit sha is a server error", async () => {
    const url = await serve((_req, res) => json(res, 200, { ...model, sha: undefined }));
    await rejectsWithCode(listRepoFiles({ endpoint: url, repo: parseRepoId("o/n"), revision: "main" }), "server", /did not return a commit for o\/n@main/);
  });

  it("5xx map to server errors with the status; a 429 that keeps coming ends as rate-limited", async () => {
    let status = 503;
    const url = await serve((_req, res) => json(res, status, { error: "maintenance" }));
    await rejectsWithCode(listRepoFiles({ endpoint: url, repo: parseRepoId("o/n"), revision: "main" }), "server", /answered 503: maintenance$/);
    status = 429;
    // Without RateLimit or Retry-After each wait is 1 s; after the bounded number of waits the 429 is final.
    const waits: number[] = [];
    await rejectsWithCode(listRepoFiles({ endpoint: url, repo: parseRepoId("o/n"), revision: "main", onRateLimit: (w) => waits.push(w.seconds) }), "rate-limited", /rate limit for Hub API requests\. Try again later/);
    assert.deepEqual(waits, [1, 1, 1, 1, 1]);
    status = 500;
    await rejectsWithCode(searchModels({ endpoint: url, query: "x" }), "server", /Model search failed at .* \(500: maintenance\)/);
  });

  it("a non-JSON answer is a server error, not a crash", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end("<html>proxy login</html>");
    });
    await rejectsWithCode(listRepoFiles({ endpoint: url, repo: parseRepoId("o/n"), revision: "main" }), "server", /malformed answer/);
  });

  it("server error text that echoes the token is redacted", async () => {
    const token = "hf_echoed_secret_token";
    const url = await serve((req, res) => json(res, 500, { error: `bad header ${req.headers.authorization}` }));
    const err = await rejectsWithCode(listRepoFiles({ endpoint: url, repo: parseRepoId("o/n"), revision: "main", token }), "server", /answered 500/);
    assert.ok(!err.message.includes(token), err.message);
  });
});
