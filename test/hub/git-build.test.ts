// buildGitRepo: revision folders become a bare repo with reproducible commits, LFS pointer blobs, the Hub's
// .gitattributes, nested trees — checked with git itself (cat-file, ls-tree, check-attr), not with our own code.
import assert from "node:assert/strict";
import { readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { HUB_LFS_PATTERNS, exactPathLine, lfsMatcher } from "../../hub/git/attributes";
import { buildGitRepo, type BuiltCommit } from "../../hub/git/build";
import { runGit } from "../../hub/git/exec";
import { GitClient, fixtureBytes, gitBlobId, sha256, tempDir, writeTree } from "../helpers/gitFixtures";
import type { RepoSource } from "../../hub/model";

const THRESHOLD = 1024;

const rev1Files: Record<string, Buffer | string> = {
  "config.json": '{"model_type":"tiny","hidden_size":8}\n',
  "README.md": "# tiny\n",
  "model.safetensors": fixtureBytes("model-v1", 300_000),
  "sub/deep/notes.txt": "nested\n",
  "weights/part.bin": "ten bytes!",
  "logs/events.out.tfevents.123": "tfevents",
  "data.raw": fixtureBytes("raw", 2000),
  "odd name [1].dat": fixtureBytes("odd", 1500),
  "small.raw": fixtureBytes("small", THRESHOLD - 1),
  ".git/HEAD": "ref: refs/heads/nope\n",
  "sub/.git/config": "[core]\n",
};
const rev2Files: Record<string, Buffer | string> = {
  ...Object.fromEntries(Object.entries(rev1Files).filter(([p]) => p !== "README.md")),
  "config.json": '{"model_type":"tiny","hidden_size":16}\n',
  "model.safetensors": fixtureBytes("model-v2", 300_000),
  "added/new.txt": "new in v2\n",
};
const committed = (files: Record<string, Buffer | string>) => Object.keys(files).filter((p) => !p.split("/").includes(".git"));
const lfsExpected = ["model.safetensors", "weights/part.bin", "logs/events.out.tfevents.123", "data.raw", "odd name [1].dat"];

describe("buildGitRepo", function () {
  this.timeout(60_000);
  let root: string;
  let source: RepoSource;
  let gitDir: string;
  let built: BuiltCommit[];
  const git = (...args: string[]) => runGit({ gitDir, args });

  before(async () => {
    root = await tempDir("build");
    await writeTree(join(root, "r1"), rev1Files);
    await writeTree(join(root, "r2"), rev2Files);
    source = { id: "acme/tiny", revisions: [{ dir: join(root, "r1"), message: "first", branch: "v1" }, { dir: join(root, "r2"), message: "second" }] };
    gitDir = join(root, "git", "acme", "tiny.git");
    built = await buildGitRepo({ source, gitDir, lfsThresholdBytes: THRESHOLD });
  });
  after(() => rm(root, { recursive: true, force: true }));

  it("makes one commit per revision: parent chain, main at the last, the extra branch, HEAD → main", async () => {
    assert.equal(built.length, 2);
    assert.equal(built[0].parent, undefined);
    assert.equal(built[1].parent, built[0].sha);
    assert.equal((await git("rev-parse", "refs/heads/main")).trim(), built[1].sha);
    assert.equal((await git("rev-parse", "refs/heads/v1")).trim(), built[0].sha);
    assert.equal((await git("symbolic-ref", "HEAD")).trim(), "refs/heads/main");
    assert.equal((await git("rev-list", "--parents", "main")).trim(), `${built[1].sha} ${built[0].sha}\n${built[0].sha}`);
    assert.equal((await git("log", "--format=%s|%an <%ae>|%aI|%cI", "main")).trim(), [
      "second|Local Hub <hub@localhost.invalid>|2024-01-02T00:00:00+00:00|2024-01-02T00:00:00+00:00",
      "first|Local Hub <hub@localhost.invalid>|2024-01-01T00:00:00+00:00|2024-01-01T00:00:00+00:00",
    ].join("\n"));
    assert.deepEqual(built.map((c) => [c.message, c.date, c.branch]), [["first", "2024-01-01T00:00:00.000Z", "v1"], ["second", "2024-01-02T00:00:00.000Z", undefined]]);
    assert.equal((await git("fsck", "--full", "--strict")).trim(), "");
  });

  it("keeps every object in one pack, as a git host does, so a clone does not compress each object again", async () => {
    const counts = Object.fromEntries((await git("count-objects", "-v")).trim().split("\n").map((l) => l.split(": ")));
    assert.equal(counts.count, "0", "no loose objects");
    assert.equal(counts.packs, "1");
    assert.equal(Number(counts["in-pack"]), (await git("rev-list", "--objects", "--all")).trim().split("\n").length);
  });

  it("gives the same SHAs on every build, whatever git identity or dates the caller's environment sets", async () => {
    // Golden values: a change here means every fixture commit SHA changed (identity, dates, .gitattributes, pointers).
    assert.deepEqual(built.map((c) => c.sha), ["4766a9ebc66a8f4c7bd29a3c0ef31bf96e40d0e7", "0ac4947dfe8c6272123cd0ecbc8281cfed5ec845"]);
    const saved = { ...process.env };
    Object.assign(process.env, { GIT_AUTHOR_NAME: "Someone Else", GIT_COMMITTER_EMAIL: "x@y", GIT_AUTHOR_DATE: "2001-01-01T00:00:00Z", GIT_DIR: "/nonexistent" });
    try {
      const again = await buildGitRepo({ source, gitDir: join(root, "again.git"), lfsThresholdBytes: THRESHOLD });
      assert.deepEqual(again.map((c) => c.sha), built.map((c) => c.sha));
    } finally {
      for (const key of ["GIT_AUTHOR_NAME", "GIT_COMMITTER_EMAIL", "GIT_AUTHOR_DATE", "GIT_DIR"]) if (saved[key] === undefined) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });

  it("lists nested paths, skips .git folders, and git's tree holds exactly those paths", async () => {
    for (const [i, files] of [rev1Files, rev2Files].entries()) {
      const expected = [".gitattributes", ...committed(files)].sort();
      assert.deepEqual(built[i].files.map((f) => f.path), expected);
      const tree = (await git("ls-tree", "-r", "--name-only", "-z", built[i].sha)).split("\0").filter(Boolean).sort();
      assert.deepEqual(tree, expected);
    }
  });

  it("stores LFS files as pointer blobs and records oid, size, pointerSize, sha256 and source", async () => {
    for (const [i, files] of [rev1Files, rev2Files].entries()) {
      const lfs = built[i].files.filter((f) => f.lfs).map((f) => f.path).sort();
      assert.deepEqual(lfs, [...lfsExpected].sort());
      for (const file of built[i].files.filter((f) => f.lfs)) {
        const content = Buffer.from(files[file.path]);
        const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(content)}\nsize ${content.length}\n`;
        assert.deepEqual(file.lfs, { oid: sha256(content), size: content.length, pointerSize: Buffer.byteLength(pointer) });
        assert.equal(file.sha256, sha256(content));
        assert.equal(file.size, content.length);
        assert.equal(file.blobOid, gitBlobId(pointer));
        assert.equal(await git("cat-file", "blob", `${built[i].sha}:${file.path}`), pointer);
        assert.equal(file.source, join(root, `r${i + 1}`, ...file.path.split("/")));
        assert.deepEqual(await readFile(file.source), content);
      }
    }
  });

  it("stores regular files byte-exact with their git blob id", async () => {
    for (const [i, files] of [rev1Files, rev2Files].entries()) {
      for (const file of built[i].files.filter((f) => !f.lfs && f.path !== ".gitattributes")) {
        const content = Buffer.from(files[file.path]);
        assert.equal(file.blobOid, gitBlobId(content), file.path);
        assert.equal(file.sha256, sha256(content));
        assert.equal(file.size, content.length);
        // The tree entry is the blob whose id is the SHA-1 of exactly these bytes, so git holds them byte-exact.
        assert.equal((await git("rev-parse", `${built[i].sha}:${file.path}`)).trim(), file.blobOid);
        assert.equal((await git("cat-file", "-s", file.blobOid)).trim(), String(content.length));
      }
    }
    const small = built[0].files.find((f) => f.path === "small.raw")!;
    assert.equal(small.lfs, undefined, "a file one byte under the threshold stays in git");
  });

  it("writes the Hub's default .gitattributes plus anchored lines for large unmatched files, and git agrees", async () => {
    const attrs = built[0].files.find((f) => f.path === ".gitattributes")!;
    const text = await readFile(attrs.source, "utf8");
    assert.equal(await git("cat-file", "blob", `${built[0].sha}:.gitattributes`), text);
    assert.equal(attrs.blobOid, gitBlobId(text));
    assert.equal(attrs.sha256, sha256(text));
    const lines = text.trimEnd().split("\n");
    assert.deepEqual(lines.slice(0, HUB_LFS_PATTERNS.length), HUB_LFS_PATTERNS.map((p) => `${p} filter=lfs diff=lfs merge=lfs -text`));
    assert.deepEqual(lines.slice(HUB_LFS_PATTERNS.length).sort(), [
      "/data.raw filter=lfs diff=lfs merge=lfs -text",
      "/odd[[:space:]]name[[:space:]]\\[1\\].dat filter=lfs diff=lfs merge=lfs -text",
    ]);
    await assertGitAgrees(text, built[0]);
  });

  it("uses a folder's own .gitattributes (and still adds large unmatched files to it)", async () => {
    const own = "# only .bin here\n*.bin filter=lfs diff=lfs merge=lfs -text";
    const dir = join(root, "own");
    await writeTree(dir, { ".gitattributes": own, "model.safetensors": fixtureBytes("m", 500), "w.bin": "x", "huge.dat": fixtureBytes("h", 4096) });
    const [commit] = await buildGitRepo({ source: { id: "acme/own", revisions: [{ dir, message: "own" }] }, gitDir: join(root, "own.git"), lfsThresholdBytes: THRESHOLD });
    const byPath = new Map(commit.files.map((f) => [f.path, f]));
    assert.equal(byPath.get("model.safetensors")!.lfs, undefined, "the default list does not apply when the folder has its own");
    assert.ok(byPath.get("w.bin")!.lfs);
    assert.ok(byPath.get("huge.dat")!.lfs);
    const text = await runGit({ gitDir: join(root, "own.git"), args: ["cat-file", "blob", `${commit.sha}:.gitattributes`] });
    assert.equal(text, `${own}\n/huge.dat filter=lfs diff=lfs merge=lfs -text\n`);
    await assertGitAgrees(text, commit);

    // Unchanged own file: its source is the folder's file itself.
    const dir2 = join(root, "own2");
    await writeTree(dir2, { ".gitattributes": own, "w.bin": "x" });
    const [c2] = await buildGitRepo({ source: { id: "acme/own2", revisions: [{ dir: dir2, message: "own" }] }, gitDir: join(root, "own2.git"), lfsThresholdBytes: THRESHOLD });
    assert.equal(c2.files.find((f) => f.path === ".gitattributes")!.source, join(dir2, ".gitattributes"));
  });

  it("rebuilds over its own earlier build with the same SHAs", async () => {
    const again = await buildGitRepo({ source, gitDir, lfsThresholdBytes: THRESHOLD });
    assert.deepEqual(again.map((c) => c.sha), built.map((c) => c.sha));
    assert.equal((await git("rev-parse", "main")).trim(), built[1].sha);
  });

  it("fails clearly on a missing revision folder, no revisions, or a gitDir that is not its own", async () => {
    await assert.rejects(
      buildGitRepo({ source: { id: "acme/x", revisions: [{ dir: join(root, "missing"), message: "m" }] }, gitDir: join(root, "x.git"), lfsThresholdBytes: THRESHOLD }),
      (err: Error) => /revision 0 of acme\/x: folder .*missing is not readable/.test(err.message),
    );
    await assert.rejects(buildGitRepo({ source: { id: "acme/y", revisions: [] }, gitDir: join(root, "y.git"), lfsThresholdBytes: THRESHOLD }), /acme\/y has no revisions/);
    const precious = join(root, "precious");
    await mkdir(precious);
    await writeFile(join(precious, "keep.txt"), "mine");
    await assert.rejects(
      buildGitRepo({ source: { id: "acme/z", revisions: [{ dir: join(root, "r1"), message: "m" }] }, gitDir: precious, lfsThresholdBytes: THRESHOLD }),
      /is not a bare git repository; refusing to replace it/,
    );
    assert.equal(await readFile(join(precious, "keep.txt"), "utf8"), "mine");
  });
});

describe("lfsMatcher (gitattributes semantics)", () => {
  it("matches basename patterns at any depth, anchored paths from the root, and lets later lines win", () => {
    const isLfs = lfsMatcher([
      "*.bin filter=lfs diff=lfs merge=lfs -text",
      "*.tar.gz filter=lfs",
      "*tfevents* filter=lfs",
      "/top.dat filter=lfs",
      "docs/*.pdf filter=lfs",
      "keep/*.bin -filter",
      '"with space.txt" filter=lfs',
      "# *.txt filter=lfs",
      "*.md text",
    ].join("\n"));
    const cases: Array<[string, boolean]> = [
      ["a.bin", true], ["deep/er/a.bin", true], ["keep/a.bin", false], ["keep/sub/a.bin", true],
      ["x/y.tar.gz", true], ["y.tar", false], ["runs/events.out.tfevents.1.host", true],
      ["top.dat", true], ["sub/top.dat", false], ["docs/a.pdf", true], ["docs/sub/a.pdf", false],
      ["with space.txt", true], ["a.txt", false], ["README.md", false], [".hidden.bin", true],
    ];
    for (const [path, expected] of cases) assert.equal(isLfs(path), expected, path);
  });

  it("exactPathLine escapes glob characters and spaces so only that path matches", () => {
    const isLfs = lfsMatcher(exactPathLine("dir/a [b]*?.x"));
    assert.equal(isLfs("dir/a [b]*?.x"), true);
    assert.equal(isLfs("dir/a b*?.x"), false);
    assert.equal(isLfs("dir/a [b]zz.x"), false);
    assert.equal(isLfs("other/dir/a [b]*?.x"), false);
  });
});

/** git check-attr in a scratch work tree must mark exactly the files we stored as pointers. */
async function assertGitAgrees(gitattributes: string, commit: BuiltCommit): Promise<void> {
  const client = await GitClient.create();
  try {
    const wt = join(client.home, "wt");
    await client.ok({ args: ["init", "-q", wt] });
    await writeFile(join(wt, ".gitattributes"), gitattributes);
    const paths = commit.files.map((f) => f.path).filter((p) => p !== ".gitattributes");
    const out = await client.ok({ args: ["check-attr", "-z", "filter", "--", ...paths], cwd: wt });
    const fields = out.split("\0");
    for (let i = 0; i + 2 < fields.length; i += 3) {
      const file = commit.files.find((f) => f.path === fields[i])!;
      assert.equal(fields[i + 2] === "lfs", !!file.lfs, `git check-attr says ${fields[i]}: filter=${fields[i + 2]}`);
    }
    assert.equal(Math.floor(fields.length / 3), paths.length);
  } finally {
    await client.dispose();
  }
}
