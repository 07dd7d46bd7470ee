// What the file picker offers besides "everything": safetensors only, one GGUF quantization, and
// turning the user's selection into exact include patterns for core's selectFiles.

export interface FileInfo {
  path: string;
  size: number;
}

const WEIGHT_FILE = /\.(safetensors|bin|pt|pth|ckpt|h5|msgpack|onnx|onnx_data|gguf|ggml|tflite|ot|npz|pb|keras|nemo|mlmodel)$/i;

export function isWeightFile(path: string): boolean {
  return WEIGHT_FILE.test(path);
}

/** Offered only when the repo has safetensors weights and also weights in another format. */
export function offersSafetensorsOnly(files: readonly FileInfo[]): boolean {
  return files.some((f) => f.path.endsWith(".safetensors")) && files.some((f) => isWeightFile(f.path) && !f.path.endsWith(".safetensors"));
}

/** Every non-weight file (config, tokenizer, README …) plus the safetensors weights. */
export function safetensorsOnly<T extends FileInfo>(files: readonly T[]): T[] {
  return files.filter((f) => !isWeightFile(f.path) || f.path.endsWith(".safetensors"));
}

export interface Quantization {
  /** e.g. "Q4_K_M"; the file stem when no known quantization name is in it. */
  name: string;
  /** All files of this quantization (split GGUFs have several: `…-00001-of-00003.gguf`). */
  paths: string[];
  size: number;
}

const SPLIT_SUFFIX = /-\d{5}-of-\d{5}(?=\.gguf$)/i;
const QUANT_NAME = /(?:^|[-_.])((?:I?Q\d+(?:_[A-Z0-9]+)*)|BF16|F16|F32|FP16|FP32)(?=\.gguf$)/i;

/** GGUF files grouped by quantization, in the repo's order. */
export function ggufQuantizations(files: readonly FileInfo[]): Quantization[] {
  const groups = new Map<string, Quantization>();
  for (const f of files) {
    if (!f.path.toLowerCase().endsWith(".gguf")) continue;
    const key = f.path.replace(SPLIT_SUFFIX, "");
    const base = key.slice(key.lastIndexOf("/") + 1);
    const name = QUANT_NAME.exec(base)?.[1]?.toUpperCase() ?? base.replace(/\.gguf$/i, "");
    const group = groups.get(key) ?? { name, paths: [], size: 0 };
    group.paths.push(f.path);
    group.size += f.size;
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** Every non-GGUF file plus the files of the chosen quantization. */
export function withQuantization<T extends FileInfo>(files: readonly T[], quant: Quantization): T[] {
  const chosen = new Set(quant.paths);
  return files.filter((f) => !f.path.toLowerCase().endsWith(".gguf") || chosen.has(f.path));
}

/**
 * Include patterns for exactly `selected`: `undefined` when that is every file (download all),
 * else one root-anchored, glob-escaped pattern per file.
 */
export function includePatterns(selected: readonly string[], all: readonly FileInfo[]): string[] | undefined {
  const chosen = new Set(selected);
  if (all.length > 0 && all.every((f) => chosen.has(f.path))) return undefined;
  return [...chosen].map(exactPattern);
}

/** `/path` with picomatch's special characters escaped, so it matches that one file only. */
export function exactPattern(path: string): string {
  return `/${path.replace(/[\\*?[\]{}()!+@|^$,]/g, "\\$&")}`;
}
