// HTTP byte ranges for the CAS routes: parsing `Range` / `X-Xet-Signed-Range` values (inclusive ends) and
// assembling a `multipart/byteranges` body (RFC 7233) from per-range streams.
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import type { ByteRange, RequestedRange } from "./reconstruction";

/** `bytes=S-E`, `bytes=S-` or `bytes=-N` (one range) for a reconstruction request; undefined when absent. */
export function parseReconstructionRange(header: string | undefined): RequestedRange | undefined | "malformed" {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return "malformed";
  if (m[1] === "") return { suffix: Number(m[2]) };
  const start = Number(m[1]);
  if (m[2] === "") return { start };
  const end = Number(m[2]);
  return end < start ? "malformed" : { start, end };
}

/** `bytes=a-b,c-d` with explicit inclusive ends only (the form presigned xorb ranges use); undefined when malformed. */
export function parseByteRanges(header: string | undefined | null): ByteRange[] | undefined {
  if (!header) return undefined;
  const m = /^bytes=(.+)$/.exec(header.trim());
  if (!m) return undefined;
  const ranges: ByteRange[] = [];
  for (const part of m[1].split(",")) {
    const r = /^\s*(\d+)-(\d+)\s*$/.exec(part);
    if (!r) return undefined;
    const start = Number(r[1]);
    const end = Number(r[2]);
    if (end < start) return undefined;
    ranges.push({ start, end });
  }
  return ranges;
}

export function formatByteRanges(ranges: ByteRange[]): string {
  return `bytes=${ranges.map((r) => `${r.start}-${r.end}`).join(",")}`;
}

export interface Multipart {
  contentType: string;
  length: number;
  /** Byte offset, within the multipart body, where each range's data starts. */
  dataOffsets: number[];
  body: Readable;
}

/** One part per range, in order, each with `Content-Range: bytes s-e/total`. `open` streams a range's bytes. */
export function multipartByteRanges({ ranges, total, open }: { ranges: ByteRange[]; total: number; open: (r: ByteRange) => Readable }): Multipart {
  const boundary = `xet-${randomBytes(12).toString("hex")}`;
  const heads = ranges.map(
    (r, i) => `${i === 0 ? "" : "\r\n"}--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes ${r.start}-${r.end}/${total}\r\n\r\n`,
  );
  const closing = `\r\n--${boundary}--\r\n`;
  const dataOffsets: number[] = [];
  let length = 0;
  ranges.forEach((r, i) => {
    length += Buffer.byteLength(heads[i]);
    dataOffsets.push(length);
    length += r.end - r.start + 1;
  });
  length += Buffer.byteLength(closing);
  async function* parts() {
    for (let i = 0; i < ranges.length; i++) {
      yield Buffer.from(heads[i]);
      for await (const piece of open(ranges[i])) yield piece as Buffer;
    }
    yield Buffer.from(closing);
  }
  return { contentType: `multipart/byteranges; boundary=${boundary}`, length, dataOffsets, body: Readable.from(parts(), { objectMode: false }) };
}
