// Fidelity of the local Hub with the unmodified official client, @huggingface/hub 2.17.5:
// Xet downloads through XetBlob, plain downloads with xet:false, listings, snapshots, auth errors.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { __internal_XetBlob, downloadFile, listFiles, modelInfo, snapshotDownload } from "@huggingface/hub";
import type { LocalHub } from "../../hub/server";
import { ChunkScheme, parseChunkRecords } from "../../hub/xet/format";
import { demoSources, sha256, sha256File, startDemoHub, tempDir } from "../helpers/hub";

const TOKEN = "hf_local_test_token";

describe("local Hub with the official @huggingface/hub client", function () {
  this.timeout(120_000);
  let hub: LocalHub;
  let tinyDir: string;

  before(async () => {
    hub = await startDemoHub({ treePageSize: 3, gatedAccess: ["hf_granted_token"] });
    tinyDir = (await demoSources()).find((s) => s.id === "demo/tiny-model")!.revisions[0].dir;
  });
  after(() => hub.close());
  beforeEach(() => hub.resetLog());

  it("downloadFile takes the Xet path (an XetBlob) and every byte is right", async () => {
    const blob = await downloadFile({ repo: "demo/tiny-model", path: "model.safetensors", hubUrl: hub.url });
    assert.ok(blob instanceof __internal_XetBlob, `expected an XetBlob, got ${blob?.constructor.name}`);
    const bytes = new Uint8Array(await blob.arrayBuffer());
    assert.equal(sha256(bytes), await sha256File(join(tinyDir, "model.safetensors")));
    const routes = hub.ctx.log.map((e) => e.route);
    assert.ok(routes.includes("resolve-xet") && routes.includes("xet-read-token"), routes.join(","));
    assert.ok(routes.includes("reconstruction-v2") && routes.includes("xorb"), routes.join(","));
    assert.ok(!routes.includes("lfs-object"), "the Xet path must not touch LFS objects");
  });

  it("XetBlob slices that start and end mid-chunk are byte-exact", async () => {
    const blob = await downloadFile({ repo: "demo/tiny-model", path: "model.safetensors", hubUrl: hub.url });
    const source = await readFile(join(tinyDir, "model.safetensors"));
    for (const [a, b] of [[10, 70_000], [100_000, 100_100], [source.length - 5, source.length], [65_000, 2_000_000]]) {
      const part = new Uint8Array(await blob!.slice(a, b).arrayBuffer());
      assert.deepEqual(Buffer.from(part), source.subarray(a, b), `slice(${a}, ${b})`);
    }
  });

  it("xet:false downloads through the LFS redirect to the CDN, which never sees the token", async () => {
    const blob = await downloadFile({ repo: "demo/tiny-model", path: "model.safetensors", hubUrl: hub.url, xet: false, accessToken: TOKEN });
    assert.ok(!(blob instanceof __internal_XetBlob));
    assert.equal(sha256(new Uint8Array(await blob!.arrayBuffer())), await sha256File(join(tinyDir, "model.safetensors")));
    const cdn = hub.ctx.log.filter((e) => e.origin === "cdn");
    assert.ok(cdn.some((e) => e.route === "lfs-object" && e.status < 300), JSON.stringify(cdn));
    assert.deepEqual(cdn.filter((e) => e.auth === "hub-token"), []);
  });

  it("regular files come straight from resolve with their git blob id as ETag", async () => {
    const blob = await downloadFile({ repo: "demo/tiny-model", path: "config.json", hubUrl: hub.url });
    assert.equal(await blob!.text(), await readFile(join(tinyDir, "config.json"), "utf8"));
    assert.equal(await downloadFile({ repo: "demo/tiny-model", path: "missing.bin", hubUrl: hub.url }), null);
  });

  it("listFiles follows Link pagination and reports oid, size, lfs and xetHash", async () => {
    const files = [];
    for await (const f of listFiles({ repo: "demo/tiny-model", recursive: true, hubUrl: hub.url })) files.push(f);
    const pages = hub.ctx.log.filter((e) => e.route === "api-tree").length;
    assert.ok(pages >= 2, `expected several pages, got ${pages}`);
    const model = files.find((f) => f.path === "model.safetensors")!;
    assert.equal(model.lfs?.oid, await sha256File(join(tinyDir, "model.safetensors")));
    assert.match(model.xetHash ?? "", /^[0-9a-f]{64}$/);
    assert.deepEqual(files.map((f) => f.path).sort(), ["README.md", "config.json", "generation_config.json", "model.safetensors", "tokenizer.json", ".gitattributes"].sort());
  });

  it("snapshotDownload writes a Python-compatible cache with refs/main", async () => {
    const tmp = await tempDir();
    const debug = console.debug;
    console.debug = () => {}; // the library narrates every file through console.debug
    try {
      const snapshot = await snapshotDownload({ repo: "demo/tiny-model", cacheDir: tmp.path, hubUrl: hub.url });
      const info = await modelInfo({ name: "demo/tiny-model", hubUrl: hub.url, additionalFields: ["sha"] });
      const ref = await readFile(join(tmp.path, "models--demo--tiny-model", "refs", "main"), "utf8");
      assert.equal(ref.trim(), (info as unknown as { sha: string }).sha);
      for (const name of ["model.safetensors", "config.json", "tokenizer.json"]) {
        assert.equal(await sha256File(join(snapshot, name)), await sha256File(join(tinyDir, name)), name);
      }
    } finally {
      console.debug = debug;
      await tmp.cleanup();
    }
  });

  it("a revision by branch and by full commit sha serves that revision's bytes", async () => {
    const sources = (await demoSources()).find((s) => s.id === "demo/two-revisions")!;
    const v1Sha = hub.ctx.repos.get("demo/two-revisions")!.branches.get("v1")!;
    for (const revision of ["v1", v1Sha]) {
      const blob = await downloadFile({ repo: "demo/two-revisions", path: "model.safetensors", revision, hubUrl: hub.url });
      assert.equal(sha256(new Uint8Array(await blob!.arrayBuffer())), await sha256File(join(sources.revisions[0].dir, "model.safetensors")));
    }
  });

  it("the second revision dedups against the first: unchanged chunks reference the old xorbs", () => {
    const repo = hub.ctx.repos.get("demo/two-revisions")!;
    const v1 = repo.commits.get(repo.branches.get("v1")!)!.files.get("model.safetensors")!;
    const v2 = repo.commits.get(repo.branches.get("main")!)!.files.get("model.safetensors")!;
    const oldXorbs = new Set(hub.ctx.xet.getFile(v1.xetHash!)!.terms.map((t) => t.xorb));
    const terms = hub.ctx.xet.getFile(v2.xetHash!)!.terms;
    const reused = terms.filter((t) => oldXorbs.has(t.xorb)).reduce((n, t) => n + t.unpackedLength, 0);
    assert.ok(reused / v2.size > 0.8, `only ${reused} of ${v2.size} bytes reuse revision 1's xorbs`);
    assert.ok(terms.some((t) => !oldXorbs.has(t.xorb)), "the changed bytes must live in a new xorb");
  });

  it("the demo repos' xorbs use all three chunk schemes: raw, LZ4 and byte-grouping-4 + LZ4", () => {
    const seen = new Set<ChunkScheme>();
    for (const repo of hub.ctx.repos.values()) {
      for (const commit of repo.commits.values()) {
        for (const file of commit.files.values()) {
          for (const term of file.xetHash ? hub.ctx.xet.getFile(file.xetHash)!.terms : []) {
            const info = hub.ctx.xet.xorbInfo(term.xorb)!;
            const body = readFileSync(info.path).subarray(0, info.chunkEnds[info.chunkEnds.length - 1]);
            for (const record of parseChunkRecords(body)) seen.add(record.scheme);
          }
        }
      }
    }
    assert.deepEqual([...seen].sort(), [ChunkScheme.None, ChunkScheme.LZ4, ChunkScheme.ByteGroupingLZ4].sort());
  });

  it("private repos answer 401 without a token and serve with one", async () => {
    await assert.rejects(downloadFile({ repo: "demo/private-model", path: "config.json", hubUrl: hub.url }), (err: Error & { statusCode?: number }) => err.statusCode === 401);
    const blob = await downloadFile({ repo: "demo/private-model", path: "config.json", hubUrl: hub.url, accessToken: TOKEN });
    assert.match(await blob!.text(), /LlamaForCausalLM/);
  });

  it("gated repos answer 403 to a token without access and serve a granted one", async () => {
    await assert.rejects(
      downloadFile({ repo: "demo/gated-model", path: "config.json", hubUrl: hub.url, accessToken: TOKEN }),
      (err: Error & { statusCode?: number }) => err.statusCode === 403 && /restricted/.test(err.message),
    );
    const blob = await downloadFile({ repo: "demo/gated-model", path: "config.json", hubUrl: hub.url, accessToken: "hf_granted_token" });
    assert.match(await blob!.text(), /LlamaForCausalLM/);
  });
});
