// Turns `hf-models …` arguments into a typed command, or a UsageError that ends with exit code 2.
// Only shape is checked here; repo ids, revisions and endpoints are validated by core/hub.
import { parseArgs } from "node:util";

export const USAGE = `Usage: hf-models download <repo> [options]
       hf-models --help

Download a Hugging Face model repository into <dir>/<org>/<name>/.

Arguments:
  <repo>               org/name, or a Hub URL (https://huggingface.co/org/name[/tree/<rev>])

Options:
  --revision <rev>     branch, tag, refs/pr/<n> or 40-character commit SHA (default: main)
  --include <glob>     download only files matching the glob (repeatable)
  --exclude <glob>     skip files matching the glob (repeatable)
  --prune              remove the files outside --include/--exclude (default: a narrower
                       selection keeps every file already downloaded)
  --overwrite-edited   replace files you changed since the last download (default: they are
                       kept, left out of the record, and listed in a warning)
  --dir <dir>          models folder (default: $HF_MODELS_DIR or ~/hf-models)
  --cache              write into the Hugging Face cache (models--org--name/blobs, snapshots,
                       refs) that huggingface_hub, transformers and the hf CLI read: $HF_HUB_CACHE,
                       else $HF_HOME/hub, else ~/.cache/huggingface/hub
  --cache-dir <dir>    like --cache, in this cache folder
  --use-xet            download through Xet instead of Git LFS
  --no-fallback        with --use-xet: fail instead of finishing with Git LFS
  --max-speed <MB/s>   cap the download speed (1 MB = 1,000,000 bytes), for every connection
                       together (default: no cap)
  --endpoint <url>     Hub URL (default: $HF_ENDPOINT or https://huggingface.co)
  --token-file <file>  read the access token from this file
  --json               print one JSON line with the result (or the error) on stdout
  -h, --help           show this help

The token comes from --token-file, else HF_TOKEN, else HF_TOKEN_PATH, else $HF_HOME/token.
Exit codes: 0 done, 1 failed, 2 bad usage, 130 interrupted.
`;

export class UsageError extends Error {
  override name = "UsageError";
}

export interface DownloadArgs {
  repo: string;
  revision?: string;
  include: string[];
  exclude: string[];
  prune: boolean;
  overwriteEdited: boolean;
  dir?: string;
  /** --cache or --cache-dir: the Hugging Face cache layout; `cacheDir` only with --cache-dir. */
  cache: boolean;
  cacheDir?: string;
  useXet: boolean;
  noFallback: boolean;
  /** Bytes per second for all connections together; undefined means no cap. */
  maxBytesPerSecond?: number;
  endpoint?: string;
  tokenFile?: string;
  json: boolean;
}

export type CliCommand = { kind: "help" } | { kind: "download"; args: DownloadArgs };

const OPTIONS = {
  revision: { type: "string" },
  include: { type: "string", multiple: true },
  exclude: { type: "string", multiple: true },
  dir: { type: "string" },
  cache: { type: "boolean" },
  "cache-dir": { type: "string" },
  prune: { type: "boolean" },
  "overwrite-edited": { type: "boolean" },
  "use-xet": { type: "boolean" },
  "no-fallback": { type: "boolean" },
  "max-speed": { type: "string" },
  endpoint: { type: "string" },
  "token-file": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** True when `argv` asks for JSON output, so even a usage error can be reported as JSON. */
export function wantsJson(argv: string[]): boolean {
  return argv.includes("--json");
}

export function parseCliArgs(argv: string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split("\n")[0]!);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === "help") return { kind: "help" };
  if (command === undefined) throw new UsageError("missing command");
  if (command !== "download") throw new UsageError(`unknown command "${command}"`);
  if (rest.length === 0) throw new UsageError("download needs a repository, e.g. hf-models download demo/tiny-model");
  if (rest.length > 1) throw new UsageError(`download takes one repository, got ${rest.length}: ${rest.join(" ")}`);
  for (const key of ["revision", "dir", "cache-dir", "max-speed", "endpoint", "token-file"] as const) {
    if (values[key] !== undefined && values[key]!.trim() === "") throw new UsageError(`--${key} needs a value`);
  }
  if (values.dir !== undefined && (values.cache || values["cache-dir"] !== undefined)) throw new UsageError("--dir and --cache/--cache-dir exclude each other");
  for (const key of ["include", "exclude"] as const) {
    if (values[key]?.some((g) => g.trim() === "")) throw new UsageError(`--${key} needs a non-empty glob`);
  }
  const maxSpeed = values["max-speed"] === undefined ? undefined : Number(values["max-speed"]);
  if (maxSpeed !== undefined && !(Number.isFinite(maxSpeed) && maxSpeed > 0)) {
    throw new UsageError(`--max-speed takes megabytes per second, a number above 0 (e.g. --max-speed 20), got "${values["max-speed"]}"`);
  }
  return {
    kind: "download",
    args: {
      repo: rest[0]!,
      revision: values.revision,
      include: values.include ?? [],
      exclude: values.exclude ?? [],
      prune: values.prune ?? false,
      overwriteEdited: values["overwrite-edited"] ?? false,
      dir: values.dir,
      cache: values.cache === true || values["cache-dir"] !== undefined,
      cacheDir: values["cache-dir"],
      useXet: values["use-xet"] ?? false,
      noFallback: values["no-fallback"] ?? false,
      maxBytesPerSecond: maxSpeed === undefined ? undefined : maxSpeed * 1_000_000,
      endpoint: values.endpoint,
      tokenFile: values["token-file"],
      json: values.json ?? false,
    },
  };
}
