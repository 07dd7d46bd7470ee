// Turns a failed git / git-lfs command into one DownloadError with a message that says what to do,
// recognising auth, missing repo or revision, server and network failures from git's stderr (LC_ALL=C).
import { cancelledError, DownloadError, type DownloadErrorCode } from "../errors";
import { redact } from "../hub/token";
import { certificateError, isCertificateError } from "../net/proxy";

export interface GitFailure {
  err: unknown;
  /** What we were doing, e.g. "git clone", "git lfs fetch". */
  step: string;
  repo: string;
  endpoint: string;
  revision?: string;
  token?: string;
  signal?: AbortSignal;
}

interface Rule {
  test: RegExp;
  code: DownloadErrorCode;
  message(f: GitFailure): string;
}

const page = (f: GitFailure) => `${f.endpoint}/${f.repo}`;

const RULES: Rule[] = [
  {
    // git's own index writer says "Out of diskspace" (csum-file.c) where other writes carry strerror.
    test: /No space left on device|ENOSPC|EDQUOT|Disk quota exceeded|Out of diskspace|not enough space/i,
    code: "disk-full",
    message: () => "The disk is full. Free some space (or choose another models folder) and run the download again; files already finished are kept, the partial one was removed to give its space back.",
  },
  {
    test: /Permission denied|EACCES|Read-only file system|could not create (work tree|leading) dir|: not a directory|ENOTDIR/i,
    code: "not-writable",
    message: () => "Git cannot write to the model folder. Choose a models folder you can write to.",
  },
  {
    test: /Maximum \(\d+\) redirects followed|redirect loop|too many redirects/i,
    code: "server",
    message: (f) => `The Hub at ${f.endpoint} redirected git in a loop during ${f.step}. Check the endpoint (HF_ENDPOINT) and try again later.`,
  },
  {
    // With a token, git runs with http.followRedirects=false (env.ts): a redirect could carry the token elsewhere.
    test: /returned error: 30[12378]\b/i,
    code: "server",
    message: (f) => `The Hub answered git for ${f.repo} with a redirect; HF Models does not follow git redirects while it sends your token, so it cannot leak to another host. If the repository was renamed or moved, download it under its new id.`,
  },
  {
    test: /couldn't find remote ref|unknown revision|did not match any|not our ref|invalid reference|bad revision|no such remote ref|not a valid (commit|object)|upload-pack: not our ref/i,
    code: "revision-not-found",
    message: (f) => `Revision ${JSON.stringify(f.revision ?? "")} does not exist in ${f.repo}. Check the branch, tag or commit at ${page(f)}.`,
  },
  {
    test: /\b403\b|Forbidden/i,
    code: "gated",
    message: (f) => `The Hub refused access to ${f.repo} (403). If it is a gated model, accept its terms at ${page(f)} and use a token that has access.`,
  },
  {
    test: /\b401\b|Authentication failed|Authentication required|could not read Username|terminal prompts disabled|Unauthorized|LFS-Authenticate/i,
    code: "unauthorized",
    message: (f) =>
      f.token
        ? `The Hub rejected the access token for ${f.repo} (401). Check that the token is valid and can read this repository.`
        : `${f.repo} needs an access token (401).`,
  },
  {
    test: /\b404\b|repository .* not found|Repository not found|Not Found|does not appear to be a git repository/i,
    code: "not-found",
    message: (f) => `${f.repo} was not found on ${f.endpoint} (404). Check the repository id.`,
  },
  {
    test: /expected OID|got [0-9a-f]{64} after|Smudge error|checksum|corrupt/i,
    code: "integrity",
    message: () => "Git LFS received data that does not match its checksum. Run the download again; the damaged object is fetched anew.",
  },
  {
    test: /\b(500|502|503|504)\b|Service Unavailable|Bad Gateway|Gateway Time-?out|Internal Server Error|temporarily unavailable|\b429\b|Too Many Requests/i,
    code: "server",
    message: (f) => `The Hub's git service failed while running ${f.step} (${statusOf(f)}). Try again in a few minutes; the download resumes.`,
  },
  {
    test: /Could not resolve host|Failed to connect|Connection refused|Connection reset|connection.*(closed|reset)|timed out|Timeout|unexpected disconnect|early EOF|RPC failed|transfer closed|EOF|broken pipe|network is unreachable|dial tcp|TLS|SSL/i,
    code: "network",
    message: (f) => `The connection to ${f.endpoint} failed during ${f.step}. Check your network (and proxy settings) and run the download again; it resumes.`,
  },
  {
    // git-lfs' summary when object downloads failed without a clearer line (e.g. 403 on an expired href).
    test: /Failed to fetch some objects/i,
    code: "server",
    message: (f) => `Git LFS could not download some files of ${f.repo} from the Hub's storage. Try again in a few minutes; the download resumes.`,
  },
];

function statusOf(f: GitFailure): string {
  const text = rawText(f.err);
  const m = /\b(429|500|502|503|504)\b/.exec(text);
  return m ? `HTTP ${m[1]}` : "server error";
}

function rawText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The last meaningful lines of git's output, token removed, for the `cause` and debug logs. */
export function gitOutputSummary(err: unknown, token?: string): string {
  const text = redact(rawText(err), token);
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !/^(Downloading|Filtering content|Receiving|Resolving|remote:\s*(Counting|Compressing|Enumerating|Total))/i.test(l));
  return lines.slice(-4).join(" | ").slice(0, 600);
}

export function mapGitError(f: GitFailure): DownloadError {
  if (f.err instanceof DownloadError) return f.err;
  if (f.signal?.aborted) return cancelledError(f.err);
  const text = rawText(f.err);
  const summary = gitOutputSummary(f.err, f.token);
  // The cause keeps git's words (redacted) for logs; the original error could contain the token.
  const cause = new Error(`${f.step}: ${summary}`);
  const detail = { host: failedHost(text, f.endpoint) };
  // An untrusted certificate (git: "SSL certificate problem", git-lfs: "x509: …") is not a network failure.
  if (isCertificateError(new Error(text))) return certificateError(detail.host ?? f.endpoint, cause);
  for (const rule of RULES) {
    if (rule.test.test(text)) return new DownloadError(rule.code, rule.message(f), { cause, detail });
  }
  return new DownloadError("internal", `${f.step} failed: ${summary}`, { cause, detail });
}

/** The host (`name:port`) git or curl named in its output (the one really asked), else the endpoint's. */
export function failedHost(text: string, endpoint: string): string | undefined {
  const connect = /Failed to connect to ([^\s]+) port (\d+)/i.exec(text);
  if (connect) return `${connect[1]}:${connect[2]}`;
  const url = /\bhttps?:\/\/([^/\s'"]+)/i.exec(text);
  if (url) return url[1]!.replace(/^[^@]*@/, "");
  try {
    return new URL(endpoint).host;
  } catch {
    return undefined;
  }
}
