// The Models view: local models from `listLocalModels(modelsDir)` with their files, then the "Hugging Face cache"
// group (models → revisions → files). Empty (so the welcome view shows) when there is neither.
import * as vscode from "vscode";
import { hfHubCacheDir, listHfCacheModels, type HfCacheModel } from "../core/library/hfCache";
import { listLocalModels, type LocalModel } from "../core/library/index";
import type { Logger } from "../vscode/log";
import type { ModelHealth } from "./health";
import { cacheItemFor, cacheNodeChildren } from "./cacheNodes";
import { localItemFor, type ModelNode } from "./nodes";

export interface ModelsTreeOptions {
  logger: Logger;
  /** Read on every refresh so a settings change needs no restart. */
  modelsDir(): string;
  /** Damage found by Verify, shown on the model's item. */
  health?: ModelHealth;
  env?: NodeJS.ProcessEnv;
}

export class ModelsTreeProvider implements vscode.TreeDataProvider<ModelNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private snapshot?: Promise<{ local: LocalModel[]; cache: HfCacheModel[] }>;

  constructor(private readonly options: ModelsTreeOptions) {}

  refresh(): void {
    this.snapshot = undefined;
    this.changed.fire(undefined);
  }

  getTreeItem(node: ModelNode): vscode.TreeItem {
    return node.kind === "local" || node.kind === "file" ? localItemFor(node, this.options.health) : cacheItemFor(node);
  }

  async getChildren(node?: ModelNode): Promise<ModelNode[]> {
    if (node?.kind === "local") return node.model.files.map((file) => ({ kind: "file", model: node.model, file }));
    if (node?.kind === "cacheGroup") return node.models.map((model) => ({ kind: "cache", model }));
    if (node?.kind === "cache" || node?.kind === "cacheRevision") return cacheNodeChildren(node);
    if (node) return [];
    const { local, cache } = await this.load();
    const nodes: ModelNode[] = local.map((model) => ({ kind: "local", model }));
    if (cache.length > 0) nodes.push({ kind: "cacheGroup", dir: hfHubCacheDir(this.env), models: cache });
    return nodes;
  }

  /** The models as last loaded (loads when needed); used by commands and tests. */
  async localModels(): Promise<LocalModel[]> {
    return (await this.load()).local;
  }

  dispose(): void {
    this.changed.dispose();
  }

  private get env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  private load(): Promise<{ local: LocalModel[]; cache: HfCacheModel[] }> {
    this.snapshot ??= (async () => {
      const dir = this.options.modelsDir();
      const [local, cache] = await Promise.all([
        listLocalModels(dir).catch((err) => {
          this.options.logger.error(`Cannot list the models in ${dir}`, err);
          return [] as LocalModel[];
        }),
        listHfCacheModels(this.env).catch((err) => {
          this.options.logger.warn(`Cannot read the Hugging Face cache: ${(err as Error).message}`);
          return [] as HfCacheModel[];
        }),
      ]);
      return { local, cache };
    })();
    return this.snapshot;
  }
}
