// After a checkout that failed part way, only the files git left cut short go: whole files, LFS pointers, files the
// user keeps and anything outside the download stay.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { lfsPointerText } from "../../src/core/lfs/gitIndex";
import { removeHalfWrittenFiles } from "../../src/core/lfs/halfWritten";
import { tempDir } from "../helpers/hub";

describe("lfs: files a failed checkout left half written", () => {
  const oid = "d".repeat(64);
  const files = [
    { path: "config.json", size: 20, blobOid: "1".repeat(40) },
    { path: "tokenizer/merges.txt", size: 100, blobOid: "2".repeat(40) },
    { path: "model.safetensors", size: 5000, blobOid: "3".repeat(40), lfs: { oid, size: 5000 } },
    { path: "weights.bin", size: 6000, blobOid: "4".repeat(40), lfs: { oid: "e".repeat(64), size: 6000 } },
    { path: "edited.txt", size: 50, blobOid: "5".repeat(40) },
    { path: "missing.txt", size: 10, blobOid: "6".repeat(40) },
    { path: "../outside.txt", size: 10, blobOid: "7".repeat(40) },
  ];

  it("removes each file shorter or longer than both its content and its pointer, and nothing else", async () => {
    const dir = await tempDir("hf-half-written-");
    try {
      const model = join(dir.path, "m");
      await mkdir(join(model, "tokenizer"), { recursive: true });
      await writeFile(join(model, "config.json"), Buffer.alloc(20, 1)); // whole
      await writeFile(join(model, "tokenizer", "merges.txt"), Buffer.alloc(40, 1)); // cut short
      await writeFile(join(model, "model.safetensors"), lfsPointerText(oid, 5000)); // a pointer
      await writeFile(join(model, "weights.bin"), ""); // an empty pointer: git had not written it yet
      await writeFile(join(model, "edited.txt"), "the user's own edit"); // kept
      await writeFile(join(dir.path, "outside.txt"), "x"); // never ours to touch

      const removed = await removeHalfWrittenFiles({ modelDir: model, files, keep: ["edited.txt"] });

      assert.deepEqual(removed.sort(), ["tokenizer/merges.txt", "weights.bin"]);
      assert.ok(existsSync(join(model, "config.json")) && existsSync(join(model, "model.safetensors")) && existsSync(join(model, "edited.txt")));
      assert.ok(!existsSync(join(model, "tokenizer", "merges.txt")) && !existsSync(join(model, "weights.bin")));
      assert.ok(existsSync(join(dir.path, "outside.txt")), "a path leaving the model folder is skipped");
    } finally {
      await dir.cleanup();
    }
  });
});
