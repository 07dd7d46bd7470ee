// git-lfs writes an error log (`.git/lfs/logs/*.log`) that includes every GIT_* environment variable,
// and so our GIT_CONFIG_VALUE_n header with the token. We redact those files after every run.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { redact } from "../hub/token";

/** Replaces the token (and any Bearer header) in git-lfs' log files; returns how many files were rewritten. */
export async function scrubLfsLogs(gitDir: string, token: string | undefined): Promise<number> {
  if (!token) return 0;
  const dir = join(gitDir, "lfs", "logs");
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let rewritten = 0;
  for (const name of names) {
    const file = join(dir, name);
    let text: string;
    try {
      text = await readFile(file, "latin1");
    } catch {
      continue;
    }
    if (!text.includes(token)) continue;
    await writeFile(file, redact(text, token), "latin1");
    rewritten++;
  }
  return rewritten;
}
