// The benchmark's synthetic model repos: safetensors of bf16-like and random tensors plus small JSON files,
// in two revisions (the second edits the header and ~1% of the tensor bytes). Generated once into bench/work/.
import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tokenizerJson, writeSafetensors, type TensorSpec } from "../test/fixtures/synthetic";
import type { RepoSource } from "../hub/model";

const MiB = 1024 * 1024;

export interface ModelSpec {
  id: string;
  /** Bytes per safetensors shard. */
  shards: number[];
  /** Also serve revision 1 (branch `v1`) for the update scenario. */
  update?: boolean;
  /** Small JSON files under `data/` beside the shards (1–8 KB each), for the per-file costs of each client. */
  smallFiles?: number;
}

/** Tensors of one shard: 20 big ones (every third random, the rest bf16) and two small "norm" tensors. */
function tensors(shard: number, bytes: number, revision: 1 | 2): TensorSpec[] {
  const small = Math.floor((bytes * 0.005) / 4096) * 4096;
  const big = Math.floor((bytes - 2 * small) / 20 / 4096) * 4096;
  const out: TensorSpec[] = [];
  for (let i = 0; i < 20; i++) {
    out.push({ name: `model.layers.${shard * 20 + i}.weight`, bytes: big, kind: i % 3 === 2 ? "random" : "bf16", seed: 1000 * (shard + 1) + i });
  }
  // Revision 2 retrains the two norm tensors of the first shard: ~1% of its bytes.
  const retrained = revision === 2 && shard === 0 ? 500 : 0;
  out.push({ name: `model.norm.${shard}.a`, bytes: small, kind: "bf16", seed: 9000 + shard + retrained });
  out.push({ name: `model.norm.${shard}.b`, bytes: small, kind: "bf16", seed: 9100 + shard + retrained });
  return out;
}

async function writeRevision(dir: string, spec: ModelSpec, revision: 1 | 2): Promise<void> {
  await mkdir(dir, { recursive: true });
  const config = { architectures: ["LlamaForCausalLM"], hidden_size: 2048, num_hidden_layers: 20 * spec.shards.length, torch_dtype: "bfloat16", revision };
  await writeFile(join(dir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  await writeFile(join(dir, "generation_config.json"), `${JSON.stringify({ max_new_tokens: 256, temperature: 0.7 }, null, 2)}\n`);
  await writeFile(join(dir, "tokenizer.json"), tokenizerJson(30_000, 17));
  await writeFile(join(dir, "README.md"), `---\nlicense: mit\n---\n\n# ${spec.id}\n\nSynthetic benchmark model, revision ${revision}.\n`);
  const names = spec.shards.length === 1 ? ["model.safetensors"] : spec.shards.map((_, i) => `model-${String(i + 1).padStart(5, "0")}-of-${String(spec.shards.length).padStart(5, "0")}.safetensors`);
  if (spec.smallFiles) await mkdir(join(dir, "data"), { recursive: true });
  for (let i = 0; i < (spec.smallFiles ?? 0); i++) {
    const rows = Array.from({ length: 16 + ((i * 37) % 200) }, (_, k) => ({ id: i * 1000 + k, text: `sample ${i}-${k}`, score: ((i * 31 + k * 7) % 997) / 997 }));
    await writeFile(join(dir, "data", `part-${String(i).padStart(5, "0")}.json`), `${JSON.stringify({ revision, rows })}\n`);
  }
  for (const [i, bytes] of spec.shards.entries()) {
    await writeSafetensors(join(dir, names[i]), tensors(i, bytes, revision), { revision: String(revision), edited: revision === 2 ? "header changed in revision 2" : "original" });
  }
}

/** Writes both revisions of `spec` under `root/<name>/v1|v2` unless they are there; returns the repo source. */
export async function ensureModel(root: string, spec: ModelSpec): Promise<RepoSource> {
  const dir = join(root, spec.id.replace("/", "--"));
  const revisions = spec.update ? ([1, 2] as const) : ([2] as const);
  for (const revision of revisions) {
    const target = join(dir, `v${revision}`);
    if (existsSync(target)) continue;
    const staging = `${target}.staging`;
    await rm(staging, { recursive: true, force: true });
    process.stderr.write(`bench: generating ${spec.id} revision ${revision} (${(modelBytes(spec) / MiB).toFixed(0)} MiB)…\n`);
    await writeRevision(staging, spec, revision);
    await rename(staging, target);
  }
  const main = { dir: join(dir, "v2"), message: "Revision 2: header edited, norm tensors retrained" };
  return { id: spec.id, revisions: spec.update ? [{ dir: join(dir, "v1"), message: "Revision 1", branch: "v1" }, main] : [main] };
}

/** The model's bytes: its shards (the small files of `smallFiles` left out). */
export function modelBytes(spec: ModelSpec): number {
  return spec.shards.reduce((a, b) => a + b, 0);
}

export const FULL_MODELS: ModelSpec[] = [
  { id: "bench/model-1g", shards: [1024 * MiB], update: true },
  { id: "bench/model-4g", shards: [2048 * MiB, 2048 * MiB] },
  { id: "bench/many-files", shards: [64 * MiB, 64 * MiB], smallFiles: 1000 },
];

export const QUICK_MODELS: ModelSpec[] = [
  { id: "bench/model-128m", shards: [128 * MiB], update: true },
  { id: "bench/model-64m", shards: [64 * MiB] },
];
