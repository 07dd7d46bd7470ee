// The git side of the local Hub under faults and at its edges: git-unavailable, rate-limit with Retry-After,
// expired and forged LFS hrefs, Range resume (raw and by git-lfs from a .part file), and the batch API's errors.
import assert from "node:assert/strict";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { lfsObjectUrl } from "../../hub/git/routes";
import { GitClient, lfsPointerText, sha256, sha256File, tempDir, writeGitFixture, type GitFixture } from "../helpers/gitFixtures";
import { startHub, type LocalHub } from "../../hub/server";

const LFS_JSON = "application/vnd.git-lfs+json";

interface BatchAnswer {
  transfer: string;
  hash_algo: string;
  objects: Array<{ oid: string; size: number; authenticated?: boolean; actions?: { download: { href: string; expires_in: number } }; error?: { code: number; message: string } }>;
}

async function batch(hub: LocalHub, repo: string, body: unknown): Promise<Response> {
  return fetch(`${hub.url}/${repo}.git/info/lfs/objects/batch`, {
    method: "POST",
    headers: { Accept: LFS_JSON, "Content-Type": `${LFS_JSON}; charset=utf-8` },
    body: JSON.stringify(body),
  });
}

describe("git + LFS faults and edges", function () {
  this.timeout(120_000);
  let root: string;
  let fixture: GitFixture;
  let hub: LocalHub;
  let client: GitClient;
  const model = () => fixture.revisions.get("acme/model")![1];
  const safetensors = () => model()["model.safetensors"];

  before(async () => {
    root = await tempDir("faults");
    fixture = await writeGitFixture(join(root, "src"));
    hub = await startHub({ repos: fixture.sources, lfsThresholdBytes: fixture.lfsThresholdBytes, retryAfterSeconds: 1 });
    client = await GitClient.create();
  });
  after(async () => {
    await hub?.close();
    await client?.dispose();
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(() => hub.resetLog());
  afterEach(() => {
    hub.setFault("git-unavailable", false);
    hub.setFault("rate-limit", false);
  });

  const href = async (oid = sha256(safetensors())): Promise<string> => {
    const answer = (await (await batch(hub, "acme/model", { operation: "download", objects: [{ oid, size: 1 }] })).json()) as BatchAnswer;
    return answer.objects[0].actions!.download.href;
  };

  it("git-unavailable: clone fails with a 503, and the batch API answers 503 in the Hub's error shape", async () => {
    hub.setFault("git-unavailable", true);
    const result = await client.run({ args: ["clone", `${hub.url}/acme/model`, join(root, "down")] });
    assert.equal(result.code, 128);
    assert.match(result.stderr, /The requested URL returned error: 503/);
    assert.deepEqual(hub.ctx.log.map((e) => `${e.route} ${e.status}`), ["git-info-refs 503"]);
    const answer = await batch(hub, "acme/model", { operation: "download", objects: [] });
    assert.equal(answer.status, 503);
    assert.equal(answer.headers.get("x-error-code"), "ServiceUnavailable");
    assert.deepEqual(await answer.json(), { error: "Git and LFS are temporarily unavailable" });
    const pack = await fetch(`${hub.url}/acme/model/git-upload-pack`, { method: "POST", body: "0000" });
    assert.equal(pack.status, 503);
  });

  it("rate-limit: the first batch call gets 429 + Retry-After; git-lfs waits, retries and the clone succeeds", async () => {
    hub.setFault("rate-limit", true);
    const first = await batch(hub, "acme/model", { operation: "download", objects: [] });
    assert.equal(first.status, 429);
    assert.equal(first.headers.get("retry-after"), "1");
    assert.equal((await batch(hub, "acme/model", { operation: "download", objects: [] })).status, 200, "only the first request per path");

    hub.resetLog();
    const dir = join(root, "limited");
    await client.ok({ args: ["clone", `${hub.url}/acme/model`, dir] });
    for (const [path, content] of Object.entries(model())) assert.equal(await sha256File(join(dir, path)), sha256(content), path);
    const lfs = hub.ctx.log.filter((e) => e.route.startsWith("lfs-")).map((e) => `${e.route} ${e.status}`);
    assert.deepEqual(lfs.slice(0, 2), ["lfs-batch 429", "lfs-batch 200"]);
    assert.deepEqual(lfs.slice(2).sort(), ["lfs-object 200", "lfs-object 200", "lfs-object 200"]);
  });

  it("a Range request resumes: 206 with Content-Range and exactly the tail; ETag is the oid", async () => {
    const content = safetensors();
    const oid = sha256(content);
    const url = await href(oid);
    const start = 1_234_567;
    const tail = await fetch(url, { headers: { Range: `bytes=${start}-` } });
    assert.equal(tail.status, 206);
    assert.equal(tail.headers.get("content-range"), `bytes ${start}-${content.length - 1}/${content.length}`);
    assert.equal(tail.headers.get("etag"), `"${oid}"`);
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), content.subarray(start));

    const middle = await fetch(url, { headers: { Range: "bytes=10-19" } });
    assert.equal(middle.status, 206);
    assert.deepEqual(Buffer.from(await middle.arrayBuffer()), content.subarray(10, 20));
    const suffix = await fetch(url, { headers: { Range: "bytes=-5" } });
    assert.deepEqual(Buffer.from(await suffix.arrayBuffer()), content.subarray(content.length - 5));

    const head = await fetch(url, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(content.length));
    assert.equal((await head.arrayBuffer()).byteLength, 0);

    const whole = await fetch(url);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get("content-length"), String(content.length));
    assert.equal(sha256(Buffer.from(await whole.arrayBuffer())), oid);

    const beyond = await fetch(url, { headers: { Range: `bytes=${content.length}-` } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get("content-range"), `bytes */${content.length}`);
    assert.ok(hub.ctx.log.filter((e) => e.route === "lfs-object").every((e) => e.auth === "none"));
  });

  it("git-lfs resumes a partial .part file with Range: bytes=N- and gets a byte-exact object", async () => {
    const dir = join(root, "resume");
    await client.ok({ args: ["clone", "-q", `${hub.url}/acme/model`, dir], env: { GIT_LFS_SKIP_SMUDGE: "1" } });
    const content = safetensors();
    const oid = sha256(content);
    const partial = 1_000_000;
    await mkdir(join(dir, ".git", "lfs", "incomplete"), { recursive: true });
    await writeFile(join(dir, ".git", "lfs", "incomplete", `${oid}.part`), content.subarray(0, partial));
    hub.resetLog();
    await client.ok({ args: ["lfs", "pull", "--include", "model.safetensors"], cwd: dir });
    assert.equal(await sha256File(join(dir, "model.safetensors")), oid);
    const objects = hub.ctx.log.filter((e) => e.route === "lfs-object");
    assert.deepEqual(objects.map((e) => [e.status, e.range]), [[206, `bytes=${partial}-${content.length - 1}`]]);
    assert.ok(objects[0].bytes < content.length - partial + 4096, `sent ${objects[0].bytes} bytes for a ${content.length - partial}-byte tail`);
  });

  it("a forged or foreign href is refused with 403; an unknown object with 404", async () => {
    const url = new URL(await href());
    const forged = new URL(url);
    forged.searchParams.set("Expires", String(Number(url.searchParams.get("Expires")) + 3600));
    const bad = await fetch(forged);
    assert.equal(bad.status, 403);
    assert.equal(bad.headers.get("x-error-code"), "BadSignature");
    const otherRepo = new URL(url.href.replace("/lfs/acme/model/", "/lfs/acme/private/"));
    assert.equal((await fetch(otherRepo)).status, 403, "the signature covers the repo in the path");
    const unsigned = await fetch(`${url.origin}${url.pathname}`);
    assert.equal(unsigned.status, 403);
    const missing = await fetch(lfsObjectUrl(hub.ctx, "acme/model", "0".repeat(64)));
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get("x-error-code"), "EntryNotFound");
  });

  it("the batch API: per-object 404 for unknown oids, 403 for uploads, 422 for nonsense, LFS content type", async () => {
    const known = sha256(safetensors());
    const unknown = "0".repeat(64);
    const answer = await batch(hub, "acme/model", { operation: "download", transfers: ["lfs-standalone-file", "basic", "ssh"], ref: { name: "refs/heads/main" }, objects: [{ oid: known, size: 7 }, { oid: unknown, size: 3 }], hash_algo: "sha256" });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get("content-type"), LFS_JSON);
    const body = (await answer.json()) as BatchAnswer;
    assert.equal(body.transfer, "basic");
    assert.equal(body.hash_algo, "sha256");
    assert.equal(body.objects[0].size, safetensors().length, "the size is the stored object's");
    assert.equal(body.objects[0].authenticated, true);
    assert.equal(body.objects[0].actions!.download.expires_in, 3600);
    assert.ok(body.objects[0].actions!.download.href.startsWith(`${hub.cdnUrl}/lfs/acme/model/${known}?`));
    assert.deepEqual(body.objects[1], { oid: unknown, size: 3, error: { code: 404, message: "Object does not exist" } });

    const upload = await batch(hub, "acme/model", { operation: "upload", objects: [{ oid: known, size: 1 }] });
    assert.equal(upload.status, 403);
    assert.match(((await upload.json()) as { message: string }).message, /write access/);
    assert.equal((await batch(hub, "acme/model", { operation: "download" })).status, 422);
    const garbage = await fetch(`${hub.url}/acme/model.git/info/lfs/objects/batch`, { method: "POST", body: "{not json" });
    assert.equal(garbage.status, 422);
    const sha1 = (await (await batch(hub, "acme/model", { operation: "download", objects: [{ oid: known, size: 1 }], hash_algo: "sha1" })).json()) as BatchAnswer;
    assert.equal(sha1.objects[0].error?.code, 409);
    assert.deepEqual(hub.ctx.log.filter((e) => e.route === "lfs-batch").map((e) => e.status), [200, 403, 422, 422, 200]);
  });
});

describe("git + LFS with already-expired hrefs (urlTtlSeconds: 0)", function () {
  this.timeout(120_000);
  let root: string;
  let hub: LocalHub;
  let client: GitClient;
  let content: Buffer;

  before(async () => {
    root = await tempDir("expired");
    const fixture = await writeGitFixture(join(root, "src"));
    content = fixture.revisions.get("acme/model")![1]["model.safetensors"];
    hub = await startHub({ repos: fixture.sources, lfsThresholdBytes: fixture.lfsThresholdBytes, urlTtlSeconds: 0 });
    client = await GitClient.create();
  });
  after(async () => {
    await hub?.close();
    await client?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it("the CDN answers 403 ExpiredUrl, and git lfs pull fails with an authorization error, leaving the pointer", async () => {
    const answer = (await (await batch(hub, "acme/model", { operation: "download", objects: [{ oid: sha256(content), size: content.length }] })).json()) as BatchAnswer;
    const expired = await fetch(answer.objects[0].actions!.download.href);
    assert.equal(expired.status, 403);
    assert.equal(expired.headers.get("x-error-code"), "ExpiredUrl");

    const dir = join(root, "clone");
    await client.ok({ args: ["clone", "-q", `${hub.url}/acme/model`, dir], env: { GIT_LFS_SKIP_SMUDGE: "1" } });
    hub.resetLog();
    const result = await client.run({ args: ["-c", "lfs.transfer.maxretries=1", "lfs", "pull", "--include", "model.safetensors"], cwd: dir });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /LFS: Authorization error/);
    assert.equal(await readFile(join(dir, "model.safetensors"), "utf8"), lfsPointerText(content));
    const objects = hub.ctx.log.filter((e) => e.route === "lfs-object");
    assert.ok(objects.length >= 1 && objects.every((e) => e.status === 403), JSON.stringify(objects));
  });
});
