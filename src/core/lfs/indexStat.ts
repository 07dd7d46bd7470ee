// Records in git's index the stat data of files we placed in the working tree ourselves (hard links to verified
// LFS objects, replacing the pointer files a checkout wrote), as a smudging checkout would have recorded them.
// Without it git would see every such file as changed and re-run git-lfs' clean filter (hash + copy) on it; with a
// smudging checkout instead, each file would be copied once more. Only the stat fields of the named entries change
// (same blob ids, same layout), then the index checksum; anything unusual is left to git (returns false).
import { createHash } from "node:crypto";
import { lstat, open, rename, rm, readFile } from "node:fs/promises";
import { join } from "node:path";

/** Entry header: ctime, mtime (s, ns), dev, ino, mode, uid, gid, size (4 bytes each), then the SHA-1 and flags. */
const STAT_BYTES = 40;
const HASH_BYTES = 20;
const FLAGS_AT = STAT_BYTES + HASH_BYTES;
const EXTENDED = 0x4000;

/**
 * Rewrites the stat data of the entries for `paths` (repo-relative, `/`-separated) from the files on disk.
 * Returns false, changing nothing, for what it does not handle: index versions other than 2 and 3 (v4 compresses
 * paths), a split index, a missing entry, or an index another git process holds locked.
 */
export async function recordStatInIndex(options: { gitDir: string; modelDir: string; paths: readonly string[] }): Promise<boolean> {
  if (options.paths.length === 0) return true;
  const indexPath = join(options.gitDir, "index");
  const data = await readFile(indexPath).catch(() => undefined);
  if (!data || data.length < 12 + HASH_BYTES || data.toString("latin1", 0, 4) !== "DIRC") return false;
  const version = data.readUInt32BE(4);
  if (version !== 2 && version !== 3) return false;
  const body = data.subarray(0, data.length - HASH_BYTES);
  if (!createHash("sha1").update(body).digest().equals(data.subarray(body.length))) return false;

  const wanted = new Set(options.paths);
  let offset = 12;
  for (let i = data.readUInt32BE(8); i > 0; i--) {
    const flags = data.readUInt16BE(offset + FLAGS_AT);
    const nameAt = offset + FLAGS_AT + 2 + (version === 3 && flags & EXTENDED ? 2 : 0);
    const nameEnd = data.indexOf(0, nameAt);
    if (nameEnd < 0 || nameEnd >= body.length) return false;
    const path = data.toString("utf8", nameAt, nameEnd);
    if (wanted.delete(path)) {
      // A file gone meanwhile (deleted by someone else): git's own refresh reports it; the caller's disk check refetches it.
      const st = await lstat(join(options.modelDir, path), { bigint: true }).catch(() => undefined);
      if (!st) return false;
      const fields = [st.ctimeMs / 1000n, st.ctimeNs % 1_000_000_000n, st.mtimeMs / 1000n, st.mtimeNs % 1_000_000_000n, st.dev, st.ino];
      fields.forEach((value, k) => data.writeUInt32BE(Number(value & 0xffffffffn), offset + 4 * k));
      // Mode (offset 24) stays: it comes from the tree. uid, gid, size as git records them (truncated to 32 bits).
      data.writeUInt32BE(Number(st.uid & 0xffffffffn), offset + 28);
      data.writeUInt32BE(Number(st.gid & 0xffffffffn), offset + 32);
      data.writeUInt32BE(Number(st.size & 0xffffffffn), offset + 36);
    }
    // Entries are padded with 1 to 8 NULs to a multiple of 8 bytes.
    offset += Math.ceil((nameEnd + 1 - offset) / 8) * 8;
  }
  if (wanted.size > 0) return false;
  // Extensions follow (signature, size, data); the split-index one ("link") means entries live in another file.
  for (let at = offset; at + 8 <= body.length; at += 8 + body.readUInt32BE(at + 4)) {
    if (body.toString("latin1", at, at + 4) === "link") return false;
  }
  createHash("sha1").update(body).digest().copy(data, body.length);

  // git's own lock protocol: whoever creates index.lock owns the index until it renames or removes the lock.
  const lockPath = `${indexPath}.lock`;
  const lock = await open(lockPath, "wx").catch(() => undefined);
  if (!lock) return false;
  try {
    await lock.writeFile(data);
    await lock.close();
    await rename(lockPath, indexPath);
    return true;
  } catch (err) {
    await lock.close().catch(() => undefined);
    await rm(lockPath, { force: true });
    throw err;
  }
}
