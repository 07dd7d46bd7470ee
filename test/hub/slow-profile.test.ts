// The local Hub's `slow` profile counts the data bodies it is sending (`crowdedAfter` slows every connection beyond
// N). A client that goes away mid-body, as an adaptive downloader shedding a request does, must leave that count:
// a body stuck waiting for a drain that never comes slowed every later connection of a bench run.
import assert from "node:assert/strict";
import { get, type ClientRequest } from "node:http";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pseudoRandomBytes } from "../../hub/xet/sampleData";
import { startHub, type LocalHub } from "../../hub/server";
import { tempDir, type TempDir } from "../helpers/files";

const REPO = "bench/shed";
const SIZE = 32 * 1024 * 1024;

describe("local Hub: the slow profile's bodies in flight", function () {
  this.timeout(60_000);
  let dir: TempDir;
  let hub: LocalHub;

  before(async () => {
    dir = await tempDir("hf-slow-profile-");
    await writeFile(join(dir.path, "model.bin"), pseudoRandomBytes(SIZE, 7));
    hub = await startHub({
      repos: [{ id: REPO, revisions: [{ dir: dir.path, message: "one big file" }] }],
      faults: ["slow"],
      slow: { latencyMs: 1, perConnectionBytesPerSecond: 40_000_000, totalBytesPerSecond: 80_000_000, crowdedAfter: 2 },
    });
  });
  after(async () => {
    await hub?.close();
    await dir?.cleanup();
  });

  async function cdnUrl(): Promise<string> {
    const res = await fetch(`${hub.url}/${REPO}/resolve/main/model.bin`, { redirect: "manual" });
    await res.body?.cancel();
    const location = res.headers.get("location");
    assert.ok(location, `a redirect to the object, got HTTP ${res.status}`);
    return new URL(location, hub.url).href;
  }

  async function until(what: string, check: () => boolean): Promise<void> {
    for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(check(), what);
  }

  it("drops a body from the count when its client goes away while the socket is full", async () => {
    const url = await cdnUrl();
    let request: ClientRequest | undefined;
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      request = get(url, (res) => {
        assert.equal(res.statusCode, 200);
        res.once("data", (chunk: Buffer) => {
          received += chunk.length;
          // Stop reading: the Hub fills the socket and waits for it to drain.
          res.pause();
          resolve();
        });
      });
      request.on("error", reject);
    });
    assert.ok(received > 0);
    await until("the Hub counts the paused body", () => hub.ctx.bodiesInFlight === 1);
    // Long enough at 40 MB/s to fill every socket buffer between the two ends.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(hub.ctx.bodiesInFlight, 1, "still sending (blocked, not finished: 32 MiB do not fit the buffers)");
    request!.destroy();
    await until(`the body left the count (still ${hub.ctx.bodiesInFlight})`, () => hub.ctx.bodiesInFlight === 0);
  });
});
