// Runs one fault-matrix case: a download through the service against a hub with the case's faults on,
// then the folder check, the token check and the comparison with the expected outcome, as one record.
import { join } from "node:path";
import { download } from "../../src/core/download/service";
import { DownloadError } from "../../src/core/errors";
import { type DownloadResult, type ProgressEvent } from "../../src/core/download/types";
import type { RequestLogEntry } from "../../hub/context";
import type { LocalHub } from "../../hub/server";
import { filesContaining, sourceFiles } from "../core/download-helpers";
import { folderViolations } from "./helpers";
import { describeExpected, expectedOutcome, type MatrixCase } from "./matrix-table";

export interface CaseRecord {
  id: string;
  faults: string[];
  route: string;
  expected: string;
  /** "verified via xet", "verified via lfs after fallback" or "DownloadError <code>". */
  outcome: string;
  message?: string;
  fallbackReason?: string;
  /** Retries the service announced ("… retrying in X s"): the file, the announced wait and why. */
  retries: Array<{ path: string; ms: number; reason: string }>;
  requests: Record<string, number>;
  ms: number;
  violations: string[];
}

export interface CaseContext {
  hub: LocalHub;
  repo: string;
  modelsDir: string;
  env: NodeJS.ProcessEnv;
  token: string;
  stallTimeoutMs: number;
  /** Request-log time stamps (stampLog). */
  timeOf(entry: RequestLogEntry): number;
}

export async function runCase(c: MatrixCase, ctx: CaseContext): Promise<CaseRecord & { log: RequestLogEntry[]; events: Array<ProgressEvent & { at: number }> }> {
  const { hub, token } = ctx;
  hub.resetLog();
  for (const f of c.faults) hub.setFault(f, true);
  const events: Array<ProgressEvent & { at: number }> = [];
  const started = Date.now();
  let result: DownloadResult | undefined;
  let error: unknown;
  try {
    result = await download(
      {
        repo: ctx.repo,
        modelsDir: ctx.modelsDir,
        endpoint: hub.url,
        token,
        method: c.route === "lfs" ? "lfs" : "xet",
        fallbackToLfs: c.route === "xet+fallback",
        stallTimeoutMs: ctx.stallTimeoutMs,
        concurrency: 2,
      },
      { env: ctx.env, lockTimeoutMs: 30_000, onProgress: (e) => events.push({ ...e, at: Date.now() }) },
    );
  } catch (err) {
    error = err;
  }
  const ms = Date.now() - started;
  for (const f of c.faults) hub.setFault(f, false);
  const log = [...hub.ctx.log];
  const modelDir = join(ctx.modelsDir, ...ctx.repo.split("/"));
  const expected = expectedOutcome(c.faults, c.route);
  const violations = await folderViolations({ hub, repo: ctx.repo, modelDir, result });

  let outcome: string;
  let message: string | undefined;
  if (result) {
    outcome = `verified via ${result.method}${result.fallbackReason !== undefined ? " after fallback" : ""}`;
    const fallbacks = events.filter((e) => e.type === "fallback");
    if ((result.fallbackReason !== undefined) !== (fallbacks.length === 1)) violations.push("fallbackReason and fallback events disagree");
  } else if (error instanceof DownloadError) {
    outcome = `DownloadError ${error.code}`;
    message = error.message;
    if (error.code === "internal") violations.push(`an internal error instead of a named cause: ${error.message}`);
    if (error.message.trim().length < 10) violations.push("the error message says nothing");
    const fellBack = events.find((e) => e.type === "fallback");
    if (fellBack && !error.message.startsWith(`Xet failed (${fellBack.reason}), then Git LFS failed: `)) violations.push("after a fallback the error does not name both failures");
  } else {
    outcome = `not a DownloadError: ${String(error)}`;
    violations.push(outcome);
  }
  if (outcome !== describeExpected(expected)) violations.push(`expected ${describeExpected(expected)}, got ${outcome}${message ? ` (${message})` : ""}`);
  for (const e of log) if (e.origin === "cdn" && e.auth === "hub-token") violations.push(`the Hub token went to the cdn origin: ${e.method} ${e.route}`);
  if (message?.includes(token) || result?.fallbackReason?.includes(token)) violations.push("the token appears in the error or fallback reason");
  if (events.some((e) => e.type === "log" && e.message.includes(token))) violations.push("the token appears in a log event");
  const leaked = await filesContaining(modelDir, token).catch(() => []);
  if (leaked.length > 0) violations.push(`the token is on disk in ${leaked.join(", ")}`);

  const requests: Record<string, number> = {};
  for (const e of log) requests[`${e.route} ${e.status}`] = (requests[`${e.route} ${e.status}`] ?? 0) + 1;
  const paths = [...sourceFiles(hub, ctx.repo).keys()].sort((a, b) => b.length - a.length);
  const retries = events.flatMap((e) => {
    const m = e.type === "log" && e.level === "warn" ? /^(.*?);? retrying in ([\d.]+) s/.exec(e.message) : null;
    if (!m) return [];
    const path = paths.find((p) => m[1]!.includes(p)) ?? "?";
    return [{ path, ms: Math.round(Number(m[2]) * 1000), reason: m[1]!.replace(`${path}: `, "") }];
  });
  return {
    id: c.id,
    faults: c.faults,
    route: c.route,
    expected: describeExpected(expected),
    outcome,
    ...(message !== undefined ? { message } : {}),
    ...(result?.fallbackReason !== undefined ? { fallbackReason: result.fallbackReason } : {}),
    retries,
    requests,
    ms,
    violations,
    log,
    events,
  };
}
