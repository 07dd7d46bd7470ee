// One attempt of the route's file job through the engine: find the verified prefix of the partial, let the
// engine fill the rest, and verify size + SHA-256 (the frame in ../attempt.ts watches stalls and classifies).
import { closeSync, openSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { inAttemptFrame, verify, type Attempt } from "../attempt";
import { defaultChunkMapDir } from "./reuse";
import { downloadXetFile, type EngineOptions } from "./download";
import { resumeState } from "./landedNote";
import { sharedPool, type WorkerPool } from "./pool";

export const engineAttempt: Attempt = async (params, expected, tally) => {
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

  const options: EngineOptions = { ...params.engine, chunkMapDir: params.engine?.chunkMapDir ?? defaultChunkMapDir(params.env) };
  await inAttemptFrame(params, async ({ signal, fetch, touch }) => {
    if (offset === expected.size) {
      const digest = await hashPrefix(options.pool ?? sharedPool(), target.partial, expected.size);
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
      fetch,
      stallTimeoutMs: params.stallTimeoutMs,
      onProgress: (doneBytes, newBytes) => {
        touch();
        tally.received += newBytes;
        params.onProgress(doneBytes, newBytes);
      },
      onActivity: touch,
      log: params.log,
      onRateLimit: params.onRateLimit,
      options,
    });
    verify(result.digest, expected, result.landed);
  });
};

async function hashPrefix(pool: WorkerPool, path: string, length: number): Promise<string> {
  const fd = openSync(path, "r");
  try {
    const event = await pool.call({ op: "sha256-fd", fd, length });
    if (event.type !== "digest") throw new Error(`could not hash ${path}`);
    return event.hex;
  } finally {
    closeSync(fd);
  }
}
