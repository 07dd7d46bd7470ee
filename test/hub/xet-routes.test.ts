// The CAS routes over real HTTP: reconstruction auth/404/416/Range and V1/V2 shapes, presigned xorb URLs
// (expiry, signature, signed ranges), single-range 206 and multipart/byteranges, and every Xet fault switch.
import assert from "node:assert/strict";
import { request } from "node:http";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signUrlQuery } from "../../hub/tokens";
import { CHUNK_HEADER_BYTES } from "../../hub/xet/format";
import { repeatingBytes } from "../../hub/xet/sampleData";
import { XetStore, type XetFileRecord } from "../../hub/xet/store";
import { startTestCas, type TestCas } from "../helpers/testCas";

interface V2Answer {
  offset_into_first_range: number;
  terms: Array<{ hash: string; unpacked_length: number; range: { start: number; end: number } }>;
  xorbs: Record<string, Array<{ url: string; ranges: Array<{ chunks: { start: number; end: number }; bytes: { start: number; end: number } }> }>>;
}

/** Splits a multipart/byteranges body into its parts (headers + data). */
function parseMultipart(body: Buffer, contentType: string): Array<{ contentRange: string; data: Buffer }> {
  const boundary = /boundary=([^;]+)/.exec(contentType)![1];
  const parts: Array<{ contentRange: string; data: Buffer }> = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  for (;;) {
    const after = pos + delimiter.length;
    if (body.subarray(after, after + 2).toString() === "--") break;
    const headEnd = body.indexOf("\r\n\r\n", after);
    const head = body.subarray(after + 2, headEnd).toString();
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headEnd);
    parts.push({ contentRange: /Content-Range: (.+)/i.exec(head)![1].trim(), data: body.subarray(headEnd + 4, next) });
    pos = next + 2;
  }
  return parts;
}

/** A raw GET that reports how many body bytes arrived and how the response ended. */
function rawGet(url: string, headers: Record<string, string>, opts: { abortAfterMs?: number } = {}) {
  return new Promise<{ status: number; length: number; received: Buffer; ended: "complete" | "aborted" | "stalled" }>((resolve) => {
    const parts: Buffer[] = [];
    const req = request(url, { headers, agent: false }, (res) => {
      const done = (ended: "complete" | "aborted" | "stalled") =>
        resolve({ status: res.statusCode!, length: Number(res.headers["content-length"]), received: Buffer.concat(parts), ended });
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        if (!opts.abortAfterMs) return;
        clearTimeout(timer);
        timer = setTimeout(() => {
          done("stalled");
          req.destroy();
        }, opts.abortAfterMs);
      };
      arm();
      res.on("data", (d: Buffer) => {
        parts.push(d);
        arm();
      });
      res.on("end", () => (clearTimeout(timer), done("complete")));
      res.on("aborted", () => (clearTimeout(timer), done("aborted")));
      res.on("error", () => (clearTimeout(timer), done("aborted")));
    });
    req.on("error", () => undefined);
    req.end();
  });
}

describe("CAS routes over HTTP", function () {
  this.timeout(60_000);
  let dir: string;
  let store: XetStore;
  let cas: TestCas;
  let data: Buffer;
  let secondStart: number;
  let file: XetFileRecord;

  const recon = (version: 1 | 2, headers: Record<string, string> = {}, id = file.fileHash) =>
    fetch(`${cas.url}/v${version}/reconstructions/${id}`, { headers: { Authorization: `Bearer ${cas.token()}`, ...headers } });
  const xorbBytes = async (hash: string, start: number, end: number) => (await readFile(store.xorbInfo(hash)!.path)).subarray(start, end + 1);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "xet-routes-test-"));
    store = await XetStore.open({ dataDir: dir, xorbLimits: { maxChunks: 16 } });
    ({ data, secondStart } = repeatingBytes(11));
    await writeFile(join(dir, "f.bin"), data);
    file = await store.addFile(join(dir, "f.bin"));
    cas = await startTestCas({ store, stallAfterBytes: 10_000 });
  });
  after(async () => {
    await cas.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => cas.reset());

  describe("reconstructions", () => {
    it("V2: terms and one signed URL per xorb listing exactly its ranges", async () => {
      const res = await recon(2);
      assert.equal(res.status, 200);
      const body = (await res.json()) as V2Answer;
      assert.equal(body.offset_into_first_range, 0);
      assert.deepEqual(
        body.terms,
        file.terms.map((t) => ({ hash: t.xorb, unpacked_length: t.unpackedLength, range: { start: t.chunkStart, end: t.chunkEnd } })),
      );
      const now = Date.now() / 1000;
      for (const [hash, entries] of Object.entries(body.xorbs)) {
        assert.equal(entries.length, 1);
        const url = new URL(entries[0].url);
        assert.equal(url.origin + url.pathname, `${cas.url}/xorbs/default/${hash}`);
        const signed = entries[0].ranges.map((r) => `${r.bytes.start}-${r.bytes.end}`).join(",");
        assert.equal(url.searchParams.get("X-Xet-Signed-Range"), `bytes=${signed}`);
        assert.ok(Math.abs(Number(url.searchParams.get("Expires")) - (now + 3600)) < 60);
        assert.ok(url.searchParams.get("Signature"));
      }
      assert.deepEqual(cas.ctx.log.map((e) => [e.route, e.status, e.auth]), [["reconstruction-v2", 200, "xet-token"]]);
    });

    it("V1: fetch_info with one URL per range", async () => {
      const res = await recon(1, { Range: `bytes=${secondStart + 10}-` });
      const body = (await res.json()) as { terms: unknown[]; fetch_info: Record<string, Array<{ range: { start: number; end: number }; url: string; url_range: { start: number; end: number } }>> };
      assert.equal(res.status, 200);
      const entries = body.fetch_info[file.terms[0].xorb];
      assert.equal(entries.length, 2, "the first xorb is needed in two disjoint pieces");
      for (const e of entries) {
        assert.equal(new URL(e.url).searchParams.get("X-Xet-Signed-Range"), `bytes=${e.url_range.start}-${e.url_range.end}`);
      }
      assert.equal(cas.ctx.log[0].route, "reconstruction-v1");
    });

    it("honours Range: trims chunks and sets offset_into_first_range", async () => {
      const res = await recon(2, { Range: "bytes=100000-100099" });
      const body = (await res.json()) as V2Answer;
      const firstLen = body.terms.reduce((n, t) => n + t.unpacked_length, 0);
      assert.ok(body.offset_into_first_range > 0 && body.offset_into_first_range < 131_072);
      assert.ok(firstLen >= 100 && firstLen <= 2 * 131_072);
      assert.equal(cas.ctx.log[0].range, "bytes=100000-100099");
    });

    it("401 without, with a Hub, a tampered or an expired Xet token", async () => {
      const tokens = [undefined, "hf_local_token", cas.token().replace(/.$/, (c) => (c === "A" ? "B" : "A")), cas.token(-10)];
      for (const token of tokens) {
        const res = await fetch(`${cas.url}/v2/reconstructions/${file.fileHash}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
        assert.equal(res.status, 401, String(token));
        assert.match(res.headers.get("x-error-message")!, /Xet access token/);
        assert.match(((await res.json()) as { error: string }).error, /Invalid, expired or missing Xet access token/);
      }
    });

    it("404 for an unknown file, 400 for a malformed id or Range, 416 past the end", async () => {
      const unknown = await recon(2, {}, "1".repeat(64));
      assert.equal(unknown.status, 404);
      assert.equal(unknown.headers.get("x-error-code"), "EntryNotFound");
      assert.equal((await recon(2, {}, "not-a-hash")).status, 400);
      assert.equal((await recon(2, { Range: "bytes=abc" })).status, 400);
      for (const range of [`bytes=${data.length}-`, `bytes=${data.length}-${data.length + 10}`]) {
        const res = await recon(2, { Range: range });
        assert.equal(res.status, 416, range);
        assert.equal(res.headers.get("content-range"), `bytes */${data.length}`);
      }
      const last = await recon(2, { Range: `bytes=${data.length - 1}-${data.length + 100}` });
      assert.equal(last.status, 200, "an end past the file is clamped");
    });
  });

  describe("xorb ranges", () => {
    async function v2(range?: string): Promise<V2Answer> {
      return (await (await recon(2, range ? { Range: range } : {})).json()) as V2Answer;
    }

    it("a single signed range → 206 with Content-Range and exactly the stored bytes", async () => {
      const body = await v2();
      const [hash, [entry]] = Object.entries(body.xorbs)[1];
      const { start, end } = entry.ranges[0].bytes;
      const res = await fetch(entry.url, { headers: { Range: `bytes=${start}-${end}` } });
      assert.equal(res.status, 206);
      assert.equal(res.headers.get("content-range"), `bytes ${start}-${end}/${store.xorbInfo(hash)!.objectSize}`);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), await xorbBytes(hash, start, end));
      assert.deepEqual(cas.ctx.log.map((e) => [e.route, e.auth]).at(-1), ["xorb", "none"]);
    });

    it("several signed ranges → multipart/byteranges, one part per range in order", async () => {
      const body = await v2(`bytes=${secondStart + 10}-`);
      const hash = file.terms[0].xorb;
      const [entry] = body.xorbs[hash];
      assert.equal(entry.ranges.length, 2);
      const range = `bytes=${entry.ranges.map((r) => `${r.bytes.start}-${r.bytes.end}`).join(",")}`;
      const res = await fetch(entry.url, { headers: { Range: range } });
      assert.equal(res.status, 206);
      const type = res.headers.get("content-type")!;
      assert.match(type, /^multipart\/byteranges; boundary=/);
      const raw = Buffer.from(await res.arrayBuffer());
      assert.equal(raw.length, Number(res.headers.get("content-length")));
      const parts = parseMultipart(raw, type);
      assert.equal(parts.length, 2);
      for (const [i, r] of entry.ranges.entries()) {
        assert.equal(parts[i].contentRange, `bytes ${r.bytes.start}-${r.bytes.end}/${store.xorbInfo(hash)!.objectSize}`);
        assert.deepEqual(parts[i].data, await xorbBytes(hash, r.bytes.start, r.bytes.end));
      }
      // One of the signed ranges alone is allowed too.
      const one = await fetch(entry.url, { headers: { Range: `bytes=${entry.ranges[1].bytes.start}-${entry.ranges[1].bytes.end}` } });
      assert.equal(one.status, 206);
      await one.arrayBuffer();
    });

    it("403 for an expired URL, a bad signature, an unsigned or missing range", async () => {
      const body = await v2();
      const [hash, [entry]] = Object.entries(body.xorbs)[0];
      const { start, end } = entry.ranges[0].bytes;
      const path = `/xorbs/default/${hash}`;
      const signedRange = { "X-Xet-Signed-Range": `bytes=${start}-${end}` };
      const expired = `${cas.url}${path}?${signUrlQuery(cas.ctx.secret, path, Math.floor(Date.now() / 1000) - 1, signedRange)}`;
      const forged = `${cas.url}${path}?${signUrlQuery("not-the-secret", path, Math.floor(Date.now() / 1000) + 600, signedRange)}`;
      const wider = entry.url.replace(/X-Xet-Signed-Range=[^&]+/, `X-Xet-Signed-Range=${encodeURIComponent(`bytes=${start}-${end + 1}`)}`);
      const otherXorb = entry.url.replace(hash, Object.keys(body.xorbs)[1]);
      const cases: Array<[string, string, string | undefined, RegExp]> = [
        ["expired", expired, `bytes=${start}-${end}`, /Request has expired/],
        ["forged", forged, `bytes=${start}-${end}`, /signature does not match/],
        ["edited range list", wider, `bytes=${start}-${end + 1}`, /signature does not match/],
        ["another xorb", otherXorb, `bytes=${start}-${end}`, /signature does not match/],
        ["sub-range", entry.url, `bytes=${start}-${end - 1}`, /not authorized/],
        ["extra range", entry.url, `bytes=${start}-${end},${end + 1}-${end + 10}`, /not authorized/],
        ["no Range", entry.url, undefined, /Range header/],
      ];
      for (const [name, url, range, message] of cases) {
        const res = await fetch(url, { headers: range ? { Range: range } : {} });
        assert.equal(res.status, 403, name);
        assert.match(res.headers.get("x-error-message")!, message, name);
      }
    });
  });

  describe("faults", () => {
    it("cas-unavailable: 503 on reconstructions only", async () => {
      const body = (await (await recon(2)).json()) as V2Answer;
      cas.setFault("cas-unavailable", true);
      assert.equal((await recon(2)).status, 503);
      assert.equal((await recon(1)).status, 503);
      const [entry] = Object.values(body.xorbs)[0];
      const { start, end } = entry.ranges[0].bytes;
      const res = await fetch(entry.url, { headers: { Range: `bytes=${start}-${end}` } });
      assert.equal(res.status, 206);
      await res.arrayBuffer();
    });

    it("rate-limit: the first request per path gets 429 + Retry-After, the next one passes", async () => {
      cas.setFault("rate-limit", true);
      const first = await recon(2);
      assert.equal(first.status, 429);
      assert.equal(first.headers.get("retry-after"), "1");
      const second = await recon(2);
      assert.equal(second.status, 200);
      assert.equal((await recon(1)).status, 429, "v1 is another path");
      const [entry] = Object.values(((await second.json()) as V2Answer).xorbs)[0];
      const range = `bytes=${entry.ranges[0].bytes.start}-${entry.ranges[0].bytes.end}`;
      const statusOf = async (res: Response) => (await res.arrayBuffer(), res.status);
      assert.equal(await statusOf(await fetch(entry.url, { headers: { Range: range } })), 429);
      assert.equal(await statusOf(await fetch(entry.url, { headers: { Range: range } })), 206);
      for (let i = 0; i < 50 && cas.ctx.log.length < 5; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(cas.ctx.log.map((e) => e.status), [429, 200, 429, 429, 206]);
    });

    it("url-expired: the first answer per file and range carries expired URLs (403), the next a fresh one", async () => {
      cas.setFault("url-expired", true);
      const fetchFirstEntry = async (range: string) => {
        const body = (await (await recon(2, { Range: range })).json()) as V2Answer;
        const [entry] = Object.values(body.xorbs)[0];
        const res = await fetch(entry.url, { headers: { Range: `bytes=${entry.ranges[0].bytes.start}-${entry.ranges[0].bytes.end}` } });
        await res.arrayBuffer();
        return { status: res.status, expires: Number(new URL(entry.url).searchParams.get("Expires")) };
      };
      const first = await fetchFirstEntry("bytes=0-999");
      assert.equal(first.status, 403);
      assert.ok(first.expires < Date.now() / 1000);
      assert.equal((await fetchFirstEntry("bytes=0-999")).status, 206);
      assert.equal((await fetchFirstEntry("bytes=0-1999")).status, 403, "another range is another first time");
    });

    async function firstEntry() {
      const body = (await (await recon(2)).json()) as V2Answer;
      const [hash, [entry]] = Object.entries(body.xorbs)[0];
      const { start, end } = entry.ranges[0].bytes;
      return { hash, url: entry.url, start, end, range: `bytes=${start}-${end}` };
    }

    it("xorb-reset: about half of the body arrives, then the connection is cut", async () => {
      const e = await firstEntry();
      cas.setFault("xorb-reset", true);
      const got = await rawGet(e.url, { Range: e.range });
      assert.equal(got.status, 206);
      assert.equal(got.length, e.end - e.start + 1);
      assert.equal(got.ended, "aborted");
      assert.equal(got.received.length, Math.floor(got.length / 2));
      assert.deepEqual(got.received, (await xorbBytes(e.hash, e.start, e.end)).subarray(0, got.received.length));
    });

    it("xorb-corrupt: one byte flipped in the middle of the first chunk's payload, headers intact", async () => {
      const e = await firstEntry();
      cas.setFault("xorb-corrupt", true);
      const res = await fetch(e.url, { headers: { Range: e.range } });
      assert.equal(res.status, 206);
      const got = Buffer.from(await res.arrayBuffer());
      const want = await xorbBytes(e.hash, e.start, e.end);
      assert.equal(got.length, want.length);
      const diffs = [...got.keys()].filter((i) => got[i] !== want[i]);
      const payloadLength = want.readUIntLE(1, 3);
      assert.deepEqual(diffs, [CHUNK_HEADER_BYTES + Math.floor(payloadLength / 2)]);
      assert.equal(got[diffs[0]], want[diffs[0]] ^ 0xff);
    });

    it("xorb-corrupt on a multipart answer flips a byte in the first part's first chunk only", async () => {
      const body = (await (await recon(2, { Range: `bytes=${secondStart + 10}-` })).json()) as V2Answer;
      const hash = file.terms[0].xorb;
      const [entry] = body.xorbs[hash];
      cas.setFault("xorb-corrupt", true);
      const res = await fetch(entry.url, { headers: { Range: `bytes=${entry.ranges.map((r) => `${r.bytes.start}-${r.bytes.end}`).join(",")}` } });
      const parts = parseMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get("content-type")!);
      const want0 = await xorbBytes(hash, entry.ranges[0].bytes.start, entry.ranges[0].bytes.end);
      const diffs = [...parts[0].data.keys()].filter((i) => parts[0].data[i] !== want0[i]);
      assert.deepEqual(diffs, [CHUNK_HEADER_BYTES + Math.floor(want0.readUIntLE(1, 3) / 2)]);
      assert.deepEqual(parts[1].data, await xorbBytes(hash, entry.ranges[1].bytes.start, entry.ranges[1].bytes.end));
    });

    it("xorb-stall: stallAfterBytes arrive, then nothing while the connection stays open until the client leaves", async () => {
      const e = await firstEntry();
      cas.setFault("xorb-stall", true);
      const got = await rawGet(e.url, { Range: e.range }, { abortAfterMs: 400 });
      assert.equal(got.status, 206);
      assert.equal(got.ended, "stalled");
      assert.equal(got.received.length, 10_000);
      assert.deepEqual(got.received, (await xorbBytes(e.hash, e.start, e.end)).subarray(0, 10_000));
      // The server notices the client leaving and logs the request.
      for (let i = 0; i < 50 && cas.ctx.log.filter((l) => l.route === "xorb").length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(cas.ctx.log.filter((l) => l.route === "xorb").map((l) => l.status), [206]);
    });
  });
});
