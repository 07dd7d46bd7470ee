// The path guard (util/safePaths.ts) that keeps a hostile listing from writing outside the model folder,
// into .git, onto HF Models' own files, or onto a case-insensitive twin.
import assert from "node:assert/strict";
import { assertSafeRepoPaths, unsafePathReason } from "../../src/core/util/safePaths";
import { throwsWithCode } from "../helpers/assertions";

describe("download selection: unsafe listing paths", () => {
  const rejects = (paths: string[], pattern: RegExp) => assert.match(throwsWithCode(() => assertSafeRepoPaths(paths), "server", pattern).message, /Nothing was written/);

  it("accepts ordinary nested paths", () => {
    const paths = ["a", "b/c.bin", "b/d/e.txt", ".gitattributes", "sub/.hf-models.json"];
    assert.deepEqual(paths.map(unsafePathReason), paths.map(() => undefined));
    assert.doesNotThrow(() => assertSafeRepoPaths(paths));
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
