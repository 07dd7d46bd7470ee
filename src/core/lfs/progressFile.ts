// Follows the file git-lfs writes its transfer progress to (GIT_LFS_PROGRESS) and hands each complete
// `download <i>/<n> <done>/<total> <name>` line to the caller while `git lfs pull` runs.
import { open, type FileHandle } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";

export interface LfsProgressLine {
  direction: "download" | "checkout" | "upload";
  /** 1-based index of the file among `fileCount`. */
  index: number;
  fileCount: number;
  doneBytes: number;
  totalBytes: number;
  /** Repo-relative path as git-lfs prints it. */
  name: string;
}

/** Parses one progress line; undefined for anything else. */
export function parseLfsProgressLine(line: string): LfsProgressLine | undefined {
  const m = /^(download|checkout|upload) (\d+)\/(\d+) (\d+)\/(\d+) (.+)$/.exec(line);
  if (!m) return undefined;
  return {
    direction: m[1] as LfsProgressLine["direction"],
    index: Number(m[2]),
    fileCount: Number(m[3]),
    doneBytes: Number(m[4]),
    totalBytes: Number(m[5]),
    name: m[6]!,
  };
}

export interface ProgressTail {
  /** Reads what is left and stops following. */
  stop(): Promise<void>;
}

/** Polls `file` (created by the caller) every `intervalMs` and passes complete lines on, in order. */
export function tailLfsProgress({ file, onLine, intervalMs = 100 }: { file: string; onLine: (line: LfsProgressLine) => void; intervalMs?: number }): ProgressTail {
  let handle: FileHandle | undefined;
  let position = 0;
  let rest = "";
  let reading: Promise<void> = Promise.resolve();
  const buffer = Buffer.alloc(64 * 1024);
  // A read can end inside a multi-byte character of a file name.
  const decoder = new StringDecoder("utf8");

  const readMore = async () => {
    handle ??= await open(file, "r");
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      rest += decoder.write(buffer.subarray(0, bytesRead));
      const lines = rest.split("\n");
      rest = lines.pop()!;
      for (const line of lines) {
        const parsed = parseLfsProgressLine(line.replace(/\r$/, ""));
        if (parsed) onLine(parsed);
      }
    }
  };
  // Reads never overlap: each tick chains onto the previous one.
  const tick = () => {
    reading = reading.then(readMore).catch(() => undefined);
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref?.();

  return {
    async stop() {
      clearInterval(timer);
      tick();
      await reading;
      await handle?.close().catch(() => undefined);
      handle = undefined;
    },
  };
}
