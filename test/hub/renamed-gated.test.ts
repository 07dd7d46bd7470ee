// Renamed repos, legacy ids and gated repos as huggingface.co answers them, against the local Hub and the three
// stock clients. A former id gets a 307 with a relative Location (huggingface_hub PR #983; utils/_http.py
// `_httpx2_follow_hub_redirects_with_backoff`), on the API, resolve and git smart HTTP. A gated repo's model info
// and tree are public and carry `gated`; its files answer 401/403 with `X-Error-Code: GatedRepo` and the Hub's
// message (huggingface_hub errors.py GatedRepoError).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { downloadFile, modelInfo } from "@huggingface/hub";
import type { RepoSource } from "../../hub/model";
import { startHub, type LocalHub } from "../../hub/server";
import { GitClient } from "../helpers/gitFixtures";
import { ROOT, demoSources, sha256, sha256File, tempDir } from "../helpers/hub";

const GRANTED = "hf_gate_granted_token";
const PENDING = "hf_gate_pending_token";
const OTHER = "hf_gate_other_token";
const PYTHON = join(ROOT, ".venv-judge", "bin", "python");

describe("renamed repos, legacy ids and gated repos on the local Hub", function () {
  this.timeout(180_000);
  let hub: LocalHub;
  let sources: RepoSource[];
  const dirOf = (id: string) => sources.find((s) => s.id === id)!.revisions[0].dir;

  before(async () => {
    sources = await demoSources();
    const tiny = sources.find((s) => s.id === "demo/tiny-model")!;
    tiny.renamedFrom = ["old-org/tiny-model", "tiny"];
    const gated = sources.find((s) => s.id === "demo/gated-model")!;
    sources.push({ ...gated, id: "demo/manual-gated", gated: "manual" });
    hub = await startHub({ repos: sources, gatedAccess: [GRANTED], gatedPending: [PENDING] });
  });
  after(() => hub?.close());
  beforeEach(() => hub.resetLog());

  const get = (path: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${hub.url}${path}`, { redirect: "manual", ...init, headers: init.token ? { Authorization: `Bearer ${init.token}` } : {} });

  describe("renames", () => {
    for (const [path, location] of [
      ["/api/models/old-org/tiny-model", "/api/models/demo/tiny-model"],
      ["/api/models/old-org/tiny-model/revision/main", "/api/models/demo/tiny-model/revision/main"],
      ["/api/models/old-org/tiny-model/tree/main?recursive=true", "/api/models/demo/tiny-model/tree/main?recursive=true"],
      ["/api/models/tiny", "/api/models/demo/tiny-model"],
      ["/api/models/tiny/tree/main", "/api/models/demo/tiny-model/tree/main"],
      ["/old-org/tiny-model/resolve/main/config.json", "/demo/tiny-model/resolve/main/config.json"],
      ["/tiny/resolve/main/config.json", "/demo/tiny-model/resolve/main/config.json"],
      ["/old-org/tiny-model/info/refs?service=git-upload-pack", "/demo/tiny-model/info/refs?service=git-upload-pack"],
      ["/old-org/tiny-model.git/info/refs?service=git-upload-pack", "/demo/tiny-model.git/info/refs?service=git-upload-pack"],
    ]) {
      it(`${path} answers 307 with the relative Location ${location}`, async () => {
        const res = await get(path);
        assert.equal(res.status, 307);
        assert.equal(res.headers.get("location"), location);
        const followed = await fetch(new URL(location, hub.url));
        assert.equal(followed.status, 200);
      });
    }

    it("the model info reached through the redirect names the canonical id", async () => {
      const info = (await (await fetch(`${hub.url}/api/models/tiny`)).json()) as { id: string };
      assert.equal(info.id, "demo/tiny-model");
      assert.equal((await get("/api/models/nobody/tiny-model")).status, 401, "an unknown id is still RepoNotFound");
    });

    it("@huggingface/hub downloads a renamed repo by its old id, with and without a token, byte-exact", async () => {
      const want = await sha256File(join(dirOf("demo/tiny-model"), "model.safetensors"));
      for (const accessToken of [undefined, GRANTED]) {
        const info = await modelInfo({ name: "old-org/tiny-model", hubUrl: hub.url, accessToken });
        assert.equal(info.name, "demo/tiny-model");
        const blob = await downloadFile({ repo: "old-org/tiny-model", path: "model.safetensors", hubUrl: hub.url, accessToken });
        assert.equal(sha256(new Uint8Array(await blob!.arrayBuffer())), want);
      }
      assert.ok(hub.ctx.log.some((e) => e.route === "renamed-redirect" && e.status === 307));
      assert.deepEqual(hub.ctx.log.filter((e) => e.origin === "cdn" && e.auth === "hub-token"), [], "the token never reaches the CDN");
    });

    it("stock git clones the old URL: it follows the info/refs redirect and fetches LFS from the new repo", async () => {
      const client = await GitClient.create();
      const root = await tempDir("hf-renamed-clone-");
      try {
        const dir = join(root.path, "clone");
        await client.ok({ args: ["clone", `${hub.url}/old-org/tiny-model`, dir] });
        for (const name of ["config.json", "model.safetensors"]) {
          assert.ok((await readFile(join(dir, name))).equals(await readFile(join(dirOf("demo/tiny-model"), name))), name);
        }
        const routes = hub.ctx.log.map((e) => `${e.route} ${e.status}`);
        assert.ok(routes.includes("renamed-redirect 307") && routes.includes("lfs-batch 200"), routes.join(", "));
      } finally {
        await client.dispose();
        await root.cleanup();
      }
    });

    it("huggingface_hub's hf_hub_download works by the old id and by the legacy id", async function () {
      if (!existsSync(PYTHON)) throw new Error("missing .venv-judge: run bash scripts/ensure-python-judge.sh");
      const home = await tempDir("hf-renamed-py-");
      try {
        const script = [
          "import hashlib, huggingface_hub as h",
          "for repo, name in [('old-org/tiny-model', 'model.safetensors'), ('tiny', 'config.json'), ('tiny', 'model.safetensors')]:",
          "    print(repo, name, hashlib.sha256(open(h.hf_hub_download(repo, name), 'rb').read()).hexdigest())",
        ].join("\n");
        const out = await runPython(script, { HOME: home.path, HF_HOME: join(home.path, "hf"), HF_ENDPOINT: hub.url });
        const lines = out.trim().split("\n");
        assert.equal(lines.length, 3, out);
        for (const line of lines) {
          const [, name, hash] = line.split(" ");
          assert.equal(hash, await sha256File(join(dirOf("demo/tiny-model"), name!)), line);
        }
      } finally {
        await home.cleanup();
      }
    });
  });

  describe("gated repos", () => {
    it("model info and tree are public and carry `gated`", async () => {
      for (const [id, gated] of [["demo/gated-model", "auto"], ["demo/manual-gated", "manual"]]) {
        const res = await get(`/api/models/${id}`);
        assert.equal(res.status, 200);
        assert.equal(((await res.json()) as { gated: unknown }).gated, gated);
        assert.equal((await get(`/api/models/${id}/tree/main`)).status, 200);
      }
      assert.equal(((await (await get("/api/models/demo/tiny-model")).json()) as { gated: unknown }).gated, false);
    });

    const cases: Array<[string, string | undefined, number, RegExp]> = [
      ["demo/gated-model", undefined, 401, /^Access to model demo\/gated-model is restricted\. You must have access to it and be authenticated to access it\. Please log in\.$/],
      ["demo/gated-model", OTHER, 403, /^Access to model demo\/gated-model is restricted and you are not in the authorized list\. Visit http:\/\/127\.0\.0\.1:\d+\/demo\/gated-model to ask for access\.$/],
      ["demo/manual-gated", PENDING, 403, /^Your request to access model demo\/manual-gated is awaiting a review from the repo authors\.$/],
      ["demo/manual-gated", OTHER, 403, /not in the authorized list/],
    ];
    for (const [id, token, status, message] of cases) {
      it(`${id} files with ${token ?? "no token"}: ${status} GatedRepo on resolve, git, LFS batch and the Xet token`, async () => {
        const paths = [
          `/${id}/resolve/main/config.json`,
          `/${id}.git/info/refs?service=git-upload-pack`,
          `/api/models/${id}/xet-read-token/main`,
        ];
        for (const path of paths) {
          const res = await get(path, { token });
          assert.equal(res.status, status, path);
          assert.equal(res.headers.get("x-error-code"), "GatedRepo", path);
          assert.match(res.headers.get("x-error-message") ?? "", message, path);
        }
        const batch = await fetch(`${hub.url}/${id}.git/info/lfs/objects/batch`, {
          method: "POST",
          headers: { "Content-Type": "application/vnd.git-lfs+json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ operation: "download", objects: [] }),
        });
        assert.equal(batch.status, status);
        assert.equal(batch.headers.get("x-error-code"), "GatedRepo");
      });
    }

    it("a granted token reads the files", async () => {
      for (const id of ["demo/gated-model", "demo/manual-gated"]) assert.equal((await get(`/${id}/resolve/main/config.json`, { token: GRANTED })).status, 200);
    });
  });
});

function runPython(script: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ["-c", script], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HF_HUB_DISABLE_TELEMETRY: "1", HF_HUB_DISABLE_PROGRESS_BARS: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`python exited ${code}\n${stderr.slice(-4000)}`))));
  });
}
