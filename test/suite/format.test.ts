// The notification's progress text layout and the reporter's increments.
import assert from "node:assert/strict";
import { progressMessage } from "../../src/vscode/format";
import { ProgressReporter } from "../../src/vscode/progress";

describe("progress message", () => {
  it("builds 'file · done / total · speed · ETA'", () => {
    const base = { doneBytes: 1_200_000_000, fetchedBytes: 1_200_000_000, resumedBytes: 0, totalBytes: 4_500_000_000, filesDone: 1, totalFiles: 4 };
    assert.equal(progressMessage({ ...base, currentFile: "model.safetensors", bytesPerSecond: 38_000_000 }), "model.safetensors · 1.2 GB / 4.5 GB · 38 MB/s · ETA 1m27s");
    assert.equal(progressMessage({ ...base, bytesPerSecond: 0 }), "1/4 files · 1.2 GB / 4.5 GB");
  });

  it("says where a resumed download resumed, and how little came over the network when local chunks were reused", () => {
    const resumed = { doneBytes: 1_500_000_000, fetchedBytes: 400_000_000, resumedBytes: 1_100_000_000, totalBytes: 3_200_000_000, filesDone: 0, totalFiles: 1, currentFile: "w.bin", bytesPerSecond: 0 };
    assert.equal(progressMessage(resumed), "w.bin · 1.5 GB / 3.2 GB · resumed at 1.1 GB", "resumed bytes are not called fetched");
    const update = { doneBytes: 1_070_000_000, fetchedBytes: 9_500_000, resumedBytes: 0, totalBytes: 1_070_000_000, filesDone: 3, totalFiles: 3, currentFile: "w.bin", bytesPerSecond: 0 };
    assert.equal(progressMessage(update), "w.bin · 1.1 GB / 1.1 GB · 9.5 MB fetched");
    // Small gaps (compression, a few files already there) are not worth a word.
    assert.equal(progressMessage({ ...update, doneBytes: 10_000_000, totalBytes: 10_000_000, fetchedBytes: 9_500_000 }), "w.bin · 10 MB / 10 MB");
  });
});

describe("progress reporter", () => {
  it("reports monotonic increments that add up to 100, and shows speed/ETA only after the warm-up", () => {
    const reports: Array<{ message?: string; increment?: number }> = [];
    let now = 0;
    const reporter = new ProgressReporter({ report: (r) => reports.push(r) }, "demo/m", () => now);
    const bytes = (doneBytes: number) => ({ type: "bytes" as const, doneBytes, fetchedBytes: doneBytes, resumedBytes: 0, totalBytes: 1_000_000, filesDone: 0, totalFiles: 1, currentFile: "w.bin", bytesPerSecond: 500_000 });
    reporter.handle({ type: "stage", stage: "downloading" });
    reporter.handle(bytes(100_000));
    now = 2500;
    reporter.handle(bytes(600_000));
    // A fallback restarts the byte count: the bar must not move backwards.
    reporter.handle({ type: "fallback", from: "xet", to: "lfs", reason: "CAS unavailable" });
    now = 3000;
    reporter.handle(bytes(50_000));
    now = 6000;
    reporter.handle(bytes(1_000_000));
    assert.equal(reports[0]!.message, "Downloading…");
    assert.equal(reports[1]!.message, "w.bin · 100 kB / 1.0 MB", "no speed in the first seconds");
    assert.equal(reports[2]!.message, "w.bin · 600 kB / 1.0 MB · 500 kB/s · ETA 1s");
    assert.match(reports[3]!.message!, /continuing with Git LFS: CAS unavailable/);
    const total = reports.reduce((n, r) => n + (r.increment ?? 0), 0);
    assert.ok(reports.every((r) => (r.increment ?? 0) >= 0), "increments never go negative");
    assert.equal(Math.round(total), 100);
  });
});
