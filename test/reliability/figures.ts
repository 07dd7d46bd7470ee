// Measured figures of the reliability suites (crash-resume re-fetch, memory, event-loop delay), merged into
// test-artifacts/reliability-figures.json so docs/RELIABILITY.md can quote the numbers of a real run.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "../helpers/hub";

export const FIGURES_ARTIFACT = join(ROOT, "test-artifacts", "reliability-figures.json");

let queue: Promise<void> = Promise.resolve();

/** Stores `value` under `group` / `key`, keeping every other figure already in the file. */
export function recordFigure(group: string, key: string, value: unknown): Promise<void> {
  queue = queue.then(async () => {
    await mkdir(join(ROOT, "test-artifacts"), { recursive: true });
    const all = JSON.parse(await readFile(FIGURES_ARTIFACT, "utf8").catch(() => "{}")) as Record<string, Record<string, unknown>>;
    all[group] = { ...all[group], [key]: { ...(value as object), measuredAt: new Date().toISOString() } };
    await writeFile(FIGURES_ARTIFACT, `${JSON.stringify(all, null, 2)}\n`);
  });
  return queue;
}
