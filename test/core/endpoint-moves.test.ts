// Issue 13, M2: a clone made against one Hub address follows the current endpoint. Hub A serves the first
// run and is closed; Hub B (another port, same repos) serves adding files and Resume, and is the only one asked.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { download } from "../../src/core/download/service";
import { failedHost } from "../../src/core/lfs/errors";
import { readRecord } from "../../src/core/library/metadata";
import type { LocalHub } from "../../hub/server";
import { startDemoHub } from "../helpers/hub";
import { tempDir, type TempDir } from "../helpers/files";
import { rejectsWithCode } from "../helpers/assertions";
import { gitHome, gitStatus, lfsObjectRequests, sameBytes, sourceFiles } from "./download-helpers";

describe("the endpoint moves between runs (issue 13, M2)", function () {
  this.timeout(90_000);
  let home: Awaited<ReturnType<typeof gitHome>>;
  let models: TempDir;
  let a: LocalHub | undefined;
  let b: LocalHub | undefined;
  const repo = "demo/quantized-gguf";
  const dir = () => join(models.path, "demo", "quantized-gguf");
  const origin = () => execFileSync("git", ["config", "--get", "remote.origin.url"], { cwd: dir(), env: home.env }).toString().trim();

  before(async () => (home = await gitHome()));
  after(async () => home.cleanup());
  beforeEach(async () => {
    models = await tempDir("hf-endpoint-moves-");
    a = await startDemoHub({ slow: { latencyMs: 20, perConnectionBytesPerSecond: 750_000, totalBytesPerSecond: 1_500_000 } });
  });
  afterEach(async () => {
    await a?.close().catch(() => undefined);
    await b?.close().catch(() => undefined);
    await models.cleanup();
  });

  it("adding files to a model cloned from hub A fetches them from hub B (A closed), and points origin at B", async () => {
    await download({ repo, modelsDir: models.path, endpoint: a!.url, include: ["*Q4_K_M*"] }, { env: home.env });
    assert.equal(origin(), `${a!.url}/${repo}`);
    await a!.close();
    b = await startDemoHub();
    const result = await download({ repo, modelsDir: models.path, endpoint: b.url, include: ["*Q4_K_M*", "*Q5_K_M*"] }, { env: home.env });
    assert.equal(origin(), `${b.url}/${repo}`);
    const q5 = sourceFiles(b, repo).get("tiny-Q5_K_M.gguf")!;
    assert.ok(await sameBytes(join(dir(), "tiny-Q5_K_M.gguf"), q5.source));
    assert.deepEqual(lfsObjectRequests(b).map((r) => r.oid), [q5.lfsOid], "B served the added file's object, and only it");
    assert.equal((await readRecord(dir()))?.endpoint, b.url);
    assert.ok(result.files.some((f) => f.path === "tiny-Q5_K_M.gguf"));
    assert.equal(gitStatus(dir(), home.env), "");
  });

  it("Resume of a download cancelled on hub A completes from hub B", async () => {
    a!.setFault("slow", true);
    const ac = new AbortController();
    await rejectsWithCode(
      download({ repo, modelsDir: models.path, endpoint: a!.url }, {
        env: home.env,
        signal: ac.signal,
        onProgress: (e) => e.type === "file-done" && e.path.endsWith(".gguf") && ac.abort(),
      }),
      "cancelled",
    );
    await a!.close();
    b = await startDemoHub();
    await download({ repo, modelsDir: models.path, endpoint: b.url }, { env: home.env });
    for (const [path, s] of sourceFiles(b, repo)) assert.ok(await sameBytes(join(dir(), path), s.source), `${path} is byte-exact`);
    assert.ok(lfsObjectRequests(b).length >= 1, "B served the rest");
    assert.equal(origin(), `${b.url}/${repo}`);
  });

  it("a git failure names the host git really asked", () => {
    assert.equal(failedHost("fatal: unable to access 'http://127.0.0.1:4711/demo/x/': Failed to connect to 127.0.0.1 port 4711", "http://127.0.0.1:9999"), "127.0.0.1:4711");
    assert.equal(failedHost("batch response: Post \"http://127.0.0.1:4712/demo/x.git/info/lfs/objects/batch\": dial tcp: connection refused", "http://127.0.0.1:9999"), "127.0.0.1:4712");
    assert.equal(failedHost("error: something else", "http://127.0.0.1:9999"), "127.0.0.1:9999");
  });
});
