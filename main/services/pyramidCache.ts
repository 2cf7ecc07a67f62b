/**
 * Coarse levels of a volume held in memory (a file opened directly): built on first request by 2x block reduction of
 * the previous level (mean for images, mode for label maps, as the OME-Zarr pyramid does) and cached.
 */
import { downsample, planPyramid, type DownsampleMode, type PyramidLevelPlan } from '../io/omezarr/pyramid.ts';
import { levelGeometry } from '../io/omezarr/layout.ts';
import type { TypedArray } from '../volume/dtype.ts';
import type { Geometry, Volume } from '../volume/volume.ts';

export interface MemoryLevel extends Geometry {
  level: number;
  data: TypedArray;
}

export class MemoryPyramid {
  readonly plan: readonly PyramidLevelPlan[];
  readonly #volume: Volume;
  readonly #mode: DownsampleMode;
  readonly #levels = new Map<number, MemoryLevel>();

  constructor(volume: Volume, mode: DownsampleMode) {
    this.#volume = volume;
    this.#mode = mode;
    this.plan = planPyramid(volume.shape);
  }

  /** Geometry of level k without computing its voxels. */
  geometry(level: number): Geometry {
    const plan = this.plan[level];
    return levelGeometry(this.#volume, plan.factor, plan.shape);
  }

  /** Level k's voxels (level 0 is the volume itself). */
  level(level: number): MemoryLevel {
    const cached = this.#levels.get(level);
    if (cached) return cached;
    let built: MemoryLevel;
    if (level === 0) {
      built = { level: 0, ...this.geometry(0), data: this.#volume.data };
    } else {
      const finer = this.level(level - 1);
      const { data } = downsample(finer.data, this.#volume.dtype, finer.shape, this.#volume.components, this.plan[level].step, this.#mode);
      built = { level, ...this.geometry(level), data };
    }
    this.#levels.set(level, built);
    return built;
  }
}
