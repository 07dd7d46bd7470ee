// Exact-path patterns for the two places git takes patterns instead of paths: the non-cone
// sparse-checkout file (gitignore syntax) and git-lfs `--include` (comma-separated wildmatch).

/** One sparse-checkout line selecting exactly `path` (anchored, glob characters and trailing spaces escaped). */
export function sparseLine(path: string): string {
  const escaped = path.replace(/[*?[\]!#]/g, (c) => `\\${c}`);
  return `/${escaped.replace(/ +$/, (spaces) => spaces.replace(/ /g, "\\ "))}`;
}

/** The whole sparse-checkout file for a selection. */
export function sparseCheckoutFile(paths: readonly string[]): string {
  return `${paths.map(sparseLine).join("\n")}\n`;
}

/**
 * A git-lfs include pattern for exactly `path` (git-lfs 3.x wildmatch, checked against git-lfs 3.3):
 * - `*`, `?`, `[`, `]` and `#` are escaped with a backslash (a backslash before any other character matches
 *   nothing, so `!`, `{`, `}` stay literal, which they are there);
 * - git-lfs splits the list at commas and has no escape for them: a comma becomes `?` (any one character but
 *   "/"), the one place where the pattern may also match another name;
 * - git-lfs trims each pattern: trailing spaces become `[ ]`;
 * - the leading "/" anchors the pattern at the root, so `model.bin` does not also select `sub/model.bin`.
 * Paths with a backslash or control characters never get here (util/safePaths refuses them).
 */
export function lfsIncludePattern(path: string): string {
  const escaped = path.replace(/[*?[\]#]/g, (c) => `\\${c}`).replace(/,/g, "?");
  return `/${escaped.replace(/\s+$/, (spaces) => [...spaces].map((c) => `[${c}]`).join(""))}`;
}

export function lfsIncludeList(paths: readonly string[]): string {
  return paths.map(lfsIncludePattern).join(",");
}

/**
 * The include list cut into lists of at most `maxChars` each, one `git lfs fetch` per list: Linux caps one argument
 * at 128 KiB (MAX_ARG_STRLEN), and a selection of a few thousand files makes one list longer than that.
 */
export function lfsIncludeBatches(paths: readonly string[], maxChars = 64 * 1024): string[] {
  const batches: string[] = [];
  let current = "";
  for (const pattern of paths.map(lfsIncludePattern)) {
    if (current !== "" && current.length + 1 + pattern.length > maxChars) {
      batches.push(current);
      current = "";
    }
    current = current === "" ? pattern : `${current},${pattern}`;
  }
  if (current !== "") batches.push(current);
  return batches;
}
