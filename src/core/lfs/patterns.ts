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
 * A git-lfs include pattern for exactly `path`. git-lfs splits the list at commas and has no escape for
 * them, so every special character becomes `?` (any one character except "/"). The leading "/" anchors
 * the pattern at the root, so `model.bin` does not also select `sub/model.bin`.
 */
export function lfsIncludePattern(path: string): string {
  return `/${path.replace(/[*?[\]{}\\,!]/g, "?")}`;
}

export function lfsIncludeList(paths: readonly string[]): string {
  return paths.map(lfsIncludePattern).join(",");
}
