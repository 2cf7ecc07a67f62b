/** Per-channel parameters for intensity transforms: one number for all channels or one per channel. */
import { InputError } from '../../util/errors.ts';

export type PerChannel = number | readonly number[];

/** Expands `value` to `channels` numbers, checking each with `check`. */
export function perChannel(value: PerChannel, channels: number, subject: string, check?: (v: number, subject: string) => void): number[] {
  const list = typeof value === 'number' ? new Array<number>(channels).fill(value) : [...value];
  if (list.length !== channels) throw new InputError(subject, `needs one value per channel (${channels}), got ${list.length}`);
  list.forEach((v, i) => check?.(v, `${subject}[${i}]`));
  return list;
}

/** Minimum, maximum, mean and population std of one interleaved channel. */
export function channelMoments(image: Float32Array, channels: number, c: number): { min: number; max: number; mean: number; std: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  const n = image.length / channels;
  for (let i = c; i < image.length; i += channels) {
    const v = image[i];
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let m2 = 0;
  for (let i = c; i < image.length; i += channels) {
    const d = image[i] - mean;
    m2 += d * d;
  }
  return { min, max, mean, std: Math.sqrt(m2 / n) };
}
