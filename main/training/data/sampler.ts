/**
 * Where to cut the next training patch.
 *
 * - Foreground oversampling (nnU-Net): a fraction of patches (default 1/3) is centred on a random foreground voxel.
 *   With `classBalanced`, the class is drawn first (uniformly among the foreground classes present in the case), so
 *   rare phases are seen as often as common ones; otherwise the voxel is drawn uniformly over all foreground voxels.
 * - The other patches are drawn over the volume. With hard-example mining they are drawn per region (a coarse grid
 *   of cells, one patch in size), with probability rising with the region's recent loss: p ∝ (1 - mix) + mix *
 *   hardness / mean(hardness), where hardness is an exponential moving average of the losses reported for patches
 *   centred in it (unvisited regions count as average).
 * - Curriculum (optional): the foreground fraction starts at `curriculum.startForeground` and moves linearly to
 *   `foregroundFraction` over `curriculum.epochs` epochs.
 */
import { z } from 'zod';
import type { LoadedCase } from './cases.ts';
import type { Vec3i } from './patches.ts';

export const SamplerConfigSchema = z
  .object({
    foregroundFraction: z.number().min(0).max(1).default(1 / 3),
    classBalanced: z.boolean().default(true),
    hardMining: z
      .object({
        enabled: z.boolean().default(false),
        /** Weight of the loss-driven part of the region probabilities (0 = uniform, 1 = purely by loss). */
        mix: z.number().min(0).max(1).default(0.5),
        /** EMA factor of a region's hardness per report. */
        momentum: z.number().min(0).max(1).default(0.7),
      })
      .strict()
      .default({ enabled: false, mix: 0.5, momentum: 0.7 }),
    curriculum: z
      .object({ epochs: z.number().int().min(1), startForeground: z.number().min(0).max(1).default(1) })
      .strict()
      .optional(),
  })
  .strict();
export type SamplerConfig = z.infer<typeof SamplerConfigSchema>;
export type SamplerConfigInput = z.input<typeof SamplerConfigSchema>;

export interface PatchDraw {
  caseIndex: number;
  /** Corner (x, y, z) of the patch; may lie partly outside the volume for small volumes. */
  corner: Vec3i;
  /** How it was drawn. */
  kind: 'foreground' | 'random';
  /** Hard-mining region of its centre. */
  region: number;
}

type CaseGeometry = Pick<LoadedCase, 'shape' | 'classVoxels'>;

export class PatchSampler {
  readonly config: SamplerConfig;
  private readonly grids: Vec3i[];
  private readonly hardness: Float64Array[];
  private readonly visited: Uint8Array[];
  private epoch = 0;

  constructor(
    private readonly cases: readonly CaseGeometry[],
    /** Patch size (x, y, z). */
    readonly size: Vec3i,
    config: SamplerConfigInput = {},
    private readonly random: () => number = Math.random,
  ) {
    this.config = SamplerConfigSchema.parse(config);
    if (cases.length === 0) throw new Error('PatchSampler needs at least one case');
    this.grids = cases.map((c) => c.shape.map((n, i) => Math.max(1, Math.ceil(n / size[i]))) as Vec3i);
    this.hardness = this.grids.map((g) => new Float64Array(g[0] * g[1] * g[2]));
    this.visited = this.grids.map((g) => new Uint8Array(g[0] * g[1] * g[2]));
  }

  setEpoch(epoch: number): void {
    this.epoch = epoch;
  }

  /** Foreground fraction at the current epoch (curriculum applied). */
  foregroundFraction(): number {
    const c = this.config.curriculum;
    if (!c) return this.config.foregroundFraction;
    const t = Math.min(1, this.epoch / c.epochs);
    return c.startForeground + (this.config.foregroundFraction - c.startForeground) * t;
  }

  private int(n: number): number {
    return Math.min(n - 1, Math.floor(this.random() * n));
  }

  private regionOf(caseIndex: number, centre: Vec3i): number {
    const g = this.grids[caseIndex];
    const cell = centre.map((v, i) => Math.min(g[i] - 1, Math.max(0, Math.floor(v / this.size[i]))));
    return (cell[2] * g[1] + cell[1]) * g[0] + cell[0];
  }

  private cornerFor(caseIndex: number, centre: Vec3i): Vec3i {
    const shape = this.cases[caseIndex].shape;
    return centre.map((v, i) => {
      const lo = v - Math.floor(this.size[i] / 2);
      // Keep the patch inside the volume when it fits; centre small volumes.
      if (shape[i] >= this.size[i]) return Math.min(shape[i] - this.size[i], Math.max(0, lo));
      return 0 - Math.floor((this.size[i] - shape[i]) / 2);
    }) as Vec3i;
  }

  private foregroundCentre(caseIndex: number): Vec3i | null {
    const lists = this.cases[caseIndex].classVoxels;
    const present: Uint32Array[] = [];
    for (let v = 1; v < lists.length; v++) if (lists[v] && (lists[v] as Uint32Array).length > 0) present.push(lists[v] as Uint32Array);
    if (present.length === 0) return null;
    let voxel: number;
    if (this.config.classBalanced) {
      const list = present[this.int(present.length)];
      voxel = list[this.int(list.length)];
    } else {
      const total = present.reduce((s, l) => s + l.length, 0);
      let k = this.int(total);
      let i = 0;
      while (k >= present[i].length) k -= present[i++].length;
      voxel = present[i][k];
    }
    const [nx, ny] = this.cases[caseIndex].shape;
    return [voxel % nx, Math.floor(voxel / nx) % ny, Math.floor(voxel / (nx * ny))];
  }

  /** Probability of every region of a case for the non-foreground draws. */
  regionProbabilities(caseIndex: number): Float64Array {
    const h = this.hardness[caseIndex];
    const seen = this.visited[caseIndex];
    const n = h.length;
    const out = new Float64Array(n).fill(1 / n);
    if (!this.config.hardMining.enabled) return out;
    let sum = 0;
    let count = 0;
    for (let r = 0; r < n; r++) {
      if (seen[r]) {
        sum += h[r];
        count++;
      }
    }
    const mean = count > 0 ? sum / count : 0;
    if (!(mean > 0)) return out;
    const mix = this.config.hardMining.mix;
    let total = 0;
    for (let r = 0; r < n; r++) {
      out[r] = 1 - mix + (mix * (seen[r] ? h[r] : mean)) / mean;
      total += out[r];
    }
    for (let r = 0; r < n; r++) out[r] /= total;
    return out;
  }

  private randomCentre(caseIndex: number): Vec3i {
    const shape = this.cases[caseIndex].shape;
    if (!this.config.hardMining.enabled) return shape.map((n) => this.int(n)) as Vec3i;
    const p = this.regionProbabilities(caseIndex);
    let u = this.random();
    let r = 0;
    while (r < p.length - 1 && u >= p[r]) u -= p[r++];
    const g = this.grids[caseIndex];
    const cell: Vec3i = [r % g[0], Math.floor(r / g[0]) % g[1], Math.floor(r / (g[0] * g[1]))];
    return cell.map((c, i) => {
      const lo = c * this.size[i];
      const hi = Math.min(shape[i], lo + this.size[i]);
      return lo + this.int(Math.max(1, hi - lo));
    }) as Vec3i;
  }

  next(): PatchDraw {
    const caseIndex = this.int(this.cases.length);
    let kind: PatchDraw['kind'] = 'random';
    let centre: Vec3i | null = null;
    if (this.random() < this.foregroundFraction()) {
      centre = this.foregroundCentre(caseIndex);
      if (centre) kind = 'foreground';
    }
    centre ??= this.randomCentre(caseIndex);
    return { caseIndex, corner: this.cornerFor(caseIndex, centre), kind, region: this.regionOf(caseIndex, centre) };
  }

  /** Reports the training loss of a drawn patch (hard-example mining). */
  report(draw: PatchDraw, loss: number): void {
    if (!Number.isFinite(loss)) return;
    const h = this.hardness[draw.caseIndex];
    const seen = this.visited[draw.caseIndex];
    const m = this.config.hardMining.momentum;
    h[draw.region] = seen[draw.region] ? m * h[draw.region] + (1 - m) * loss : loss;
    seen[draw.region] = 1;
  }

  /** Hard-mining state, for checkpoints. */
  getState(): { hardness: number[][]; visited: number[][]; epoch: number } {
    return { hardness: this.hardness.map((h) => Array.from(h)), visited: this.visited.map((v) => Array.from(v)), epoch: this.epoch };
  }

  setState(state: { hardness: number[][]; visited: number[][]; epoch: number }): void {
    state.hardness.forEach((h, i) => this.hardness[i]?.set(h.slice(0, this.hardness[i].length)));
    state.visited.forEach((v, i) => this.visited[i]?.set(v.slice(0, this.visited[i].length)));
    this.epoch = state.epoch;
  }
}
