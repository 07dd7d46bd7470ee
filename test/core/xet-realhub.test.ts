// Real-Hub behaviours on the Xet route (issue 11, Deliver 3.5, 3.7, 3.8, 3.10): LFS files not migrated to Xet yet,
// V2 entries with several ranges of one xorb and a strict CAS, a V2 404 that must not switch a CAS to V1, a mirror
// whose xet-auth link names huggingface.co, and how many reconstruction calls a file costs.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { download } from "../../src/core/download/service";
import { queryReconstruction, resetCasVersionMemory, xetToken } from "../../src/core/xet/engine/cas";
import { defaultWindowBytes } from "../../src/core/xet/engine/options";
import { onEndpoint } from "../../src/core/xet/engine/mirror";
import { downloadViaXet } from "../../src/core/xet/route";
import type { RepoSource } from "../../hub/model";
import { startHub, type LocalHub } from "../../hub/server";
import { sha256File, tempDir } from "../helpers/hub";
import { rejectsWithCode } from "../helpers/assertions";
import { sourceFiles, TOKEN, useServiceTestbed } from "./download-helpers";
import { listingOf, routeParams } from "./xet-fixture";

const MiB = 1024 * 1024;

/** Repo `test/mixed`: two LFS files, `fresh.bin` not migrated to Xet yet. */
async function mixedSources(work: string): Promise<RepoSource[]> {
  const dir = join(work, "mixed");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "config.json"), JSON.stringify({ model_type: "mixed" }));
  await writeFile(join(dir, "migrated.bin"), randomBytes(3 * MiB));
  await writeFile(join(dir, "fresh.bin"), randomBytes(6 * MiB));
  return [{ id: "test/mixed", revisions: [{ dir, message: "Add mixed model" }], notInXet: ["fresh.bin"] }];
}

/**
 * Repo `test/ranges`: `abc.bin` = A B C and `azc.bin` = A Z C. Global chunk dedup stores A, B, C in one xorb, so
 * `azc.bin` uses two chunk ranges of that xorb with B's chunks between them: one V2 entry with two ranges.
 */
async function rangeSources(work: string): Promise<RepoSource[]> {
  const dir = join(work, "ranges");
  await mkdir(dir, { recursive: true });
  const [a, b, c, z] = [randomBytes(MiB + 12345), randomBytes(2 * MiB), randomBytes(MiB + 777), randomBytes(MiB)];
  await writeFile(join(dir, "abc.bin"), Buffer.concat([a, b, c]));
  await writeFile(join(dir, "azc.bin"), Buffer.concat([a, z, c]));
  return [{ id: "test/ranges", revisions: [{ dir, message: "Add ranges" }] }];
}

async function sameAsSource(hub: LocalHub, repo: string, modelDir: string): Promise<void> {
  for (const [path, s] of sourceFiles(hub, repo)) assert.equal(await sha256File(join(modelDir, path)), s.sha256, `${path} is byte-exact`);
}

describe("Xet route on a repo with LFS files not migrated to Xet (mixed storage)", function () {
  this.timeout(120_000);
  const bed = useServiceTestbed({
    prefix: "hf-mixed-",
    sources: mixedSources,
    lfsThresholdBytes: 1024 * 1024,
    slow: { latencyMs: 5, perConnectionBytesPerSecond: 2_000_000, totalBytesPerSecond: 0 },
  });

  it("downloads the whole selection over Xet with fallbackToLfs false: the non-Xet file over its resolve/CDN URL", async () => {
    const result = await download({ repo: "test/mixed", modelsDir: bed.models.path, endpoint: bed.hub.url, method: "xet", fallbackToLfs: false, token: TOKEN }, { env: bed.home.env });
    assert.equal(result.method, "xet");
    await sameAsSource(bed.hub, "test/mixed", result.path);
    const fresh = sourceFiles(bed.hub, "test/mixed").get("fresh.bin")!;
    assert.ok(bed.hub.ctx.log.some((e) => e.route === "lfs-object" && e.path.includes(fresh.sha256) && e.status === 200), "fresh.bin came from its LFS object");
    assert.ok(bed.hub.ctx.log.some((e) => e.route.startsWith("reconstruction-") && e.status === 200), "migrated.bin came through the CAS");
    assert.ok(!bed.hub.ctx.log.some((e) => e.route.startsWith("git-")), "no git involved");
  });

  it("resumes the non-migrated file after an interruption with a Range request, SHA-256 verified", async () => {
    const { commit, files } = listingOf(bed.hub, "test/mixed");
    const fresh = files.filter((f) => f.path === "fresh.bin");
    assert.equal(fresh[0]!.xetHash, undefined, "the tree lists no xetHash for it");
    const modelDir = join(bed.models.path, "m");
    bed.hub.setFault("slow", true);
    const stop = new AbortController();
    const first = routeParams(bed.hub, modelDir, fresh, commit, { repo: "test/mixed", signal: stop.signal });
    const onFileProgress = first.onFileProgress;
    first.onFileProgress = (p) => {
      onFileProgress(p);
      if (p.doneBytes >= 2 * MiB) stop.abort();
    };
    await rejectsWithCode(downloadViaXet(first), "cancelled");
    bed.hub.setFault("slow", false);
    bed.hub.resetLog();
    const second = routeParams(bed.hub, modelDir, fresh, commit, { repo: "test/mixed" });
    const result = await downloadViaXet(second);
    assert.equal(result.files[0]!.hashKind, "sha256");
    assert.equal(await sha256File(join(modelDir, "fresh.bin")), fresh[0]!.lfs!.oid);
    const ranged = bed.hub.ctx.log.filter((e) => e.route === "lfs-object" && e.status === 206);
    assert.equal(ranged.length, 1, JSON.stringify(bed.hub.ctx.log.map((e) => [e.route, e.status, e.range])));
    const from = Number(/^bytes=(\d+)-$/.exec(ranged[0]!.range ?? "")?.[1]);
    assert.ok(from >= 2 * MiB, `resumed from ${from}`);
    assert.ok(result.bytesTransferred <= 6 * MiB - from, "only the missing bytes came again");
  });
});

describe("Xet engine on V2 entries with several ranges of one xorb, and a strict CAS", function () {
  this.timeout(120_000);
  let work: { path: string; cleanup(): Promise<void> };
  let sources: RepoSource[];
  const hubs: LocalHub[] = [];
  before(async () => {
    work = await tempDir("hf-ranges-");
    sources = await rangeSources(work.path);
  });
  after(async () => {
    for (const h of hubs) await h.close();
    await work?.cleanup();
  });
  async function hubWith(strictCas: boolean): Promise<LocalHub> {
    const hub = await startHub({ repos: sources, lfsThresholdBytes: 1024 * 1024, strictCas });
    hubs.push(hub);
    return hub;
  }
  async function v2Entries(hub: LocalHub, path: string) {
    const { commit, files } = listingOf(hub, "test/ranges");
    const file = files.find((f) => f.path === path)!;
    const token = await xetToken({ refreshUrl: `${hub.url}/api/models/test/ranges/xet-read-token/${commit}`, hubToken: TOKEN, fetch });
    const answer = await fetch(`${token.casUrl}/v2/reconstructions/${file.xetHash}`, { headers: { Authorization: `Bearer ${token.accessToken}` } });
    assert.equal(answer.status, 200);
    return (await answer.json()) as { xorbs: Record<string, Array<{ url: string; ranges: Array<{ bytes: { start: number; end: number } }> }>> };
  }

  it("default CAS: one entry with two ranges for azc.bin; downloaded byte-exact, one request per range", async () => {
    const hub = await hubWith(false);
    const body = await v2Entries(hub, "azc.bin");
    assert.ok(Object.values(body.xorbs).some((entries) => entries.some((e) => e.ranges.length >= 2)), JSON.stringify(body.xorbs));
    const { commit, files } = listingOf(hub, "test/ranges");
    const modelDir = join(work.path, "default");
    await downloadViaXet(routeParams(hub, modelDir, files, commit, { repo: "test/ranges" }));
    await sameAsSource(hub, "test/ranges", modelDir);
    const xorbs = hub.ctx.log.filter((e) => e.route === "xorb");
    assert.ok(xorbs.length > 0 && xorbs.every((e) => e.status === 206 && !e.range?.includes(",")), "single-range requests only");
  });

  it("strict CAS: each URL is valid for its one range only (403 otherwise); the engine stays byte-exact", async () => {
    const hub = await hubWith(true);
    const body = await v2Entries(hub, "azc.bin");
    const entries = Object.values(body.xorbs).flat();
    assert.ok(entries.every((e) => e.ranges.length === 1), "one signed range per URL");
    const [one] = entries;
    const r = one!.ranges[0]!.bytes;
    const other = await fetch(one!.url, { headers: { Range: `bytes=${r.start}-${r.end},${r.start}-${r.end}` } });
    await other.body?.cancel();
    assert.equal(other.status, 403, "two ranges on a one-range URL");
    const sub = await fetch(one!.url, { headers: { Range: `bytes=${r.start}-${r.end - 1}` } });
    await sub.body?.cancel();
    assert.equal(sub.status, 403, "a sub-range");
    const { commit, files } = listingOf(hub, "test/ranges");
    const modelDir = join(work.path, "strict");
    hub.resetLog();
    await downloadViaXet(routeParams(hub, modelDir, files, commit, { repo: "test/ranges" }));
    await sameAsSource(hub, "test/ranges", modelDir);
    assert.ok(!hub.ctx.log.some((e) => e.route === "xorb" && e.status === 403), "no request outside its signed range");
  });

  it("a V2 404 for one missing file does not switch the CAS to V1: the next file still asks V2", async () => {
    resetCasVersionMemory();
    const hub = await hubWith(false);
    const { commit, files } = listingOf(hub, "test/ranges");
    const token = await xetToken({ refreshUrl: `${hub.url}/api/models/test/ranges/xet-read-token/${commit}`, hubToken: TOKEN, fetch });
    const missing = `${token.casUrl}/v1/reconstructions/${"ab".repeat(32)}`;
    await assert.rejects(queryReconstruction({ reconstructionUrl: missing, token, start: 0, end: 100, fetch }), /HTTP 404/);
    assert.deepEqual(hub.ctx.log.filter((e) => e.route.startsWith("reconstruction-")).map((e) => [e.route, e.status]), [["reconstruction-v2", 404], ["reconstruction-v1", 404]]);
    hub.resetLog();
    const modelDir = join(work.path, "after-404");
    await downloadViaXet(routeParams(hub, modelDir, files, commit, { repo: "test/ranges" }));
    await sameAsSource(hub, "test/ranges", modelDir);
    const routes = hub.ctx.log.filter((e) => e.route.startsWith("reconstruction-")).map((e) => e.route);
    assert.ok(routes.length > 0 && routes.every((r) => r === "reconstruction-v2"), routes.join(", "));
    resetCasVersionMemory();
  });
});

describe("Xet route through a mirror whose xet-auth link names huggingface.co", function () {
  this.timeout(120_000);
  const bed = useServiceTestbed({ prefix: "hf-mirror-", sources: mixedSources, lfsThresholdBytes: 1024 * 1024, mirrorOf: "https://huggingface.co" });

  it("rewrites huggingface.co to the endpoint, as huggingface_hub does", () => {
    assert.equal(onEndpoint("https://huggingface.co/api/models/a/b/xet-read-token/c", "https://hf-mirror.example/hub/"), "https://hf-mirror.example/hub/api/models/a/b/xet-read-token/c");
    assert.equal(onEndpoint("https://cas.example/v1/x", "https://hf-mirror.example"), "https://cas.example/v1/x");
    assert.equal(onEndpoint("https://huggingface.co.evil.example/x", "https://m.example"), "https://huggingface.co.evil.example/x");
  });

  it("downloads a private repo over Xet with fallbackToLfs false; the token never leaves the Hub origin", async () => {
    bed.hub.ctx.repos.get("test/mixed")!.private = true;
    const resolveAnswer = await fetch(`${bed.hub.url}/test/mixed/resolve/main/migrated.bin`, { headers: { Authorization: `Bearer ${TOKEN}` }, redirect: "manual" });
    await resolveAnswer.body?.cancel();
    assert.match(resolveAnswer.headers.get("link") ?? "", /<https:\/\/huggingface\.co\/api\/models\/test\/mixed\/xet-read-token\/[0-9a-f]{40}>; rel="xet-auth"/);
    bed.hub.resetLog();
    const seen: Array<{ origin: string; auth: boolean }> = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const headers = new Headers(input instanceof Request ? input.headers : init?.headers);
      seen.push({ origin: url.origin, auth: headers.has("authorization") });
      return realFetch(input, init);
    }) as typeof fetch;
    try {
      const result = await download({ repo: "test/mixed", modelsDir: bed.models.path, endpoint: bed.hub.url, method: "xet", fallbackToLfs: false, token: TOKEN }, { env: bed.home.env });
      assert.equal(result.method, "xet");
      await sameAsSource(bed.hub, "test/mixed", result.path);
    } finally {
      globalThis.fetch = realFetch;
      bed.hub.ctx.repos.get("test/mixed")!.private = false;
    }
    const hubOrigin = new URL(bed.hub.url).origin;
    const cdnOrigin = new URL(bed.hub.cdnUrl).origin;
    assert.deepEqual([...new Set(seen.map((s) => s.origin))].filter((o) => o !== hubOrigin && o !== cdnOrigin), [], "no request to another origin");
    assert.ok(bed.hub.ctx.log.some((e) => e.route === "xet-read-token" && e.status === 200 && e.auth === "hub-token"), "the Hub token went to the mirror's token route");
    assert.ok(!bed.hub.ctx.log.some((e) => e.origin === "cdn" && e.auth === "hub-token"), "never to the CDN");
  });
});

describe("Xet engine: reconstruction calls per file", function () {
  this.timeout(120_000);
  let work: { path: string; cleanup(): Promise<void> };
  let hub: LocalHub;
  before(async () => {
    work = await tempDir("hf-calls-");
    const dir = join(work.path, "src");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "big.bin"), randomBytes(64 * MiB));
    await writeFile(join(dir, "bigger.bin"), randomBytes(128 * MiB));
    hub = await startHub({ repos: [{ id: "test/calls", revisions: [{ dir, message: "Add" }] }], lfsThresholdBytes: 1024 * 1024 });
  });
  after(async () => {
    await hub?.close();
    await work?.cleanup();
  });
  const answeredReconstructions = () => hub.ctx.log.filter((e) => e.route.startsWith("reconstruction-") && e.status === 200);

  it("sizes windows by file and connections: 16 MiB for small files, up to 256 MiB (4 calls per GiB) for big ones", () => {
    assert.equal(defaultWindowBytes(64 * MiB, 12), 16 * MiB);
    assert.equal(defaultWindowBytes(1024 * MiB, 12), 86 * MiB);
    assert.equal(defaultWindowBytes(10 * 1024 * MiB, 12), 256 * MiB);
    assert.equal(Math.ceil((10 * 1024 * MiB) / defaultWindowBytes(10 * 1024 * MiB, 12)) / 10, 4, "calls per GiB of a 10 GiB file");
  });

  it("≤ 1 reconstruction call for a 64 MiB file fetched over one connection (4 with 16 MiB windows)", async () => {
    hub.resetLog();
    const { commit, files } = listingOf(hub, "test/calls");
    const big = files.filter((f) => f.path === "big.bin");
    const modelDir = join(work.path, "one");
    await downloadViaXet(routeParams(hub, modelDir, big, commit, { repo: "test/calls", engine: { concurrency: 1 } }));
    assert.equal(await sha256File(join(modelDir, "big.bin")), big[0]!.lfs!.oid);
    const calls = answeredReconstructions().length;
    assert.ok(calls <= 1, `${calls} reconstruction calls`);
  });

  it("with the adaptive count, one window per starting connection: 6 calls for a 128 MiB file (22 MiB windows)", async () => {
    hub.resetLog();
    const { commit, files } = listingOf(hub, "test/calls");
    const bigger = files.filter((f) => f.path === "bigger.bin");
    const modelDir = join(work.path, "adaptive");
    await downloadViaXet(routeParams(hub, modelDir, bigger, commit, { repo: "test/calls" }));
    assert.equal(await sha256File(join(modelDir, "bigger.bin")), bigger[0]!.lfs!.oid);
    const windows = answeredReconstructions().map((e) => e.range);
    assert.equal(windows.length, 6, `windows asked: ${windows.join(", ")}`);
  });
});
