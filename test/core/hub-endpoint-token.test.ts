// Endpoint and token resolution order (with a temporary HF_HOME, never the real one) and redaction.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { DownloadError } from "../../src/core/errors";
import { DEFAULT_ENDPOINT, resolveEndpoint } from "../../src/core/hub/endpoint";
import { assertHubToken, hfHome, hfTokenPath, redact, resolveToken, tokenShapeProblem } from "../../src/core/hub/token";
import { rejectsWithCode, throwsWithCode } from "../helpers/assertions";

describe("resolveEndpoint", () => {
  it("prefers the explicit value, then HF_ENDPOINT, then huggingface.co", () => {
    assert.equal(resolveEndpoint("http://127.0.0.1:9/", { HF_ENDPOINT: "https://hf-mirror.com" }), "http://127.0.0.1:9");
    assert.equal(resolveEndpoint(undefined, { HF_ENDPOINT: "https://hf-mirror.com///" }), "https://hf-mirror.com");
    assert.equal(resolveEndpoint("", { HF_ENDPOINT: "https://hf-mirror.com" }), "https://hf-mirror.com");
    assert.equal(resolveEndpoint(undefined, {}), DEFAULT_ENDPOINT);
    assert.equal(resolveEndpoint(undefined, { HF_ENDPOINT: "  " }), "https://huggingface.co");
  });

  it("keeps a path prefix (mirrors under a sub-path) and drops the trailing slash", () => {
    assert.equal(resolveEndpoint("https://proxy.example/hf/", {}), "https://proxy.example/hf");
  });

  for (const [value, pattern] of [
    ["not a url", /expected a URL/],
    ["ftp://example.com", /only http:\/\/ and https:\/\//],
    ["https://user:hf_secret@example.com", /must not contain credentials/],
    ["https://example.com/?x=1", /must not contain "\?" or "#"/],
  ] as const) {
    it(`rejects ${value}`, () => {
      assert.throws(() => resolveEndpoint(value, {}), (err: unknown) => err instanceof DownloadError && err.code === "invalid-endpoint" && pattern.test(err.message) && !err.message.includes("hf_secret"));
    });
  }

  it("says when the bad value came from HF_ENDPOINT", () => {
    assert.throws(() => resolveEndpoint(undefined, { HF_ENDPOINT: "nope" }), /\(from HF_ENDPOINT\)/);
  });
});

describe("resolveToken", () => {
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "hf-token-test-"));
  });
  after(() => rm(home, { recursive: true, force: true }));

  const env = (extra: Record<string, string> = {}) => ({ HF_HOME: join(home, "hf-home"), ...extra });

  it("finds nothing in an empty HF_HOME", async () => {
    assert.deepEqual(await resolveToken({ env: env() }), { source: "none" });
  });

  it("walks the precedence: explicit > --token-file > HF_TOKEN > HF_TOKEN_PATH > $HF_HOME/token", async () => {
    await mkdir(join(home, "hf-home"), { recursive: true });
    await writeFile(join(home, "hf-home", "token"), "hf_from_home\n");
    await writeFile(join(home, "path-token"), "hf_from_token_path\n");
    await writeFile(join(home, "flag-token"), "  hf_from_flag  \n\n");
    await writeFile(join(home, "two-lines"), "hf_from_flag\nsecond line\n");
    await assert.rejects(resolveToken({ env: env(), tokenFile: join(home, "two-lines") }), (err: Error) => (err as { code?: string }).code === "unauthorized" && /more than one line/.test(err.message));

    assert.deepEqual(await resolveToken({ env: env() }), { token: "hf_from_home", source: "hf-home" });
    assert.deepEqual(await resolveToken({ env: env({ HF_TOKEN_PATH: join(home, "path-token") }) }), { token: "hf_from_token_path", source: "hf-home" });
    assert.deepEqual(await resolveToken({ env: env({ HF_TOKEN_PATH: join(home, "path-token"), HF_TOKEN: "hf_from_env" }) }), { token: "hf_from_env", source: "env" });
    assert.deepEqual(await resolveToken({ env: env({ HF_TOKEN: "hf_from_env" }), tokenFile: join(home, "flag-token") }), { token: "hf_from_flag", source: "file" });
    assert.deepEqual(await resolveToken({ env: env({ HF_TOKEN: "hf_from_env" }), tokenFile: join(home, "flag-token"), explicit: "hf_explicit" }), { token: "hf_explicit", source: "explicit" });
  });

  it("treats an empty HF_TOKEN as unset and honours the legacy HUGGING_FACE_HUB_TOKEN", async () => {
    assert.deepEqual(await resolveToken({ env: env({ HF_TOKEN: "  " }) }), { token: "hf_from_home", source: "hf-home" });
    assert.deepEqual(await resolveToken({ env: env({ HUGGING_FACE_HUB_TOKEN: "hf_legacy" }) }), { token: "hf_legacy", source: "env" });
  });

  it("an HF_TOKEN_PATH that does not exist means no token (not the $HF_HOME one)", async () => {
    assert.deepEqual(await resolveToken({ env: env({ HF_TOKEN_PATH: join(home, "missing") }) }), { source: "none" });
  });

  it("fails clearly when --token-file is missing or empty, without echoing content", async () => {
    await rejectsWithCode(resolveToken({ env: env(), tokenFile: join(home, "nope") }), "unauthorized", /Cannot read the token file .*nope \(ENOENT\)/);
    await writeFile(join(home, "empty"), "\n");
    await assert.rejects(resolveToken({ env: env(), tokenFile: join(home, "empty") }), /token file .*empty is empty/);
  });

  it("derives HF_HOME from XDG_CACHE_HOME, else ~/.cache/huggingface", () => {
    assert.equal(hfHome({ XDG_CACHE_HOME: "/x/cache" }), join("/x/cache", "huggingface"));
    assert.equal(hfHome({}), join(homedir(), ".cache", "huggingface"));
    assert.equal(hfTokenPath({ HF_HOME: "/h" }), join("/h", "token"));
    assert.equal(hfTokenPath({ HF_HOME: "/h", HF_TOKEN_PATH: "/t" }), "/t");
  });
});

describe("redact", () => {
  it("replaces the token everywhere, also URL-encoded", () => {
    const token = "hf_local+tok/en";
    const text = `a ${token} b ${token} c ${encodeURIComponent(token)}`;
    const out = redact(text, token);
    assert.ok(!out.includes(token) && !out.includes(encodeURIComponent(token)), out);
    assert.equal(out, "a *** b *** c ***");
  });

  it("scrubs Hub-shaped tokens and Authorization values even when the token is not known", () => {
    const out = redact("fatal: header Authorization: Bearer abc.def-ghi and hf_FakeTokenForRedactionTest0 leaked");
    assert.equal(out, "fatal: header Authorization: Bearer *** and hf_*** leaked");
  });

  it("leaves ordinary text alone", () => {
    assert.equal(redact("hf_models is a folder; demo/tiny-model", undefined), "hf_models is a folder; demo/tiny-model");
  });
});

describe("redact: signed URLs and tokens together", () => {
  it("drops a signed URL's query string and the token in one pass", () => {
    const token = "hf_SignedUrlRedactionTestToken01";
    const text = `GET https://cas.example/xorbs/default/abc?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA failed for ${token} (Authorization: Basic dXNlcjpwdw==)`;
    assert.equal(redact(text, token), "GET https://cas.example/xorbs/default/abc failed for *** (Authorization: Basic ***)");
  });
});

describe("the hf_ token rule", () => {
  it("names what is wrong with a token's shape, as a code", () => {
    assert.equal(tokenShapeProblem("hf_abc123"), undefined);
    assert.equal(tokenShapeProblem("hf_from_env"), undefined);
    assert.equal(tokenShapeProblem(""), "empty");
    assert.equal(tokenShapeProblem("hf_a b"), "whitespace");
    assert.equal(tokenShapeProblem("ghp_secret"), "not-hf");
    assert.equal(tokenShapeProblem("hf_"), "not-hf");
  });

  it("assertHubToken passes a Hub token or none, and refuses anything else as unauthorized without echoing it", () => {
    assert.equal(assertHubToken(undefined), undefined);
    assert.equal(assertHubToken("hf_abc123"), "hf_abc123");
    const err = throwsWithCode(() => assertHubToken("ghp_secret_value"), "unauthorized", /must start with "hf_"/);
    assert.ok(!err.message.includes("ghp_secret_value"));
  });
});
