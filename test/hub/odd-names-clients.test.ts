// The local Hub serves odd but legal names (`#`, `?`, `%`, spaces, non-ASCII, `README.md` beside `readme.md`) to
// the three stock clients, byte-exact: @huggingface/hub downloadFile (Xet and plain), git clone with git-lfs,
// and huggingface_hub's hf_hub_download (Xet and HTTP). Issue 11 Deliver 3.6.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { downloadFile } from "@huggingface/hub";
import { startHub, type LocalHub } from "../../hub/server";
import { encodeRepoPath } from "../../src/core/hub/urls";
import { gitHome } from "../core/download-helpers";
import { ROOT, sha256File, tempDir } from "../helpers/hub";

const REPO = "odd/names";
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
  "small #1 ?.txt": "a regular file with odd characters\n",
};
// The Hub runs in this process: clients must run asynchronously (a *Sync call would block the Hub it waits for).
const run = promisify(execFile);
const sha256 = (s: string | Uint8Array) => createHash("sha256").update(s).digest("hex");

describe("local Hub: odd file names with the stock clients", function () {
  this.timeout(180_000);
  let hub: LocalHub;
  let work: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    work = await tempDir("hf-odd-clients-");
    const dir = join(work.path, "src");
    for (const [path, content] of Object.entries(FILES)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    hub = await startHub({ repos: [{ id: REPO, revisions: [{ dir, message: "odd names" }] }], lfsThresholdBytes: 1024 });
  });
  after(async () => {
    await hub?.close();
    await work?.cleanup();
  });

  for (const xet of [true, false]) {
    it(`@huggingface/hub downloadFile, ${xet ? "Xet" : "plain"} path, with the path percent-encoded per segment`, async () => {
      for (const [path, content] of Object.entries(FILES)) {
        // The library puts `path` into the resolve URL as given: its caller encodes it (src/core/hub/urls.ts).
        const blob = await downloadFile({ repo: REPO, path: encodeRepoPath(path), hubUrl: hub.url, xet });
        assert.ok(blob, path);
        assert.equal(sha256(new Uint8Array(await blob.arrayBuffer())), sha256(content), path);
      }
    });
  }

  it("git clone with git-lfs checks out every odd name byte-exact", async () => {
    const home = await gitHome();
    try {
      const dest = join(work.path, "clone");
      await run("git", ["clone", "-q", `${hub.url}/${REPO}`, dest], { env: home.env });
      for (const [path, content] of Object.entries(FILES)) assert.equal(await sha256File(join(dest, path)), sha256(content), path);
    } finally {
      await home.cleanup();
    }
  });

  it("huggingface_hub hf_hub_download (Xet and HTTP) of `a#b.bin`, `100%.bin`, `a%20b.bin`, `a b.bin`, `a?b.bin`", async () => {
    const python = join(ROOT, ".venv-judge", "bin", "python");
    if (!existsSync(python)) throw new Error(`${python} is missing: run bash scripts/ensure-python-judge.sh (npm test runs it first)`);
    const names = ["a#b.bin", "100%.bin", "a%20b.bin", "a b.bin", "a?b.bin", "ü-model.bin", "small #1 ?.txt"];
    for (const disableXet of ["0", "1"]) {
      const home = join(work.path, `py-${disableXet}`);
      const script = ["import json, sys, huggingface_hub as h", `print(json.dumps({n: h.hf_hub_download(${JSON.stringify(REPO)}, n) for n in json.loads(sys.argv[1])}))`].join("\n");
      const { stdout } = await run(python, ["-c", script, JSON.stringify(names)], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, HF_HOME: join(home, "hf"), HF_ENDPOINT: hub.url, HF_HUB_DISABLE_TELEMETRY: "1", HF_HUB_DISABLE_PROGRESS_BARS: "1", HF_HUB_DISABLE_XET: disableXet },
      });
      const paths = JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, string>;
      for (const name of names) assert.equal(await sha256File(paths[name]!), sha256(FILES[name]!), `${name} (HF_HUB_DISABLE_XET=${disableXet})`);
    }
  });
});
