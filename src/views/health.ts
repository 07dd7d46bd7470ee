// What the last Verify Integrity found per model folder, kept for this window only: the tree marks a damaged model
// until a Verify passes or a Repair / Update succeeds. Not persisted: the files on disk are the truth, and a new
// window verifies again when asked.
import type { FileDamage } from "../core/library/verify";

export type DamagedFile = { path: string; damage: FileDamage };

export class ModelHealth {
  private readonly damaged = new Map<string, DamagedFile[]>();

  markDamaged(modelDir: string, files: DamagedFile[]): void {
    if (files.length > 0) this.damaged.set(modelDir, files);
    else this.damaged.delete(modelDir);
  }

  markHealthy(modelDir: string): void {
    this.damaged.delete(modelDir);
  }

  damagedFiles(modelDir: string): readonly DamagedFile[] | undefined {
    return this.damaged.get(modelDir);
  }
}
