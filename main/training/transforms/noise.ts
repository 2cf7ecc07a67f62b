/**
 * Additive noise per channel. Gaussian: v + N(0, std). Rician (magnitude MR noise, batchgenerators
 * augment_rician_noise): sqrt((v + n1)^2 + n2^2) · sign(v), n1, n2 ~ N(0, std) — the sign keeps z-scored negative
 * values negative and exact zeros (background) at zero.
 */
import type { Rng, Sample } from './sample.ts';
import { checkNumber, checkSample, normalSource, withImage } from './sample.ts';
import type { PerChannel } from './channels.ts';
import { perChannel } from './channels.ts';

const nonNegative = (v: number, s: string) => checkNumber(v, s, 0);

export function gaussianNoiseInPlace(image: Float32Array, channels: number, std: readonly number[], rng: Rng): void {
  const normal = normalSource(rng);
  for (let c = 0; c < channels; c++) {
    const s = std[c];
    if (s === 0) continue;
    for (let i = c; i < image.length; i += channels) image[i] += s * normal();
  }
}

export function ricianNoiseInPlace(image: Float32Array, channels: number, std: readonly number[], rng: Rng): void {
  const normal = normalSource(rng);
  for (let c = 0; c < channels; c++) {
    const s = std[c];
    if (s === 0) continue;
    for (let i = c; i < image.length; i += channels) {
      const v = image[i];
      const a = v + s * normal();
      const b = s * normal();
      image[i] = Math.sqrt(a * a + b * b) * Math.sign(v);
    }
  }
}

export function gaussianNoise(sample: Sample, std: PerChannel, rng: Rng): Sample {
  checkSample(sample);
  const image = sample.image.slice();
  gaussianNoiseInPlace(image, sample.channels, perChannel(std, sample.channels, 'gaussianNoise.std', nonNegative), rng);
  return withImage(sample, image);
}

export function ricianNoise(sample: Sample, std: PerChannel, rng: Rng): Sample {
  checkSample(sample);
  const image = sample.image.slice();
  ricianNoiseInPlace(image, sample.channels, perChannel(std, sample.channels, 'ricianNoise.std', nonNegative), rng);
  return withImage(sample, image);
}
