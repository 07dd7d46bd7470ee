// Files for tests: throw-away folders under the system temp folder, and the SHA-256 of a file or of bytes,
// the digest every byte-exact check compares.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TempDir {
  path: string;
  cleanup(): Promise<void>;
}

/** A fresh folder `<tmp>/<prefix>XXXXXX`; `cleanup()` removes it and everything in it. */
export async function tempDir(prefix = "hf-test-"): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** Hex SHA-256 of a file, streamed (model files can be large). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Hex SHA-256 of bytes or text. */
export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Git blob id (SHA-1 of `blob <size>\0<bytes>`), computed independently of git. */
export function gitBlobId(content: Uint8Array | string): string {
  const buf = typeof content === "string" ? Buffer.from(content) : content;
  return createHash("sha1").update(`blob ${buf.length}\0`).update(buf).digest("hex");
}
