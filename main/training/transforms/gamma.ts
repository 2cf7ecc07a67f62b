/**
 * Gamma augmentation exactly as nnU-Net (batchgenerators augment_gamma), per channel:
 *   invert: v = -v;  retainStats: remember mean and std;
 *   v = ((v - min) / (max - min + 1e-7))^gamma * (max - min) + min      (gamma on the [min, max]-rescaled values)
 *   retainStats: v = (v - mean') / (std' + 1e-8) * std + mean;   invert: v = -v.
 */
import type { Sample } from './sample.ts';
import { checkNumber, checkSample, withImage } from './sample.ts';
import type { PerChannel } from './channels.ts';
import { channelMoments, perChannel } from './channels.ts';

export interface GammaOptions {
  /** Apply to the negated image (brightens dark structures instead of bright ones), as nnU-Net's first gamma. */
  invert: boolean;
  /** Restore the channel's mean and standard deviation afterwards. */
  retainStats: boolean;
}

export const DEFAULT_GAMMA_OPTIONS: GammaOptions = { invert: false, retainStats: true };

const TABLE_SIZE = 16384;
/** Below this u the table is not used: the curvature of u^gamma for gamma < 1 grows without bound as u -> 0. */
const TABLE_FROM = 1 / 64;

/**
 * u -> u^gamma on [0, 1]. Math.pow costs tens of ns, so for large channels a table of 16385 values with linear
 * interpolation is used above u = 1/64, where its error h^2/8 · |gamma (gamma - 1)| u^(gamma - 2) stays below 2e-7
 * for gamma in [0.1, 10]; exact Math.pow below that and for small channels.
 */
function powerFunction(gamma: number, count: number): (u: number) => number {
  if (count < 8 * TABLE_SIZE || gamma < 0.1 || gamma > 10) return (u) => Math.pow(u, gamma);
  const table = new Float64Array(TABLE_SIZE + 2);
  for (let k = 0; k <= TABLE_SIZE + 1; k++) table[k] = Math.pow(k / TABLE_SIZE, gamma);
  return (u) => {
    if (u < TABLE_FROM) return Math.pow(u, gamma);
    const t = u * TABLE_SIZE;
    const k = Math.floor(t);
    return table[k] + (t - k) * (table[k + 1] - table[k]);
  };
}

export function gammaInPlace(image: Float32Array, channels: number, gammas: readonly number[], options: GammaOptions): void {
  const sign = options.invert ? -1 : 1;
  for (let c = 0; c < channels; c++) {
    const gamma = gammas[c];
    const before = channelMoments(image, channels, c);
    // Moments of the (possibly negated) channel.
    const mean = sign * before.mean;
    const std = before.std;
    const min = options.invert ? -before.max : before.min;
    const range = before.max - before.min;
    const scale = 1 / (range + 1e-7);
    const power = powerFunction(gamma, image.length / channels);
    for (let i = c; i < image.length; i += channels) {
      const u = (sign * image[i] - min) * scale;
      image[i] = power(u) * range + min;
    }
    if (options.retainStats) {
      const after = channelMoments(image, channels, c);
      const k = std / (after.std + 1e-8);
      for (let i = c; i < image.length; i += channels) image[i] = (image[i] - after.mean) * k + mean;
    }
    if (options.invert) for (let i = c; i < image.length; i += channels) image[i] = -image[i];
  }
}

export function gammaTransform(sample: Sample, gamma: PerChannel, options: GammaOptions = DEFAULT_GAMMA_OPTIONS): Sample {
  checkSample(sample);
  const image = sample.image.slice();
  gammaInPlace(image, sample.channels, perChannel(gamma, sample.channels, 'gamma.gamma', (v, s) => checkNumber(v, s, 1e-3, 1e3)), options);
  return withImage(sample, image);
}
