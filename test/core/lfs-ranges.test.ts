// LFS objects over parallel range requests (issue 14, item 1): the batch API's hrefs fetched in blocks over
// several connections into git-lfs' own store, resumed per block, and handed to `git lfs fetch` when the
// server ignores Range.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { download } from "../../src/core/download/service";
import { lfsObjectPath, lfsPartPath } from "../../src/core/lfs/objects";
import { fetchObjectsInRanges, type RangeFetchOptions } from "../../src/core/lfs/rangeFetch";
import { afterBytes, rangesDir } from "../../src/core/lfs/rangePart";
import { pseudoRandomBytes } from "../../hub/xet/sampleData";
import { sha256File } from "../helpers/hub";
import { rejectsWithCode } from "../helpers/assertions";
import { collect, gitStatus, lfsObjectRequests, sameBytes, sourceFiles, useServiceTestbed } from "./download-helpers";

const REPO = "demo/quantized-gguf";
const BLOCK = 256 * 1024;

/** Inclusive `bytes=a-b` of a request log entry. */
function rangeOf(header: string | undefined): [number, number] {
  const m = /^bytes=(\d+)-(\d+)$/.exec(header ?? "");
  assert.ok(m, `a bounded Range header, got ${header}`);
  return [Number(m[1]), Number(m[2])];
}

/** Sorted, merged byte intervals [start, end) of a list of inclusive ranges. */
function union(ranges: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    const last = out.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b + 1);
    else out.push([a, b + 1]);
  }
  return out;
}

describe("LFS objects in parallel ranges (issue 14, item 1)", function () {
  this.timeout(60_000);
  const bed = useServiceTestbed({ prefix: "hf-ranges-", slow: { latencyMs: 5, perConnectionBytesPerSecond: 600_000, totalBytesPerSecond: 1_800_000 } });
  const objects = () => [...sourceFiles(bed.hub, REPO).values()].filter((s) => s.lfsOid).map((s) => ({ oid: s.lfsOid!, size: s.size, source: s.source }));

  function fetchInto(gitDir: string, extra: Partial<RangeFetchOptions> = {}) {
    const bytes = new Map<string, { done: number; fresh: number }>();
    // A .git with its HEAD is all a clone needs to be for the object store; nothing is made without one.
    const run = gitDirReady(gitDir).then(() => fetchObjectsInRanges({
      endpoint: bed.hub.url, repo: REPO, gitDir, blockBytes: BLOCK, connections: 3,
      objects: objects().map(({ oid, size }) => ({ oid, size })),
      onBytes: (oid, done, fresh) => {
        const b = bytes.get(oid) ?? { done: 0, fresh: 0 };
        bytes.set(oid, { done, fresh: b.fresh + fresh });
      },
      ...extra,
    }));
    return { run, bytes };
  }

  async function gitDirReady(gitDir: string): Promise<void> {
    await mkdir(gitDir, { recursive: true });
    await writeFile(join(gitDir, "HEAD"), "ref: refs/heads/main\n");
  }

  it("fetches each object in blocks over several connections, SHA-256-checked into git-lfs' store; no token to the CDN", async () => {
    const gitDir = join(bed.models.path, ".git");
    // Paced, so that requests overlap long enough to be seen: the Hub counts the bodies it is sending.
    bed.hub.setFault("slow", true);
    let mostAtOnce = 0;
    const { run } = fetchInto(gitDir, { token: "hf_ranges_test_token", onBytes: () => (mostAtOnce = Math.max(mostAtOnce, bed.hub.ctx.bodiesInFlight)) });
    await run;
    bed.hub.setFault("slow", false);
    assert.ok(mostAtOnce >= 2 && mostAtOnce <= 3, `bodies in flight at once: ${mostAtOnce} (3 connections)`);
    await rm(gitDir, { recursive: true, force: true });
    bed.hub.resetLog();
    const again = fetchInto(gitDir, { token: "hf_ranges_test_token" });
    const result = await again.run;
    const all = objects();
    assert.ok(all.length >= 2 && all.some((o) => o.size > 4 * BLOCK), "objects of several blocks");
    assert.equal(result.handedOver, undefined);
    assert.deepEqual([...result.fetched].sort(), all.map((o) => o.oid).sort());
    assert.equal(result.transferred, all.reduce((a, o) => a + o.size, 0));
    for (const o of all) {
      assert.equal(await sha256File(lfsObjectPath(gitDir, o.oid)), o.oid);
      assert.deepEqual(again.bytes.get(o.oid), { done: o.size, fresh: o.size });
      const requests = lfsObjectRequests(bed.hub).filter((r) => r.oid === o.oid);
      assert.ok(requests.every((r) => r.status === 206), JSON.stringify(requests));
      assert.equal(requests.length, Math.ceil(o.size / BLOCK));
      assert.deepEqual(union(requests.map((r) => rangeOf(r.range))), [[0, o.size]], "the blocks cover the object once");
    }
    assert.deepEqual(await readdir(rangesDir(gitDir)), [], "no part or state file is left");
    const batch = bed.hub.ctx.log.filter((e) => e.route === "lfs-batch");
    assert.ok(batch.length >= 1 && batch.every((e) => e.auth === "hub-token"));
    const cdn = bed.hub.ctx.log.filter((e) => e.origin === "cdn");
    assert.ok(cdn.length >= all.length && cdn.every((e) => e.auth === "none"));
  });

  it("a cancel keeps each block's progress; the next run asks only for the bytes still missing", async () => {
    const gitDir = join(bed.models.path, ".git");
    const ac = new AbortController();
    bed.hub.setFault("slow", true);
    let seen = 0;
    const total = objects().reduce((a, o) => a + o.size, 0);
    const first = fetchInto(gitDir, {
      signal: ac.signal,
      onBytes: (_oid, _done, fresh) => {
        seen += fresh;
        if (seen >= total / 3) ac.abort();
      },
    });
    await rejectsWithCode(first.run, "cancelled");
    bed.hub.setFault("slow", false);
    const saved = new Map<string, number[]>();
    for (const name of await readdir(rangesDir(gitDir))) {
      if (!name.endsWith(".json")) continue;
      saved.set(name.slice(0, 64), (JSON.parse(await readFile(join(rangesDir(gitDir), name), "utf8")) as { written: number[] }).written);
    }
    const kept = [...saved.values()].flat().reduce((a, n) => a + n, 0);
    assert.ok(kept > 0 && kept <= seen, `kept ${kept} of ${seen} bytes received`);

    bed.hub.resetLog();
    const second = fetchInto(gitDir);
    const result = await second.run;
    assert.equal(result.transferred, total - kept, "only the missing bytes came again");
    for (const o of objects()) {
      assert.equal(await sha256File(lfsObjectPath(gitDir, o.oid)), o.oid);
      const written = saved.get(o.oid) ?? [];
      // Every request of the second run starts where the block had got to.
      for (const r of lfsObjectRequests(bed.hub).filter((x) => x.oid === o.oid)) {
        const [start] = rangeOf(r.range);
        const block = Math.floor(start / BLOCK);
        assert.equal(start, block * BLOCK + (written[block] ?? 0), `${o.oid.slice(0, 8)} block ${block}`);
      }
    }
  });

  it("starts from the prefix a git-lfs run left in `<oid>.part`", async () => {
    const gitDir = join(bed.models.path, ".git");
    const big = objects().sort((a, b) => b.size - a.size)[0]!;
    const prefix = 2 * BLOCK + 1000;
    await mkdir(join(gitDir, "lfs", "incomplete"), { recursive: true });
    await writeFile(lfsPartPath(gitDir, big.oid), (await readFile(big.source)).subarray(0, prefix));
    const result = await fetchInto(gitDir).run;
    assert.equal(result.transferred, objects().reduce((a, o) => a + o.size, 0) - prefix);
    const starts = lfsObjectRequests(bed.hub).filter((r) => r.oid === big.oid).map((r) => rangeOf(r.range)[0]);
    assert.ok(!starts.includes(0) && !starts.includes(BLOCK) && starts.includes(prefix), JSON.stringify(starts));
    assert.equal(await sha256File(lfsObjectPath(gitDir, big.oid)), big.oid);
    assert.ok(!existsSync(lfsPartPath(gitDir, big.oid)));
  });

  it("asks the batch API again for an href that has expired", async () => {
    bed.hub.setHostile("lfs-url-expired", true);
    const gitDir = join(bed.models.path, ".git");
    const result = await fetchInto(gitDir).run;
    assert.equal(result.handedOver, undefined);
    for (const o of objects()) {
      const statuses = lfsObjectRequests(bed.hub).filter((r) => r.oid === o.oid).map((r) => r.status);
      assert.ok(statuses.includes(403) && statuses.at(-1) === 206, JSON.stringify(statuses));
      assert.equal(await sha256File(lfsObjectPath(gitDir, o.oid)), o.oid);
    }
  });

  it("a server that ignores Range: every object is handed to git-lfs, nothing of ours is left", async () => {
    bed.hub.setHostile("lfs-ignore-range", true);
    const gitDir = join(bed.models.path, ".git");
    const result = await fetchInto(gitDir).run;
    assert.match(result.handedOver?.reason ?? "", /ignores Range requests \(127\.0\.0\.2:\d+\)/);
    assert.deepEqual(result.handedOver?.oids.sort(), objects().map((o) => o.oid).sort());
    assert.equal(result.fetched.size, 0);
    assert.deepEqual(await readdir(rangesDir(gitDir)), []);
  });

  it("the route: the model is a git working tree git-lfs accepts, no `git lfs fetch` ran", async () => {
    const commands: string[][] = [];
    const { events, onProgress } = collect();
    const result = await download({ repo: REPO, modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env, onProgress, onGitCommand: (a) => commands.push(a) });
    for (const [path, s] of sourceFiles(bed.hub, REPO)) assert.ok(await sameBytes(join(result.path, path), s.source), path);
    assert.ok(!commands.some((a) => a[0] === "lfs" && a[1] === "fetch"), "git-lfs fetched nothing");
    assert.ok(events.some((e) => e.type === "log" && /in parallel ranges/.test(e.message)));
    assert.equal(gitStatus(result.path, bed.home.env), "");
    const fsck = execFileSync("git", ["lfs", "fsck"], { cwd: result.path, env: bed.home.env }).toString();
    assert.match(fsck, /Git LFS fsck OK/);
  });
});

describe("LFS objects in parallel ranges: a 40 MiB file through the route", function () {
  this.timeout(120_000);
  const BIG = "demo/big-weights";
  const bed = useServiceTestbed({
    prefix: "hf-ranges-big-",
    sources: async (work) => {
      const dir = join(work, "r0");
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, "config.json"), '{"hidden_size": 64}\n');
      await writeFile(join(dir, "weights.bin"), pseudoRandomBytes(40 * 1024 * 1024, 14));
      // Not in Xet: the hub need not chunk 40 MiB for a test of the LFS route.
      return [{ id: BIG, revisions: [{ dir, message: "weights" }], notInXet: ["*"] }];
    },
  });

  it("asks for the file in two 32 MiB-bounded ranges at once", async () => {
    const result = await download({ repo: BIG, modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env });
    for (const [path, s] of sourceFiles(bed.hub, BIG)) assert.ok(await sameBytes(join(result.path, path), s.source), path);
    const ranges = lfsObjectRequests(bed.hub).map((r) => [r.range, r.status]);
    assert.deepEqual(ranges.sort(), [[`bytes=0-${32 * 1024 * 1024 - 1}`, 206], [`bytes=${32 * 1024 * 1024}-${40 * 1024 * 1024 - 1}`, 206]]);
    assert.equal(result.bytesTransferred, 40 * 1024 * 1024);
  });

  it("with a server that ignores Range: git-lfs fetches the object, the user is told why", async () => {
    bed.hub.setHostile("lfs-ignore-range", true);
    const commands: string[][] = [];
    const { events, onProgress } = collect();
    const result = await download({ repo: BIG, modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env, onProgress, onGitCommand: (a) => commands.push(a) });
    for (const [path, s] of sourceFiles(bed.hub, BIG)) assert.ok(await sameBytes(join(result.path, path), s.source), path);
    assert.ok(commands.some((a) => a[0] === "lfs" && a[1] === "fetch"));
    const warn = events.find((e) => e.type === "log" && e.level === "warn" && /git-lfs fetches/.test(e.message));
    assert.ok(warn && warn.type === "log" && /ignores Range requests/.test(warn.message), JSON.stringify(events.filter((e) => e.type === "log")));
    assert.equal(gitStatus(result.path, bed.home.env), "");
  });
});

describe("LFS range blocks: what a short write leaves", () => {
  const chunks = [Buffer.from("abc"), Buffer.from("de"), Buffer.from("fghi")];
  const text = (rest: readonly Buffer[]) => rest.map((b) => b.toString()).join("|");

  it("keeps the unwritten end of a chunk cut in the middle, and every chunk after it", () => {
    assert.equal(text(afterBytes(chunks, 0)), "abc|de|fghi");
    assert.equal(text(afterBytes(chunks, 1)), "bc|de|fghi");
    assert.equal(text(afterBytes(chunks, 3)), "de|fghi");
    assert.equal(text(afterBytes(chunks, 6)), "ghi");
  });

  it("is empty once every byte is written", () => {
    assert.deepEqual(afterBytes(chunks, 9), []);
  });
});
