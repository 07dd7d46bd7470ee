// File selection (include/exclude globs) and the path guard that keeps a hostile listing from writing
// outside the model folder.
import assert from "node:assert/strict";
import { assertSafeRepoPaths, unsafePathReason } from "../../src/core/util/safePaths";
import { hasSelection, selectFiles } from "../../src/core/util/select";
import { throwsWithCode } from "../helpers/assertions";

const files = [".gitattributes", "README.md", "config.json", "model.safetensors", "tiny-Q4_K_M.gguf", "tiny-Q8_0.gguf", "onnx/model.onnx", "onnx/sub/weights.bin", "q/extra.gguf"].map(
  (path) => ({ path, size: 1 }),
);
const pick = (include?: string[], exclude?: string[]) => selectFiles({ files, include, exclude }).map((f) => f.path);

describe("download selection: include/exclude", () => {
  it("selects everything without patterns", () => {
    assert.equal(pick().length, files.length);
    assert.equal(hasSelection({}), false);
    assert.equal(hasSelection({ include: [" "] }), false);
    assert.equal(hasSelection({ exclude: ["*.md"] }), true);
  });

  it("matches slash-less patterns against the file name in any folder, dot files included", () => {
    assert.deepEqual(pick(["*.gguf"]), ["tiny-Q4_K_M.gguf", "tiny-Q8_0.gguf", "q/extra.gguf"]);
    assert.deepEqual(pick([".git*"]), [".gitattributes"]);
    assert.deepEqual(pick(["*Q4_K_M*", "config.json"]), ["config.json", "tiny-Q4_K_M.gguf"]);
  });

  it("anchors patterns with a slash and treats `dir/` as everything below it", () => {
    assert.deepEqual(pick(["/*.gguf"]), ["tiny-Q4_K_M.gguf", "tiny-Q8_0.gguf"]);
    assert.deepEqual(pick(["onnx/*"]), ["onnx/model.onnx"]);
    assert.deepEqual(pick(["onnx/"]), ["onnx/model.onnx", "onnx/sub/weights.bin"]);
    assert.deepEqual(pick(["onnx/**"]), ["onnx/model.onnx", "onnx/sub/weights.bin"]);
  });

  it("removes excluded files from the included ones", () => {
    assert.deepEqual(pick(["*.gguf"], ["*Q8_0*"]), ["tiny-Q4_K_M.gguf", "q/extra.gguf"]);
    assert.deepEqual(pick(undefined, ["*.gguf", "onnx/", ".*"]), ["README.md", "config.json", "model.safetensors"]);
  });
});

describe("download selection: unsafe listing paths", () => {
  const rejects = (paths: string[], pattern: RegExp) => assert.match(throwsWithCode(() => assertSafeRepoPaths(paths), "server", pattern).message, /Nothing was written/);

  it("accepts ordinary nested paths", () => {
    assertSafeRepoPaths(["a", "b/c.bin", "b/d/e.txt", ".gitattributes", "sub/.hf-models.json"]);
  });

  it("rejects absolute paths, .. segments, backslashes, NUL and control characters", () => {
    rejects(["/etc/passwd"], /"\/etc\/passwd" is unsafe: it is absolute/);
    rejects(["C:/x"], /it is absolute/);
    rejects(["a/../../x"], /has a "\.\." segment/);
    rejects(["../x"], /has a "\.\." segment/);
    rejects(["a/./b"], /has a "\." segment/);
    rejects(["a\\..\\b"], /contains a backslash/);
    rejects(["a\0b"], /NUL byte/);
    rejects(["a\nb"], /control characters/);
    rejects(["a//b"], /empty path segment/);
    rejects([""], /it is empty/);
  });

  it("rejects paths into .git and onto the service's own files", () => {
    rejects([".git/config"], /points into a \.git folder/);
    rejects(["x/.GIT/hooks/post-checkout"], /points into a \.git folder/);
    rejects([".git. /hooks/x"], /points into a \.git folder/);
    rejects([".hf-models.json"], /collides with a file HF Models keeps/);
    rejects([".HF-models-partial/x"], /collides with a file HF Models keeps/);
  });

  it("rejects case-insensitive collisions of files and of a file with a folder", () => {
    rejects(["Model.bin", "model.BIN"], /"Model\.bin" and "model\.BIN" differ only in case/);
    rejects(["a", "A/b"], /"a" is both a file and the folder of "A\/b"/);
    assert.equal(unsafePathReason("fine/name.txt"), undefined);
  });
});
