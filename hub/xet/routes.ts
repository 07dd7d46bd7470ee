// CAS routes of the local Hub's cdn origin: V1/V2 reconstructions (Xet-token auth, Range, 416) and presigned
// xorb byte ranges (single 206 or multipart/byteranges), with the Xet fault switches applied here.
import { once } from "node:events";
import { Readable } from "node:stream";
import { hubError, sendData, sendJson, type HubReq, type Route } from "../context";
import { checkSignedUrl, signUrlQuery, verifyXetToken } from "../tokens";
import { CHUNK_HEADER_BYTES, isXetHex } from "./format";
import { formatByteRanges, multipartByteRanges, parseByteRanges, parseReconstructionRange } from "./httpRange";
import { planReconstruction, toV1, toV2, type ByteRange } from "./reconstruction";
import type { XorbInfo } from "./store";

export const XORB_PATH_PREFIX = "/xorbs/default/";

export const casRoutes: Route[] = [
  { name: "reconstruction-v1", method: "GET", pattern: /^\/v1\/reconstructions\/([^/]+)$/, handle: (r) => reconstruction(r, 1) },
  { name: "reconstruction-v2", method: "GET", pattern: /^\/v2\/reconstructions\/([^/]+)$/, handle: (r) => reconstruction(r, 2) },
  { name: "xorb", method: "GET", pattern: /^\/xorbs\/default\/([^/]+)$/, handle: xorbRange },
];

function rateLimited(r: HubReq): boolean {
  const { ctx, res } = r;
  if (!(ctx.faults.has("rate-limit") && ctx.firstTime("rate-limit", r.url.pathname))) return false;
  hubError(res, 429, "Too many requests, retry later", undefined, { "Retry-After": String(ctx.options.retryAfterSeconds) });
  return true;
}

function reconstruction(r: HubReq, version: 1 | 2): void {
  r.logRoute = `reconstruction-v${version}`;
  const { ctx, res } = r;
  const fileId = r.params[0];
  if (ctx.faults.has("cas-unavailable")) return hubError(res, 503, "The Xet CAS service is temporarily unavailable");
  if (rateLimited(r)) return;
  if (!verifyXetToken(ctx.secret, r.bearer)) return hubError(res, 401, "Invalid, expired or missing Xet access token");
  if (!isXetHex(fileId)) return hubError(res, 400, `Invalid file id ${JSON.stringify(fileId)}: expected 64 lowercase hex characters`);
  const file = ctx.xet.getFile(fileId);
  if (!file) return hubError(res, 404, `File ${fileId} not found`, "EntryNotFound");
  const rangeHeader = r.req.headers.range;
  const range = parseReconstructionRange(rangeHeader);
  if (range === "malformed") return hubError(res, 400, `Malformed Range header ${JSON.stringify(rangeHeader)}`);
  const result = planReconstruction({ file, xorb: (h) => ctx.xet.xorbInfo(h), range });
  if (!result.ok) {
    return hubError(res, 416, `Range ${rangeHeader} is not satisfiable for a file of ${file.size} bytes`, undefined, {
      "Content-Range": `bytes */${file.size}`,
    });
  }
  const expired = ctx.faults.has("url-expired") && ctx.firstTime("url-expired", fileId + (rangeHeader ?? ""));
  const now = Math.floor(Date.now() / 1000);
  const expires = expired ? now - 60 : now + ctx.options.urlTtlSeconds;
  const sign = (xorb: string, ranges: ByteRange[]) => {
    const path = XORB_PATH_PREFIX + xorb;
    return `${ctx.cdnUrl}${path}?${signUrlQuery(ctx.secret, path, expires, { "X-Xet-Signed-Range": formatByteRanges(ranges) })}`;
  };
  sendJson(res, 200, version === 2 ? toV2(result.plan, sign, ctx.options.strictCas ? 1 : undefined) : toV1(result.plan, sign));
}

async function xorbRange(r: HubReq): Promise<void> {
  r.logRoute = "xorb";
  const { ctx, res } = r;
  if (rateLimited(r)) return;
  const check = checkSignedUrl(ctx.secret, r.url);
  if (!check.ok) {
    return hubError(res, 403, check.reason === "expired" ? "Request has expired" : "The request signature does not match", "AccessDenied");
  }
  const info = ctx.xet.xorbInfo(r.params[0]);
  if (!info) return hubError(res, 404, `Xorb ${r.params[0]} not found`, "EntryNotFound");
  const signed = parseByteRanges(check.fields.get("X-Xet-Signed-Range")) ?? [];
  const requested = parseByteRanges(r.req.headers.range);
  if (!requested) return hubError(res, 403, "A Range header listing signed byte ranges is required", "AccessDenied");
  if (ctx.options.strictCas && (signed.length !== 1 || requested.length !== 1)) {
    return hubError(res, 403, "This URL authorizes exactly its one signed byte range, in a request of its own", "AccessDenied");
  }
  const unsigned = requested.find((q) => !signed.some((s) => s.start === q.start && s.end === q.end));
  if (unsigned) return hubError(res, 403, `Range bytes=${unsigned.start}-${unsigned.end} is not authorized by this URL`, "AccessDenied");
  if (requested.some((q) => q.end >= info.objectSize)) {
    return hubError(res, 416, "Range not satisfiable", undefined, { "Content-Range": `bytes */${info.objectSize}` });
  }

  let headers: Record<string, string | number>;
  let body: Readable;
  let firstDataOffset = 0;
  if (requested.length === 1) {
    const [q] = requested;
    body = ctx.xet.openXorbRange(info.hash, q.start, q.end);
    headers = {
      "Content-Type": "application/octet-stream",
      "Content-Length": q.end - q.start + 1,
      "Content-Range": `bytes ${q.start}-${q.end}/${info.objectSize}`,
    };
  } else {
    const mp = multipartByteRanges({
      ranges: requested,
      total: info.objectSize,
      open: (q) => ctx.xet.openXorbRange(info.hash, q.start, q.end),
    });
    body = mp.body;
    firstDataOffset = mp.dataOffsets[0];
    headers = { "Content-Type": mp.contentType, "Content-Length": mp.length };
  }
  headers["Accept-Ranges"] = "bytes";
  const total = Number(headers["Content-Length"]);

  if (ctx.faults.has("xorb-reset")) return cutShort(r, headers, body, Math.floor(total / 2), "reset");
  if (ctx.faults.has("xorb-stall")) return cutShort(r, headers, body, Math.min(total, ctx.options.stallAfterBytes), "stall");
  if (ctx.faults.has("xorb-corrupt")) {
    body = flipByteAt(body, firstDataOffset + payloadMiddle(info, requested[0].start));
  }
  await sendData(r, 206, headers, body);
}

/** Offset, from the start of the record at `recordStart`, of the middle byte of that chunk's payload. */
function payloadMiddle(info: XorbInfo, recordStart: number): number {
  const k = recordStart === 0 ? 0 : info.chunkEnds.indexOf(recordStart) + 1;
  const payloadLength = info.chunkEnds[k] - recordStart - CHUNK_HEADER_BYTES;
  return CHUNK_HEADER_BYTES + Math.floor(payloadLength / 2);
}

function flipByteAt(source: Readable, at: number): Readable {
  async function* flipped() {
    let offset = 0;
    for await (const piece of source as AsyncIterable<Buffer>) {
      if (at >= offset && at < offset + piece.length) {
        const copy = Buffer.from(piece);
        copy[at - offset] ^= 0xff;
        yield copy;
      } else {
        yield piece;
      }
      offset += piece.length;
    }
  }
  return Readable.from(flipped(), { objectMode: false });
}

/** Sends the headers and the first `bytes` of the body, then either cuts the connection or goes silent. */
async function cutShort(r: HubReq, headers: Record<string, string | number>, body: Readable, bytes: number, mode: "reset" | "stall") {
  const { res } = r;
  const parts: Buffer[] = [];
  let got = 0;
  for await (const piece of body as AsyncIterable<Buffer>) {
    if (got >= bytes) break;
    parts.push(piece.subarray(0, bytes - got));
    got += Math.min(piece.length, bytes - got);
  }
  body.destroy();
  res.writeHead(206, headers);
  if (mode === "reset") {
    res.write(Buffer.concat(parts), () => res.socket?.destroy());
    await once(res, "close");
    return;
  }
  // Stall: keep the connection open, send nothing more, until the client gives up.
  res.write(Buffer.concat(parts));
  await once(res, "close");
}
