// Chunk payload decoding for the engine's workers: LZ4 frames (any standard frame: linked or independent blocks,
// optional checksums skipped) and the BG4 regroup, Xet's own byte grouping, which has no library.
//
// Why an LZ4 decoder of our own, measured with `npm run bench:codec` and the full benchmark:
// - lz4-napi returns a freshly allocated buffer per frame; over gigabytes of 64 KiB chunks its speed swings between
//   ~0.55 and ~1.9 GB/s with the state of the allocator, and peak RSS of a 4 GB download rose above the 300 MB target;
// - @foxglove/wasm-lz4 (reference LZ4 in WebAssembly) keeps one decompression context that a single corrupt or
//   truncated frame leaves broken for every later frame, with no reset exported;
// - lz4js decodes at ~0.28 GB/s and misreads frames with block checksums.
// This one keeps input and output in one reused scratch buffer, so every copy is a 4-byte word copy or a native
// copyWithin, with no allocation: ~1.1 GB/s on bf16 chunks, steady, with fixed memory. Tests feed it frames from
// two independent encoders (lz4_flex, lz4js) and corrupt frames.

export interface Codec {
  /** Decodes one LZ4 frame; returns a view of the decoded bytes, valid until the next call. Throws on corrupt input. */
  decodeFrame(src: Uint8Array): Uint8Array;
  /** Writes the regrouped `src[0, n)` to `outBuf` (`out32` is the same memory, 4-byte aligned). */
  regroup(src: Uint8Array, n: number, outBuf: Uint8Array, out32: Uint32Array): void;
}

/** Xet chunks decode to at most 128 KiB. */
export const MAX_DECODED = 128 * 1024;

/** `maxOut`: the largest decoded frame accepted. */
export function createCodec(maxOut = MAX_DECODED): Codec {
  // Word copies may run up to 16 bytes past the end of a literal or match; the slack absorbs that.
  const SLACK = 64;
  const MAX_IN = 2 * maxOut + 1024;
  const OUT = MAX_IN + SLACK;
  const OUT_END = OUT + maxOut;
  const scratch = new Uint8Array(OUT_END + SLACK);
  const view = new DataView(scratch.buffer);

  function decodeFrame(src: Uint8Array): Uint8Array {
    if (src.length < 7 || src[0] !== 0x04 || src[1] !== 0x22 || src[2] !== 0x4d || src[3] !== 0x18) throw new Error("not an LZ4 frame");
    if (src.length > MAX_IN) throw new Error("LZ4 frame too large");
    const flg = src[4];
    if ((flg >> 6) !== 1) throw new Error("unsupported LZ4 frame version");
    const blockChecksum = (flg & 0x10) !== 0;
    const s = scratch;
    s.set(src, 0);
    const end = src.length;
    let p = 6 + ((flg & 0x08) ? 8 : 0) + ((flg & 0x01) ? 4 : 0) + 1;
    let o = OUT;
    for (;;) {
      if (p + 4 > end) throw new Error("truncated LZ4 frame");
      const word = (s[p] | (s[p + 1] << 8) | (s[p + 2] << 16) | (s[p + 3] << 24)) >>> 0;
      p += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      if (p + size > end) throw new Error("truncated LZ4 block");
      if (word & 0x80000000) {
        if (o + size > OUT_END) throw new Error("LZ4 output too large");
        s.copyWithin(o, p, p + size);
        o += size;
      } else {
        o = decodeBlock(p, p + size, o);
      }
      p += size + (blockChecksum ? 4 : 0);
    }
    return s.subarray(OUT, o);
  }

  function decodeBlock(p: number, end: number, o: number): number {
    const s = scratch;
    const dv = view;
    while (p < end) {
      const token = s[p++];
      let lit = token >>> 4;
      if (lit === 15) {
        let x;
        do {
          x = s[p++];
          lit += x;
        } while (x === 255 && p < end);
      }
      if (lit > 0) {
        if (p + lit > end || o + lit > OUT_END) throw new Error("corrupt LZ4 literals");
        if (lit <= 16) {
          // 8 or 16 bytes at once; what lands past the literal is overwritten by the output that follows.
          dv.setUint32(o, dv.getUint32(p, true), true);
          dv.setUint32(o + 4, dv.getUint32(p + 4, true), true);
          if (lit > 8) {
            dv.setUint32(o + 8, dv.getUint32(p + 8, true), true);
            dv.setUint32(o + 12, dv.getUint32(p + 12, true), true);
          }
        } else {
          s.copyWithin(o, p, p + lit);
        }
        p += lit;
        o += lit;
      }
      if (p >= end) break;
      const off = s[p] | (s[p + 1] << 8);
      p += 2;
      let ml = token & 15;
      if (ml === 15) {
        let x;
        do {
          x = s[p++];
          ml += x;
        } while (x === 255 && p < end);
      }
      ml += 4;
      let m = o - off;
      if (off === 0 || m < OUT || o + ml > OUT_END) throw new Error("corrupt LZ4 match");
      if (off >= ml && ml > 64) {
        s.copyWithin(o, m, m + ml);
        o += ml;
      } else if (off >= 4) {
        // Each 4-byte copy reads only bytes already written (the source is at least 4 behind), overlapping or not.
        for (let j = 0; j < ml; j += 8) {
          dv.setUint32(o + j, dv.getUint32(m + j, true), true);
          dv.setUint32(o + j + 4, dv.getUint32(m + j + 4, true), true);
        }
        o += ml;
      } else {
        for (let i = 0; i < ml; i++) s[o++] = s[m++];
      }
    }
    return o;
  }

  return { decodeFrame, regroup };
}

// BG4 groups are copied to 4-byte-aligned places, so the regroup is a 4×4 byte transpose of 32-bit words
// (~2× faster than assembling each output word from four byte loads).
const groups = new Uint32Array((MAX_DECODED >> 2) + 4);
const groups8 = new Uint8Array(groups.buffer);

/** Undoes byte grouping 4: `out[4k + j] = group_j[k]`, groups 0..r-1 one longer when n % 4 = r (n ≤ MAX_DECODED). */
export function regroup(src: Uint8Array, n: number, outBuf: Uint8Array, out32: Uint32Array): void {
  const s = n >> 2;
  const r = n & 3;
  const b1 = s + (r >= 1 ? 1 : 0);
  const b2 = b1 + s + (r >= 2 ? 1 : 0);
  const b3 = b2 + s + (r >= 3 ? 1 : 0);
  const w = s >> 2;
  const q = w << 2;
  groups8.set(src.subarray(0, q), 0);
  groups8.set(src.subarray(b1, b1 + q), q);
  groups8.set(src.subarray(b2, b2 + q), 2 * q);
  groups8.set(src.subarray(b3, b3 + q), 3 * q);
  const g = groups;
  for (let k = 0, o = 0; k < w; k++, o += 4) {
    const a = g[k], b = g[w + k], c = g[2 * w + k], d = g[3 * w + k];
    const ab02 = (a & 0x00ff00ff) | ((b << 8) & 0xff00ff00);
    const ab13 = ((a >>> 8) & 0x00ff00ff) | (b & 0xff00ff00);
    const cd02 = (c & 0x00ff00ff) | ((d << 8) & 0xff00ff00);
    const cd13 = ((c >>> 8) & 0x00ff00ff) | (d & 0xff00ff00);
    out32[o] = (ab02 & 0xffff) | (cd02 << 16);
    out32[o + 1] = (ab13 & 0xffff) | (cd13 << 16);
    out32[o + 2] = (ab02 >>> 16) | (cd02 & 0xffff0000);
    out32[o + 3] = (ab13 >>> 16) | (cd13 & 0xffff0000);
  }
  for (let k = q; k < s; k++) out32[k] = src[k] | (src[b1 + k] << 8) | (src[b2 + k] << 16) | (src[b3 + k] << 24);
  const tail = 4 * s;
  if (r >= 1) outBuf[tail] = src[s];
  if (r >= 2) outBuf[tail + 1] = src[b1 + s];
  if (r >= 3) outBuf[tail + 2] = src[b2 + s];
}
