// recordStatInIndex against real git: after a file is replaced on disk by an identical one (a new inode, as a hard
// link to an LFS object is), the rewritten index makes git see it unchanged without reading it; index layouts it
// does not handle, a held lock or an unknown path leave the index byte for byte as it was.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { recordStatInIndex } from "../../src/core/lfs/indexStat";
import { tempDir } from "../helpers/hub";

describe("lfs: recording the stat data of linked files in git's index", () => {
  let repo: { path: string; cleanup(): Promise<void> };
  const git = (...args: string[]) => execFileSync("git", args, { cwd: repo.path, encoding: "utf8", env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: repo.path } });
  const gitDir = () => join(repo.path, ".git");

  beforeEach(async () => {
    repo = await tempDir("hf-index-");
    git("init", "-q");
    await mkdir(join(repo.path, "sub dir"));
    await writeFile(join(repo.path, "a.bin"), "alpha".repeat(1000));
    await writeFile(join(repo.path, "sub dir", "b é.bin"), "beta".repeat(999));
    await writeFile(join(repo.path, "c.txt"), "c");
    git("add", ".");
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "files");
    // Identical content under a new inode (via a hard link from outside the tree), as the LFS route leaves it.
    for (const path of ["a.bin", join("sub dir", "b é.bin")]) {
      const outside = join(repo.path, ".git", "copy");
      await writeFile(outside, await readFile(join(repo.path, path)));
      await rm(join(repo.path, path));
      await link(outside, join(repo.path, path));
      await rm(outside);
    }
  });
  afterEach(() => repo.cleanup());

  for (const version of ["2", "3"]) {
    it(`makes git trust the new stat data of exactly the named entries (index version ${version})`, async () => {
      git("update-index", "--index-version", version);
      assert.deepEqual(git("diff-files", "--name-only", "-z").split("\0").filter(Boolean).sort(), ["a.bin", "sub dir/b é.bin"], "stat-dirty before");
      assert.equal(await recordStatInIndex({ gitDir: gitDir(), modelDir: repo.path, paths: ["a.bin", "sub dir/b é.bin"] }), true);
      // diff-files compares stat data only: an empty answer means git would not re-read the files.
      assert.equal(git("diff-files", "--name-only"), "");
      assert.equal(git("status", "--porcelain"), "");
      assert.equal(git("ls-files", "--stage", "--", "a.bin").slice(0, 7), "100644 ");
      git("fsck", "--no-progress", "--cache");
    });
  }

  it("leaves the index untouched for a v4 index, a held index.lock and a path git does not track", async () => {
    const index = join(gitDir(), "index");
    git("update-index", "--index-version", "4");
    let before = await readFile(index);
    assert.equal(await recordStatInIndex({ gitDir: gitDir(), modelDir: repo.path, paths: ["a.bin"] }), false);
    assert.ok((await readFile(index)).equals(before), "v4");

    git("update-index", "--index-version", "2");
    before = await readFile(index);
    await writeFile(`${index}.lock`, "");
    assert.equal(await recordStatInIndex({ gitDir: gitDir(), modelDir: repo.path, paths: ["a.bin"] }), false);
    assert.ok((await readFile(index)).equals(before), "locked");
    await rm(`${index}.lock`);

    assert.equal(await recordStatInIndex({ gitDir: gitDir(), modelDir: repo.path, paths: ["a.bin", "missing.bin"] }), false);
    assert.ok((await readFile(index)).equals(before), "unknown path");
  });
});
