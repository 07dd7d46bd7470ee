// `hf-models download`: resolves arguments, token and endpoint, runs the core download service and
// reports the outcome (exit 0 / 1 / 2 / 130), with one JSON line on stdout when --json is given.
import { download } from "../core/download/service";
import { DownloadError, isCancel } from "../core/errors";
import { type DownloadRequest, type DownloadResult, type ProgressEvent } from "../core/download/types";
import { resolveEndpoint } from "../core/hub/endpoint";
import { assertUrlOnEndpoint, mergeRevision, parseRepoId } from "../core/hub/repoId";
import { redact, resolveToken } from "../core/hub/token";
import { resolveModelsDir } from "../core/layout";
import { downloadSpeedLimit } from "../core/net/bandwidth";
import { USAGE, UsageError, parseCliArgs, wantsJson, type DownloadArgs } from "./args";
import { cliErrorText, xetFailedText } from "./errorText";
import { formatBytes, formatDuration } from "../core/util/format";
import { ProgressView } from "./progressView";

type Out = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface CliIo {
  argv: string[];
  env: NodeJS.ProcessEnv;
  stdout: Out;
  stderr: Out;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** Runs one CLI invocation and returns its exit code; never throws. */
export async function runCli(io: CliIo): Promise<number> {
  const json = wantsJson(io.argv);
  let token: string | undefined;
  const fail = (code: string, message: string, exitCode: number): number => {
    const safe = redact(message, token);
    io.stderr.write(`hf-models: ${safe}\n`);
    if (exitCode === EXIT_USAGE && code === "usage") io.stderr.write("Run 'hf-models --help' for usage.\n");
    if (json) io.stdout.write(`${JSON.stringify({ error: { code, message: safe } })}\n`);
    return exitCode;
  };

  let args: DownloadArgs;
  try {
    const command = parseCliArgs(io.argv);
    if (command.kind === "help") {
      io.stdout.write(USAGE);
      return EXIT_OK;
    }
    args = command.args;
  } catch (err) {
    if (err instanceof UsageError) return fail("usage", err.message, EXIT_USAGE);
    return fail("internal", (err as Error).message, EXIT_FAILED);
  }

  let request: DownloadRequest;
  try {
    const resolved = await buildRequest(args, io.env);
    token = resolved.token;
    request = resolved.request;
  } catch (err) {
    if (err instanceof DownloadError) return fail(err.code, err.message, EXIT_USAGE);
    return fail("internal", (err as Error).message, EXIT_FAILED);
  }

  const view = new ProgressView({ stream: io.stderr, interactive: io.stderr.isTTY === true, token, debug: Boolean(io.env.HF_MODELS_DEBUG) });
  const previousCap = downloadSpeedLimit.bytesPerSecond;
  downloadSpeedLimit.setBytesPerSecond(args.maxBytesPerSecond ?? 0);
  try {
    const result = await download(request, { signal: io.signal, onProgress: (e: ProgressEvent) => view.handle(e) });
    view.stop();
    io.stdout.write(json ? `${JSON.stringify(toJson(result))}\n` : summary(result));
    if (result.keptEdited) {
      // Exit 0: everything else is downloaded and recorded; these files are the user's and stay out of the record.
      const list = result.keptEdited.join(", ");
      io.stderr.write(`warning: kept ${result.keptEdited.length} file(s) you changed since the last download (not replaced, not recorded): ${list}. Run again with --overwrite-edited to replace them with the Hub's version.\n`);
    }
    return EXIT_OK;
  } catch (err) {
    view.stop();
    if (isCancel(err) || io.signal.aborted) return fail("cancelled", "cancelled", EXIT_INTERRUPTED);
    if (err instanceof DownloadError) return fail(err.code, cliErrorText(err.code, err.message), EXIT_FAILED);
    return fail("internal", `unexpected error: ${(err as Error)?.message ?? String(err)}`, EXIT_FAILED);
  } finally {
    // The cap is the process's: a caller that runs the CLI in-process gets its own back.
    downloadSpeedLimit.setBytesPerSecond(previousCap);
  }
}

async function buildRequest(args: DownloadArgs, env: NodeJS.ProcessEnv): Promise<{ request: DownloadRequest; token?: string }> {
  const repo = parseRepoId(args.repo);
  const revision = mergeRevision({ repo, explicit: args.revision });
  const endpoint = resolveEndpoint(args.endpoint, env);
  assertUrlOnEndpoint(repo, endpoint);
  const { token } = await resolveToken({ tokenFile: args.tokenFile, env });
  const request: DownloadRequest = {
    repo: repo.id,
    revision,
    include: args.include,
    exclude: args.exclude,
    ...(args.prune ? { prune: true } : {}),
    ...(args.overwriteEdited ? { overwriteEdited: true } : {}),
    method: args.useXet ? "xet" : "lfs",
    fallbackToLfs: !args.noFallback,
    modelsDir: modelsDir(args.dir, env),
    ...(args.cache ? { storage: "hfCache" as const, ...(args.cacheDir ? { cacheDir: resolveModelsDir({ configured: args.cacheDir, env, base: process.cwd() }) } : {}) } : {}),
    endpoint,
    token,
  };
  return { request, token };
}

/** `--dir`, else the default models folder (core/layout); a relative `--dir` is taken from the working folder. */
export function modelsDir(dir: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolveModelsDir({ configured: dir, env, base: process.cwd() });
}

export function toJson(r: DownloadResult): Record<string, unknown> {
  return {
    repo: r.repo,
    revision: r.revision,
    commit: r.commit,
    method: r.method,
    ...(r.fallbackReason !== undefined ? { fallbackReason: r.fallbackReason } : {}),
    files: r.files.map((f) => ({ path: f.path, size: f.size, hash: f.hash })),
    ...(r.keptEdited ? { keptEdited: r.keptEdited } : {}),
    bytes: r.bytesTransferred,
    totalBytes: r.totalBytes,
    seconds: r.seconds,
    path: r.path,
  };
}

function summary(r: DownloadResult): string {
  const via = r.method === "xet" ? "Xet" : "Git LFS";
  const fallback = r.fallbackReason ? ` after ${xetFailedText(r.fallbackReason)}` : "";
  return (
    `Downloaded ${r.repo}@${r.revision} (${r.commit.slice(0, 12)}) via ${via}${fallback}: ` +
    `${r.files.length} file${r.files.length === 1 ? "" : "s"}, ${formatBytes(r.totalBytes)} ` +
    `(${formatBytes(r.bytesTransferred)} transferred) in ${formatDuration(r.seconds)}\n${r.path}\n`
  );
}
