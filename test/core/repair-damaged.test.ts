// Issue 13, M3: a file damaged in place (one byte flipped) is reported by Verify, and Repair (a download with
// overwriteEdited, as the extension's Repair runs it) restores it byte-exact on the first try, fetching that file only.
import assert from "node:assert/strict";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { download } from "../../src/core/download/service";
import { verifyModel } from "../../src/core/library/verify";
import { lfsObjectPath } from "../../src/core/lfs/objects";
import { gitStatus, lfsObjectRequests, sameBytes, sourceFiles, useServiceTestbed } from "./download-helpers";

async function flipByte(path: string, at: number): Promise<void> {
  const fh = await open(path, "r+");
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    await fh.write(b, 0, 1, at);
  } finally {
    await fh.close();
  }
}

describe("Repair of a file damaged in place (issue 13, M3)", function () {
  this.timeout(90_000);
  const bed = useServiceTestbed({ prefix: "hf-repair-" });
  const repo = "demo/tiny-model";
  const target = "model.safetensors";

  for (const method of ["lfs", "xet"] as const) {
    it(`${method}: Verify names the file, Repair restores it byte-exact the first time and fetches only it`, async () => {
      const first = await download({ repo, modelsDir: bed.models.path, endpoint: bed.hub.url, method, fallbackToLfs: false }, { env: bed.home.env });
      assert.equal(first.method, method);
      const dir = first.path;
      const sources = sourceFiles(bed.hub, repo);
      const src = sources.get(target)!;
      await flipByte(join(dir, target), Math.floor(src.size / 2));

      const verdict = await verifyModel({ modelDir: dir });
      assert.equal(verdict.ok, false);
      assert.equal(verdict.problems.length, 1, JSON.stringify(verdict.problems));
      assert.match(verdict.problems[0]!, /^model\.safetensors: /);

      bed.hub.resetLog();
      const repaired = await download({ repo, modelsDir: bed.models.path, endpoint: bed.hub.url, method, fallbackToLfs: false, overwriteEdited: true }, { env: bed.home.env });
      assert.equal(repaired.method, method);
      for (const [path, s] of sources) assert.ok(await sameBytes(join(dir, path), s.source), `${path} is byte-exact`);
      assert.equal((await verifyModel({ modelDir: dir })).ok, true);
      const log = bed.hub.ctx.log;
      if (method === "lfs") {
        assert.deepEqual(lfsObjectRequests(bed.hub).map((r) => r.oid), [src.lfsOid], "only the damaged file's object was fetched");
        assert.ok(await sameBytes(lfsObjectPath(join(dir, ".git"), src.lfsOid!), src.source), "its stored object is good again");
        assert.equal(gitStatus(dir, bed.home.env), "");
      } else {
        const fileRequests = log.filter((e) => e.route.startsWith("resolve") || e.route.startsWith("reconstruction"));
        assert.ok(fileRequests.length > 0, JSON.stringify(log.map((e) => e.route)));
        for (const e of fileRequests.filter((e) => e.route.startsWith("resolve"))) assert.match(decodeURIComponent(e.path), /model\.safetensors$/);
        const xorbBytes = log.filter((e) => e.route === "xorb").reduce((n, e) => n + e.bytes, 0);
        assert.ok(xorbBytes <= src.size + 64 * 1024, `${xorbBytes} bytes of xorbs for a ${src.size}-byte file`);
      }
      assert.ok(repaired.bytesTransferred <= src.size, `${repaired.bytesTransferred} bytes transferred`);
    });
  }
});
