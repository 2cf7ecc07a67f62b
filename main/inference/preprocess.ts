/**
 * Intensity normalisation per the model card, per image channel (channels interleaved). Z-score without card values
 * uses the case's own mean and standard deviation, gathered by `ChannelMoments` in voxel order, so the in-memory and
 * the slab-by-slab paths get bit-identical statistics.
 */
import type { TypedArray } from '../volume/dtype.ts';
import type { Normalization } from './modelCard.ts';
import { normalizeChannelInto, type AppliedNormalization } from '../training/transforms/normalize.ts';

export class ChannelMoments {
  readonly channels: number;
  readonly #sum: Float64Array;
  readonly #sumSq: Float64Array;
  #count = 0;

  constructor(channels: number) {
    this.channels = channels;
    this.#sum = new Float64Array(channels);
    this.#sumSq = new Float64Array(channels);
  }

  add(data: ArrayLike<number>): void {
    const C = this.channels;
    for (let i = 0; i < data.length; i += C) {
      for (let c = 0; c < C; c++) {
        const v = data[i + c];
        this.#sum[c] += v;
        this.#sumSq[c] += v * v;
      }
    }
    this.#count += data.length / C;
  }

  mean(): number[] {
    return [...this.#sum].map((s) => s / Math.max(1, this.#count));
  }

  /** Population standard deviation; 1 where the channel is constant, so that z-scoring stays finite. */
  std(): number[] {
    const mean = this.mean();
    return [...this.#sumSq].map((s, c) => {
      const variance = s / Math.max(1, this.#count) - mean[c] * mean[c];
      return variance > 1e-12 ? Math.sqrt(variance) : 1;
    });
  }
}

/** Whether the normalisation needs the case's own statistics. */
export function needsCaseStatistics(n: Normalization): boolean {
  return n.kind === 'zscore' && (!n.mean || !n.std);
}

/** Why the normalisation cannot be applied slab by slab (it needs the whole volume), or undefined. */
export function streamingObstacle(n: Normalization): string | undefined {
  if (n.kind === 'perChannel' && needsWholeVolume(n.channels)) return 'its per-case normalisation needs the whole volume';
  return undefined;
}

export type Normalizer = (data: TypedArray | Float64Array) => Float32Array;

/** A function mapping raw interleaved voxels to normalised float32. */
export function createNormalizer(n: Normalization, channels: number, moments?: ChannelMoments): Normalizer {
  let scale: number[];
  let shift: number[];
  let lower: number[] | undefined;
  let upper: number[] | undefined;
  switch (n.kind) {
    case 'none':
      scale = Array<number>(channels).fill(1);
      shift = Array<number>(channels).fill(0);
      break;
    case 'zscore': {
      const mean = n.mean ?? moments?.mean();
      const std = n.std ?? moments?.std();
      if (!mean || !std) throw new Error('z-score normalisation without card values needs the case statistics');
      scale = std.map((s) => 1 / s);
      shift = mean.map((m, c) => -m * scale[c]);
      break;
    }
    case 'ct':
      lower = n.lower;
      upper = n.upper;
      scale = n.std.map((s) => 1 / s);
      shift = n.mean.map((m, c) => -m * scale[c]);
      break;
    case 'rescale01':
      scale = n.min.map((lo, c) => 1 / (n.max[c] - lo || 1));
      shift = n.min.map((lo, c) => -lo * scale[c]);
      break;
    case 'perChannel':
      // Whole-volume schemes are applied by normalizeChannels on the whole volume (streamingObstacle says so).
      return (data) => normalizeChannels(data, n.channels);
  }
  return (data) => {
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i += channels) {
      for (let c = 0; c < channels; c++) {
        let v = data[i + c];
        if (lower && upper) v = Math.min(upper[c], Math.max(lower[c], v));
        out[i + c] = v * scale[c] + shift[c];
      }
    }
    return out;
  };
}

/**
 * A trained model's per-channel normalisation (models/card.ts ChannelNormalization.resolved), applied exactly as
 * main/training/transforms/normalize.ts does: '-sample' schemes use this volume's own statistics of the channel's
 * finite values (population std, numpy 'linear' percentiles), non-finite voxels become 0.
 */
export type ResolvedChannelNormalization = AppliedNormalization;

/** Whether a per-channel scheme needs the whole volume (its statistics cannot be streamed here). */
export function needsWholeVolume(schemes: readonly ResolvedChannelNormalization[]): boolean {
  return schemes.some((s) => s.scheme !== 'none' && s.scheme !== 'linear');
}

/** Normalises a whole interleaved volume with per-channel resolved schemes. */
export function normalizeChannels(image: ArrayLike<number>, schemes: readonly ResolvedChannelNormalization[]): Float32Array {
  const channels = schemes.length;
  const out = new Float32Array(image.length);
  schemes.forEach((r, c) => normalizeChannelInto(image, out, channels, c, r));
  return out;
}
