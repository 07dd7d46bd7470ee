// Repo paths in Hub URLs: every segment percent-encoded, so `#`, `?`, `%`, spaces and non-ASCII letters reach the
// Hub as the file's own name (an unencoded `a%20b.bin` would be read as `a b.bin`, `a#b.bin` as `a`).

/** `dir with space/a#b.bin` → `dir%20with%20space/a%23b.bin`; the "/" between segments stays. */
export function encodeRepoPath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/** `{endpoint}/{repo}/resolve/{revision}/{path}`, the one resolve URL every route asks for a file by. */
export function resolveUrl(o: { endpoint: string; repo: string; revision: string; path: string }): string {
  return `${o.endpoint}/${o.repo}/resolve/${encodeURIComponent(o.revision)}/${encodeRepoPath(o.path)}`;
}
