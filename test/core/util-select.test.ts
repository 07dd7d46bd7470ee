// File selection (util/select.ts): include/exclude globs, folders, hidden files, and when a request
// selects anything at all.
import assert from "node:assert/strict";
import { hasSelection, selectFiles } from "../../src/core/util/select";

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
