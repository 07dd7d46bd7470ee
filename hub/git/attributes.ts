// `.gitattributes` for the local Hub's repos: the Hub's default LFS list, exact-path lines for large files,
// and a matcher that decides, as git and git-lfs would, which paths carry `filter=lfs`.
import picomatch from "picomatch";

/** The patterns the Hub writes into a new repo's `.gitattributes`. */
export const HUB_LFS_PATTERNS = [
  "*.safetensors", "*.bin", "*.gguf", "*.onnx", "*.pt", "*.pth", "*.ckpt", "*.h5", "*.msgpack", "*.pkl",
  "*.tflite", "*.tar.gz", "*.zip", "*.zst", "*.npy", "*.npz", "*.model", "*.ot", "*.parquet", "*.arrow",
  "*.joblib", "*.pb", "*.tgz", "*.xz", "*.7z", "*.bz2", "*.rar", "*tfevents*",
];

const LFS_ATTRS = "filter=lfs diff=lfs merge=lfs -text";

export function defaultGitattributes(): string {
  return HUB_LFS_PATTERNS.map((p) => `${p} ${LFS_ATTRS}\n`).join("");
}

/** A line that marks exactly `path` (anchored at the root; glob characters and spaces escaped) as LFS. */
export function exactPathLine(path: string): string {
  const escaped = path.replace(/[\\*?[\]]/g, (c) => `\\${c}`).replace(/\s/g, "[[:space:]]");
  return `/${escaped} ${LFS_ATTRS}\n`;
}

interface Rule {
  match: (path: string) => boolean;
  /** true: `filter=lfs`; false: filter unset or set to something else. */
  lfs: boolean;
}

const GLOB_OPTIONS = { dot: true, nobrace: true, noextglob: true, posix: true, windows: false };

/**
 * Parses `.gitattributes` text (root of the repo) into a function telling whether a repo path is LFS.
 * Follows gitattributes rules as far as the Hub's files need: later lines win, a pattern without `/`
 * matches the basename at any depth, one with `/` matches the whole path from the root.
 */
export function lfsMatcher(text: string): (path: string) => boolean {
  const rules: Rule[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("!")) continue;
    const [pattern, attrs] = splitPattern(line);
    const filter = attrs.find((a) => a === "-filter" || a === "!filter" || a.startsWith("filter=") || a === "filter");
    if (!filter || pattern.endsWith("/")) continue;
    rules.push({ match: compile(pattern), lfs: filter === "filter=lfs" });
  }
  return (path) => {
    for (let i = rules.length - 1; i >= 0; i--) if (rules[i].match(path)) return rules[i].lfs;
    return false;
  };
}

function splitPattern(line: string): [string, string[]] {
  if (line.startsWith('"')) {
    // C-style quoted pattern (git ≥ 2.21); enough unquoting for \" and \\.
    let i = 1;
    let pattern = "";
    for (; i < line.length && line[i] !== '"'; i++) pattern += line[i] === "\\" && i + 1 < line.length ? line[++i] : line[i];
    return [pattern, line.slice(i + 1).trim().split(/\s+/).filter(Boolean)];
  }
  const [pattern, ...attrs] = line.split(/\s+/);
  return [pattern, attrs];
}

function compile(pattern: string): (path: string) => boolean {
  const anchored = pattern.replace(/^\//, "");
  if (!pattern.includes("/")) {
    const isMatch = picomatch(pattern, GLOB_OPTIONS);
    return (path) => isMatch(path.slice(path.lastIndexOf("/") + 1));
  }
  return picomatch(anchored, GLOB_OPTIONS);
}
