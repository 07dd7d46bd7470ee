// Argument parsing of `hf-models`: every option reaches the typed command, and every malformed
// command line is a UsageError (exit 2) with a message that names the problem.
import assert from "node:assert/strict";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { USAGE, UsageError, parseCliArgs, wantsJson } from "../../src/cli/args";
import { modelsDir } from "../../src/cli/run";

describe("cli argument parsing", () => {
  it("parses a full download command", () => {
    const cmd = parseCliArgs([
      "download", "demo/tiny-model", "--revision", "v1", "--include", "*.json", "--include=*.safetensors", "--exclude", "README.md",
      "--dir", "/tmp/m", "--use-xet", "--no-fallback", "--endpoint", "http://127.0.0.1:1", "--token-file", "/tmp/t", "--json",
      "--prune", "--overwrite-edited", "--max-speed", "12.5",
    ]);
    assert.deepEqual(cmd, {
      kind: "download",
      args: {
        repo: "demo/tiny-model", revision: "v1", include: ["*.json", "*.safetensors"], exclude: ["README.md"], dir: "/tmp/m", cache: false, cacheDir: undefined,
        useXet: true, noFallback: true, endpoint: "http://127.0.0.1:1", tokenFile: "/tmp/t", json: true, prune: true, overwriteEdited: true,
        maxBytesPerSecond: 12_500_000,
      },
    });
  });

  it("has defaults for everything but the repo", () => {
    assert.deepEqual(parseCliArgs(["download", "a/b"]), {
      kind: "download",
      args: { repo: "a/b", revision: undefined, include: [], exclude: [], prune: false, overwriteEdited: false, dir: undefined, cache: false, cacheDir: undefined, useXet: false, noFallback: false, maxBytesPerSecond: undefined, endpoint: undefined, tokenFile: undefined, json: false },
    });
  });

  it("recognises help in all its spellings", () => {
    for (const argv of [["--help"], ["-h"], ["help"], ["download", "--help"], ["download", "a/b", "-h"]]) assert.deepEqual(parseCliArgs(argv), { kind: "help" }, argv.join(" "));
    assert.match(USAGE, /^Usage: hf-models download <repo> \[options\]/);
    for (const opt of ["--revision", "--include", "--exclude", "--dir", "--use-xet", "--no-fallback", "--max-speed", "--endpoint", "--token-file", "--json"]) assert.ok(USAGE.includes(opt), opt);
  });

  const bad: Array<[string[], RegExp]> = [
    [[], /missing command/],
    [["fetch", "a/b"], /unknown command "fetch"/],
    [["download"], /download needs a repository/],
    [["download", "a/b", "c/d"], /takes one repository, got 2/],
    [["download", "a/b", "--bogus"], /Unknown option '--bogus'/],
    [["download", "--upload-pack=x"], /Unknown option '--upload-pack'/],
    [["download", "a/b", "--revision"], /argument missing/],
    [["download", "a/b", "--revision", "--json"], /argument is ambiguous/],
    [["download", "a/b", "--json=yes"], /does not take an argument/],
    [["download", "a/b", "--revision="], /--revision needs a value/],
    [["download", "a/b", "--include", ""], /--include needs a non-empty glob/],
    [["download", "a/b", "--max-speed", "fast"], /--max-speed takes megabytes per second, a number above 0 .*got "fast"/],
    [["download", "a/b", "--max-speed", "0"], /--max-speed takes megabytes per second/],
    [["download", "a/b", "--max-speed=-5"], /--max-speed takes megabytes per second/],
    [["download", "a/b", "--token", "hf_x"], /Unknown option '--token'/], // tokens never go on the command line
  ];
  for (const [argv, pattern] of bad) {
    it(`rejects: hf-models ${argv.join(" ")}`, () => {
      assert.throws(() => parseCliArgs(argv), (err: unknown) => err instanceof UsageError && pattern.test(err.message) && !err.message.includes("\n"));
    });
  }

  it("knows when JSON output was asked for, even on a usage error", () => {
    assert.equal(wantsJson(["download", "--json", "--bogus"]), true);
    assert.equal(wantsJson(["download", "a/b"]), false);
  });

  it("--dir, else HF_MODELS_DIR, else ~/hf-models; ~/ expanded, relative paths made absolute", () => {
    assert.equal(modelsDir("/data/m", { HF_MODELS_DIR: "/env/m" }), "/data/m");
    assert.equal(modelsDir(undefined, { HF_MODELS_DIR: "/env/m" }), "/env/m");
    assert.equal(modelsDir(undefined, {}), join(homedir(), "hf-models"));
    assert.equal(modelsDir("~/x", {}), join(homedir(), "x"));
    assert.equal(modelsDir("rel/m", {}), resolve("rel/m"));
  });
});

describe("CLI arguments: the Hugging Face cache", () => {
  it("--cache and --cache-dir ask for the cache layout; --dir excludes them", () => {
    const cache = parseCliArgs(["download", "a/b", "--cache"]);
    assert.ok(cache.kind === "download" && cache.args.cache && cache.args.cacheDir === undefined);
    const dir = parseCliArgs(["download", "a/b", "--cache-dir", "/tmp/hub"]);
    assert.ok(dir.kind === "download" && dir.args.cache && dir.args.cacheDir === "/tmp/hub");
    assert.throws(() => parseCliArgs(["download", "a/b", "--cache", "--dir", "/tmp/m"]), /exclude each other/);
  });
});
