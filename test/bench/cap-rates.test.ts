import assert from "node:assert/strict";
import { ratesOf } from "../../bench/cap";

describe("bench: the cap's measured rates", () => {
  it("takes the rate from the first sample with bytes to the last, so the start before any byte does not count", () => {
    // 400 ms of listing (no bytes), then 10 MB/s for 3 s.
    const samples: Array<[number, number]> = [[0, 0], [400, 0]];
    for (let t = 420; t <= 3400; t += 20) samples.push([t, (t - 400) * 10_000]);
    const rates = ratesOf(samples)!;
    assert.equal(Math.round(rates.rate), 10_000_000);
    assert.equal(Math.round(rates.fastestSecond), 10_000_000);
  });

  it("finds a burst above the cap in its fastest second though the average is on the cap", () => {
    // 1 s at 20 MB/s, then 3 s at 5 MB/s: 35 MB in 4 s is 8.75 MB/s on average.
    const samples: Array<[number, number]> = [[0, 1]];
    let bytes = 1;
    for (let t = 20; t <= 4000; t += 20) {
      bytes += t <= 1000 ? 400_000 : 100_000;
      samples.push([t, bytes]);
    }
    const rates = ratesOf(samples)!;
    assert.equal(Math.round(rates.rate / 1000), 8750);
    assert.equal(Math.round(rates.fastestSecond / 1000), 20_000);
  });

  it("gives a transfer shorter than a second its one rate as the fastest, and nothing for no bytes or no time", () => {
    assert.deepEqual(ratesOf([[0, 1_000], [500, 1_001_000]]), { rate: 2_000_000, fastestSecond: 2_000_000 });
    assert.equal(ratesOf([[0, 0], [20, 0]]), undefined);
    assert.equal(ratesOf([[0, 5]]), undefined);
  });
});
