// Chunk payload decoding shared by the engine's workers: LZ4 frames (any standard frame: linked or independent
// blocks, optional checksums skipped) into a caller's fixed buffer, and the BG4 regroup. Self-contained: stringified.

export interface Codec {
  /** Decodes one LZ4 frame into `out` (from offset 0); returns the decoded length. Throws on corrupt input. */
  decodeFrame(src: Uint8Array, out: Uint8Array): number;
  /** Writes the regrouped `src[0, n)` to `outBuf` (`out32` is the same memory, 4-byte aligned). */
  regroup(src: Uint8Array, n: number, outBuf: Uint8Array, out32: Uint32Array): void;
}

export function codecModule(): Codec {
  function decodeFrame(src: Uint8Array, out: Uint8Array): number {
    if (src.length < 7 || src[0] !== 0x04 || src[1] !== 0x22 || src[2] !== 0x4d || src[3] !== 0x18) throw new Error("not an LZ4 frame");
    const flg = src[4];
    if ((flg >> 6) !== 1) throw new Error("unsupported LZ4 frame version");
    let p = 6 + ((flg & 0x08) ? 8 : 0) + ((flg & 0x01) ? 4 : 0) + 1;
    const blockChecksum = (flg & 0x10) !== 0;
    let o = 0;
    for (;;) {
      if (p + 4 > src.length) throw new Error("truncated LZ4 frame");
      const word = (src[p] | (src[p + 1] << 8) | (src[p + 2] << 16) | (src[p + 3] << 24)) >>> 0;
      p += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      if (p + size > src.length) throw new Error("truncated LZ4 block");
      if (word & 0x80000000) {
        if (o + size > out.length) throw new Error("LZ4 output too large");
        out.set(src.subarray(p, p + size), o);
        o += size;
      } else {
        o = decodeBlock(src, p, p + size, out, o);
      }
      p += size + (blockChecksum ? 4 : 0);
    }
    return o;
  }

  function decodeBlock(src: Uint8Array, p: number, end: number, out: Uint8Array, o: number): number {
    const cap = out.length;
    while (p < end) {
      const token = src[p++];
      let lit = token >>> 4;
      if (lit === 15) {
        let x;
        do {
          x = src[p++];
          lit += x;
        } while (x === 255 && p < end);
      }
      if (lit > 0) {
        if (p + lit > end || o + lit > cap) throw new Error("corrupt LZ4 literals");
        if (lit < 16) for (let i = 0; i < lit; i++) out[o + i] = src[p + i];
        else out.set(src.subarray(p, p + lit), o);
        p += lit;
        o += lit;
      }
      if (p >= end) break;
      const off = src[p] | (src[p + 1] << 8);
      p += 2;
      let ml = token & 15;
      if (ml === 15) {
        let x;
        do {
          x = src[p++];
          ml += x;
        } while (x === 255 && p < end);
      }
      ml += 4;
      let m = o - off;
      if (off === 0 || m < 0 || o + ml > cap) throw new Error("corrupt LZ4 match");
      if (off >= ml) {
        if (ml < 32) for (let i = 0; i < ml; i++) out[o + i] = out[m + i];
        else out.copyWithin(o, m, m + ml);
        o += ml;
      } else {
        for (let i = 0; i < ml; i++) out[o++] = out[m++];
      }
    }
    return o;
  }

  /** Undoes byte grouping 4: `out[4k + j] = group_j[k]`, groups 0..r-1 one longer when n % 4 = r. */
  function regroup(src: Uint8Array, n: number, outBuf: Uint8Array, out32: Uint32Array): void {
    const s = n >> 2;
    const r = n & 3;
    const b1 = s + (r >= 1 ? 1 : 0);
    const b2 = b1 + s + (r >= 2 ? 1 : 0);
    const b3 = b2 + s + (r >= 3 ? 1 : 0);
    for (let k = 0; k < s; k++) out32[k] = src[k] | (src[b1 + k] << 8) | (src[b2 + k] << 16) | (src[b3 + k] << 24);
    const tail = 4 * s;
    if (r >= 1) outBuf[tail] = src[s];
    if (r >= 2) outBuf[tail + 1] = src[b1 + s];
    if (r >= 3) outBuf[tail + 2] = src[b2 + s];
  }


  return { decodeFrame, regroup };
}
