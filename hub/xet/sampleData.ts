// Deterministic test data: the SplitMix64 stream of the Xet test vectors (XET_SPEC §9) and "model-like" mixed
// bytes whose regions compress best raw, with LZ4 and with BG4+LZ4, so every chunk scheme shows up.

/** SplitMix64 output, each u64 appended as 8 little-endian bytes, truncated to `n` (xet-core `create_random_data`). */
export function splitmix64Bytes(n: number, seed: number | bigint): Buffer {
  const out = Buffer.alloc(Math.ceil(n / 8) * 8);
  const mask = (1n << 64n) - 1n;
  let state = BigInt(seed) & mask;
  for (let o = 0; o < out.length; o += 8) {
    state = (state + 0x9e3779b97f4a7c15n) & mask;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
    z ^= z >> 31n;
    out.writeBigUInt64LE(z, o);
  }
  return out.subarray(0, n);
}

/** A fast non-cryptographic byte stream (xorshift32) for bulk data where the exact generator does not matter. */
export function pseudoRandomBytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 0x9e3779b9;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  for (; i < n; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

const WORDS = "the model layer weight bias tensor attention head token embedding norm scale query key value output".split(" ");

/** Text with a small vocabulary: LZ4 on the raw bytes beats BG4. */
export function textBytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  let o = 0;
  while (o < n) {
    x = (x * 1664525 + 1013904223) >>> 0;
    o += out.write(`${WORDS[x % WORDS.length]}${x % 7 === 0 ? ".\n" : " "}`, o);
  }
  return out;
}

/** float32 values in [1, 2) with random mantissas: raw LZ4 finds nothing, BG4 groups the constant exponent bytes. */
export function floatBytes(n: number, seed: number): Buffer {
  const out = pseudoRandomBytes(n, seed);
  for (let i = 3; i < n; i += 4) {
    out[i] = 0x3f;
    out[i - 1] = 0x80 | (out[i - 1] & 0x0f);
  }
  return out;
}

/**
 * Repeating pattern of 256 KiB sections: incompressible, text, float32 — so a few MB already hold chunks of
 * all three schemes (0, 1, 2).
 */
export function mixedModelBytes(n: number, seed: number): Buffer {
  const section = 256 * 1024;
  const parts: Buffer[] = [];
  for (let o = 0, k = 0; o < n; o += section, k++) {
    const len = Math.min(section, n - o);
    const kind = k % 3;
    parts.push(kind === 0 ? pseudoRandomBytes(len, seed + k) : kind === 1 ? textBytes(len, seed + k) : floatBytes(len, seed + k));
  }
  return Buffer.concat(parts, n);
}

/**
 * ~3.3 MB whose later part repeats a piece from the middle of its first 400 KB. A reconstruction that starts at
 * `secondStart` therefore needs two disjoint chunk ranges of the first xorb (a multi-range fetch), as long as
 * xorbs hold at least ~16 chunks.
 */
export function repeatingBytes(seed: number): { data: Buffer; secondStart: number } {
  const first = pseudoRandomBytes(400_000, seed);
  const data = Buffer.concat([first, mixedModelBytes(1_400_000, seed + 1), first.subarray(100_000, 300_000), mixedModelBytes(1_300_000, seed + 2)]);
  return { data, secondStart: first.length };
}
