// Number formatting shared by the CLI and the extension: decimal sizes as the Hub shows them.
import assert from "node:assert/strict";
import { formatBytes, formatDuration, formatRate } from "../../src/core/util/format";

describe("formatting sizes, speeds and durations", () => {
  it("formats sizes in decimal units", () => {
    assert.deepEqual([0, 999, 1000, 1_234_567, 4_500_000_000, 12_000_000_000_000].map(formatBytes), ["0 B", "999 B", "1.0 kB", "1.2 MB", "4.5 GB", "12 TB"]);
    assert.equal(formatBytes(-1), "?");
    assert.equal(formatBytes(Number.NaN), "?");
  });

  it("formats a speed, and says it is unknown while it is 0", () => {
    assert.equal(formatRate(38_000_000), "38 MB/s");
    assert.equal(formatRate(0), "-- B/s");
  });

  it("formats durations as 45s, 1m32s, 2h05m", () => {
    assert.deepEqual([0, 45.4, 92, 3600, 7500].map(formatDuration), ["0s", "45s", "1m32s", "1h00m", "2h05m"]);
    assert.equal(formatDuration(Number.POSITIVE_INFINITY), "?");
  });
});
