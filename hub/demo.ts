// The built-in demo repos the local Hub serves when no --repo is given: small, deterministic models
// covering safetensors + config + tokenizer, several GGUF quantizations, two revisions, private and gated.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes, tokenizerJson, writeSafetensors, type TensorSpec } from "../test/fixtures/synthetic";
import type { RepoSource } from "./model";

const MiB = 1024 * 1024;
const VERSION = "demo-v2";

const config = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ architectures: ["LlamaForCausalLM"], hidden_size: 256, num_hidden_layers: 2, vocab_size: 4096, torch_dtype: "bfloat16", ...extra }, null, 2) + "\n";

const readme = (id: string, text: string) => `---\nlicense: mit\nlibrary_name: transformers\n---\n\n# ${id}\n\n${text}\n`;

async function writeFiles(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, ".."), { recursive: true });
    await writeFile(join(dir, name), content);
  }
}

const tinyTensors: TensorSpec[] = [
  { name: "model.embed_tokens.weight", bytes: 2 * MiB, kind: "bf16", seed: 11 },
  { name: "model.layers.0.mlp.weight", bytes: 512 * 1024, kind: "random", seed: 12 },
  { name: "lm_head.weight", bytes: 512 * 1024, kind: "bf16", seed: 13 },
];

async function generate(root: string): Promise<void> {
  const tiny = join(root, "tiny-model");
  await writeFiles(tiny, {
    "config.json": config(),
    "generation_config.json": JSON.stringify({ max_new_tokens: 64, temperature: 0.7 }, null, 2) + "\n",
    "tokenizer.json": tokenizerJson(3000, 5),
    "README.md": readme("demo/tiny-model", "A tiny synthetic model for trying HF Models offline."),
  });
  await writeSafetensors(join(tiny, "model.safetensors"), tinyTensors);

  const gguf = join(root, "quantized-gguf");
  await writeFiles(gguf, {
    "README.md": readme("demo/quantized-gguf", "Several GGUF quantizations of one synthetic model."),
    "config.json": config({ quantization: "gguf" }),
  });
  const quants: Array<[string, number]> = [["Q4_K_M", 1.5 * MiB], ["Q5_K_M", 2 * MiB], ["Q8_0", 3 * MiB]];
  for (const [i, [quant, size]] of quants.entries()) {
    // Real GGUF files open with text metadata (the tokenizer vocabulary): plain LZ4 suits it best.
    const header = Buffer.from(`GGUF\x03\x00\x00\x00${quant}${tokenizerJson(4000, 7)}`);
    await writeFile(join(gguf, `tiny-${quant}.gguf`), Buffer.concat([header, randomBytes(100 + i, size - header.length)]));
  }

  const v1 = join(root, "two-revisions", "v1");
  const v2 = join(root, "two-revisions", "v2");
  const base: TensorSpec[] = [
    { name: "a.weight", bytes: 2 * MiB, kind: "bf16", seed: 21 },
    { name: "b.weight", bytes: 1 * MiB, kind: "random", seed: 22 },
    { name: "c.weight", bytes: 768 * 1024, kind: "bf16", seed: 23 },
  ];
  await writeFiles(v1, { "config.json": config({ revision: 1 }), "README.md": readme("demo/two-revisions", "Revision 1.") });
  await writeSafetensors(join(v1, "model.safetensors"), [...base, { name: "d.weight", bytes: 256 * 1024, kind: "bf16", seed: 24 }], { revision: "1" });
  await writeFiles(v2, { "config.json": config({ revision: 2 }), "README.md": readme("demo/two-revisions", "Revision 2: tensor d retrained.") });
  await writeSafetensors(join(v2, "model.safetensors"), [...base, { name: "d.weight", bytes: 256 * 1024, kind: "bf16", seed: 25 }], { revision: "2" });

  for (const name of ["private-model", "gated-model"]) {
    const dir = join(root, name);
    await writeFiles(dir, { "config.json": config(), "README.md": readme(`demo/${name}`, `A ${name.split("-")[0]} demo model.`) });
    await writeSafetensors(join(dir, "model.safetensors"), [{ name: "w", bytes: 256 * 1024, kind: "bf16", seed: name.length }]);
  }
}

/**
 * Writes the demo content under `dir/<version>` once and returns the repo sources. Several test processes may
 * call this at once: each generates into its own temporary folder and the first rename wins.
 */
export async function demoRepos(parent: string): Promise<RepoSource[]> {
  const dir = join(parent, VERSION);
  if (!existsSync(dir)) {
    await mkdir(parent, { recursive: true });
    const staging = await mkdtemp(join(parent, `.staging-${VERSION}-`));
    try {
      await generate(staging);
      await rename(staging, dir);
    } catch (err) {
      if (!existsSync(dir)) throw err;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  return [
    { id: "demo/tiny-model", revisions: [{ dir: join(dir, "tiny-model"), message: "Add tiny model" }] },
    { id: "demo/quantized-gguf", revisions: [{ dir: join(dir, "quantized-gguf"), message: "Add GGUF quantizations" }] },
    {
      id: "demo/two-revisions",
      revisions: [
        { dir: join(dir, "two-revisions", "v1"), message: "Revision 1", branch: "v1" },
        { dir: join(dir, "two-revisions", "v2"), message: "Revision 2: retrain tensor d" },
      ],
    },
    { id: "demo/private-model", private: true, revisions: [{ dir: join(dir, "private-model"), message: "Add private model" }] },
    { id: "demo/gated-model", gated: true, revisions: [{ dir: join(dir, "gated-model"), message: "Add gated model" }] },
  ];
}
