// Include/exclude selection of repo files with picomatch, shared by the service, the CLI preview and
// the extension's file picker so a pattern means the same thing everywhere.
import picomatch from "picomatch";

export interface SelectFilesOptions<T extends { path: string }> {
  files: readonly T[];
  /** Empty or missing = every file. */
  include?: readonly string[];
  exclude?: readonly string[];
}

/**
 * Keeps files matching any include pattern and no exclude pattern. As in `.gitignore` and git-lfs `-I`:
 * a pattern without a slash matches the file name in any folder (`*.gguf` also selects `q/x.gguf`),
 * a leading `/` anchors it at the repo root, `dir/` means everything under `dir`. Dot files match too.
 */
export function selectFiles<T extends { path: string }>({ files, include = [], exclude = [] }: SelectFilesOptions<T>): T[] {
  const inc = matcher(include);
  const exc = matcher(exclude);
  return files.filter((f) => (inc ? inc(f.path) : true) && !(exc?.(f.path) ?? false));
}

/** True when the request narrows the file set (so the LFS route uses a sparse checkout). */
export function hasSelection({ include = [], exclude = [] }: { include?: readonly string[]; exclude?: readonly string[] }): boolean {
  return include.some((p) => p.trim() !== "") || exclude.some((p) => p.trim() !== "");
}

function matcher(patterns: readonly string[]): ((path: string) => boolean) | undefined {
  const tests: Array<(path: string) => boolean> = [];
  for (let p of patterns.map((x) => x.trim())) {
    if (p === "") continue;
    if (p.endsWith("/")) p = `${p}**`;
    if (p.startsWith("/")) {
      tests.push(picomatch(p.replace(/^\/+/, ""), { dot: true }));
    } else if (!p.includes("/")) {
      const byName = picomatch(p, { dot: true });
      tests.push((path) => byName(path.slice(path.lastIndexOf("/") + 1)));
    } else {
      tests.push(picomatch(p, { dot: true }));
    }
  }
  return tests.length === 0 ? undefined : (path) => tests.some((t) => t(path));
}
