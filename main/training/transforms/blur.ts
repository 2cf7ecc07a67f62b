/**
 * Gaussian blur, separable, sigma in voxels per axis (scipy.ndimage.gaussian_filter with mode 'reflect',
 * truncate 4). Each channel may get its own sigma (nnU-Net blurs channels independently). A 2D sample is blurred in
 * x and y only.
 */
import { InputError } from '../../util/errors.ts';
import type { Sample, Shape3 } from './sample.ts';
import { checkNumber, checkSample, withImage } from './sample.ts';
import { gaussianSmooth } from './smoothing.ts';

export type Sigma3 = [number, number, number];

/** Blurs channel `channel` of `image` in place. */
export function gaussianBlurInPlace(image: Float32Array, shape: Shape3, channels: number, channel: number, sigma: Sigma3): void {
  gaussianSmooth(image, shape, channels, sigma, [channel]);
}

/** Blurs every channel with `sigma` (one number for all axes, or [x, y, z]); per-channel sigmas as an array of those. */
export function gaussianBlur(sample: Sample, sigma: number | Sigma3 | Sigma3[]): Sample {
  checkSample(sample);
  const { channels } = sample;
  const list: Sigma3[] =
    typeof sigma === 'number'
      ? new Array<Sigma3>(channels).fill([sigma, sigma, sigma])
      : Array.isArray(sigma[0])
        ? (sigma as Sigma3[])
        : new Array<Sigma3>(channels).fill(sigma as Sigma3);
  if (list.length !== channels) throw new InputError('blur.sigma', `needs one sigma per channel (${channels}), got ${list.length}`);
  list.forEach((s, c) => s.forEach((v, a) => checkNumber(v, `blur.sigma[${c}][${a}]`, 0, 1e3)));
  const image = sample.image.slice();
  list.forEach((s, c) => gaussianBlurInPlace(image, sample.shape, channels, c, s));
  return withImage(sample, image);
}
