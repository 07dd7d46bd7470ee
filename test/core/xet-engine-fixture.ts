// Repos and helpers for the Xet engine tests: a multi-xorb file mixing raw, LZ4 and BG4 chunks (it reuses
// chunks of two files stored before it), a two-revision model for the update path, and direct engine calls.
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { downloadXetFile, type EngineFileParams } from "../../src/core/xet/engine/download";
import "../helpers/xetWorker";
import { resolveRevision } from "../../hub/model";
import { listingOf } from "./xet-fixture";
import type { LocalHub } from "../../hub/server";
import { mixedModelBytes, pseudoRandomBytes, textBytes } from "../../hub/xet/sampleData";

export const MULTI_REPO = "engine/multi";
export const UPDATE_REPO = "engine/update";
export const COMBO = "c-combo.bin";

/** `a-first.bin` and `b-second.bin` get their own xorbs; `c-combo.bin` reuses chunks of both plus new mixed data. */
export async function writeMultiRepo(dir: string): Promise<void> {
  const a = pseudoRandomBytes(2 * 1024 * 1024, 11);
  const b = mixedModelBytes(3 * 1024 * 1024, 12);
  const combo = Buffer.concat([a.subarray(0, 1_500_000), mixedModelBytes(3 * 1024 * 1024 + 777, 13), b.subarray(700_000, 2_900_000), textBytes(400_000, 14)]);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "a-first.bin"), a);
  await writeFile(join(dir, "b-second.bin"), b);
  await writeFile(join(dir, COMBO), combo);
  // Starts with LZ4 chunks: a flipped payload byte breaks the decoding, not only the hash.
  await writeFile(join(dir, "d-text.bin"), textBytes(1024 * 1024, 15));
}

/** Revision 1 and 2 of `weights.bin` (~8 MiB): revision 2 changes 64 KiB in the middle and the first bytes. */
export async function writeUpdateRepo(dir: string): Promise<{ v1: string; v2: string }> {
  const base = mixedModelBytes(8 * 1024 * 1024, 21);
  const changed = Buffer.from(base);
  changed.write("revision 2 header", 0);
  pseudoRandomBytes(64 * 1024, 22).copy(changed, 4 * 1024 * 1024);
  const v1 = join(dir, "v1");
  const v2 = join(dir, "v2");
  for (const [folder, data] of [[v1, base], [v2, changed]] as const) {
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, "weights.bin"), data);
    await writeFile(join(folder, "config.json"), `{"revision": "${folder.slice(-2)}"}\n`);
  }
  return { v1, v2 };
}

export { listingOf } from "./xet-fixture";

export function contentOf(hub: LocalHub, repo: string, path: string, revision = "main"): Buffer {
  return readFileSync(resolveRevision(hub.ctx.repos.get(repo)!, revision)!.files.get(path)!.source);
}

/** Compression scheme of every chunk record of a stored xorb. */
export function xorbSchemes(hub: LocalHub, xorb: string): number[] {
  const info = hub.ctx.xet.xorbInfo(xorb)!;
  const bytes = readFileSync(info.path);
  return info.chunkEnds.map((_, k) => bytes[(k === 0 ? 0 : info.chunkEnds[k - 1]) + 4]);
}

export function xorbBytes(hub: LocalHub): number {
  return hub.ctx.log.filter((e) => e.route === "xorb" && e.status < 300).reduce((n, e) => n + e.bytes, 0);
}

export interface EngineRun {
  params: EngineFileParams;
  logs: string[];
  progress: Array<[number, number]>;
}

/** Parameters for a direct engine call on one file of `repo`. */
export function engineParams(hub: LocalHub, repo: string, path: string, partialPath: string, extra: Partial<EngineFileParams> = {}): EngineRun {
  const { commit, files } = listingOf(hub, repo);
  const file = files.find((f) => f.path === path)!;
  const logs: string[] = [];
  const progress: Array<[number, number]> = [];
  const signal = extra.signal ?? new AbortController().signal;
  const params: EngineFileParams = {
    endpoint: hub.url,
    token: "hf_engine_test_token",
    repo,
    commit,
    path,
    size: file.lfs!.size,
    sha256: file.lfs!.oid,
    partialPath,
    offset: 0,
    signal,
    fetch: (input, init) => fetch(input, { ...init, signal }),
    stallTimeoutMs: 10_000,
    onProgress: (done, fresh) => progress.push([done, fresh]),
    onActivity: () => {},
    log: (level, message) => logs.push(`${level}: ${message}`),
    ...extra,
  };
  return { params, logs, progress };
}

export { downloadXetFile };
