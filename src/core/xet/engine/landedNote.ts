// The note beside an engine partial naming the byte ranges already written: the engine writes it while running and
// when it stops, a rerun reads it to fetch only the gaps (positional writes leave holes until a file completes).
import { readFile, stat, truncate } from "node:fs/promises";
import type { IntervalSet } from "./plan";

/** The note beside a partial naming the byte ranges already written (what a crashed or stopped run leaves). */
export function landedNotePath(partialPath: string): string {
  return `${partialPath}.landed`;
}

export function landedNote(landed: IntervalSet): string {
  return JSON.stringify({ landed: landed.toFlat() });
}

/**
 * What of the partial is known to be right. The engine writes out of order and keeps `<partial>.landed` naming the
 * ranges written so far (noted every 200 ms while running, exactly when it stops), so a run killed with SIGKILL
 * re-fetches only what landed after the last note. Without a note the partial was written in order.
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
