// Odd but legal names (issue 11 Deliver 3.6, issue 17 point 5): `README.md` beside `readme.md`, `#`, `?`, `%`,
// spaces and non-ASCII letters download byte-exact on both routes (Xet with the fallback off), a selection on Git
// LFS fetches exactly its files, and an unsafe path is refused only when the selection keeps it.
// Also issue 11 Deliver 3.9: a user's `git xet install` (a failing stand-in agent) never takes over our git runs.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { download } from "../../src/core/download/service";
import type { ProgressEvent } from "../../src/core/download/types";
import { checkSelectedPaths, EXACT_FOLDING, PORTABLE_FOLDING } from "../../src/core/util/safePaths";
import { rejectsWithCode } from "../helpers/assertions";
import { sha256File, tempDir } from "../helpers/files";
import { lfsObjectRequests, sourceFiles, TOKEN, useServiceTestbed, workingFiles } from "./download-helpers";

const REPO = "odd/names";
const PRIVATE = "odd/private-names";
/** Path → content; the `.bin` files are above the Hub's 1 KiB LFS threshold (so LFS and Xet), the rest regular. */
const FILES: Record<string, string> = {
  "README.md": "upper case readme\n",
  "readme.md": "lower case readme\n",
  "a#b.bin": "H".repeat(3000),
  "a?b.bin": "Q".repeat(3001),
  "100%.bin": "P".repeat(3002),
  "a%20b.bin": "E".repeat(3003),
  "a b.bin": "S".repeat(3004),
  "ü-model.bin": "U".repeat(3005),
  "dir with space/x.bin": "D".repeat(3006),
  "#x.bin": "W".repeat(3007),
  "[x].bin": "B".repeat(3008),
  "small #1 ?.txt": "a regular file with odd characters\n",
};

describe("odd but legal file names, on both routes", function () {
  this.timeout(120_000);
  const bed = useServiceTestbed({
    prefix: "hf-odd-",
    lfsThresholdBytes: 1024,
    sources: async (work) => {
      const dir = join(work, "odd-src");
      for (const [path, content] of Object.entries(FILES)) {
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), content);
      }
      return [
        { id: REPO, revisions: [{ dir, message: "odd names" }] },
        { id: PRIVATE, private: true, revisions: [{ dir, message: "odd names, private" }] },
      ];
    },
  });

  /** Every listed file of `repo` is in `modelDir` with the Hub's SHA-256. */
  async function assertByteExact(modelDir: string, paths: readonly string[], repo = REPO): Promise<void> {
    const source = sourceFiles(bed.hub, repo);
    for (const path of paths) {
      assert.ok(source.has(path), `the Hub has ${path}`);
      assert.equal(await sha256File(join(modelDir, path)), source.get(path)!.sha256, path);
    }
  }

  for (const method of ["lfs", "xet"] as const) {
    it(`downloads every odd name byte-exact (${method}${method === "xet" ? ", no fallback" : ""})`, async () => {
      const events: ProgressEvent[] = [];
      const result = await download(
        { repo: REPO, modelsDir: bed.models.path, endpoint: bed.hub.url, method, fallbackToLfs: false },
        { env: bed.home.env, onProgress: (e) => events.push(e) },
      );
      assert.equal(result.method, method);
      assert.ok(!events.some((e) => e.type === "fallback"));
      const paths = Object.keys(FILES);
      await assertByteExact(result.path, paths);
      assert.deepEqual(result.files.map((f) => f.path).sort(), [...paths, ".gitattributes"].sort());
      if (method === "xet") {
        // Each Xet file was asked for under its own encoded name, never a look-alike (`a%20b.bin` is not `a b.bin`).
        const resolves = bed.hub.ctx.log.filter((e) => e.route.startsWith("resolve")).map((e) => e.path.replace(/\?.*$/, ""));
        for (const path of ["a#b.bin", "a?b.bin", "100%.bin", "a%20b.bin"]) {
          const encoded = path.split("/").map(encodeURIComponent).join("/");
          assert.ok(resolves.some((p) => p.endsWith(`/resolve/${result.commit}/${encoded}`)), `${path} resolved as ${encoded}: ${resolves.join(" ")}`);
        }
      }
    });
  }

  it("a Git LFS selection of odd names checks out and fetches exactly those files", async () => {
    const include = ["a\\?b.bin", "#x.bin", "a b.bin", "ü-model.bin", "dir with space/", "\\[x\\].bin"];
    const expected = ["#x.bin", "[x].bin", "a b.bin", "a?b.bin", "dir with space/x.bin", "ü-model.bin"];
    const result = await download({ repo: REPO, modelsDir: bed.models.path, endpoint: bed.hub.url, include }, { env: bed.home.env });
    assert.deepEqual(result.files.map((f) => f.path).sort(), expected);
    assert.deepEqual((await workingFiles(result.path)).filter((p) => p !== ".hf-models.json").sort(), expected);
    await assertByteExact(result.path, expected);
    // git-lfs got one exact pattern per file: `a?b.bin` did not also pull `a#b.bin` or `a b.bin`'s look-alikes.
    const source = sourceFiles(bed.hub, REPO);
    const wanted = new Set(expected.map((p) => source.get(p)!.lfsOid));
    const fetched = new Set(lfsObjectRequests(bed.hub).map((r) => r.oid));
    assert.deepEqual([...fetched].sort(), [...wanted].sort());
  });

  it("an unsafe path outside the selection is a warning; inside it, a clear refusal", async () => {
    bed.hub.setHostile("tree-dotdot", true);
    for (const method of ["lfs", "xet"] as const) {
      const models = await tempDir("hf-odd-unsafe-");
      try {
        const events: ProgressEvent[] = [];
        const result = await download(
          { repo: REPO, modelsDir: models.path, endpoint: bed.hub.url, method, fallbackToLfs: false, include: ["*.bin"] },
          { env: bed.home.env, onProgress: (e) => events.push(e) },
        );
        assert.equal(result.method, method);
        await assertByteExact(result.path, result.files.map((f) => f.path));
        const warnings = events.filter((e): e is Extract<ProgressEvent, { type: "log" }> => e.type === "log" && e.level === "warn" && /outside this selection/.test(e.message));
        assert.equal(warnings.length, 1, JSON.stringify(events.filter((e) => e.type === "log")));
        assert.match(warnings[0]!.message, /"\.\.\/escape\.txt" is unsafe: it has a "\.\." segment/);
        // README.md and readme.md are not selected: named too, as a pair a case-insensitive filesystem cannot hold.
        assert.match(warnings[0]!.message, /"README\.md" and "readme\.md" differ only in case/);
        assert.equal(existsSync(join(models.path, "odd", "escape.txt")), false);

        await rejectsWithCode(
          download({ repo: REPO, modelsDir: models.path, endpoint: bed.hub.url, method, fallbackToLfs: false, include: ["*.txt"] }, { env: bed.home.env }),
          "server", /"\.\.\/escape\.txt" is unsafe: it has a "\.\." segment\. Nothing was written\. Exclude that file to download the rest\./,
        );
      } finally {
        await models.cleanup();
      }
    }
  });

  it("case collisions: both files on a case-sensitive filesystem, a clear refusal of the pair on a case-insensitive one", async () => {
    const listed = ["README.md", "readme.md", "x.bin"];
    assert.equal(await checkSelectedPaths({ listed, selected: listed, modelDir: "/nowhere", folding: EXACT_FOLDING }), undefined);
    await rejectsWithCode(
      checkSelectedPaths({ listed, selected: listed, modelDir: "/m/odd/names", folding: PORTABLE_FOLDING }),
      "not-writable", /^The filesystem of \/m\/odd\/names does not tell apart names that differ only in case or accents, so "README\.md" and "readme\.md" differ only in case \(one file there\)\. Leave one of them out of the selection/,
    );
    // NFC and NFD spellings of one name are one file on macOS: refused there, two files on Linux.
    const accents = ["\u00fc.bin", "u\u0308.bin"];
    await rejectsWithCode(checkSelectedPaths({ listed: accents, selected: accents, modelDir: "/m", folding: { caseInsensitive: false, unicodeInsensitive: true } }), "not-writable");
    assert.equal(await checkSelectedPaths({ listed: accents, selected: accents, modelDir: "/m", folding: EXACT_FOLDING }), undefined);
    // Only one of the pair selected: nothing to refuse, the other is named in the warning.
    assert.match((await checkSelectedPaths({ listed, selected: ["README.md"], modelDir: "/m", folding: PORTABLE_FOLDING }))!, /"README\.md" and "readme\.md" differ only in case/);
  });

  describe("a user who ran `git xet install`", () => {
    let home: Awaited<ReturnType<typeof tempDir>>;
    let env: NodeJS.ProcessEnv;
    let marker: string;
    before(async () => {
      // A HOME of its own whose ~/.gitconfig holds what `git xet install` writes, plus a standalone agent for the
      // Hub's URL, all naming a stand-in that leaves a marker and fails the transfer if git-lfs ever starts it.
      home = await tempDir("hf-git-xet-home-");
      marker = join(home.path, "AGENT-INVOKED");
      const agent = join(home.path, "git-xet");
      await writeFile(agent, `#!/bin/sh\necho "$@" >> '${marker}'\nexit 1\n`);
      await chmod(agent, 0o755);
      env = { ...bed.home.env, HOME: home.path, XDG_CONFIG_HOME: join(home.path, ".config") };
      execFileSync("git", ["lfs", "install", "--skip-repo"], { env, stdio: "ignore" });
      const set = (key: string, value: string) => execFileSync("git", ["config", "--global", key, value], { env });
      set("lfs.customtransfer.xet.path", agent);
      set("lfs.customtransfer.xet.args", "transfer");
      set("lfs.customtransfer.xet.concurrent", "true");
      set(`lfs.${bed.hub.url}/.standalonetransferagent`, "xet");
      set(`lfs.${bed.hub.url}/${PRIVATE}.git/info/lfs.standalonetransferagent`, "xet");
      set("lfs.standalonetransferagent", "xet");
    });
    after(() => home.cleanup());

    for (const method of ["lfs", "xet"] as const) {
      it(`${method === "lfs" ? "the LFS route" : "the Xet route's fallback to LFS"} never starts the agent and keeps the token (private repo)`, async () => {
        const events: ProgressEvent[] = [];
        if (method === "xet") bed.hub.setFault("cas-unavailable", true);
        try {
          const result = await download(
            { repo: PRIVATE, modelsDir: bed.models.path, endpoint: bed.hub.url, token: TOKEN, method, fallbackToLfs: true },
            { env, onProgress: (e) => events.push(e) },
          );
          assert.equal(result.method, "lfs");
          if (method === "xet") assert.ok(events.some((e) => e.type === "fallback"), "the Xet attempt fell back");
          await assertByteExact(result.path, Object.keys(FILES), PRIVATE);
          assert.equal(existsSync(marker), false, "the stand-in agent was never started");
          const batch = bed.hub.ctx.log.filter((e) => e.route === "lfs-batch");
          assert.ok(batch.length >= 1 && batch.every((e) => e.auth === "hub-token" && e.status === 200), JSON.stringify(batch));
        } finally {
          bed.hub.setFault("cas-unavailable", false);
        }
      });
    }
  });
});
