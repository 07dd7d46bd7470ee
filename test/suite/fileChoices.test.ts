// The file picker's quick choices: safetensors only, GGUF quantization groups (split files together),
// and exact, glob-safe include patterns for the selection.
import assert from "node:assert/strict";
import { exactPattern, ggufQuantizations, includePatterns, offersSafetensorsOnly, safetensorsOnly, withQuantization } from "../../src/commands/fileChoices";
import { selectFiles } from "../../src/core/util/select";

const f = (path: string, size = 1) => ({ path, size });

describe("file choices", () => {
  it("offers 'safetensors only' only when another weight format is present, and keeps non-weight files", () => {
    const files = [f("config.json"), f("model.safetensors"), f("pytorch_model.bin"), f("tf_model.h5"), f("onnx/model.onnx"), f("tokenizer.json")];
    assert.equal(offersSafetensorsOnly(files), true);
    assert.deepEqual(safetensorsOnly(files).map((x) => x.path), ["config.json", "model.safetensors", "tokenizer.json"]);
    assert.equal(offersSafetensorsOnly([f("config.json"), f("model.safetensors")]), false);
    assert.equal(offersSafetensorsOnly([f("config.json"), f("pytorch_model.bin")]), false);
  });

  it("groups GGUF files by quantization, split files together", () => {
    const files = [
      f("README.md"),
      f("m-Q4_K_M.gguf", 10),
      f("big/m-Q8_0-00001-of-00002.gguf", 20),
      f("big/m-Q8_0-00002-of-00002.gguf", 5),
      f("m.IQ2_XS.gguf", 3),
      f("m-f16.gguf", 40),
    ];
    const quants = ggufQuantizations(files);
    assert.deepEqual(quants.map((q) => [q.name, q.size, q.paths.length]), [["Q4_K_M", 10, 1], ["Q8_0", 25, 2], ["IQ2_XS", 3, 1], ["F16", 40, 1]]);
    assert.deepEqual(withQuantization(files, quants[1]!).map((x) => x.path), ["README.md", "big/m-Q8_0-00001-of-00002.gguf", "big/m-Q8_0-00002-of-00002.gguf"]);
  });

  it("turns a selection into exact patterns that core's selectFiles matches one-to-one", () => {
    const all = [f("a.json"), f("sub/a.json"), f("we[i]rd (1)!.bin"), f("x*y.txt"), f("{a,b}.txt")];
    assert.equal(includePatterns(all.map((x) => x.path), all), undefined, "everything selected = no include");
    for (const file of all) {
      assert.deepEqual(selectFiles({ files: all, include: [exactPattern(file.path)] }).map((x) => x.path), [file.path]);
    }
    assert.deepEqual(includePatterns(["a.json"], all), ["/a.json"]);
  });
});
