// The newcomer's path: `npm run hub -- --repo me/model=./folder` serves a folder of their own, and both
// stock git + git-lfs and the stock @huggingface/hub client download it byte-exact.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { __internal_XetBlob, downloadFile } from "@huggingface/hub";
import { fixtureBytes, GitClient, writeTree } from "../helpers/gitFixtures";
import { ROOT, sha256, sha256File, tempDir } from "../helpers/hub";

interface RunningHub {
  url: string;
  child: ChildProcess;
  stderr: () => string;
}

/** Spawns `npm run hub -- …` in its own process group and waits for its `listening on` line. */
function npmRunHub(args: string[]): Promise<RunningHub> {
  const child = spawn("npm", ["run", "--silent", "hub", "--", ...args], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d;
      const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
      if (m) resolve({ url: m[1], child, stderr: () => err });
    });
    child.on("exit", (code) => reject(new Error(`hub exited ${code} before listening: ${err}`)));
  });
}

function stop(hub: RunningHub | undefined): void {
  if (hub?.child.pid) process.kill(-hub.child.pid, "SIGTERM");
}

describe("npm run hub -- --repo me/model=./folder", function () {
  this.timeout(120_000);
  let folder: { path: string; cleanup(): Promise<void> };
  let hub: RunningHub;
  let git: GitClient;
  const files = {
    "config.json": '{"model_type": "mine"}\n',
    "weights/model.safetensors": fixtureBytes("newcomer-weights", 3 * 1024 * 1024 + 17),
    "model.gguf": fixtureBytes("newcomer-gguf", 1024 * 1024),
    "notes/README.md": "# My model\n",
  };

  before(async () => {
    folder = await tempDir("hf-newcomer-");
    await writeTree(join(folder.path, "model"), files);
    hub = await npmRunHub(["--port", "0", "--repo", `me/model=${join(folder.path, "model")}`]);
    git = await GitClient.create();
  });
  after(async () => {
    stop(hub);
    await git?.dispose();
    await folder?.cleanup();
  });

  it("stock git clone with git-lfs gets every file byte-exact", async () => {
    const dest = join(folder.path, "clone");
    await git.ok({ args: ["clone", `${hub.url}/me/model`, dest] });
    for (const [path, content] of Object.entries(files)) {
      assert.equal(await sha256File(join(dest, path)), sha256(Buffer.from(content)), path);
    }
    assert.match(await readFile(join(dest, ".gitattributes"), "utf8"), /\*\.safetensors filter=lfs/);
  });

  it("the stock @huggingface/hub client gets the LFS files through Xet and the rest through resolve", async () => {
    for (const [path, content] of Object.entries(files)) {
      const blob = await downloadFile({ repo: "me/model", path, hubUrl: hub.url });
      assert.equal(blob instanceof __internal_XetBlob, /\.(safetensors|gguf)$/.test(path), `${path} route`);
      assert.equal(sha256(new Uint8Array(await blob!.arrayBuffer())), sha256(Buffer.from(content)), path);
    }
  });

  it("an unknown fault name is a usage error (exit 2) naming the known faults", async () => {
    const child = spawn("npm", ["run", "--silent", "hub", "--", "--fault", "nonsense"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d));
    const code = await new Promise((resolve) => child.on("exit", resolve));
    assert.equal(code, 2);
    assert.match(err, /unknown fault "nonsense"; known: cas-unavailable, token-error/);
  });
});
