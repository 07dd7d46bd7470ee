// The decisive check: the unmodified @huggingface/hub 2.17.5 XetBlob reconstructs files from the local CAS
// byte-exact — multi-xorb, all three chunk schemes, multi-range fetches, mid-chunk slices — in both its modes.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { __internal_XetBlob as XetBlob } from "@huggingface/hub";
import { ChunkScheme, parseChunkRecords } from "../../hub/xet/format";
import { repeatingBytes } from "../../hub/xet/sampleData";
import { XetStore, type XetFileRecord } from "../../hub/xet/store";
import { startTestCas, type TestCas } from "../helpers/testCas";

const MODES = [
  ["parallel (default)", undefined],
  ["serial ({ maxConcurrency: 1 })", { maxConcurrency: 1 }],
] as const;

describe("stock XetBlob (@huggingface/hub 2.17.5) against the local CAS", function () {
  this.timeout(120_000);
  let dir: string;
  let store: XetStore;
  let cas: TestCas;
  let data: Buffer;
  let secondStart: number;
  let file: XetFileRecord;

  /** A blob with a pre-seeded read token (no Hub origin needed); a fresh refresh URL keeps the client's token cache apart. */
  function blob(parallelDownloads?: { maxConcurrency: number }) {
    return new XetBlob({
      refreshUrl: `http://127.0.0.1:9/xet-read-token/${randomUUID()}`,
      reconstructionUrl: `${cas.url}/v1/reconstructions/${file.fileHash}`,
      hash: file.fileHash,
      size: file.size,
      accessToken: "hf_local_test",
      readToken: { accessToken: cas.token(), exp: Math.floor(Date.now() / 1000) + 3600, casUrl: cas.url },
      parallelDownloads,
    });
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "xet-client-test-"));
    store = await XetStore.open({ dataDir: dir, xorbLimits: { maxChunks: 16 } });
    ({ data, secondStart } = repeatingBytes(21));
    await writeFile(join(dir, "model.bin"), data);
    file = await store.addFile(join(dir, "model.bin"));
    cas = await startTestCas({ store });
  });
  after(async () => {
    await cas.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => cas.reset());

  it("the test file spans several xorbs and uses all three chunk schemes", async () => {
    const xorbs = [...new Set(file.terms.map((t) => t.xorb))];
    assert.ok(xorbs.length >= 3, `${xorbs.length} xorbs`);
    const schemes = new Set<ChunkScheme>();
    for (const hash of xorbs) {
      const info = store.xorbInfo(hash)!;
      const bytes = await readFile(info.path);
      for (const r of parseChunkRecords(bytes.subarray(0, info.chunkEnds.at(-1)))) schemes.add(r.scheme);
    }
    assert.deepEqual([...schemes].sort(), [0, 1, 2]);
  });

  for (const [mode, parallel] of MODES) {
    describe(mode, () => {
      it("reconstructs the whole file byte-exact over V2 and signed xorb ranges", async () => {
        const got = Buffer.from(await blob(parallel).arrayBuffer());
        assert.equal(got.length, data.length);
        assert.ok(got.equals(data), "content differs");
        const routes = cas.ctx.log.map((e) => e.route);
        assert.equal(routes.filter((r) => r === "reconstruction-v2").length, 1, routes.join(","));
        assert.ok(routes.filter((r) => r === "xorb").length >= 3, routes.join(","));
        assert.ok(cas.ctx.log.every((e) => e.status === 200 || e.status === 206), JSON.stringify(cas.ctx.log.map((e) => e.status)));
      });

      it("slices starting and ending mid-chunk are byte-exact, including one needing a multi-range fetch", async () => {
        const whole = blob(parallel);
        const ranges: Array<[number, number]> = [
          [10, 70_000],
          [100_000, 100_100],
          [data.length - 5, data.length],
          [65_000, 2_000_000],
          [secondStart + 10, data.length],
          [1, 2],
        ];
        for (const [a, b] of ranges) {
          const got = Buffer.from(await whole.slice(a, b).arrayBuffer());
          assert.ok(got.equals(data.subarray(a, b)), `slice(${a}, ${b}): ${got.length} bytes, content differs`);
        }
        const multi = cas.ctx.log.filter((e) => e.route === "xorb" && e.range?.includes(","));
        assert.ok(multi.length >= 1, "expected a multipart xorb request");
        assert.ok(cas.ctx.log.some((e) => e.route === "reconstruction-v2" && e.range === `bytes=${secondStart + 10}-${data.length - 1}`));
      });

      it("recovers from an expired xorb URL (url-expired) by re-querying the reconstruction", async () => {
        cas.setFault("url-expired", true);
        const got = Buffer.from(await blob(parallel).arrayBuffer());
        assert.ok(got.equals(data));
        const statuses = cas.ctx.log.map((e) => `${e.route}:${e.status}`);
        assert.ok(statuses.includes("xorb:403"), statuses.join(","));
        assert.equal(statuses.filter((s) => s === "reconstruction-v2:200").length, 2, statuses.join(","));
      });

      it("xorb-corrupt goes unnoticed by the client: one silently wrong byte in a raw chunk", async () => {
        const first = store.xorbInfo(file.terms[0].xorb)!;
        assert.equal(parseChunkRecords((await readFile(first.path)).subarray(0, first.chunkEnds[0]))[0].scheme, ChunkScheme.None);
        cas.setFault("xorb-corrupt", true);
        const got = Buffer.from(await blob(parallel).slice(0, 300_000).arrayBuffer());
        assert.equal(got.length, 300_000);
        const diffs = [...got.keys()].filter((i) => got[i] !== data[i]);
        assert.equal(diffs.length, 1, `${diffs.length} differing bytes`);
      });
    });
  }

  it("parallel mode rides out a 429 on a xorb (rate-limit)", async () => {
    cas.setFault("rate-limit", true);
    // The reconstruction endpoint gets the first 429 itself and the client does not retry it (CLIENT_PROTOCOL §2.3).
    await assert.rejects(blob().arrayBuffer(), /429|Too many requests/i);
    const got = Buffer.from(await blob().arrayBuffer());
    assert.ok(got.equals(data));
    assert.ok(cas.ctx.log.some((e) => e.route === "xorb" && e.status === 429));
  });

  it("a cut connection (xorb-reset) makes the client fail instead of returning short data", async () => {
    cas.setFault("xorb-reset", true);
    await assert.rejects(blob({ maxConcurrency: 1 }).arrayBuffer());
  });
});
