// "Make Available to Python": a model downloaded into a folder also appears in the standard Hugging Face cache,
// so transformers, diffusers and the hf tools find it offline. Each file is hard-linked into the cache (the same
// inode: no extra disk) and becomes a blob with its snapshot link and ref, exactly as a cache download leaves it.
// Where hard links are impossible (another filesystem), nothing is copied unless the caller asks for copies.
import { copyFile, link, lstat, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { acquireModelLock } from "../download/lock";
import { editedSinceRecord } from "../download/onDisk";
import { DownloadError } from "../errors";
import { parseRepoId } from "../hub/repoId";
import { readRecord } from "../library/metadata";
import { cacheRepoDir, commitToCache, hfHubCacheDir } from "./hfCache";

export interface LinkToCacheResult {
  /** `<cache>/models--org--name/snapshots/<commit>`. */
  snapshot: string;
  /** Files that share their inode with the model folder's. */
  linked: number;
  /** Files copied (only with `copy`, across filesystems). */
  copied: number;
  /** Bytes the copies take. */
  copiedBytes: number;
}

export async function linkModelIntoCache(options: {
  modelDir: string;
  /** Default: `HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
  cacheDir?: string;
  /** Copy where a hard link is impossible; without it such a file fails with `cross-device`. */
  copy?: boolean;
  env?: NodeJS.ProcessEnv;
  log?: (level: "info" | "warn" | "debug", message: string) => void;
}): Promise<LinkToCacheResult> {
  const { modelDir } = options;
  const cacheDir = options.cacheDir ?? hfHubCacheDir(options.env);
  const lock = await acquireModelLock({ modelDir, timeoutMs: 0 });
  try {
    const record = await readRecord(modelDir);
    if (!record) throw new DownloadError("not-found", `${modelDir} holds no finished download: finish or resume it first.`);
    // A blob is named by its content: a file that changed since the download must not be filed under the old hash.
    const changed = await editedSinceRecord({ modelDir, record });
    const missing = [];
    for (const f of record.files) if (!(await lstat(join(modelDir, ...f.path.split("/"))).catch(() => undefined))) missing.push(f.path);
    if (changed.length + missing.length > 0) {
      throw new DownloadError("integrity", `${record.repo}: ${[...changed, ...missing].join(", ")} changed or went missing since the download. Repair the model first.`);
    }
    const repoDir = cacheRepoDir(cacheDir, parseRepoId(record.repo));
    const staging = join(repoDir, `.hf-models-link-${process.pid}`);
    await rm(staging, { recursive: true, force: true });
    let linked = 0;
    let copied = 0;
    let copiedBytes = 0;
    try {
      for (const f of record.files) {
        const source = join(modelDir, ...f.path.split("/"));
        const target = join(staging, ...f.path.split("/"));
        await mkdir(dirname(target), { recursive: true });
        try {
          await link(source, target);
          linked++;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== "EXDEV" && code !== "EPERM" && code !== "ENOTSUP") throw err;
          if (!options.copy) {
            throw new DownloadError(
              "cross-device",
              `The Hugging Face cache (${cacheDir}) is on another filesystem than ${modelDir}, so its files cannot be shared by hard links; copying them would take the space a second time.`,
              { cause: err, detail: { reason: "cross-device" } },
            );
          }
          await copyFile(source, target);
          copied++;
          copiedBytes += f.size;
        }
      }
      const snapshot = await commitToCache({ stagingDir: staging, files: record.files, commit: record.commit, revision: record.revision, log: options.log });
      options.log?.("info", `${record.repo}@${record.revision} is in the Hugging Face cache at ${snapshot} (${linked} linked, ${copied} copied)`);
      return { snapshot, linked, copied, copiedBytes };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  } finally {
    await lock.release();
  }
}
