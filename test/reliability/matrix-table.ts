// The fault matrix as data: every fault switch of the local Hub alone and in pairs, crossed with the three
// ways a download can run, and the outcome each case must end in (derived from what each fault breaks).
import { FAULTS, type FaultName } from "../../hub/context";
import type { DownloadErrorCode, DownloadMethod } from "../../src/core/download/types";

export type RouteConfig = "lfs" | "xet" | "xet+fallback";
export const ROUTE_CONFIGS: readonly RouteConfig[] = ["lfs", "xet", "xet+fallback"];

export interface MatrixCase {
  /** e.g. `xet+fallback | cas-unavailable + xorb-stall` */
  id: string;
  faults: FaultName[];
  route: RouteConfig;
}

export type Expected = { ok: true; method: DownloadMethod; fallback: boolean } | { ok: false; code: DownloadErrorCode };

/** What each fault does to the Xet route when it is on alone; in order of precedence (earlier fails first). */
const XET_FAILURES: Array<[FaultName, DownloadErrorCode]> = [
  ["token-error", "xet-unavailable"], // no Xet read token: nothing else is asked
  ["cas-unavailable", "server"], // no reconstruction: no xorb is fetched
  ["xorb-reset", "network"],
  ["xorb-stall", "stalled"],
  ["xorb-corrupt", "integrity"],
];

/** Faults a retry, a re-query or patience heals on the Xet route. */
export const XET_HEALED: FaultName[] = ["url-expired", "rate-limit", "slow", "git-unavailable"];

/** Faults that break the Git LFS route for good (the others are healed by git-lfs or do not touch it). */
const LFS_FAILURES: Array<[FaultName, DownloadErrorCode]> = [["git-unavailable", "server"]];

function firstFailure(faults: FaultName[], table: Array<[FaultName, DownloadErrorCode]>): DownloadErrorCode | undefined {
  return table.find(([fault]) => faults.includes(fault))?.[1];
}

export function expectedOutcome(faults: FaultName[], route: RouteConfig): Expected {
  const lfsFailure = firstFailure(faults, LFS_FAILURES);
  if (route === "lfs") return lfsFailure ? { ok: false, code: lfsFailure } : { ok: true, method: "lfs", fallback: false };
  const xetFailure = firstFailure(faults, XET_FAILURES);
  if (!xetFailure) return { ok: true, method: "xet", fallback: false };
  if (route === "xet") return { ok: false, code: xetFailure };
  return lfsFailure ? { ok: false, code: lfsFailure } : { ok: true, method: "lfs", fallback: true };
}

/** Every fault alone, then every unordered pair. */
export function faultSets(): FaultName[][] {
  const sets: FaultName[][] = FAULTS.map((f) => [f]);
  FAULTS.forEach((a, i) => FAULTS.slice(i + 1).forEach((b) => sets.push([a, b])));
  return sets;
}

export function matrixCases(): MatrixCase[] {
  return faultSets().flatMap((faults) => ROUTE_CONFIGS.map((route) => ({ id: `${route} | ${faults.join(" + ")}`, faults, route })));
}

export function describeExpected(e: Expected): string {
  return e.ok ? `verified via ${e.method}${e.fallback ? " after fallback" : ""}` : `DownloadError ${e.code}`;
}
