// The engine's update path and memory bound: a new revision is rebuilt from the unchanged chunks of the old file
// on disk (the request log proves only changed terms were fetched), a tampered old file is not trusted, and a
// 256 MiB download stays within a fixed memory bound.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdir, readFile, writeFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { downloadViaXet } from "../../src/core/xet/route";
import { buildCli } from "../helpers/cliBuild";
import { ROOT, tempDir } from "../helpers/hub";
import { startHub, type LocalHub } from "../../hub/server";
import { mixedModelBytes } from "../../hub/xet/sampleData";
import { contentOf, listingOf, UPDATE_REPO, writeUpdateRepo, xorbBytes } from "./xet-engine-fixture";

const run = promisify(execFile);
const WEIGHTS = "weights.bin";

describe("Xet engine: update from the previous revision, bounded memory", function () {
  this.timeout(180_000);
  let hub: LocalHub;
  let work: { path: string; cleanup(): Promise<void> };
  let maps: string;

  before(async () => {
    work = await tempDir("hf-xet-update-");
    const { v1, v2 } = await writeUpdateRepo(join(work.path, "src"));
    await mkdir(join(work.path, "big"), { recursive: true });
    await writeFile(join(work.path, "big", "big.bin"), mixedModelBytes(256 * 1024 * 1024, 31));
    hub = await startHub({
      repos: [
        { id: UPDATE_REPO, revisions: [{ dir: v1, message: "one", branch: "v1" }, { dir: v2, message: "two" }] },
        { id: "engine/big", revisions: [{ dir: join(work.path, "big"), message: "big" }] },
      ],
    });
    maps = join(work.path, "maps");
  });
  after(async () => {
    await hub?.close();
    await work?.cleanup();
  });
  beforeEach(() => hub.resetLog());

  function params(modelDir: string, revision: string, logs: string[]) {
    const { commit, files } = listingOf(hub, UPDATE_REPO, revision);
    return { endpoint: hub.url, token: "hf_engine_update_test", repo: UPDATE_REPO, commit, files, modelDir, concurrency: 2, stallTimeoutMs: 10_000, engine: { chunkMapDir: maps, minChunkMapBytes: 1024 * 1024 }, onFileProgress: () => {}, log: (level: string, message: string) => logs.push(`${level}: ${message}`) };
  }

  /** Decoded bytes of the revision-2 terms whose xorb revision 1 does not use: what an update must fetch. */
  function changedTermBytes(): number {
    const term = (rev: string) => hub.ctx.xet.getFile(listingOf(hub, UPDATE_REPO, rev).files.find((f) => f.path === WEIGHTS)!.xetHash!)!.terms;
    const old = new Set(term("v1").map((t) => t.xorb));
    return term("main").filter((t) => !old.has(t.xorb)).reduce((n, t) => n + t.unpackedLength, 0);
  }

  it("copies unchanged terms from the old file and fetches only the changed ones", async () => {
    const modelDir = join(work.path, "model");
    const first: string[] = [];
    await downloadViaXet(params(modelDir, "v1", first));
    const v1 = contentOf(hub, UPDATE_REPO, WEIGHTS, "v1");
    assert.ok((await readdir(maps)).some((n) => n.endsWith(`-${v1.length}.json`)), "a chunk map of revision 1 was kept");
    const fullXorb = xorbBytes(hub);
    hub.resetLog();

    const logs: string[] = [];
    const result = await downloadViaXet(params(modelDir, "main", logs));
    const v2 = contentOf(hub, UPDATE_REPO, WEIGHTS);
    assert.ok((await readFile(join(modelDir, WEIGHTS))).equals(v2), "revision 2 is byte-exact");
    assert.ok(logs.includes(`info: ${WEIGHTS}: copying unchanged chunks from the local previous version`), logs.join("\n"));
    const fetched = xorbBytes(hub);
    const changed = changedTermBytes();
    assert.ok(changed > 0 && changed < 0.1 * v2.length, `the edit touched ${changed} bytes of chunks`);
    assert.ok(fetched <= changed + 64 * 1024, `fetched ${fetched} xorb bytes for ${changed} bytes of changed terms`);
    assert.ok(fetched < 0.05 * fullXorb, `update fetched ${fetched} bytes, the first download ${fullXorb}`);
    const weights = result.files.find((f) => f.path === WEIGHTS)!;
    assert.equal(weights.hash, listingOf(hub, UPDATE_REPO).files.find((f) => f.path === WEIGHTS)!.lfs!.oid);
    assert.ok(result.bytesTransferred < 0.1 * v2.length, `bytes received ${result.bytesTransferred}; copied bytes do not count`);
  });

  it("does not trust an old file whose bytes no longer match its chunk map", async () => {
    const modelDir = join(work.path, "tampered");
    await downloadViaXet(params(modelDir, "v1", []));
    const old = await readFile(join(modelDir, WEIGHTS));
    old[old.length - 10] ^= 0xff;
    await writeFile(join(modelDir, WEIGHTS), old);
    hub.resetLog();

    const logs: string[] = [];
    await downloadViaXet(params(modelDir, "main", logs));
    assert.ok((await readFile(join(modelDir, WEIGHTS))).equals(contentOf(hub, UPDATE_REPO, WEIGHTS)));
    assert.ok(!logs.some((l) => l.includes("copying unchanged chunks")), logs.join("\n"));
    assert.ok(xorbBytes(hub) > 0.5 * old.length, "the whole file came over the network");
  });

  it("downloads a 256 MiB file within a fixed memory bound (peak RSS of the whole process < 280 MiB)", async () => {
    const { commit, files } = listingOf(hub, "engine/big");
    const big = files.find((f) => f.path === "big.bin")!;
    const job = { endpoint: hub.url, repo: "engine/big", commit, path: big.path, size: big.lfs!.size, sha256: big.lfs!.oid, partialPath: join(work.path, "big.part") };
    const worker = join(dirname(dirname(await buildCli())), "dist", "xet-worker.js");
    // The child must report its own peak, whatever this process holds when it forks: after a long suite the mocha
    // process (the Hub, its data) has held 500 MiB, which Linux's maxrss of the child once reported as the engine's.
    const ballast = Buffer.alloc(320 * 1024 * 1024, 1);
    const { stdout } = await run(process.execPath, ["--require", "tsx/cjs", join(ROOT, "test/core/xet-engine-memory-child.ts"), JSON.stringify(job), worker], { cwd: ROOT });
    assert.equal(ballast[ballast.length - 1], 1);
    const report = JSON.parse(stdout.trim()) as { digest: string; maxRssBytes: number };
    assert.equal(report.digest, big.lfs!.oid, "the 256 MB file arrived intact");
    // Node, tsx (main thread only) and two bundled workers take ~70 MiB before the first byte; the engine streams and
    // never holds a file; per worker V8 lets up to ~32 MiB of dead socket buffers wait for a collection.
    assert.ok(report.maxRssBytes < 280 * 1024 * 1024, `peak RSS ${(report.maxRssBytes / 2 ** 20).toFixed(0)} MiB for a ${(big.lfs!.size / 2 ** 20).toFixed(0)} MiB file`);
  });
});
