// The fault matrix: every fault switch of the local Hub alone and in pairs, against Git LFS, Xet and Xet with
// fallback. Each run must end byte-exact and recorded, or in a DownloadError naming the cause with nothing
// claimed complete; the results go to test-artifacts/reliability-matrix.json (docs/RELIABILITY.md's table).
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT, tempDir } from "../helpers/hub";
import { gitHome } from "../core/download-helpers";
import type { FaultName, RequestLogEntry } from "../../hub/context";
import { startHub } from "../../hub/server";
import { download } from "../../src/core/download/service";
import { folderViolations, pool, stampLog, writeSmallRepo } from "./helpers";
import { runCase, type CaseRecord } from "./matrix-run";
import { describeExpected, expectedOutcome, faultSets, matrixCases, ROUTE_CONFIGS } from "./matrix-table";

const REPO = "rel/small";
/** Fault sets run at once, each on a hub of its own (fault switches are per hub). */
const PARALLEL = 6;
/** Above the 1 s Retry-After: a wait the client chose is not a stall (see docs/RELIABILITY.md, open defects). */
const STALL_TIMEOUT_MS = 1500;
const RETRY_AFTER_SECONDS = 1;
export const MATRIX_ARTIFACT = join(ROOT, "test-artifacts", "reliability-matrix.json");

type Full = Awaited<ReturnType<typeof runCase>> & { timeOf(e: RequestLogEntry): number };

describe("reliability: fault matrix (every fault alone and in pairs × lfs / xet / xet+fallback)", function () {
  this.timeout(600_000);
  const cases = matrixCases();
  const records = new Map<string, Full>();
  let work: Awaited<ReturnType<typeof tempDir>>;
  let home: Awaited<ReturnType<typeof gitHome>>;
  let totalMs = 0;
  /** Repo path → Xet file hash (the same in every hub: the content and chunking are deterministic). */
  const xetHashOf = new Map<string, string>();

  before(async function () {
    const started = Date.now();
    work = await tempDir("hf-matrix-");
    const source = join(work.path, "repo");
    await writeSmallRepo(source);
    home = await gitHome();
    await pool(faultSets(), PARALLEL, async (faults, i) => {
      const hub = await startHub({
        repos: [{ id: REPO, revisions: [{ dir: source, message: "Add small model" }] }],
        stallAfterBytes: 16 * 1024,
        retryAfterSeconds: RETRY_AFTER_SECONDS,
        slow: { latencyMs: 30, perConnectionBytesPerSecond: 8_000_000, totalBytesPerSecond: 16_000_000 },
      });
      const timeOf = stampLog(hub);
      if (xetHashOf.size === 0) {
        const repo = hub.ctx.repos.get(REPO)!;
        for (const f of repo.commits.get(repo.branches.get("main")!)!.files.values()) if (f.xetHash) xetHashOf.set(f.path, f.xetHash);
      }
      try {
        for (const [j, route] of ROUTE_CONFIGS.entries()) {
          const c = { id: `${route} | ${faults.join(" + ")}`, faults, route };
          const record = await runCase(c, {
            hub, repo: REPO, env: home.env, timeOf,
            modelsDir: join(work.path, `set${i}-${route}`),
            token: `hf_matrix${process.pid}s${i}r${j}`,
            stallTimeoutMs: STALL_TIMEOUT_MS,
          });
          records.set(c.id, { ...record, timeOf });
        }
      } finally {
        await hub.close();
      }
    });
    totalMs = Date.now() - started;
  });

  after(async () => {
    await home?.cleanup();
    await work?.cleanup();
  });

  for (const c of cases) {
    it(`${c.id} → ${describeExpected(expectedOutcome(c.faults, c.route))}`, () => {
      const r = records.get(c.id);
      assert.ok(r, "the case ran");
      assert.deepEqual(r.violations, [], `${r.outcome}${r.message ? `: ${r.message}` : ""}`);
    });
  }

  const single = (route: string, fault: FaultName) => records.get(`${route} | ${fault}`)!;
  const pairsWith = (route: string, fault: FaultName) => [...records.values()].filter((r) => r.route === route && r.faults.includes(fault));

  it("Xet retries back off exponentially with jitter, and wait at least what they announce", () => {
    const runs = [...records.values()].filter((r) => r.route === "xet" && r.faults.includes("cas-unavailable") && !r.faults.includes("token-error"));
    assert.ok(runs.length >= 8, `${runs.length} runs`);
    // Per file, the announced waits of its successive retries (503s only: 429s wait for Retry-After instead).
    const series = runs.flatMap((r) => [...xetHashOf.keys()].map((path) => ({ r, path, delays: r.retries.filter((x) => x.path === path && /503/.test(x.reason)).map((x) => x.ms) })));
    const depth = Math.min(...series.map((s) => s.delays.length));
    assert.ok(depth >= 2, `every file retried at least twice: ${JSON.stringify(series.map((s) => s.delays))}`);
    const mean = (k: number) => series.reduce((sum, s) => sum + s.delays[k]!, 0) / series.length;
    for (let k = 1; k < depth; k++) assert.ok(mean(k) > mean(k - 1), `mean wait before retry ${k + 1} (${mean(k)} ms) > before retry ${k} (${mean(k - 1)} ms)`);
    for (let k = 0; k < depth; k++) {
      const values = new Set(series.map((s) => s.delays[k]));
      assert.ok(values.size > 1, `retry ${k + 1} waited the same ${[...values]} ms in all ${series.length} series: no jitter`);
    }
    // The announced wait really happened: the file's next reconstruction request came no sooner.
    for (const { r, path, delays } of series) {
      const asked = r.log.filter((e) => e.route.startsWith("reconstruction") && e.path.includes(xetHashOf.get(path)!)).map((e) => r.timeOf(e));
      for (let k = 0; k < delays.length && k + 1 < asked.length; k++) {
        assert.ok(asked[k + 1]! - asked[k]! >= delays[k]! - 55, `${r.id} ${path}: retry ${k + 1} came ${asked[k + 1]! - asked[k]!} ms after the 503, announced ${delays[k]} ms`);
      }
    }
  });

  it("429 answers are waited out for the Retry-After they carry, on both routes", () => {
    for (const route of ["xet", "lfs"]) {
      const r = single(route, "rate-limit");
      assert.equal(r.outcome, `verified via ${route}`);
      const limited = r.log.filter((e) => e.status === 429);
      assert.ok(limited.length > 0, `${route}: the hub rate-limited something`);
      for (const e of limited) {
        const path = e.path.split("?")[0];
        const retry = r.log.find((x) => x !== e && x.path.split("?")[0] === path && x.status < 300 && r.timeOf(x) >= r.timeOf(e));
        assert.ok(retry, `${route}: ${path} was asked again`);
        assert.ok(r.timeOf(retry) - r.timeOf(e) >= RETRY_AFTER_SECONDS * 1000 - 5, `${route}: ${e.route} retried after ${r.timeOf(retry) - r.timeOf(e)} ms, Retry-After was ${RETRY_AFTER_SECONDS} s`);
      }
    }
  });

  it("an expired signed URL makes the client ask for the reconstruction again, and the file completes", () => {
    for (const r of [single("xet", "url-expired"), ...pairsWith("xet", "url-expired").filter((x) => x.outcome === "verified via xet")]) {
      const expired = r.log.filter((e) => e.route === "xorb" && e.status === 403);
      assert.ok(expired.length > 0, `${r.id}: an expired xorb URL was used`);
      for (const e of expired) {
        const later = r.log.filter((x) => r.timeOf(x) >= r.timeOf(e));
        assert.ok(later.some((x) => x.route.startsWith("reconstruction") && x.status === 200), `${r.id}: reconstruction re-queried`);
        assert.ok(later.some((x) => x.route === "xorb" && x.status === 206), `${r.id}: fresh URL used`);
      }
    }
  });

  it("a stall (no bytes for stallTimeoutMs) is detected, retried, then reported or handed to Git LFS", () => {
    const noFallback = single("xet", "xorb-stall");
    assert.equal(noFallback.outcome, "DownloadError stalled");
    assert.match(noFallback.message!, new RegExp(`no bytes for ${STALL_TIMEOUT_MS / 1000} s`));
    assert.ok(noFallback.log.filter((e) => e.route.startsWith("reconstruction")).length >= 2, "the stalled attempt was retried");
    const fallback = single("xet+fallback", "xorb-stall");
    assert.equal(fallback.outcome, "verified via lfs after fallback");
    assert.match(fallback.fallbackReason!, /no bytes for/);
  });

  const lfsRetries = [
    { name: "`git lfs fetch`", lfsConnections: 0, warning: /^git lfs fetch failed \(The Hub's git service failed while running git lfs fetch \(HTTP 503\)[^)]*\); retrying in (0\.[5-9]|1\.[0-5]) s$/ },
    { name: "the parallel range requests' batch call", lfsConnections: undefined, warning: /^the LFS batch API answered 503; retrying in (0\.[5-9]|1\.[0-5]) s$/ },
  ];
  for (const variant of lfsRetries) {
    it(`Git LFS: a git service that fails during ${variant.name} and comes back is retried after a jittered wait, and the files complete`, async () => {
      const hub = await startHub({ repos: [{ id: REPO, revisions: [{ dir: join(work.path, "repo"), message: "Add small model" }] }] });
      const timeOf = stampLog(hub);
      try {
        const warnings: string[] = [];
        const result = await download({ repo: REPO, modelsDir: join(work.path, `lfs-retry-${variant.lfsConnections ?? "ranges"}`), endpoint: hub.url, token: "hf_matrix_lfs_retry_1", lfsConnections: variant.lfsConnections }, {
          env: home.env,
          onProgress: (e) => {
            if (e.type !== "log") return;
            // The service breaks down just as the LFS fetch starts, and is back by the time the route retries.
            if (/^Fetching \d+ LFS object/.test(e.message)) hub.setFault("git-unavailable", true);
            if (e.level === "warn") {
              warnings.push(e.message);
              hub.setFault("git-unavailable", false);
            }
          },
        });
        assert.equal(warnings.length, 1, warnings.join("\n"));
        assert.match(warnings[0]!, variant.warning);
        const batches = hub.ctx.log.filter((e) => e.route === "lfs-batch");
        assert.deepEqual(batches.map((e) => e.status), [503, 200]);
        const announced = Number(/retrying in ([\d.]+) s/.exec(warnings[0]!)![1]) * 1000;
        assert.ok(timeOf(batches[1]!) - timeOf(batches[0]!) >= announced - 55, "the retry waited what it announced");
        assert.deepEqual(await folderViolations({ hub, repo: REPO, modelDir: result.path, result }), []);
      } finally {
        await hub.close();
      }
    });
  }

  it(`writes ${MATRIX_ARTIFACT.slice(ROOT.length + 1)}`, async () => {
    const rows: CaseRecord[] = cases.map((c) => {
      const { log: _log, events: _events, timeOf: _t, ...row } = records.get(c.id)!;
      return row;
    });
    const summary: Record<string, number> = {};
    for (const r of rows) summary[`${r.route}: ${r.outcome}`] = (summary[`${r.route}: ${r.outcome}`] ?? 0) + 1;
    await mkdir(join(ROOT, "test-artifacts"), { recursive: true });
    await writeFile(
      MATRIX_ARTIFACT,
      `${JSON.stringify({ generatedAt: new Date().toISOString(), command: "npx mocha test/reliability/fault-matrix.test.ts", cases: rows.length, passed: rows.filter((r) => r.violations.length === 0).length, totalMs, summary, rows }, null, 2)}\n`,
    );
    assert.equal(rows.length, 45 * 3);
  });
});
