// Chunk maps of downloaded Xet files (which xorb chunks sit at which offsets) and their use in an update: terms of
// the new revision whose chunks the local old file already holds are copied from it instead of fetched.
import { closeSync, fstatSync, openSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { PlacedTerm } from "./plan";
import type { WorkerPool } from "./pool";

/** One term of a finished file: `[xorb, chunkStart, chunkEnd, fileStart, base64 of the u32 LE chunk lengths]`. */
export type MapTerm = [string, number, number, number, string];

export interface ChunkMap {
  version: 1;
  sha256: string;
  size: number;
  terms: MapTerm[];
}

const MAX_MAPS = 256;

/** Where chunk maps live: content-addressed, outside the model folder (which holds only the repo's files). */
export function defaultChunkMapDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_MODELS_XET_MAPS) return env.HF_MODELS_XET_MAPS;
  const base = env.XDG_CACHE_HOME || (process.platform === "win32" ? env.LOCALAPPDATA : undefined) || join(homedir(), ".cache");
  return join(base ?? homedir(), "hf-models", "xet-chunk-maps");
}

function mapName(sha256: string, size: number): string {
  return `${sha256}-${size}.json`;
}

/** Maps whose file had exactly `size` bytes (the candidates for the old file at a path). */
export async function findMaps(dir: string, size: number): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith(`-${size}.json`) && /^[0-9a-f]{64}-/.test(n)).map((n) => n.slice(0, 64));
}

export async function readMap(dir: string, sha256: string, size: number): Promise<ChunkMap | undefined> {
  try {
    const map = JSON.parse(await readFile(join(dir, mapName(sha256, size)), "utf8")) as ChunkMap;
    return map.version === 1 && map.sha256 === sha256 && map.size === size && Array.isArray(map.terms) ? map : undefined;
  } catch {
    return undefined;
  }
}

export async function writeMap(dir: string, map: ChunkMap): Promise<void> {
  await mkdir(dir, { recursive: true });
  const target = join(dir, mapName(map.sha256, map.size));
  const temp = `${target}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(map));
  await rename(temp, target);
  await prune(dir);
}

/** Keeps the newest MAX_MAPS maps; a missing map only costs a full download later. */
async function prune(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".json"));
  if (names.length <= MAX_MAPS) return;
  const dated = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(dir, n)).catch(() => undefined))?.mtimeMs ?? 0 })));
  dated.sort((a, b) => b.t - a.t);
  await Promise.all(dated.slice(MAX_MAPS).map((d) => rm(join(dir, d.n), { force: true })));
}

export function encodeLens(lens: number[]): string {
  const u = new Uint32Array(lens);
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString("base64");
}

function decodeLens(text: string): Uint32Array {
  const buf = Buffer.from(text, "base64");
  const copy = new Uint8Array(buf);
  return new Uint32Array(copy.buffer, 0, copy.byteLength >> 2);
}

interface OldTerm {
  chunkStart: number;
  chunkEnd: number;
  /** File offset of each chunk of the term, plus the term's end. */
  offsets: number[];
}

/** Where the old file holds a chunk range of a xorb. */
export class ReuseIndex {
  private byXorb = new Map<string, OldTerm[]>();

  constructor(map: ChunkMap) {
    for (const [xorb, chunkStart, chunkEnd, fileStart, lens] of map.terms) {
      const sizes = decodeLens(lens);
      if (sizes.length !== chunkEnd - chunkStart) continue;
      const offsets = [fileStart];
      for (const s of sizes) offsets.push(offsets[offsets.length - 1] + s);
      const list = this.byXorb.get(xorb) ?? [];
      list.push({ chunkStart, chunkEnd, offsets });
      this.byXorb.set(xorb, list);
    }
  }

  /** Old-file offset of the term's bytes when the old file holds all its chunks in a row with the same length. */
  locate(term: PlacedTerm): number | undefined {
    for (const old of this.byXorb.get(term.xorb) ?? []) {
      if (old.chunkStart > term.chunkStart || old.chunkEnd < term.chunkEnd) continue;
      const from = old.offsets[term.chunkStart - old.chunkStart];
      const to = old.offsets[term.chunkEnd - old.chunkStart];
      if (to - from === term.unpacked) return from;
    }
    return undefined;
  }

  /** Decoded chunk lengths of a term the old file holds (for the new file's own chunk map). */
  lensOf(term: PlacedTerm): number[] | undefined {
    for (const old of this.byXorb.get(term.xorb) ?? []) {
      if (old.chunkStart > term.chunkStart || old.chunkEnd < term.chunkEnd) continue;
      const lens: number[] = [];
      for (let k = term.chunkStart; k < term.chunkEnd; k++) lens.push(old.offsets[k - old.chunkStart + 1] - old.offsets[k - old.chunkStart]);
      return lens;
    }
    return undefined;
  }
}

export interface CopyOp {
  srcOff: number;
  dstOff: number;
  len: number;
}

/** Gaps of local bytes shorter than this between two missing ranges are fetched too: one request beats two. */
const MERGE_GAP = 1024 * 1024;

/** Splits a window into bytes copied from the old file and ranges still to fetch (file coordinates). */
export function splitForReuse(options: { terms: PlacedTerm[]; start: number; end: number; index: ReuseIndex }): { copies: CopyOp[]; missing: Array<[number, number]> } {
  const { start, end, index } = options;
  const pieces: Array<{ s: number; e: number; src?: number }> = [];
  for (const term of options.terms) {
    const s = Math.max(term.fileStart, start);
    const e = Math.min(term.fileStart + term.unpacked, end);
    if (e <= s) continue;
    const at = index.locate(term);
    pieces.push({ s, e, src: at === undefined ? undefined : at + (s - term.fileStart) });
  }
  // Local pieces squeezed between missing ones are fetched along with them.
  for (let i = 1; i < pieces.length - 1; i++) {
    const p = pieces[i];
    if (p.src !== undefined && p.e - p.s < MERGE_GAP && pieces[i - 1].src === undefined && pieces[i + 1].src === undefined) {
      p.src = undefined;
    }
  }
  const copies: CopyOp[] = [];
  const missing: Array<[number, number]> = [];
  for (const p of pieces) {
    if (p.src === undefined) {
      const last = missing[missing.length - 1];
      if (last && last[1] === p.s) last[1] = p.e;
      else missing.push([p.s, p.e]);
    } else {
      const last = copies[copies.length - 1];
      if (last && last.dstOff + last.len === p.s && last.srcOff + last.len === p.src) last.len += p.e - p.s;
      else copies.push({ srcOff: p.src, dstOff: p.s, len: p.e - p.s });
    }
  }
  return { copies, missing };
}

export interface OldVersion {
  index: ReuseIndex;
  /** Open for reading; the caller closes it. */
  fd: number;
}

/**
 * The file at `finalPath` as a source of chunks: only when a chunk map of exactly its bytes exists (its SHA-256 is
 * computed on the pool, off the caller's thread). Otherwise undefined, and nothing stays open.
 */
export async function openOldVersion(options: { finalPath: string; mapDir: string; pool: WorkerPool; pin: number }): Promise<OldVersion | undefined> {
  let fd: number;
  let size: number;
  try {
    fd = openSync(options.finalPath, "r");
    size = fstatSync(fd).size;
  } catch {
    return undefined;
  }
  try {
    const candidates = await findMaps(options.mapDir, size);
    if (candidates.length === 0) return close(fd);
    const digest = await options.pool.call({ op: "sha256-fd", fd, length: size }, options.pin);
    if (digest.type !== "digest" || !candidates.includes(digest.hex)) return close(fd);
    const map = await readMap(options.mapDir, digest.hex, size);
    return map ? { index: new ReuseIndex(map), fd } : close(fd);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function close(fd: number): undefined {
  closeSync(fd);
  return undefined;
}

/** Stores the map of a finished file; terms whose chunk lengths are unknown are kept without them. */
export async function saveChunkMap(options: { mapDir: string; sha256: string; size: number; terms: Array<{ term: PlacedTerm; lens?: number[] }> }): Promise<void> {
  const sorted = [...options.terms].sort((a, b) => a.term.fileStart - b.term.fileStart);
  const terms: MapTerm[] = sorted.map(({ term, lens }) => [term.xorb, term.chunkStart, term.chunkEnd, term.fileStart, lens ? encodeLens(lens) : ""]);
  await writeMap(options.mapDir, { version: 1, sha256: options.sha256, size: options.size, terms });
}
