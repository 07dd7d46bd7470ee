// The reference Python client (huggingface_hub + hf_xet, .venv-judge) against the local Hub's real-Hub modes of
// issue 11: V2 entries with several ranges of one xorb on a strict CAS (one signed range per URL), a repo with an
// LFS file not migrated to Xet yet, and a mirror whose xet-auth link names huggingface.co. If the real xet-core
// cannot read what our Hub sends, our Hub is wrong.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RepoSource } from "../../hub/model";
import { startHub, type LocalHub, type StartHubOptions } from "../../hub/server";
import { ROOT, sha256File, tempDir } from "../helpers/hub";

const PYTHON = join(ROOT, ".venv-judge", "bin", "python");
const TOKEN = "hf_python_judge_token";
const MiB = 1024 * 1024;

describe("reference Python client on the local Hub's real-Hub modes", function () {
  this.timeout(180_000);
  let work: { path: string; cleanup(): Promise<void> };
  let sources: RepoSource[];
  const hubs: LocalHub[] = [];

  before(async function () {
    if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run bash scripts/ensure-python-judge.sh`);
    work = await tempDir("hf-py-realhub-");
    const ranges = join(work.path, "ranges");
    const mixed = join(work.path, "mixed");
    await mkdir(ranges, { recursive: true });
    await mkdir(mixed, { recursive: true });
    const [a, b, c, z] = [randomBytes(MiB + 12345), randomBytes(2 * MiB), randomBytes(MiB + 777), randomBytes(MiB)];
    await writeFile(join(ranges, "abc.bin"), Buffer.concat([a, b, c]));
    await writeFile(join(ranges, "azc.bin"), Buffer.concat([a, z, c]));
    await writeFile(join(mixed, "migrated.bin"), randomBytes(3 * MiB));
    await writeFile(join(mixed, "fresh.bin"), randomBytes(4 * MiB));
    sources = [
      { id: "test/ranges", revisions: [{ dir: ranges, message: "Add ranges" }] },
      { id: "test/mixed", revisions: [{ dir: mixed, message: "Add mixed" }], notInXet: ["fresh.bin"] },
    ];
  });
  after(async () => {
    for (const h of hubs) await h.close();
    await work?.cleanup();
  });

  async function hubWith(options: Partial<StartHubOptions>): Promise<LocalHub> {
    const hub = await startHub({ repos: sources, lfsThresholdBytes: MiB, tokens: [TOKEN], ...options });
    hubs.push(hub);
    return hub;
  }

  function snapshot(hub: LocalHub, repo: string, out: string, env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
    const script = `import huggingface_hub as h\nh.snapshot_download(${JSON.stringify(repo)}, local_dir=${JSON.stringify(out)})`;
    return new Promise((resolve, reject) => {
      const child = spawn(PYTHON, ["-c", script], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: work.path, HF_ENDPOINT: hub.url, HF_HOME: join(out, "..", `${repo.replace("/", "_")}-home`), HF_HUB_DISABLE_TELEMETRY: "1", HF_HUB_DISABLE_PROGRESS_BARS: "1", ...env },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stderr }));
    });
  }

  async function assertSame(hub: LocalHub, repo: string, out: string): Promise<void> {
    const r = hub.ctx.repos.get(repo)!;
    for (const f of r.commits.get(r.branches.get("main")!)!.files.values()) assert.equal(await sha256File(join(out, f.path)), f.sha256, f.path);
  }

  it("hf_xet reads V2 multi-range entries on the default CAS and one-range URLs on a strict CAS, byte-exact", async () => {
    for (const strictCas of [false, true]) {
      const hub = await hubWith({ strictCas });
      const out = join(work.path, `py-ranges-${strictCas}`);
      const result = await snapshot(hub, "test/ranges", out);
      assert.equal(result.code, 0, result.stderr.slice(-3000));
      await assertSame(hub, "test/ranges", out);
      const xorbs = hub.ctx.log.filter((e) => e.route === "xorb");
      assert.ok(xorbs.length > 0 && xorbs.every((e) => e.status === 206), `strict=${strictCas}: ${JSON.stringify(xorbs.map((e) => [e.status, e.range]))}`);
    }
  });

  it("a repo with an LFS file not in Xet yet: Xet for the migrated file, the LFS object for the other, byte-exact", async () => {
    const hub = await hubWith({});
    const out = join(work.path, "py-mixed");
    const result = await snapshot(hub, "test/mixed", out);
    assert.equal(result.code, 0, result.stderr.slice(-3000));
    await assertSame(hub, "test/mixed", out);
    assert.ok(hub.ctx.log.some((e) => e.route.startsWith("reconstruction-") && e.status === 200));
    assert.ok(hub.ctx.log.some((e) => e.route === "lfs-object" && e.status === 200));
  });

  it("through a mirror whose xet-auth link names huggingface.co, a private repo still downloads over Xet", async () => {
    const hub = await hubWith({ mirrorOf: "https://huggingface.co" });
    hub.ctx.repos.get("test/ranges")!.private = true;
    const out = join(work.path, "py-mirror");
    const result = await snapshot(hub, "test/ranges", out, { HF_TOKEN: TOKEN });
    assert.equal(result.code, 0, result.stderr.slice(-3000));
    await assertSame(hub, "test/ranges", out);
    assert.ok(hub.ctx.log.some((e) => e.route === "xet-read-token" && e.status === 200 && e.auth === "hub-token"));
  });
});
