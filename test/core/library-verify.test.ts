// verifyModel re-hashes every recorded file: a flipped byte, a truncated file and a missing file are each
// reported precisely; git blob ids agree with `git hash-object`; progress adds up; cancel stops it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, open, rm, truncate, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyModel, type VerifyProgress } from "../../src/core/library/index";
import { writeRecord, type ModelRecord } from "../../src/core/library/metadata";
import { rejectsWithCode } from "../helpers/assertions";

describe("verifyModel", () => {
  let dir: string;
  let big: Buffer;
  let rec: ModelRecord;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "hf-verify-test-"));
    big = randomBytes(3 * 1024 * 1024 + 17);
    const config = Buffer.from('{"hidden_size": 256}\n');
    await writeFile(join(dir, "model.safetensors"), big);
    await writeFile(join(dir, "config.json"), config);
    await mkdir(join(dir, "sub"));
    await writeFile(join(dir, "sub", "empty.txt"), "");
    rec = {
      version: 1,
      repo: "demo/tiny-model",
      revision: "main",
      commit: "1".repeat(40),
      method: "xet",
      endpoint: "http://127.0.0.1:1",
      completedAt: new Date().toISOString(),
      files: [
        { path: "config.json", size: config.length, hash: execFileSync("git", ["hash-object", join(dir, "config.json")], { encoding: "utf8" }).trim(), hashKind: "git-sha1" },
        { path: "model.safetensors", size: big.length, hash: createHash("sha256").update(big).digest("hex"), hashKind: "sha256" },
        { path: "sub/empty.txt", size: 0, hash: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", hashKind: "git-sha1" },
      ],
    };
    await writeRecord(dir, rec);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("passes an intact model and reports byte progress that adds up", async () => {
    const events: VerifyProgress[] = [];
    const result = await verifyModel({ modelDir: dir, onProgress: (p) => events.push({ ...p }) });
    assert.deepEqual(result, { ok: true, problems: [], damaged: [], checked: 3 });
    const last = events[events.length - 1]!;
    assert.equal(last.filesDone, 3);
    assert.equal(last.doneBytes, last.totalBytes);
    assert.equal(last.totalBytes, big.length + rec.files[0]!.size);
    assert.ok(events.every((e, i) => i === 0 || e.doneBytes >= events[i - 1]!.doneBytes), "monotonic");
  });

  it("finds one flipped byte in the middle of a 3 MiB file and names both hashes", async () => {
    const fh = await open(join(dir, "model.safetensors"), "r+");
    const at = 1_500_000;
    await fh.write(Buffer.from([big[at]! ^ 0x01]), 0, 1, at);
    await fh.close();
    const flipped = Buffer.from(big);
    flipped[at]! ^= 0x01;
    const result = await verifyModel({ modelDir: dir });
    assert.equal(result.ok, false);
    assert.equal(result.checked, 3);
    assert.deepEqual(result.problems, [
      `model.safetensors: content changed: sha256 is ${createHash("sha256").update(flipped).digest("hex")}, expected ${rec.files[1]!.hash}`,
    ]);
    assert.deepEqual(result.damaged, [{ path: "model.safetensors", damage: "content" }]);
  });

  it("finds a changed small file through its git blob id", async () => {
    await writeFile(join(dir, "config.json"), '{"hidden_size": 257}\n'); // same size, other content
    const { problems } = await verifyModel({ modelDir: dir });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^config\.json: content changed: git blob id is [0-9a-f]{40}, expected [0-9a-f]{40}$/);
  });

  it("reports a missing file and a truncated file precisely, and still checks the rest", async () => {
    await unlink(join(dir, "config.json"));
    await truncate(join(dir, "model.safetensors"), 1000);
    const result = await verifyModel({ modelDir: dir });
    assert.deepEqual(result, {
      ok: false,
      checked: 3,
      problems: ["config.json: missing", `model.safetensors: size is 1000 bytes, expected ${big.length}`],
      damaged: [
        { path: "config.json", damage: "missing" },
        { path: "model.safetensors", damage: "size" },
      ],
    });
  });

  it("a folder in place of a file is reported, not hashed", async () => {
    await unlink(join(dir, "sub", "empty.txt"));
    await mkdir(join(dir, "sub", "empty.txt"));
    const result = await verifyModel({ modelDir: dir });
    assert.deepEqual(result.problems, ["sub/empty.txt: not a regular file"]);
    assert.deepEqual(result.damaged, [{ path: "sub/empty.txt", damage: "not-a-file" }]);
  });

  it("never reads outside the model folder even if the record says so", async () => {
    await writeFile(join(dir, "..", `outside-${process.pid}`), "x");
    await writeRecord(dir, { ...rec, files: [{ path: `../outside-${process.pid}`, size: 1, hash: "0".repeat(40), hashKind: "git-sha1" }] });
    const result = await verifyModel({ modelDir: dir });
    await rm(join(dir, "..", `outside-${process.pid}`));
    assert.deepEqual(result.problems, [`../outside-${process.pid}: the record names a path outside the model folder; not checked`]);
  });

  it("without a record it says how to get one", async () => {
    await rm(join(dir, ".hf-models.json"));
    const result = await verifyModel({ modelDir: dir });
    assert.equal(result.ok, false);
    assert.match(result.problems[0]!, /has no download record/);
  });

  it("an aborted signal cancels", async () => {
    const controller = new AbortController();
    controller.abort();
    await rejectsWithCode(verifyModel({ modelDir: dir, signal: controller.signal }), "cancelled");
  });

  it("aborting while a file is being checked cancels instead of reporting a problem", async () => {
    const controller2 = new AbortController();
    const result = verifyModel({ modelDir: dir, signal: controller2.signal, onProgress: (p) => {
      if (p.path === "model.safetensors") controller2.abort();
    } });
    await rejectsWithCode(result, "cancelled");
  });
});
