// The one place that decides what a valid model repo id and revision look like.
// Everything that reaches git, a URL or a folder name passes through parseRepoId / validateRevision first.
import { DownloadError } from "../errors";

export interface RepoId {
  /** `org/name`, or a legacy id's bare name (`gpt2`) until the Hub names its canonical `org/name`. */
  id: string;
  /** Empty for a legacy id. */
  org: string;
  name: string;
  /**
   * A legacy id without a namespace (`gpt2`, `bert-base-uncased`): the Hub redirects it to its canonical
   * `org/name` (model info `id`), which the download uses for URLs, git and the folder (canonicalRepoId).
   */
  legacy?: true;
  /** Set when the input was a pasted `…/tree/<rev>` or `…/blob/<rev>/<path>` URL. */
  revision?: string;
  /** Set when the input was a pasted URL: its host (`name[:port]`), which must be the endpoint's (assertUrlOnEndpoint). */
  urlHost?: string;
}

const MAX_PART = 96;
// Starts and ends with a letter or digit (the Hub's `\b…\b`); `_` may also end a part.
const PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/;
const EXAMPLE = 'expected "org/name" (letters, digits, "-", "_", "."), e.g. "demo/tiny-model", or a legacy id such as "gpt2"';

/** Shows hostile input safely in a message: control characters escaped, long input shortened. */
export function quoteInput(input: string): string {
  const short = input.length > 120 ? `${input.slice(0, 117)}...` : input;
  return JSON.stringify(short);
}

function invalidRepo(input: string, why: string): DownloadError {
  return new DownloadError("invalid-repo", `Invalid repository id ${quoteInput(input)}: ${why}; ${EXAMPLE}.`);
}

function checkPart(input: string, part: string, label: "organization" | "name"): void {
  if (part.length === 0) throw invalidRepo(input, `the ${label} is empty`);
  if (part.length > MAX_PART) throw invalidRepo(input, `the ${label} is longer than ${MAX_PART} characters`);
  if (part.includes("--") || part.includes("..")) throw invalidRepo(input, `"--" and ".." are not allowed`);
  if (!PART.test(part)) throw invalidRepo(input, `the ${label} ${quoteInput(part)} has characters the Hub does not allow`);
}

/**
 * Accepts `org/name` or a pasted Hub URL (`https://<host>/org/name`, `…/tree/<rev>`, `…/blob/<rev>/<path>`,
 * `…/resolve/<rev>/<path>`, `….git`) and returns the strict id; throws `invalid-repo` otherwise.
 */
export function parseRepoId(input: string): RepoId {
  if (typeof input !== "string") throw invalidRepo(String(input), "not a string");
  // Surrounding whitespace is what a paste adds; whitespace inside is rejected below.
  const text = input.trim();
  if (text.length === 0) throw invalidRepo(input, "it is empty");
  if (text.startsWith("-")) throw invalidRepo(input, 'it must not start with "-"');
  if (/[\s\0\\]|[\x00-\x1f\x7f]/.test(text)) throw invalidRepo(input, "whitespace, control characters and backslashes are not allowed");
  if (text.includes("..")) throw invalidRepo(input, '".." is not allowed');

  let path = text;
  let revision: string | undefined;
  let urlHost: string | undefined;
  if (/^https?:\/\//i.test(text)) {
    const fromUrl = pathFromUrl(input, text);
    path = fromUrl.path;
    revision = fromUrl.revision;
    urlHost = new URL(text).host.toLowerCase();
  }
  const parts = path.split("/");
  if (parts.length === 1 && path === text) {
    // A legacy id as the Hub still serves them (`gpt2`); a URL must name org/name.
    checkPart(input, path, "name");
    if (path.toLowerCase().endsWith(".git")) throw invalidRepo(input, 'the name must not end with ".git"');
    return { id: path, org: "", name: path, legacy: true };
  }
  if (parts.length !== 2) {
    throw invalidRepo(input, parts.length < 2 ? "the organization is missing" : "it has more than two parts");
  }
  const [org, name] = parts as [string, string];
  checkPart(input, org, "organization");
  checkPart(input, name, "name");
  if (name.toLowerCase().endsWith(".git")) throw invalidRepo(input, 'the name must not end with ".git"');
  const result: RepoId = { id: `${org}/${name}`, org, name };
  if (revision !== undefined) result.revision = validateRevision(revision);
  if (urlHost !== undefined) result.urlHost = urlHost;
  return result;
}

/** huggingface.co under its other names. */
function canonicalHost(host: string): string {
  const h = host.toLowerCase();
  return h === "hf.co" || h === "www.huggingface.co" || h === "www.hf.co" ? "huggingface.co" : h;
}

/**
 * A pasted URL names its Hub: one of another host than the endpoint the download uses is an `invalid-endpoint`
 * naming both, instead of a silent download of the same id from another Hub.
 */
export function assertUrlOnEndpoint(repo: RepoId, endpoint: string): void {
  if (repo.urlHost === undefined) return;
  const endpointHost = new URL(endpoint).host;
  if (canonicalHost(repo.urlHost) === canonicalHost(endpointHost)) return;
  throw new DownloadError(
    "invalid-endpoint",
    `The URL is on ${repo.urlHost}, but the endpoint is ${endpoint} (${endpointHost}). Give only "${repo.id}" to download it from ${endpointHost}, or set the endpoint to https://${repo.urlHost}.`,
  );
}

function pathFromUrl(input: string, text: string): { path: string; revision?: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new DownloadError("invalid-repo", `Invalid repository URL ${quoteInput(input)}: it is not a valid URL.`, { cause });
  }
  if (url.username || url.password) throw invalidRepo(input, "URLs with credentials are not accepted");
  let segments = url.pathname.split("/").filter((s) => s.length > 0);
  if (segments[0] === "datasets" || segments[0] === "spaces") {
    throw invalidRepo(input, `this is a ${segments[0].slice(0, -1)} URL; only model repositories can be downloaded`);
  }
  if (segments[0] === "models") segments = segments.slice(1);
  if (segments.length < 2) throw invalidRepo(input, "the URL does not name org/name");
  const org = segments[0]!;
  const name = segments[1]!.replace(/\.git$/i, "");
  const rest = segments.slice(2);
  if (rest.length === 0) return { path: `${org}/${name}` };
  if ((rest[0] === "tree" || rest[0] === "blob" || rest[0] === "resolve") && rest.length >= 2) {
    let revision: string;
    try {
      revision = decodeURIComponent(rest[1]!);
    } catch (cause) {
      throw new DownloadError("invalid-revision", `Invalid revision in URL ${quoteInput(input)}.`, { cause });
    }
    return { path: `${org}/${name}`, revision };
  }
  throw invalidRepo(input, "the URL is not a model page (expected …/org/name, …/tree/<rev> or …/blob/<rev>/<path>)");
}

const SHA = /^[0-9a-f]{40}$/;

function invalidRevision(rev: string, why: string): DownloadError {
  return new DownloadError(
    "invalid-revision",
    `Invalid revision ${quoteInput(rev)}: ${why}. Use a branch or tag name (e.g. "main"), "refs/pr/<n>" or a 40-character commit SHA.`,
  );
}

/** Branch/tag names by `git check-ref-format` rules, `refs/pr/<n>`, or a full commit SHA; throws `invalid-revision`. */
export function validateRevision(rev: string): string {
  if (typeof rev !== "string" || rev.length === 0) throw invalidRevision(String(rev ?? ""), "it is empty");
  if (SHA.test(rev)) return rev;
  if (rev.length > 255) throw invalidRevision(rev, "it is longer than 255 characters");
  if (rev.startsWith("-")) throw invalidRevision(rev, 'it must not start with "-"');
  if (/[\x00-\x20\x7f]/.test(rev)) throw invalidRevision(rev, "spaces and control characters are not allowed");
  if (/[:~^?*[\\]/.test(rev)) throw invalidRevision(rev, 'the characters : ~ ^ ? * [ \\ are not allowed');
  if (rev.includes("..")) throw invalidRevision(rev, '".." is not allowed');
  if (rev.includes("@{")) throw invalidRevision(rev, '"@{" is not allowed');
  if (rev === "@") throw invalidRevision(rev, '"@" alone is not a revision');
  if (rev.startsWith("/") || rev.endsWith("/") || rev.includes("//")) throw invalidRevision(rev, "empty path components are not allowed");
  if (rev.endsWith(".")) throw invalidRevision(rev, 'it must not end with "."');
  for (const component of rev.split("/")) {
    if (component.startsWith(".")) throw invalidRevision(rev, 'a component must not start with "."');
    if (component.endsWith(".lock")) throw invalidRevision(rev, 'a component must not end with ".lock"');
  }
  if (rev.startsWith("refs/pr/") && !/^refs\/pr\/[1-9][0-9]*$/.test(rev)) {
    throw invalidRevision(rev, 'pull-request refs look like "refs/pr/<number>"');
  }
  return rev;
}

/**
 * The one rule for a pasted URL's revision (`…/tree/<rev>`) next to an explicitly given one: equal, or only one
 * given, is that one (validated); two different ones are an `invalid-revision` naming both; none is `undefined`.
 */
export function mergeRevision(options: { repo: RepoId; explicit?: string }): string | undefined {
  const fromUrl = options.repo.revision;
  const explicit = options.explicit === undefined ? undefined : validateRevision(options.explicit);
  if (fromUrl !== undefined && explicit !== undefined && fromUrl !== explicit) {
    throw new DownloadError(
      "invalid-revision",
      `The URL names revision ${quoteInput(fromUrl)} but the revision given is ${quoteInput(explicit)}; give only one of them.`,
    );
  }
  return explicit ?? fromUrl;
}

/** The id the Hub's model info names (after any rename redirect), checked by the same rules; never a legacy id. */
export function canonicalRepoId(hubId: unknown, asked: RepoId): RepoId {
  if (typeof hubId !== "string") return asked;
  if (hubId === asked.id && !asked.legacy) return asked;
  const parsed = parseRepoId(hubId);
  if (parsed.legacy) throw new DownloadError("server", `The Hub named ${quoteInput(hubId)} as the id of ${asked.id}; expected "org/name".`);
  return parsed;
}

export function isCommitSha(rev: string): boolean {
  return SHA.test(rev);
}
