// One attempt of the Xet route's file job through the engine: find the verified prefix of the partial, let the
// engine fill the rest, verify size + SHA-256, and classify failures exactly as the stock-client path does.
import { closeSync, openSync } from "node:fs";
import { mkdir, readFile, rm, stat, truncate } from "node:fs/promises";
import { dirname } from "node:path";
import { ClassifiedFailure, classifyFailure, IntegrityMismatch } from "../errors";
import type { FileJobParams } from "../fileJob";
import type { ExpectedContent } from "../hashing";
import { createTransport } from "../transport";
import { DataFailure, downloadXetFile, landedNotePath, StallError, type EngineOptions } from "./download";
import { sharedPool } from "./pool";

/** `HF_MODELS_XET_ENGINE=stock` keeps the stock @huggingface/hub XetBlob path (for comparisons). */
export function engineEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.HF_MODELS_XET_ENGINE !== "stock";
}

/** Engine settings for the route; tests and the benchmark may adjust them. */
export const routeEngineOptions: EngineOptions = {};

export async function engineAttempt(params: FileJobParams, expected: ExpectedContent, tally: { received: number }): Promise<void> {
  const { file, target } = params;
  await mkdir(dirname(target.partial), { recursive: true });
  let { offset, landed } = await resumeState(target.partial);
  if (offset > expected.size || landed.some(([, e]) => e > expected.size)) {
    await rm(target.partial, { force: true });
    offset = 0;
    landed = [];
  }
  const onDisk = offset + landed.reduce((n, [s, e]) => n + e - s, 0);
  if (onDisk > offset) params.log("info", `resuming ${file.path} with ${onDisk} of ${expected.size} bytes on disk`);
  else if (offset > 0) params.log("info", `resuming ${file.path} at ${offset} of ${expected.size} bytes`);
  params.onProgress(onDisk, 0);

  const controller = new AbortController();
  const signal = AbortSignal.any([params.signal, controller.signal]);
  let stalled = false;
  const watchdog = setTimeout(() => {
    stalled = true;
    controller.abort(new Error("stalled"));
  }, params.stallTimeoutMs);
  const transport = createTransport({ hubOrigin: new URL(params.endpoint).origin, signal, onActivity: () => watchdog.refresh() });
  try {
    if (offset === expected.size) {
      const digest = await hashPrefix(target.partial, expected.size);
      return verify(digest, expected, offset);
    }
    const result = await downloadXetFile({
      endpoint: params.endpoint,
      token: params.token,
      repo: params.repo,
      commit: params.commit,
      path: file.path,
      size: expected.size,
      sha256: expected.hash,
      partialPath: target.partial,
      offset,
      resumeLanded: landed,
      finalPath: target.final,
      signal,
      fetch: transport.fetch,
      stallTimeoutMs: params.stallTimeoutMs,
      onProgress: (doneBytes, newBytes) => {
        watchdog.refresh();
        tally.received += newBytes;
        params.onProgress(doneBytes, newBytes);
      },
      onActivity: () => watchdog.refresh(),
      log: params.log,
      options: routeEngineOptions,
    });
    verify(result.digest, expected, result.landed);
  } catch (err) {
    if (err instanceof IntegrityMismatch || params.signal.aborted) throw err;
    const fromData = err instanceof StallError || err instanceof DataFailure;
    const classified = classifyFailure(err, {
      path: file.path,
      stalled: stalled || err instanceof StallError,
      stallTimeoutMs: params.stallTimeoutMs,
      failure: fromData ? undefined : transport.openFailure(),
      host: fromData ? err.host : transport.lastHost(),
      token: params.token,
    });
    throw new ClassifiedFailure(classified, err);
  } finally {
    clearTimeout(watchdog);
    if (!signal.aborted) controller.abort();
  }
}

function verify(digest: string, expected: ExpectedContent, written: number): void {
  if (written !== expected.size) throw new IntegrityMismatch(`got ${written} bytes, expected ${expected.size}`);
  if (digest !== expected.hash) throw new IntegrityMismatch(`expected ${expected.kind} ${expected.hash}, got ${digest}`);
}

/**
 * What of the partial is known to be right. The engine writes out of order and keeps `<partial>.landed` naming the
 * ranges written so far (noted every 200 ms while running, exactly when it stops), so a run killed with SIGKILL
 * re-fetches only what landed after the last note. Without a note the partial was written in order (stock path).
 * Returns the contiguous prefix from 0 and the other landed ranges beyond it.
 */
export async function resumeState(partial: string): Promise<{ offset: number; landed: Array<[number, number]> }> {
  const info = await stat(partial).catch(() => undefined);
  const size = info?.isFile() ? info.size : 0;
  const text = await readFile(landedNotePath(partial), "utf8").catch(() => undefined);
  if (text === undefined) return { offset: size, landed: [] };
  let flat: unknown;
  try {
    flat = (JSON.parse(text) as { landed?: unknown }).landed;
  } catch {
    flat = undefined;
  }
  if (!Array.isArray(flat) || flat.length % 2 !== 0 || !flat.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    await truncate(partial, 0).catch(() => {});
    return { offset: 0, landed: [] };
  }
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < flat.length; i += 2) if (flat[i] < Math.min(flat[i + 1], size)) ranges.push([flat[i], Math.min(flat[i + 1], size)]);
  const offset = ranges[0]?.[0] === 0 ? ranges.shift()![1] : 0;
  return { offset, landed: ranges };
}

async function hashPrefix(path: string, length: number): Promise<string> {
  const fd = openSync(path, "r");
  try {
    const event = await sharedPool().call({ op: "sha256-fd", fd, length });
    if (event.type !== "digest") throw new Error(`could not hash ${path}`);
    return event.hex;
  } finally {
    closeSync(fd);
  }
}
