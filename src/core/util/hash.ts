// Streaming file hashes the download routes verify against: SHA-256 for LFS/Xet content and the
// git blob id (sha1 over `blob <size>\0` + content) for small files kept in git itself.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { DownloadError } from "../errors";

export type HashKind = "sha256" | "git-sha1";

export interface HashFileOptions {
  path: string;
  kind: HashKind;
  signal?: AbortSignal;
  /** Called with the bytes of each chunk read, for verification progress. */
  onBytes?: (bytes: number) => void;
}

/** Hashes a file without loading it into memory; returns the lowercase hex digest and the size read. */
export async function hashFile({ path, kind, signal, onBytes }: HashFileOptions): Promise<{ hash: string; size: number }> {
  const { size } = await stat(path);
  const hash = createHash(kind === "sha256" ? "sha256" : "sha1");
  if (kind === "git-sha1") hash.update(`blob ${size}\0`);
  let read = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal })) {
      hash.update(chunk as Buffer);
      read += (chunk as Buffer).length;
      onBytes?.((chunk as Buffer).length);
    }
  } catch (err) {
    if (signal?.aborted) throw new DownloadError("cancelled", "Download cancelled.", { cause: err });
    throw err;
  }
  // A file that changed size while being read cannot match its git blob header; report what was read.
  return { hash: hash.digest("hex"), size: read };
}
