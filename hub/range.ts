// HTTP Range header parsing shared by the hub's byte-serving routes (resolve, LFS objects, xorbs).
// Inclusive byte ranges per RFC 9110; `bytes=N-` and `bytes=-N` supported.

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/** undefined = no Range header; "unsatisfiable" = 416; otherwise the ranges in request order. */
export function parseRange(header: string | undefined, size: number): ByteRange[] | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const match = /^bytes=(.+)$/.exec(header.trim());
  if (!match) return "unsatisfiable";
  const ranges: ByteRange[] = [];
  for (const part of match[1].split(",")) {
    const m = /^\s*(\d*)-(\d*)\s*$/.exec(part);
    if (!m || (m[1] === "" && m[2] === "")) return "unsatisfiable";
    let start: number;
    let end: number;
    if (m[1] === "") {
      start = Math.max(0, size - Number(m[2]));
      end = size - 1;
    } else {
      start = Number(m[1]);
      end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
    }
    if (start >= size || start > end) return "unsatisfiable";
    ranges.push({ start, end });
  }
  return ranges;
}
