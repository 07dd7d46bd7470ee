// A download onto a filesystem too small for the model: it must end in a `disk-full` DownloadError, leave no
// partial or temporary file taking space, claim nothing complete, and finish once there is room again.
// As root the filesystem is a real 8 MiB tmpfs; otherwise the same tmpfs inside a user namespace (unshare).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, statfsSync } from "node:fs";
import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { lockPathFor } from "../../src/core/download/lock";
import { download } from "../../src/core/download/service";
import { readPending, writeRecord } from "../../src/core/library/metadata";
import { PENDING_FILE } from "../../src/core/layout";
import { ROOT } from "../helpers/hub";
import { filesContaining, useServiceTestbed } from "../core/download-helpers";
import { pseudoRandomBytes } from "../../hub/xet/sampleData";
import { buildCli, cliEnv, startGroup } from "./cli";
import { allFiles, folderViolations } from "./helpers";
import { assertDownloadError, rejectsWithCode } from "../helpers/assertions";

const REPO = "rel/too-big";
/** Files git itself stores (under the Hub's LFS threshold), 12 MiB in all: the checkout, not the LFS fetch, fills the disk. */
const GIT_FILES_REPO = "rel/too-big-for-checkout";
const TOKEN = "hf_diskfull_token_0123456789";
/** Root mounts the tmpfs itself; anyone else (or `HF_RELIABILITY_DISK_FULL=namespace`) runs the CLI in a user namespace. */
const IS_ROOT = process.getuid?.() === 0 && process.env.HF_RELIABILITY_DISK_FULL !== "namespace";

function mountTmpfs(dir: string, size: string): void {
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
}

function unmount(dir: string): void {
  spawnSync("umount", [dir]);
}

describe(`reliability: disk full (${IS_ROOT ? "8 MiB tmpfs" : "8 MiB tmpfs in a user namespace"})`, function () {
  this.timeout(120_000);
  const mounted: string[] = [];
  // Registered before the testbed's own `after`, which removes the scratch folder the mounts live in.
  after(() => {
    for (const dir of mounted) unmount(dir);
  });
  const bed = useServiceTestbed({
    prefix: "hf-diskfull-",
    sources: async (work) => {
      const source = join(work, "repo");
      await mkdir(source);
      // 12 MiB of incompressible weights: more than the whole filesystem.
      await writeFile(join(source, "model.safetensors"), pseudoRandomBytes(12 * 1024 * 1024, 5));
      await writeFile(join(source, "small.bin"), pseudoRandomBytes(512 * 1024, 6));
      await writeFile(join(source, "config.json"), '{"model_type": "too-big"}\n');
      const text = join(work, "text");
      await mkdir(join(text, "tokenizer"), { recursive: true });
      // Compressible, so the clone's pack is small and the checkout is what writes the 12 MiB.
      for (let i = 0; i < 12; i++) await writeFile(join(text, "tokenizer", `merges-${i}.txt`), `${i} merge a b\n`.repeat(1024 * 1024 / 12));
      return [
        { id: REPO, revisions: [{ dir: source, message: "Add a model that does not fit" }] },
        { id: GIT_FILES_REPO, revisions: [{ dir: text, message: "Add git-stored files that do not fit" }] },
      ];
    },
  });

  /**
   * Everything in the model folder that takes space but is not a finished model file or git's own data.
   * The pending note stays on purpose: a few hundred bytes that let Resume continue the same route and selection.
   */
  async function leftovers(modelDir: string): Promise<string[]> {
    return (await allFiles(modelDir)).filter(
      (p) =>
        (p.startsWith(".hf-models") && p !== PENDING_FILE) || p.startsWith(".git/lfs/incomplete/") || p.startsWith(".git/lfs/tmp/") || p.endsWith(".tmp"),
    );
  }

  /** The bytes of the files in the model folder outside `.git` (whole files and pointers, per `folderViolations`). */
  async function bytesOutsideGit(modelDir: string): Promise<number> {
    let total = 0;
    for (const rel of await allFiles(modelDir)) if (!rel.startsWith(".git/")) total += (await stat(join(modelDir, rel))).size;
    return total;
  }

  if (IS_ROOT) {
    const cases = [
      ["lfs", false, REPO],
      ["xet", false, REPO],
      ["xet", true, REPO],
      // The checkout writing git's own files fails while the LFS fetch has nothing to do: git says "Out of diskspace".
      ["lfs", false, GIT_FILES_REPO],
    ] as const;
    for (const [route, fallbackToLfs, repo] of cases) {
      const name = `${route}${fallbackToLfs ? "+fallback" : ""}${repo === GIT_FILES_REPO ? " (checkout fills the disk)" : ""}`;
      it(`${name}: ends in disk-full, leaves no partial or temp file, and completes once there is room`, async () => {
        const models = join(bed.work.path, `fs-${name.replace(/\W+/g, "-")}`);
        await mkdir(models);
        mountTmpfs(models, "8m");
        mounted.push(models);
        const modelDir = join(models, ...repo.split("/"));
        const request = { repo, modelsDir: models, endpoint: bed.hub.url, token: TOKEN, method: route, fallbackToLfs };
        bed.hub.resetLog();
        const events: string[] = [];
        const err = await download(request, { env: bed.home.env, onProgress: (e) => e.type === "fallback" && events.push(e.reason) }).then(
          () => undefined,
          (e: unknown) => e,
        );
        assertDownloadError(err, "disk-full", /disk is full|No space left/i);
        assert.ok(!err.message.includes(TOKEN));
        assert.deepEqual(events, [], "a full disk is not a reason to fall back: Git LFS would fill it just the same");
        if (route === "xet") assert.ok(!bed.hub.ctx.log.some((e) => e.route.startsWith("git-")), "git never started");
        assert.deepEqual(await leftovers(modelDir), [], "no partial, temp or record file left");
        const pending = await readPending(modelDir);
        if (pending) assert.equal(pending.method, route, "Resume would continue with the route that was asked for");
        assert.equal(existsSync(lockPathFor(modelDir)), false, "the lock is released");
        // Only whole files and LFS pointers stay, no file the checkout left half written.
        assert.deepEqual(await folderViolations({ hub: bed.hub, repo, modelDir }), []);
        assert.deepEqual(await filesContaining(modelDir, TOKEN), [], "no token on disk, .git/lfs/logs included");
        const { bsize, blocks, bfree } = statfsSync(models);
        // Whole files the checkout finished stay (the error says so); only the new case has megabytes of them.
        const whole = repo === GIT_FILES_REPO ? await bytesOutsideGit(modelDir) : 0;
        assert.ok((blocks - bfree) * bsize - whole < 2 * 1024 * 1024, `space given back: ${((blocks - bfree) * bsize - whole) / 1024} KiB used besides ${whole / 1024} KiB of whole files`);

        // Room again (the same filesystem, grown): the rerun finishes, verified.
        execFileSync("mount", ["-o", "remount,size=64m", models]);
        const result = await download(request, { env: bed.home.env });
        assert.equal(result.method, route);
        assert.deepEqual(await folderViolations({ hub: bed.hub, repo, modelDir, result }), []);
        unmount(models);
        mounted.splice(mounted.indexOf(models), 1);
      });
    }

    it("the record write hitting a full disk leaves no half record and no temp file", async () => {
      const dir = join(bed.work.path, "record-fs");
      await mkdir(dir);
      mountTmpfs(dir, "64k");
      mounted.push(dir);
      await writeFile(join(dir, "filler"), Buffer.alloc(60 * 1024)).catch(() => undefined);
      const files = Array.from({ length: 400 }, (_, i) => ({ path: `weights/f${i}.bin`, size: i, hash: "a".repeat(64), hashKind: "sha256" as const }));
      const record = { version: 1 as const, repo: REPO, revision: "main", commit: "0".repeat(40), method: "lfs" as const, endpoint: bed.hub.url, files, completedAt: new Date().toISOString() };
      await rejectsWithCode(writeRecord(dir, record), "disk-full");
      assert.deepEqual(await readdir(dir), ["filler"], "no half record, no temp file");
    });
  } else {
    it("hf-models download --use-xet and the LFS route both end in disk-full with nothing left behind (unshare -Urm)", async () => {
      await buildCli();
      for (const route of ["xet", "lfs"]) {
        const models = join(bed.work.path, `ns-${route}`);
        await mkdir(models);
        const script = `mount -t tmpfs -o size=8m tmpfs "$1" && shift && "$@"; code=$?; find "$MODELS" -path '*/.git/objects' -prune -o -type f -print; exit $code`;
        const args = [join(ROOT, "bin", "hf-models.js"), "download", REPO, "--endpoint", bed.hub.url, "--dir", models, "--json", ...(route === "xet" ? ["--use-xet", "--no-fallback"] : [])];
        // `unshare -Urm` maps us to root in new user + mount namespaces, where mounting a tmpfs needs no privilege.
        const run = startGroup("unshare", ["-Urm", "sh", "-c", script, "sh", models, process.execPath, ...args], cliEnv(bed.home.path, { HF_TOKEN: TOKEN, MODELS: models }));
        const { code } = await run.done;
        assert.equal(code, 1, run.stderr());
        assert.equal(JSON.parse(run.stdout().split("\n")[0]!).error.code, "disk-full");
        const files = run.stdout().split("\n").slice(1).filter(Boolean);
        assert.deepEqual(files.filter((p) => /\.hf-models|lfs\/incomplete\/|lfs\/tmp\/|\.tmp$/.test(p)), [], files.join("\n"));
      }
    });
  }
});
