// Turns a window's reconstruction into work: where each term lands in the file, one fetch unit per range
// descriptor (with every term it serves), and the set of landed bytes whose contiguous prefix gets hashed.
import type { RangeDescriptor, Reconstruction } from "./cas";

export interface PlacedTerm {
  xorb: string;
  chunkStart: number;
  chunkEnd: number;
  /** File offset of the term's first chunk (may lie before the window for the first term). */
  fileStart: number;
  unpacked: number;
}

export interface FetchUnit {
  xorb: string;
  url: string;
  range: RangeDescriptor;
  placements: PlacedTerm[];
  /** Only bytes in `[clipStart, clipEnd)` are written. */
  clipStart: number;
  clipEnd: number;
}

export class PlanError extends Error {}

/** Places the terms of a reconstruction of file bytes `[start, end)` and groups them by descriptor. */
export function planWindow(options: { start: number; end: number; reconstruction: Reconstruction }): { terms: PlacedTerm[]; units: FetchUnit[] } {
  const { start, end, reconstruction: rec } = options;
  const terms: PlacedTerm[] = [];
  let at = start - rec.offsetIntoFirstRange;
  for (const t of rec.terms) {
    if (t.range.end <= t.range.start || t.unpackedLength <= 0) throw new PlanError(`the reconstruction lists an empty term of xorb ${t.hash}`);
    terms.push({ xorb: t.hash, chunkStart: t.range.start, chunkEnd: t.range.end, fileStart: at, unpacked: t.unpackedLength });
    at += t.unpackedLength;
  }
  if (rec.offsetIntoFirstRange < 0 || at < end) {
    throw new PlanError(`the reconstruction of bytes ${start}-${end - 1} covers only up to ${Math.max(start, at)}`);
  }
  const units = new Map<string, FetchUnit>();
  for (const term of terms) {
    if (term.fileStart >= end) break;
    const candidates = rec.fetches.get(term.xorb) ?? [];
    const fetch = candidates.find((f) => f.range.chunks.start <= term.chunkStart && f.range.chunks.end >= term.chunkEnd);
    if (!fetch) throw new PlanError(`no fetch range covers chunks ${term.chunkStart}-${term.chunkEnd} of xorb ${term.xorb}`);
    const key = `${term.xorb}:${fetch.range.bytes.start}-${fetch.range.bytes.end}`;
    let unit = units.get(key);
    if (!unit) {
      unit = { xorb: term.xorb, url: fetch.url, range: fetch.range, placements: [], clipStart: start, clipEnd: end };
      units.set(key, unit);
    }
    unit.placements.push(term);
  }
  return { terms, units: [...units.values()] };
}

/** Disjoint, sorted `[start, end)` intervals; answers how far the run from `from` reaches. */
export class IntervalSet {
  private starts: number[] = [];
  private ends: number[] = [];
  total = 0;

  /** Adds `[start, end)`; returns how many bytes were new. */
  add(start: number, end: number): number {
    if (end <= start) return 0;
    // First interval whose end >= start (may merge).
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid] < start) lo = mid + 1;
      else hi = mid;
    }
    let i = lo;
    let s = start;
    let e = end;
    let covered = 0;
    while (i < this.starts.length && this.starts[i] <= e) {
      covered += Math.min(this.ends[i], end) - Math.max(this.starts[i], start) > 0 ? Math.min(this.ends[i], end) - Math.max(this.starts[i], start) : 0;
      s = Math.min(s, this.starts[i]);
      e = Math.max(e, this.ends[i]);
      i++;
    }
    this.starts.splice(lo, i - lo, s);
    this.ends.splice(lo, i - lo, e);
    const fresh = end - start - covered;
    this.total += fresh;
    return fresh;
  }

  /** The parts of `[start, end)` not covered, in order. */
  gaps(start: number, end: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let at = start;
    for (let i = 0; i < this.starts.length && at < end; i++) {
      if (this.ends[i] <= at) continue;
      if (this.starts[i] >= end) break;
      if (this.starts[i] > at) out.push([at, this.starts[i]]);
      at = Math.max(at, this.ends[i]);
    }
    if (at < end) out.push([at, end]);
    return out;
  }

  /** `[s0, e0, s1, e1, …]`, for the crash-resume note beside the partial. */
  toFlat(): number[] {
    return this.starts.flatMap((s, i) => [s, this.ends[i]]);
  }

  /** End of the interval containing `from`, or `from` itself. */
  reach(from: number): number {
    for (let i = 0; i < this.starts.length; i++) {
      if (this.starts[i] <= from && this.ends[i] > from) return this.ends[i];
      if (this.starts[i] > from) break;
    }
    return from;
  }
}
