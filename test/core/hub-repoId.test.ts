// Repo ids and revisions: the strict Hub rules, pasted URLs, and hostile inputs that must never reach
// git, a URL or a folder name.
import assert from "node:assert/strict";
import type { DownloadErrorCode } from "../../src/core/errors";
import { mergeRevision, parseRepoId, validateRevision } from "../../src/core/hub/repoId";
import { throwsWithCode } from "../helpers/assertions";

function rejects(fn: () => unknown, code: DownloadErrorCode, pattern?: RegExp): void {
  assert.ok(!throwsWithCode(fn, code, pattern).message.includes("\n"), "one line");
}

describe("parseRepoId", () => {
  const good: Array<[string, string, string?]> = [
    ["demo/tiny-model", "demo/tiny-model"],
    ["meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"],
    ["Org_1/name_", "Org_1/name_"],
    ["a/b", "a/b"],
    ["TheBloke/Mistral-7B-v0.1-GGUF", "TheBloke/Mistral-7B-v0.1-GGUF"],
    [`o/${"x".repeat(96)}`, `o/${"x".repeat(96)}`],
    ["  demo/tiny-model\n", "demo/tiny-model"], // a paste with surrounding whitespace
    ["https://huggingface.co/demo/tiny-model", "demo/tiny-model"],
    ["https://huggingface.co/demo/tiny-model/", "demo/tiny-model"],
    ["http://127.0.0.1:41234/demo/tiny-model", "demo/tiny-model"],
    ["https://hf-mirror.com/demo/tiny-model.git", "demo/tiny-model"],
    ["https://huggingface.co/models/demo/tiny-model", "demo/tiny-model"],
    ["https://huggingface.co/demo/tiny-model/tree/main", "demo/tiny-model", "main"],
    ["https://huggingface.co/demo/two-revisions/tree/v1/subdir", "demo/two-revisions", "v1"],
    ["https://huggingface.co/demo/tiny-model/blob/main/config.json", "demo/tiny-model", "main"],
    ["https://huggingface.co/demo/tiny-model/resolve/0123456789abcdef0123456789abcdef01234567/model.safetensors", "demo/tiny-model", "0123456789abcdef0123456789abcdef01234567"],
    ["https://huggingface.co/demo/tiny-model/tree/refs%2Fpr%2F3", "demo/tiny-model", "refs/pr/3"],
  ];
  for (const [input, id, revision] of good) {
    it(`accepts ${JSON.stringify(input)}`, () => {
      const r = parseRepoId(input);
      assert.equal(r.id, id);
      assert.equal(`${r.org}/${r.name}`, id);
      assert.equal(r.revision, revision);
    });
  }

  const bad: Array<[string, RegExp]> = [
    ["--upload-pack=x", /must not start with "-"/],
    ["-o/name", /must not start with "-"/],
    ["../x", /"\.\." is not allowed/],
    ["org/..", /"\.\." is not allowed/],
    ["org/a..b", /"\.\." is not allowed/],
    ["a/b/c", /more than two parts/],
    ["gpt2.git", /must not end with "\.git"/],
    ["-gpt2", /must not start with "-"/],
    ["gp--t2", /"--" and "\.\." are not allowed/],
    ["", /empty/],
    ["   ", /empty/],
    ["/name", /organization is empty/],
    ["org/", /name is empty/],
    ["org/na me", /whitespace/],
    ["org/name\n--upload-pack=x", /whitespace/],
    ["org/na\0me", /whitespace, control characters/],
    ["org\\name", /backslashes/],
    ["org/a--b", /"--" and "\.\." are not allowed/],
    ["org/.hidden", /characters the Hub does not allow/],
    ["org/name-", /characters the Hub does not allow/],
    ["org/name.", /characters the Hub does not allow/],
    ["org/_x", /characters the Hub does not allow/],
    ["org/na$me", /characters the Hub does not allow/],
    ["org/na:me", /characters the Hub does not allow/],
    ["org/näme", /characters the Hub does not allow/],
    ["org/name.git", /must not end with "\.git"/],
    [`o/${"x".repeat(97)}`, /longer than 96/],
    [`${"x".repeat(97)}/n`, /longer than 96/],
    ["https://huggingface.co/datasets/org/name", /dataset URL; only model repositories/],
    ["https://huggingface.co/spaces/org/name", /space URL/],
    ["https://huggingface.co/tiny-model", /does not name org\/name/],
    ["https://user:pw@huggingface.co/org/name", /credentials/],
    ["https://huggingface.co/org/name/commits/main", /not a model page/],
    ["https://huggingface.co/org/name/tree/..%2F..", /"\.\." is not allowed/],
    ["file:///etc/passwd", /more than two parts|characters the Hub does not allow/],
  ];
  for (const [input, pattern] of bad) {
    it(`rejects ${JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input)}`, () => rejects(() => parseRepoId(input), "invalid-repo", pattern));
  }

  // Legacy ids without a namespace: the Hub redirects them to their canonical org/name (model info `id`).
  for (const legacy of ["gpt2", "bert-base-uncased", "t5-small", "  gpt2\n"]) {
    it(`accepts the legacy id ${JSON.stringify(legacy)} and marks it legacy`, () => {
      const r = parseRepoId(legacy);
      assert.deepEqual(r, { id: legacy.trim(), org: "", name: legacy.trim(), legacy: true });
    });
  }

  it("rejects a URL whose revision is hostile, as an invalid revision", () => {
    rejects(() => parseRepoId("https://huggingface.co/org/name/tree/-x"), "invalid-revision", /must not start with "-"/);
    rejects(() => parseRepoId("https://huggingface.co/org/name/tree/a%3Ab"), "invalid-revision", /: ~ \^/);
  });

  it("quotes hostile input safely in the message (control characters escaped)", () => {
    rejects(() => parseRepoId("org/x\u001b[31m"), "invalid-repo", /\\u001b/);
  });
});

describe("validateRevision", () => {
  const good = ["main", "v1", "v1.0.2", "release/2024-01", "refs/pr/1", "refs/pr/42", "feature_x", "0123456789abcdef0123456789abcdef01234567", "refs/convert/parquet", "a@b"];
  for (const rev of good) it(`accepts ${JSON.stringify(rev)}`, () => assert.equal(validateRevision(rev), rev));

  const bad: Array<[string, RegExp]> = [
    ["", /empty/],
    ["-x", /must not start with "-"/],
    ["--upload-pack=x", /must not start with "-"/],
    ["a..b", /"\.\." is not allowed/],
    ["../main", /"\.\." is not allowed/],
    ["ma in", /spaces and control/],
    ["main\n", /spaces and control/],
    ["ma\0in", /spaces and control/],
    ["ma\x7fin", /spaces and control/],
    ["a:b", /: ~ \^/],
    ["a~1", /: ~ \^/],
    ["a^", /: ~ \^/],
    ["a?", /: ~ \^/],
    ["a*", /: ~ \^/],
    ["a[b", /: ~ \^/],
    ["a\\b", /: ~ \^/],
    ["a@{1}", /"@\{" is not allowed/],
    ["@", /"@" alone/],
    ["/main", /empty path components/],
    ["main/", /empty path components/],
    ["a//b", /empty path components/],
    ["main.", /must not end with "\."/],
    [".hidden", /must not start with "\."/],
    ["a/.b", /must not start with "\."/],
    ["main.lock", /must not end with "\.lock"/],
    ["refs/pr/x", /refs\/pr\/<number>/],
    ["refs/pr/01", /refs\/pr\/<number>/],
    ["x".repeat(256), /longer than 255/],
  ];
  for (const [rev, pattern] of bad) {
    it(`rejects ${JSON.stringify(rev.length > 40 ? `${rev.slice(0, 40)}…` : rev)}`, () => rejects(() => validateRevision(rev), "invalid-revision", pattern));
  }

  it("keeps an uppercase 40-hex string only if it is a valid ref name", () => {
    assert.equal(validateRevision("0123456789ABCDEF0123456789ABCDEF01234567"), "0123456789ABCDEF0123456789ABCDEF01234567");
  });
});

describe("mergeRevision", () => {
  const url = parseRepoId("https://huggingface.co/demo/tiny-model/tree/v1");
  const plain = parseRepoId("demo/tiny-model");

  it("takes the one given, or either when both are equal; none given is undefined", () => {
    assert.equal(mergeRevision({ repo: url }), "v1");
    assert.equal(mergeRevision({ repo: plain, explicit: "v2" }), "v2");
    assert.equal(mergeRevision({ repo: url, explicit: "v1" }), "v1");
    assert.equal(mergeRevision({ repo: plain }), undefined);
  });

  it("refuses a URL revision and an explicit one that differ, naming both", () => {
    throwsWithCode(() => mergeRevision({ repo: url, explicit: "main" }), "invalid-revision", /revision "v1" but the revision given is "main"/);
  });

  it("validates the explicit revision", () => {
    throwsWithCode(() => mergeRevision({ repo: plain, explicit: "../main" }), "invalid-revision", /"\.\."/);
  });
});
