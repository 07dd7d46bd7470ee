// Several downloads at once (different repos, and the same repo twice over both routes) all end verified, and
// the event loop of the process running them stays responsive while 40 MiB move and get hashed.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { download } from "../../src/core/download/service";
import type { DownloadRequest, DownloadResult } from "../../src/core/download/types";
import { demoSources } from "../helpers/hub";
import { TOKEN, useServiceTestbed } from "../core/download-helpers";
import { pseudoRandomBytes } from "../../hub/xet/sampleData";
import { recordFigure } from "./figures";
import { folderViolations } from "./helpers";

describe("reliability: concurrency and responsiveness", function () {
  this.timeout(180_000);
  const bed = useServiceTestbed({
    prefix: "hf-concurrency-",
    slow: { latencyMs: 10, perConnectionBytesPerSecond: 20_000_000, totalBytesPerSecond: 60_000_000 },
    faults: ["slow"],
    sources: async (work) => {
      const big = join(work, "big");
      await mkdir(big);
      await writeFile(join(big, "model.safetensors"), pseudoRandomBytes(40 * 1024 * 1024, 9));
      await writeFile(join(big, "config.json"), '{"model_type": "big"}\n');
      return [...(await demoSources()), { id: "rel/big", revisions: [{ dir: big, message: "Add big model" }] }];
    },
  });

  it("four different repos and the same repo twice (once per route, one folder), all at once, all verified", async () => {
    const models = join(bed.work.path, "together");
    const requests: DownloadRequest[] = [
      { repo: "demo/tiny-model", method: "lfs", modelsDir: models },
      { repo: "demo/tiny-model", method: "xet", modelsDir: models },
      { repo: "demo/quantized-gguf", method: "xet", modelsDir: models },
      { repo: "demo/two-revisions", method: "lfs", modelsDir: models },
      { repo: "demo/private-model", method: "xet", modelsDir: models, token: TOKEN },
      { repo: "rel/big", method: "lfs", modelsDir: join(bed.work.path, "together-big") },
    ];
    const waited: string[] = [];
    const finished: number[] = [];
    const results = await Promise.all(
      requests.map((r, i) =>
        download({ ...r, endpoint: bed.hub.url, fallbackToLfs: false }, {
          env: bed.home.env,
          onProgress: (e) => e.type === "log" && /Waiting for another download/.test(e.message) && waited.push(`${r.repo} (${r.method})`),
        }).then((result) => (finished.push(i), result)),
      ),
    );
    assert.equal(waited.length, 1, `one of the two tiny-model downloads waited for the other: ${waited.join(", ")}`);
    // The two tiny-model downloads share a folder: its record is the one of whichever finished last.
    const firstTiny = finished.indexOf(0) < finished.indexOf(1) ? 0 : 1;
    for (const [i, result] of results.entries()) {
      if (i === firstTiny) continue;
      assert.deepEqual(await folderViolations({ hub: bed.hub, repo: requests[i]!.repo, modelDir: result.path, result }), [], `${requests[i]!.repo} (${requests[i]!.method})`);
    }
    assert.equal(results[firstTiny]!.files.length, results[1 - firstTiny]!.files.length);
    // The download that went second found the files of the first and fetched nothing it already had.
    const tiny = results.slice(0, 2) as [DownloadResult, DownloadResult];
    assert.ok(tiny.some((r) => r.bytesTransferred === 0), `one of them transferred nothing: ${tiny.map((r) => r.bytesTransferred).join(", ")}`);
  });

  for (const method of ["xet", "lfs"] as const) {
    it(`the event loop stays responsive during a 40 MiB ${method} download (p99 delay < 200 ms)`, async () => {
      const histogram = monitorEventLoopDelay({ resolution: 10 });
      histogram.enable();
      const result = await download({ repo: "rel/big", method, fallbackToLfs: false, modelsDir: join(bed.work.path, `loop-${method}`), endpoint: bed.hub.url }, { env: bed.home.env });
      histogram.disable();
      const ms = (ns: number) => Math.round(ns / 1e5) / 10;
      const figure = { p50Ms: ms(histogram.percentile(50)), p99Ms: ms(histogram.percentile(99)), maxMs: ms(histogram.max), seconds: result.seconds };
      await recordFigure("event-loop", method, figure);
      assert.deepEqual(await folderViolations({ hub: bed.hub, repo: "rel/big", modelDir: result.path, result }), []);
      assert.ok(figure.p99Ms < 200, `event-loop delay ${JSON.stringify(figure)}`);
    });
  }
});
