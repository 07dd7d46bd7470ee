// kill -9 of `hf-models download` at about 30 %, 60 % and 90 % of a 40 MiB file, then a rerun: it must complete
// verified and re-fetch at most 10 % of the file, measured from the hub's request log. One suite per route.
import assert from "node:assert/strict";
import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readRecord } from "../../src/core/library/metadata";
import { sha256File, tempDir } from "../helpers/hub";
import { gitHome } from "../core/download-helpers";
import { startHub, type LocalHub } from "../../hub/server";
import { pseudoRandomBytes } from "../../hub/xet/sampleData";
import { buildCli, cliEnv, startCli } from "./cli";
import { recordFigure } from "./figures";

const REPO = "rel/large";
const FILE = "model.safetensors";
const SIZE = 40 * 1024 * 1024;
const TOKEN = "hf_crashresume_token_0123456789";
/** Slow enough to make 30 % / 60 % / 90 % observable: about 8 s for the file. */
const SLOW = { latencyMs: 20, perConnectionBytesPerSecond: 5_000_000, totalBytesPerSecond: 5_000_000 };

export interface CrashSuiteOptions {
  route: "xet" | "lfs";
  /** Extra environment for the CLI (e.g. `HF_MODELS_XET_MAPS`). */
  env?: Record<string, string>;
  /** Name of the suite and key of its figures. Default: the route. */
  label?: string;
}

export function crashResumeSuite({ route, env: extraEnv = {}, label = route }: CrashSuiteOptions): void {
  describe(`reliability: kill -9 of \`hf-models download\` and resume (${label})`, function () {
    this.timeout(300_000);
    let hub: LocalHub;
    let work: Awaited<ReturnType<typeof tempDir>>;
    let home: Awaited<ReturnType<typeof gitHome>>;
    let oid: string;

    before(async () => {
      work = await tempDir("hf-crash-");
      const source = join(work.path, "repo");
      await mkdir(source);
      await writeFile(join(source, FILE), pseudoRandomBytes(SIZE, 77));
      await writeFile(join(source, "config.json"), '{"model_type": "crash-test"}\n');
      hub = await startHub({ repos: [{ id: REPO, revisions: [{ dir: source, message: "Add large model" }] }], slow: SLOW });
      const repo = hub.ctx.repos.get(REPO)!;
      oid = repo.commits.get(repo.branches.get("main")!)!.files.get(FILE)!.sha256;
      home = await gitHome();
      await buildCli();
    });
    after(async () => {
      await hub?.close();
      await home?.cleanup();
      await work?.cleanup();
    });

    /** Bytes of the file the running download has written: allocated blocks of a partial written out of order (Xet, LFS ranges), or git-lfs' temp file. */
    async function writtenBytes(modelDir: string): Promise<number> {
      if (route === "xet") {
        const info = await stat(join(modelDir, ".hf-models-partial", `${oid}.part`)).catch(() => undefined);
        return info ? Math.min(info.size, info.blocks * 512) : 0;
      }
      // Parallel ranges write out of order too; git-lfs (after a hand-over) appends to its temp file.
      const ranges = await stat(join(modelDir, ".git", "lfs", "incomplete", "hf-ranges", oid)).catch(() => undefined);
      if (ranges) return Math.min(ranges.size, ranges.blocks * 512);
      const dir = join(modelDir, ".git", "lfs", "incomplete");
      let best = 0;
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        if (name.startsWith(oid)) best = Math.max(best, (await stat(join(dir, name)).catch(() => ({ size: 0 }))).size);
      }
      return best;
    }

    /** Response bytes of the file's data requests (xorb ranges or the LFS object) since the last resetLog. */
    const servedBytes = () => hub.ctx.log.filter((e) => e.route === (route === "xet" ? "xorb" : "lfs-object") && e.status < 300).reduce((n, e) => n + e.bytes, 0);

    for (const fraction of [0.3, 0.6, 0.9]) {
      it(`killed at ~${fraction * 100} %: the rerun completes verified and re-fetches at most 10 % of the file`, async () => {
        const models = join(work.path, `${label}-${fraction}`);
        const modelDir = join(models, ...REPO.split("/"));
        const args = ["download", REPO, "--endpoint", hub.url, "--dir", models, "--json", ...(route === "xet" ? ["--use-xet", "--no-fallback"] : [])];
        const env = cliEnv(home.path, { HF_TOKEN: TOKEN, ...extraEnv });
        hub.resetLog();
        hub.setFault("slow", true);
        const first = startCli(args, env);
        let atKill = 0;
        const deadline = Date.now() + 120_000;
        while (first.child.exitCode === null && Date.now() < deadline) {
          atKill = await writtenBytes(modelDir);
          if (atKill >= fraction * SIZE) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        first.kill9();
        const killed = await first.done;
        assert.equal(killed.signal, "SIGKILL", `the first run was killed mid-download (exit ${killed.code}): ${first.stderr()}`);
        // The server logs a cut connection once it notices the close.
        await new Promise((r) => setTimeout(r, 300));
        const firstBytes = servedBytes();
        assert.equal(await readRecord(modelDir), undefined, "no record after the crash");

        hub.setFault("slow", false);
        hub.resetLog();
        const second = startCli(args, env);
        const end = await second.done;
        assert.equal(end.code, 0, second.stderr());
        assert.equal(JSON.parse(second.stdout().trim()).method, route);
        assert.equal(await sha256File(join(modelDir, FILE)), oid, "byte-exact after the rerun");
        assert.equal((await readRecord(modelDir))?.files.find((f) => f.path === FILE)?.hash, oid, "recorded with its hash");
        const rerunBytes = servedBytes();
        const refetched = firstBytes + rerunBytes - SIZE;
        const figure = { route, killAt: fraction, writtenAtKill: atKill, firstRunBytes: firstBytes, rerunBytes, refetchedBytes: refetched, refetchedPercent: +((refetched / SIZE) * 100).toFixed(2) };
        await recordFigure("crash-resume", `${label}@${fraction}`, figure);
        assert.ok(refetched <= 0.1 * SIZE, `re-fetched ${refetched} bytes (${figure.refetchedPercent} %) of ${SIZE}: ${JSON.stringify(figure)}`);
      });
    }
  });
}
