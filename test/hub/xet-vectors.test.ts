// Known-answer vectors (XET_SPEC §9, test/fixtures/xet-vectors): chunker boundaries and hashes, merkle/file
// hashes, keyed hashes, hex byte order, BG4 split and the real gpt2 dedup shard, all through the local CAS's code.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createChunker, fileHash, finalize, getChunks, hmac, nextBlock, verificationHash, xorbHash, type Chunk } from "@huggingface/xetchunk-wasm";
import { bg4Regroup, bg4Split, rawFromXetHex, xetHex } from "../../hub/xet/format";
import { splitmix64Bytes } from "../../hub/xet/sampleData";
import { parseShard } from "../../hub/xet/shard";

const VECTORS = join(__dirname, "..", "fixtures", "xet-vectors");
const json = (name: string) => JSON.parse(readFileSync(join(VECTORS, name), "utf8"));
const DATA_KEY = new Uint8Array(Buffer.from("6697f5775b9550de3135cbaca597181c9de421109beb2b58b4d0b04b93adf229", "hex")); // plain byte hex (§3.1)
const ZERO = "0".repeat(64);

const boundaries = (chunks: Chunk[]) => chunks.reduce<number[]>((acc, c) => [...acc, (acc.at(-1) ?? 0) + c.length], []);
const chunksOf = (list: Array<[string, number]>): Chunk[] => list.map(([h, length]) => ({ hash: rawFromXetHex(h), length }));
const makeData = (size: number, a: number, b: number) => Uint8Array.from({ length: size }, (_, i) => (i * a + b) & 0xff);

function chunkInPieces(data: Uint8Array, piece: number): Chunk[] {
  const chunker = createChunker();
  const out: Chunk[] = [];
  for (let pos = 0; pos < data.length; pos += piece) out.push(...nextBlock(chunker, data.subarray(pos, pos + piece)));
  const last = finalize(chunker);
  if (last) out.push(last);
  return out;
}

const V3 = `6eca1e7dadaf08cca5d82d318c800f07c2ddcec115a7e8627e5edd9605b94b8d 624ea34d72a06e5d43a1b8dd10763f0d22f165992c397ed97563899b27fdd88a
4411d2ec847c6e3f451a7451ff3933adb4f1c31587421b9f730b698a78313b47 6342bde97433e29e0779ad33eb8040d986679040361b3cc3a06230fe60dd6c9b
405253fcf15bba751adc4f507d3453273daff81ed4d8acd71c521aa1cbddc0b5 4482374af7f8bebfdb5c5df0299f80128d6c58886ad7b218c562b1d74064e4cb
80acc8d39c853b4b8a8c6ad7b63bf2ea68f62c2226b92f06349f92cc84d213cc a7076d7d343f711fb20fe6cd023248d8d051e8fe7d44172596cd5c7ea7edaf65
44755217bbb4dadc81ea7695765230a34a2e6cb3b55f373f1de35aeba79ae92c 001adc1d302d5f039278325dcbd5ec3b194f4794f1629d6f962f9f4bb78a7bff
f8460a337c186f07c2e225bb287a1d3d3d686dc69d0828e99640f7d8852c5b90 c9bc3da29025dc1ba562d303d815151d9a937367abb766ae842a165e8493d9fe
5044339dfd65e8163bdfe642614a6be604b04d6aeacf222cf219ad287bfc5cf1 163622db0fe0da93f2ef964eed4c485f3c7a9c312f8e8e8a312ab4bb8141f13e
e1730534a858aa0258ad8904ef12b829b8a123a1c611250275c9ca9471e4c650 1fbc6854f9185caba1e1f55393f41f83b895b18f9c99245c029025ca48f1e14b
8a27b66ccf05b864b6bef6fb5c970fe894f73d2330e8e98fe7841dcdbd9e9576 bc70a33e7a9ec820cac24b87023469a57bdae1bf91cc3961b95806c64a525221
03e5b5f5a088269ec4b329f1e04debfac4cb54b9c0facf038f7e8e0f054be7e2`.split(/\s+/);

describe("Xet known-answer vectors", () => {
  const derived = json("derived_vectors.json");
  const splitmix = splitmix64Bytes(1_000_000, 0);
  const splitmixChunks = getChunks(splitmix);

  it("V1: the SplitMix64 generator reproduces the reference bytes and SHA-256", () => {
    assert.deepEqual([splitmix[0], splitmix[127], splitmix[111111]], [175, 132, 118]);
    assert.equal(createHash("sha256").update(splitmix).digest("hex"), "b3d0a1f7938cd4d8413a4dcffd4313e2e8ac0cb61cb1090eb140ea8e9154befb");
  });

  it("V2/V3: 1 MB SplitMix64 seed 0 gives the reference boundaries and chunk hashes", () => {
    assert.deepEqual(
      boundaries(splitmixChunks),
      [84493, 134421, 144853, 243318, 271793, 336457, 467529, 494581, 582000, 596735, 616815, 653164, 678202, 724510, 815591, 827760, 958832, 991092, 1000000],
    );
    assert.deepEqual(splitmixChunks.map((c) => xetHex(c.hash)), V3);
    assert.deepEqual(splitmixChunks.map((c) => c.length), derived.splitmix_1mb_seed0_sizes);
  });

  it("V2 streamed: the same boundaries whatever the piece size (as the store feeds 8 MiB blocks)", () => {
    for (const piece of [1000, 65_536, 131_071, 8 * 1024 * 1024]) {
      assert.deepEqual(boundaries(chunkInPieces(splitmix, piece)), boundaries(splitmixChunks), `piece ${piece}`);
    }
  });

  it("V4: constant data is cut at exactly 128 KiB", () => {
    assert.deepEqual(boundaries(getChunks(new Uint8Array(1_000_000).fill(59))), [131072, 262144, 393216, 524288, 655360, 786432, 917504, 1000000]);
  });

  it("V6: 256 000 bytes of seed 1 fed in 1/37/255-byte pieces give the one-shot boundaries", () => {
    const data = splitmix64Bytes(256_000, 1);
    const oneShot = boundaries(getChunks(data));
    assert.deepEqual(oneShot, derived.splitmix_256000_seed1_boundaries);
    assert.deepEqual(oneShot, [25125, 104497, 235569, 256000]);
    for (const piece of [1, 37, 255]) assert.deepEqual(boundaries(chunkInPieces(data, piece)), oneShot, `piece ${piece}`);
  });

  it("derived vectors: xorb, file and verification hash of the 1 MB data; empty / hello-world chunk hashes; dedup eligibility", () => {
    assert.equal(xetHex(xorbHash(splitmixChunks)), derived.splitmix_1mb_seed0_xorb_hash);
    assert.equal(xetHex(fileHash(splitmixChunks)), derived.splitmix_1mb_seed0_file_hash);
    assert.equal(xetHex(verificationHash(splitmixChunks.map((c) => c.hash))), derived.splitmix_1mb_seed0_verification_hash_all_chunks);
    assert.equal(xetHex(hmac(new Uint8Array(0), DATA_KEY)), derived.chunk_hash_empty);
    assert.equal(xetHex(hmac(Buffer.from("hello world"), DATA_KEY)), derived.chunk_hash_hello_world);
    assert.equal(xetHex(getChunks(Buffer.from("hello world"))[0].hash), derived.chunk_hash_hello_world);
    const eligible = splitmixChunks.flatMap((c, i) => (Buffer.from(c.hash).readBigUInt64LE(24) % 1024n === 0n ? [i] : []));
    assert.deepEqual(eligible, derived.global_dedup_eligible_in_splitmix);
  });

  it("V7: all 18 merkle cases — xorb hash and the three salted file hashes", () => {
    const cases: Array<{ chunks: Array<[string, number]>; xorb_hash: string; file_hashes: Array<[string, string]> }> = json("merkle_vectors.json");
    assert.equal(cases.length, 18);
    for (const [i, c] of cases.entries()) {
      const raw = xorbHash(chunksOf(c.chunks));
      assert.equal(xetHex(raw), c.xorb_hash, `case ${i} xorb hash`);
      assert.equal(c.file_hashes.length, 3);
      for (const [salt, expected] of c.file_hashes) {
        const got = c.chunks.length === 0 ? ZERO : xetHex(hmac(raw, rawFromXetHex(salt)));
        assert.equal(got, expected, `case ${i} salt ${salt.slice(0, 8)}`);
      }
      if (c.chunks.length > 0) assert.equal(xetHex(fileHash(chunksOf(c.chunks))), c.file_hashes[0][1], `case ${i} fileHash()`);
    }
  });

  it("V8: makeData(200000, 7, 13) chunks, xorb and file hash", () => {
    const chunks = getChunks(makeData(200_000, 7, 13));
    assert.deepEqual(chunks.map((c) => [xetHex(c.hash), c.length]), derived.makeData200000_chunks);
    assert.equal(xetHex(xorbHash(chunks)), "f0755d96ee199d4f01e83da9fe2c38353de7fd38fb79a320a7d50be510026f74");
    assert.equal(xetHex(fileHash(chunks)), "d88d9e0b760f32c90b7c6592b4cb85251c01bb797371e3c637087b96ac578723");
  });

  it("V9: makeData(1000000, 13, 37) sizes, xorb and file hash", () => {
    const chunks = getChunks(makeData(1_000_000, 13, 37));
    assert.deepEqual(chunks.map((c) => c.length), derived.makeData1000000_sizes);
    assert.equal(xetHex(xorbHash(chunks)), "7be289d851485c40dcde52dbcf37a7823a5ef0bfcdf1ca1c5a32ad9594c71571");
    assert.equal(xetHex(fileHash(chunks)), "041a50f3639f4a080a89237025d643e2a3e22935ca5d7dbc1a38f5c1e859f859");
  });

  it("V10/V11: verification hash and keyed hash", () => {
    const [a, b] = derived.makeData200000_chunks.map(([h]: [string]) => rawFromXetHex(h));
    assert.equal(xetHex(verificationHash([a, b])), "82d580dd3896919ef870af78b2c7bd21e67e79777922bbc8cef1fc21630c308c");
    const key = rawFromXetHex("abcdef0123456789".repeat(4));
    assert.equal(xetHex(hmac(a, key)), "1e1f5ae2bae99fe030647a14a8c5fe6cdce57826387a7552236dfbebed533e04");
  });

  it("V12: an empty file has no chunks and the all-zero file hash", () => {
    assert.equal(getChunks(new Uint8Array(0)).length, 0);
    assert.equal(xetHex(fileHash([])), ZERO);
  });

  it("V13 + hex quirk: every 8-byte group is printed byte-reversed, and back", () => {
    const raw = Uint8Array.from([22, 175, 58, 132, 4, 75, 131, 214, 190, 153, 138, 66, 226, 3, 153, 242, 204, 86, 80, 234, 249, 153, 80, 99, 159, 80, 65, 138, 236, 231, 149, 78]);
    assert.equal(xetHex(raw), "d6834b04843aaf16f29903e2428a99be635099f9ea5056cc4e95e7ec8a41509f");
    assert.deepEqual(rawFromXetHex(xetHex(raw)), raw);
    const seq = Uint8Array.from({ length: 32 }, (_, i) => i);
    assert.equal(xetHex(seq), "07060504030201000f0e0d0c0b0a090817161514131211101f1e1d1c1b1a1918");
    assert.throws(() => rawFromXetHex("ABC"), /64-character lowercase hex/);
  });

  it("V15: BG4 split of 01..06 is 01 05 02 06 03 04, and regroup inverts split for every length mod 4", () => {
    assert.equal(Buffer.from(bg4Split(Uint8Array.from([1, 2, 3, 4, 5, 6]))).toString("hex"), "010502060304");
    for (let n = 0; n < 40; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);
      const split = bg4Split(data);
      const expected = [0, 1, 2, 3].flatMap((g) => [...data].filter((_, i) => i % 4 === g));
      assert.deepEqual([...split], expected, `split n=${n}`);
      assert.deepEqual(bg4Regroup(split), data, `regroup n=${n}`);
    }
  });

  it("V16: the gpt2 dedup shard parses to gpt2.shard.json and its documented layout", () => {
    const bytes = readFileSync(join(VECTORS, "gpt2.shard"));
    const expected = json("gpt2.shard.json");
    const shard = parseShard(bytes);
    assert.equal(bytes.length, 102_104);
    assert.equal(shard.version, 2);
    assert.equal(shard.footerSize, 200);
    assert.deepEqual(shard.files, []);
    assert.deepEqual(
      shard.xorbs.map((x) => ({ hash: x.hash, chunk_hashes: x.chunks.map((c) => c.hash) })),
      expected.xorbs,
    );
    assert.deepEqual(shard.xorbs.map((x) => x.chunks.length), [933, 1062, 122]);
    assert.ok(shard.xorbs.every((x) => x.numBytesOnDisk === 0 && x.chunks.every((c) => c.flags === 0)));
    const f = shard.footer!;
    assert.equal(f.hmacKey, expected.hmac_key);
    assert.deepEqual([f.version, f.fileInfoOffset, f.xorbInfoOffset, f.footerOffset], [1, 48, 96, 101_904]);
    assert.deepEqual([f.fileLookupOffset, f.xorbLookupOffset, f.chunkLookupOffset], [101_904, 101_904, 101_904]);
    assert.deepEqual([f.fileLookupNumEntry, f.xorbLookupNumEntry, f.chunkLookupNumEntry], [0, 0, 0]);
    assert.equal(f.keyExpiry - f.creationTimestamp, 604_800);
    assert.equal(f.storedBytes, 135_211_006);
    // Reply chunk hashes are keyed: hmac(chunk hash, footer key).
    const keyed = hmac(rawFromXetHex("9502eec19d4b0c9f7b389228fa801f68ecdf15d69ccd1da2f9ddbd0219898335"), rawFromXetHex(f.hmacKey));
    assert.equal(xetHex(keyed), "81b34a5179857460a1a5ba079fcf7231c307a19940ccb769e49240df5ec6c466");
    assert.equal(xetHex(keyed), shard.xorbs[1].chunks[0].hash);
  });

  it("the shard parser rejects a bad tag and a truncated section with the byte offset", () => {
    const bytes = Buffer.from(readFileSync(join(VECTORS, "gpt2.shard")));
    const badTag = Buffer.from(bytes);
    badTag[3] ^= 1;
    assert.throws(() => parseShard(badTag), /Invalid shard at byte 0: bad header tag/);
    assert.throws(() => parseShard(bytes.subarray(0, 5000)), /Invalid shard at byte \d+: truncated/);
  });
});
