// Runs `git http-backend` as a CGI program for one request: request body to its stdin, its CGI headers
// (including `Status:`) to the HTTP response head, the rest streamed as the body.
import { spawn } from "node:child_process";
import { basename, dirname } from "node:path";
import type { HubReq } from "../context";
import { drainedOrClosed, hubError } from "../context";
import type { HubRepo } from "../model";
import { isolatedGitEnv } from "./exec";

export interface HttpBackendOptions {
  r: HubReq;
  repo: HubRepo;
  /** Path inside the repo, e.g. `info/refs` or `git-upload-pack`. */
  subPath: string;
}

export async function runHttpBackend({ r, repo, subPath }: HttpBackendOptions): Promise<void> {
  const { req, res, url } = r;
  const header = (name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(", ") : v;
  };
  // Project root = the repo's parent folder, so this works wherever the loader put the bare repo.
  const env = isolatedGitEnv({
    GIT_PROJECT_ROOT: dirname(repo.gitDir),
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: `/${basename(repo.gitDir)}/${subPath}`,
    REQUEST_METHOD: req.method ?? "GET",
    QUERY_STRING: url.search.replace(/^\?/, ""),
    CONTENT_TYPE: header("content-type") ?? "",
    CONTENT_LENGTH: header("content-length"),
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
    GIT_PROTOCOL: header("git-protocol"),
    HTTP_CONTENT_ENCODING: header("content-encoding"),
  });
  const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
  const stderr: Buffer[] = [];
  child.stderr.on("data", (d: Buffer) => stderr.push(d));
  const exited = new Promise<number | null>((resolve) => {
    child.on("close", (code) => resolve(code));
    child.on("error", () => resolve(null));
  });
  child.stdin.on("error", () => undefined);
  req.pipe(child.stdin);
  res.on("close", () => {
    if (child.exitCode === null) child.kill();
  });

  let pending: Buffer | undefined = Buffer.alloc(0);
  let status = 0;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let body = chunk;
      if (pending) {
        pending = Buffer.concat([pending, chunk]);
        const head = parseCgiHead(pending);
        if (!head) continue;
        status = head.status;
        res.writeHead(status, head.headers);
        body = pending.subarray(head.bodyStart);
        pending = undefined;
      }
      if (body.length > 0 && !res.write(body)) await drainedOrClosed(res);
      if (res.destroyed) break;
    }
  } catch {
    // stdout broke (process killed because the client went away); handled below.
  }
  const code = await exited;
  if (pending) {
    const why = Buffer.concat(stderr).toString().trim() || `exit code ${code}`;
    hubError(res, 500, `git http-backend produced no response: ${why}`);
  } else if (code !== 0 && status < 400) {
    // A failure after a 200 head: cut the connection so git sees a broken transfer, not a short pack.
    res.destroy();
  } else res.end();
}

/** Parses the CGI header block once it is complete: `Status:` becomes the HTTP status. */
function parseCgiHead(buf: Buffer): { status: number; headers: Record<string, string>; bodyStart: number } | undefined {
  const crlf = buf.indexOf("\r\n\r\n");
  const lf = buf.indexOf("\n\n");
  const [end, sepLen] = crlf >= 0 && (lf < 0 || crlf < lf) ? [crlf, 4] : [lf, 2];
  if (end < 0) return undefined;
  const headers: Record<string, string> = {};
  let status = 200;
  for (const line of buf.subarray(0, end).toString("latin1").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers, bodyStart: end + sepLen };
}
