/**
 * Linear intensity changes per channel: multiplicative scale (nnU-Net's MultiplicativeBrightness), additive shift,
 * and contrast about the channel mean (nnU-Net's ContrastTransform, optionally clipped back to the original range).
 * The `...InPlace` forms are what the pipeline runs on its own buffer; the plain forms return a new sample.
 */
import type { Sample } from './sample.ts';
import { checkNumber, checkSample, withImage } from './sample.ts';
import type { PerChannel } from './channels.ts';
import { channelMoments, perChannel } from './channels.ts';

const finite = (v: number, s: string) => checkNumber(v, s);

export function scaleIntensityInPlace(image: Float32Array, channels: number, factors: readonly number[]): void {
  for (let c = 0; c < channels; c++) {
    const f = factors[c];
    if (f === 1) continue;
    for (let i = c; i < image.length; i += channels) image[i] *= f;
  }
}

export function shiftIntensityInPlace(image: Float32Array, channels: number, offsets: readonly number[]): void {
  for (let c = 0; c < channels; c++) {
    const d = offsets[c];
    if (d === 0) continue;
    for (let i = c; i < image.length; i += channels) image[i] += d;
  }
}

/** v -> (v - mean) * factor + mean per channel; with `preserveRange`, clipped to the channel's original [min, max]. */
export function contrastInPlace(image: Float32Array, channels: number, factors: readonly number[], preserveRange: boolean): void {
  for (let c = 0; c < channels; c++) {
    const f = factors[c];
    if (f === 1) continue;
    const { min, max, mean } = channelMoments(image, channels, c);
    for (let i = c; i < image.length; i += channels) {
      let v = (image[i] - mean) * f + mean;
      if (preserveRange) v = v < min ? min : v > max ? max : v;
      image[i] = v;
    }
  }
}

export function scaleIntensity(sample: Sample, factor: PerChannel): Sample {
  checkSample(sample);
  const image = sample.image.slice();
  scaleIntensityInPlace(image, sample.channels, perChannel(factor, sample.channels, 'scale.factor', finite));
  return withImage(sample, image);
}

export function shiftIntensity(sample: Sample, offset: PerChannel): Sample {
  checkSample(sample);
  const image = sample.image.slice();
  shiftIntensityInPlace(image, sample.channels, perChannel(offset, sample.channels, 'shift.offset', finite));
  return withImage(sample, image);
}

export function adjustContrast(sample: Sample, factor: PerChannel, preserveRange = true): Sample {
  checkSample(sample);
  const image = sample.image.slice();
  contrastInPlace(image, sample.channels, perChannel(factor, sample.channels, 'contrast.factor', (v, s) => checkNumber(v, s, 0)), preserveRange);
  return withImage(sample, image);
}
