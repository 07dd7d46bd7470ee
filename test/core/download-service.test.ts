// The download service over the LFS route against the local Hub: byte-exact files, include/exclude,
// updates that fetch only what changed, progress events, validation before any request, and records.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { link, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { download } from "../../src/core/download/service";
import { type ProgressEvent } from "../../src/core/download/types";
import { readRecord } from "../../src/core/library/metadata";
import { lfsObjectPath } from "../../src/core/lfs/objects";
import { hashFile } from "../../src/core/content";
import { rejectsWithCode } from "../helpers/assertions";
import { demoSources, tempDir } from "../helpers/hub";
import { startHub } from "../../hub/server";
import { bytesEvents, collect, gitStatus, lfsObjectRequests, sameBytes, sourceFiles, workingFiles, useServiceTestbed } from "./download-helpers";

describe("download service (LFS) against the local Hub", function () {
  this.timeout(60_000);
  const bed = useServiceTestbed({ prefix: "hf-service-" });

  async function assertMatchesHub(dir: string, repo: string, revision = "main", only?: string[]) {
    const sources = sourceFiles(bed.hub, repo, revision);
    const expected = [...sources.keys()].filter((p) => !only || only.includes(p)).sort();
    assert.deepEqual((await workingFiles(dir)).filter((p) => p !== ".hf-models.json"), expected);
    for (const path of expected) assert.ok(await sameBytes(join(dir, path), sources.get(path)!.source), `${path} is byte-exact`);
  }

  it("downloads a whole repo byte-exact, records it and reports monotonic progress ending at the total", async () => {
    const { events, onProgress } = collect();
    const result = await download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env, onProgress });
    const repo = bed.hub.ctx.repos.get("demo/tiny-model")!;
    assert.equal(result.path, join(bed.models.path, "demo", "tiny-model"));
    assert.equal(result.commit, repo.branches.get("main"));
    assert.equal(result.method, "lfs");
    assert.equal(result.fallbackReason, undefined);
    await assertMatchesHub(result.path, "demo/tiny-model");

    const sources = sourceFiles(bed.hub, "demo/tiny-model");
    const total = [...sources.values()].reduce((s, f) => s + f.size, 0);
    const lfsTotal = [...sources.values()].filter((f) => f.lfsOid).reduce((s, f) => s + f.size, 0);
    assert.equal(result.totalBytes, total);
    assert.equal(result.bytesTransferred, lfsTotal, "LFS bytes were transferred once");
    for (const f of result.files) {
      const src = sources.get(f.path)!;
      assert.equal(f.size, src.size);
      if (src.lfsOid) assert.deepEqual([f.hashKind, f.hash], ["sha256", src.sha256]);
      else assert.equal(f.hashKind, "git-sha1");
    }

    const record = await readRecord(result.path);
    assert.ok(record);
    assert.deepEqual([record.repo, record.revision, record.commit, record.method, record.endpoint], ["demo/tiny-model", "main", result.commit, "lfs", bed.hub.url]);
    assert.deepEqual(record.files, result.files);

    // Events: plan before bytes, stages in order, totals never shrink, the last one is complete.
    const types = events.map((e) => e.type);
    assert.ok(types.indexOf("plan") < types.indexOf("bytes"));
    assert.deepEqual(events.find((e) => e.type === "plan"), { type: "plan", method: "lfs", totalFiles: sources.size, totalBytes: total });
    const stages = [...new Set(events.filter((e): e is Extract<ProgressEvent, { type: "stage" }> => e.type === "stage").map((e) => e.stage))];
    assert.deepEqual(stages, ["resolving", "listing", "cloning", "downloading", "verifying", "finalizing"]);
    const bytes = bytesEvents(events);
    for (let i = 1; i < bytes.length; i++) assert.ok(bytes[i]!.doneBytes >= bytes[i - 1]!.doneBytes, "doneBytes is monotonic");
    const last = bytes.at(-1)!;
    assert.deepEqual([last.doneBytes, last.totalBytes, last.filesDone, last.totalFiles], [total, total, sources.size, sources.size]);
    assert.equal(events.filter((e) => e.type === "file-done").length, sources.size);
    assert.equal(gitStatus(result.path, bed.home.env), "");
  });

  it("include/exclude checks out and fetches only the matching files, and a new selection with `prune` replaces the old", async () => {
    const sources = sourceFiles(bed.hub, "demo/quantized-gguf");
    const first = await download(
      { repo: "demo/quantized-gguf", modelsDir: bed.models.path, endpoint: bed.hub.url, include: ["*Q4_K_M*", "config.json"] },
      { env: bed.home.env },
    );
    await assertMatchesHub(first.path, "demo/quantized-gguf", "main", ["config.json", "tiny-Q4_K_M.gguf"]);
    assert.deepEqual(first.files.map((f) => f.path), ["config.json", "tiny-Q4_K_M.gguf"]);
    assert.deepEqual(lfsObjectRequests(bed.hub).map((r) => r.oid), [sources.get("tiny-Q4_K_M.gguf")!.lfsOid]);
    assert.equal(first.totalBytes, sources.get("config.json")!.size + sources.get("tiny-Q4_K_M.gguf")!.size);
    assert.equal(gitStatus(first.path, bed.home.env), "");

    bed.hub.resetLog();
    // Without `prune` a narrower selection keeps what is there (test/reliability/selection-edits.test.ts).
    const second = await download({ repo: "demo/quantized-gguf", modelsDir: bed.models.path, endpoint: bed.hub.url, exclude: ["*.gguf"], prune: true }, { env: bed.home.env });
    await assertMatchesHub(second.path, "demo/quantized-gguf", "main", [".gitattributes", "README.md", "config.json"]);
    assert.deepEqual(lfsObjectRequests(bed.hub), [], "no LFS object was needed");
    assert.deepEqual((await readRecord(second.path))!.files.map((f) => f.path), [".gitattributes", "README.md", "config.json"]);
    assert.deepEqual(await storedObjects(second.path), [], "the deselected file's object does not stay behind in .git");
    assert.equal(gitStatus(second.path, bed.home.env), "");

    bed.hub.resetLog();
    const all = await download({ repo: "demo/quantized-gguf", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env });
    await assertMatchesHub(all.path, "demo/quantized-gguf");
    const ggufOids = ["tiny-Q4_K_M.gguf", "tiny-Q5_K_M.gguf", "tiny-Q8_0.gguf"].map((p) => sources.get(p)!.lfsOid!);
    assert.deepEqual(lfsObjectRequests(bed.hub).map((r) => r.oid).sort(), ggufOids.sort());
    assert.deepEqual(await storedObjects(all.path), ggufOids.sort());
    assert.equal(gitStatus(all.path, bed.home.env), "");
  });

  it("updating from branch v1 to main fetches only the changed LFS object and removes the old one", async () => {
    const v1 = await download({ repo: "demo/two-revisions", revision: "v1", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env });
    const repo = bed.hub.ctx.repos.get("demo/two-revisions")!;
    assert.equal(v1.commit, repo.branches.get("v1"));
    await assertMatchesHub(v1.path, "demo/two-revisions", "v1");
    const oldOid = sourceFiles(bed.hub, "demo/two-revisions", "v1").get("model.safetensors")!.lfsOid!;
    const newOid = sourceFiles(bed.hub, "demo/two-revisions", "main").get("model.safetensors")!.lfsOid!;
    assert.notEqual(oldOid, newOid);
    // What a cancelled download of some other version would have left behind.
    const strayPart = join(v1.path, ".git", "lfs", "incomplete", `${"e".repeat(64)}.part`);
    await mkdir(dirname(strayPart), { recursive: true });
    await writeFile(strayPart, "partial");

    bed.hub.resetLog();
    const { events, onProgress } = collect();
    const main = await download({ repo: "demo/two-revisions", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env, onProgress });
    assert.equal(main.commit, repo.branches.get("main"));
    await assertMatchesHub(main.path, "demo/two-revisions", "main");
    assert.deepEqual(lfsObjectRequests(bed.hub).map((r) => r.oid), [newOid], "exactly one LFS object request, for the changed file");
    assert.equal(main.bytesTransferred, sourceFiles(bed.hub, "demo/two-revisions").get("model.safetensors")!.size);
    // The old version is not kept out of sight in .git: the store holds main's objects, each linked to its file.
    const current = [...sourceFiles(bed.hub, "demo/two-revisions", "main").values()].flatMap((f) => (f.lfsOid ? [f.lfsOid] : []));
    assert.deepEqual(await storedObjects(main.path), current.sort());
    for (const oid of current) assert.equal((await stat(lfsObjectPath(join(main.path, ".git"), oid))).nlink, 2);
    assert.ok(!existsSync(strayPart), "a partial object of another version is removed too");
    const removed = events.find((e) => e.type === "log" && e.message.startsWith("Removed "));
    assert.match((removed as { message: string } | undefined)?.message ?? "", /^Removed 2 LFS object\(s\) the checkout no longer uses, [\d.]+ [kM]?B freed$/);
    const record = (await readRecord(main.path))!;
    assert.deepEqual([record.revision, record.commit], ["main", main.commit]);
    assert.equal(gitStatus(main.path, bed.home.env), "");
  });

  it("keeps an old object that something else still links to, byte for byte: replacing its file never writes through the link", async () => {
    const v1 = await download({ repo: "demo/two-revisions", revision: "v1", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env });
    const oldOid = sourceFiles(bed.hub, "demo/two-revisions", "v1").get("model.safetensors")!.lfsOid!;
    const object = lfsObjectPath(join(v1.path, ".git"), oldOid);
    const usersLink = join(bed.models.path, "my-v1-weights.safetensors");
    await link(object, usersLink);

    const main = await download({ repo: "demo/two-revisions", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env });
    await assertMatchesHub(main.path, "demo/two-revisions", "main");
    assert.equal(await hashFile({ path: object, expected: { kind: "sha256" } }), oldOid);
    assert.equal((await stat(usersLink)).ino, (await stat(object)).ino);
    assert.equal(gitStatus(main.path, bed.home.env), "");
  });

  it("updates an existing clone with git fetch, also when the endpoint changed", async () => {
    // A Hub whose main is still revision 1, then the full demo Hub (same files, one commit more) elsewhere.
    const v1Source = (await demoSources()).find((r) => r.id === "demo/two-revisions")!.revisions[0]!;
    const old = await startHub({ repos: [{ id: "demo/two-revisions", revisions: [{ dir: v1Source.dir, message: "Revision 1" }] }] });
    try {
      await download({ repo: "demo/two-revisions", modelsDir: bed.models.path, endpoint: old.url }, { env: bed.home.env });
    } finally {
      await old.close();
    }
    const newOid = sourceFiles(bed.hub, "demo/two-revisions").get("model.safetensors")!.lfsOid!;
    const result = await download({ repo: "demo/two-revisions", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env });
    await assertMatchesHub(result.path, "demo/two-revisions");
    assert.ok(bed.hub.ctx.log.some((e) => e.route === "git-upload-pack" && e.status === 200), "the new commit came by git fetch");
    assert.deepEqual(lfsObjectRequests(bed.hub).map((r) => r.oid), [newOid]);
    const config = await readFile(join(result.path, ".git", "config"), "utf8");
    assert.ok(config.includes(`url = ${bed.hub.url}/demo/two-revisions`), "origin follows the endpoint");
    assert.equal(gitStatus(result.path, bed.home.env), "");
  });

  it("a repeated download of the same revision needs no git fetch and no LFS object", async () => {
    await download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env });
    bed.hub.resetLog();
    const again = await download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env });
    assert.equal(again.bytesTransferred, 0);
    assert.deepEqual(bed.hub.ctx.log.filter((e) => e.route.startsWith("git-") || e.route.startsWith("lfs-")), []);
    await assertMatchesHub(again.path, "demo/tiny-model");
  });

  it("validates the repo id and revision before any request or process", async () => {
    await rejectsWithCode(download({ repo: "../etc/passwd", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env }), "invalid-repo");
    await rejectsWithCode(download({ repo: "-x/y", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env }), "invalid-repo");
    await rejectsWithCode(download({ repo: "demo/tiny-model", revision: "--upload-pack=x", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env }), "invalid-revision");
    await rejectsWithCode(download({ repo: "demo/tiny-model", revision: "a..b", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env }), "invalid-revision");
    assert.deepEqual(bed.hub.ctx.log, []);
    assert.deepEqual(await workingFiles(bed.models.path), []);
  });

  it("maps Hub refusals and empty selections to clear errors without writing a model", async () => {
    await rejectsWithCode(download({ repo: "demo/tiny-model", revision: "nope", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env }), "revision-not-found");
    await rejectsWithCode(download({ repo: "demo/private-model", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env }), "unauthorized");
    await rejectsWithCode(
      download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url, include: ["*.gguf"] }, { env: bed.home.env }),
      "not-found", /No file of demo\/tiny-model@main matches the include\/exclude patterns/,
    );
    assert.ok(!bed.hub.ctx.log.some((e) => e.route.startsWith("git-")));
    assert.ok(!existsSync(join(bed.models.path, "demo", "tiny-model")));
  });

  it("downloads both of two paths that differ only in case on a case-sensitive filesystem (odd-names.test.ts: the refusal elsewhere)", async () => {
    const src = await tempDir("hf-hostile-src-");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(src.path, "Weights.bin"), "one");
    await writeFile(join(src.path, "weights.bin"), "two");
    const hostile = await startHub({ repos: [{ id: "evil/case-clash", revisions: [{ dir: src.path, message: "clash" }] }] });
    try {
      // Linux filesystems tell the two apart; the probe of the models folder says so (tests run on Linux).
      const result = await download({ repo: "evil/case-clash", modelsDir: bed.models.path, endpoint: hostile.url }, { env: bed.home.env });
      assert.equal(await readFile(join(result.path, "Weights.bin"), "utf8"), "one");
      assert.equal(await readFile(join(result.path, "weights.bin"), "utf8"), "two");
    } finally {
      await hostile.close();
      await src.cleanup();
    }
  });

  it("an already aborted signal ends in `cancelled` before anything happens", async () => {
    const ac = new AbortController();
    ac.abort();
    await rejectsWithCode(download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env, signal: ac.signal }), "cancelled");
    assert.deepEqual(bed.hub.ctx.log, []);
  });

  it("takes over a folder a previous download left files in, reusing the verified ones", async () => {
    // Simulate what a Xet attempt leaves behind: a finished model file and a partial folder, no .git.
    const sources = sourceFiles(bed.hub, "demo/tiny-model");
    const dir = join(bed.models.path, "demo", "tiny-model");
    const { mkdir, copyFile, writeFile } = await import("node:fs/promises");
    await mkdir(join(dir, ".hf-models-partial"), { recursive: true });
    await writeFile(join(dir, ".hf-models-partial", "junk"), "x");
    await copyFile(sources.get("model.safetensors")!.source, join(dir, "model.safetensors"));
    const { events, onProgress } = collect();
    const result = await download({ repo: "demo/tiny-model", modelsDir: bed.models.path, endpoint: bed.hub.url }, { env: bed.home.env, onProgress });
    await assertMatchesHub(result.path, "demo/tiny-model");
    assert.deepEqual(lfsObjectRequests(bed.hub), [], "the verified file on disk was reused, not downloaded");
    assert.equal(result.bytesTransferred, 0);
    assert.ok(events.some((e) => e.type === "log" && /Reusing 1 verified file/.test(e.message)));
    assert.ok(!existsSync(join(dir, ".hf-models-partial")));
    assert.equal(gitStatus(result.path, bed.home.env), "");
    assert.ok((await readFile(join(dir, ".git", "info", "exclude"), "utf8")).includes("/.hf-models-partial/"));
  });
});

/** Object ids in a clone's LFS store. */
async function storedObjects(modelDir: string): Promise<string[]> {
  const root = join(modelDir, ".git", "lfs", "objects");
  const oids: string[] = [];
  for (const a of await readdir(root)) for (const b of await readdir(join(root, a))) oids.push(...(await readdir(join(root, a, b))));
  return oids.sort();
}
