// The CAS reconstruction algorithm of XET_SPEC §6.2 (xet-core `compute_reconstruction_ranges`): trims a file's
// terms to a byte range, merges chunk ranges per xorb into fetch descriptors, and shapes V2 and V1 answers.
import type { XetFileRecord, XorbInfo } from "./store";

export interface ChunkRange {
  start: number;
  /** Exclusive. */
  end: number;
}

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

export interface RangeDescriptor {
  chunks: ChunkRange;
  bytes: ByteRange;
}

export interface ReconstructionPlan {
  offsetIntoFirstRange: number;
  terms: Array<{ hash: string; unpackedLength: number; range: ChunkRange }>;
  /** Per xorb (in order of first use): merged, sorted, disjoint descriptors. */
  xorbs: Map<string, RangeDescriptor[]>;
}

export type PlanResult = { ok: true; plan: ReconstructionPlan } | { ok: false; status: 416; size: number };

/** A parsed `Range: bytes=…` of the reconstruction request (file coordinates). */
export type RequestedRange = { start: number; end?: number } | { suffix: number };

export interface PlanOptions {
  file: XetFileRecord;
  xorb(hash: string): Pick<XorbInfo, "chunkEnds" | "unpackedEnds"> | undefined;
  /** Absent = the whole file. `end` is inclusive. */
  range?: RequestedRange;
}

export function planReconstruction({ file, xorb, range }: PlanOptions): PlanResult {
  const size = file.size;
  let start = 0;
  let end = size; // exclusive
  if (range && "suffix" in range) {
    start = Math.max(0, size - range.suffix);
  } else if (range) {
    start = range.start;
    if (range.end !== undefined) end = Math.min(size, range.end + 1);
  }
  const empty: ReconstructionPlan = { offsetIntoFirstRange: 0, terms: [], xorbs: new Map() };
  if (size === 0 && start === 0) return { ok: true, plan: empty };
  if (start >= size || (range && "suffix" in range && range.suffix === 0)) return { ok: false, status: 416, size };
  if (end <= start) return { ok: false, status: 416, size };

  const plan: ReconstructionPlan = { offsetIntoFirstRange: 0, terms: [], xorbs: new Map() };
  const chunkLen = (ends: number[], k: number) => ends[k] - (k === 0 ? 0 : ends[k - 1]);
  let cumulative = 0;
  for (const term of file.terms) {
    if (cumulative >= end) break;
    if (cumulative + term.unpackedLength <= start) {
      cumulative += term.unpackedLength;
      continue;
    }
    const info = xorb(term.xorb);
    if (!info) throw new Error(`File ${file.fileHash} references xorb ${term.xorb}, which the store does not hold`);
    let first = term.chunkStart;
    let last = term.chunkEnd; // exclusive
    let unpacked = term.unpackedLength;
    if (plan.terms.length === 0) {
      // Leading chunks wholly before `start`.
      while (cumulative + chunkLen(info.unpackedEnds, first) <= start) {
        const len = chunkLen(info.unpackedEnds, first);
        cumulative += len;
        unpacked -= len;
        first++;
      }
      plan.offsetIntoFirstRange = start - cumulative;
    }
    // Trailing chunks wholly at or after `end`.
    while (last - first > 1 && cumulative + unpacked - chunkLen(info.unpackedEnds, last - 1) >= end) {
      unpacked -= chunkLen(info.unpackedEnds, last - 1);
      last--;
    }
    plan.terms.push({ hash: term.xorb, unpackedLength: unpacked, range: { start: first, end: last } });
    cumulative += unpacked;
  }

  for (const t of plan.terms) {
    const list = plan.xorbs.get(t.hash) ?? [];
    list.push({ chunks: { ...t.range }, bytes: { start: 0, end: 0 } });
    plan.xorbs.set(t.hash, list);
  }
  for (const [hash, list] of plan.xorbs) {
    const info = xorb(hash)!;
    list.sort((a, b) => a.chunks.start - b.chunks.start);
    const merged: RangeDescriptor[] = [];
    for (const d of list) {
      const cur = merged[merged.length - 1];
      if (cur && d.chunks.start <= cur.chunks.end) cur.chunks.end = Math.max(cur.chunks.end, d.chunks.end);
      else merged.push(d);
    }
    for (const d of merged) {
      d.bytes = { start: d.chunks.start === 0 ? 0 : info.chunkEnds[d.chunks.start - 1], end: info.chunkEnds[d.chunks.end - 1] - 1 };
    }
    plan.xorbs.set(hash, merged);
  }
  return { ok: true, plan };
}

/** Signs a URL for `xorb` that authorizes exactly `ranges`. */
export type SignXorbUrl = (xorb: string, ranges: ByteRange[]) => string;

/** Above this many ranges a V2 entry is split, as the CAS does when a signed URL would grow too long. */
export const MAX_RANGES_PER_URL = 256;

/** `rangesPerUrl` 1 is the strict CAS: one entry, one signed URL, per range. */
export function toV2(plan: ReconstructionPlan, sign: SignXorbUrl, rangesPerUrl = MAX_RANGES_PER_URL) {
  const xorbs: Record<string, Array<{ url: string; ranges: RangeDescriptor[] }>> = {};
  for (const [hash, ranges] of plan.xorbs) {
    xorbs[hash] = [];
    for (let i = 0; i < ranges.length; i += rangesPerUrl) {
      const part = ranges.slice(i, i + rangesPerUrl);
      xorbs[hash].push({ url: sign(hash, part.map((r) => r.bytes)), ranges: part });
    }
  }
  return { offset_into_first_range: plan.offsetIntoFirstRange, terms: v1Terms(plan), xorbs };
}

export function toV1(plan: ReconstructionPlan, sign: SignXorbUrl) {
  const fetch_info: Record<string, Array<{ range: ChunkRange; url: string; url_range: ByteRange }>> = {};
  for (const [hash, ranges] of plan.xorbs) {
    fetch_info[hash] = ranges.map((r) => ({ range: r.chunks, url: sign(hash, [r.bytes]), url_range: r.bytes }));
  }
  return { offset_into_first_range: plan.offsetIntoFirstRange, terms: v1Terms(plan), fetch_info };
}

function v1Terms(plan: ReconstructionPlan) {
  return plan.terms.map((t) => ({ hash: t.hash, unpacked_length: t.unpackedLength, range: t.range }));
}
