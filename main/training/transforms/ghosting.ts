/**
 * Motion ghosting, computed in the image domain: faint copies of the image displaced along the phase-encoding axis.
 *
 * Periodic motion modulates k-space lines along that axis; a modulation with period P lines puts ghosts at offsets
 * that are multiples of N/P voxels, wrapped around the field of view (the Fourier shift theorem: a shift is a phase
 * ramp in k-space, and the DFT is circular). Rather than FFT every line, the copies are added directly:
 *
 *   out(p) = v(p) + Σ_{m=1..count} intensity · decay^(m-1) · (v(p - m·d) + v(p + m·d)) / 2,   d = floor(N / (2·count + 1))
 *
 * with circular indexing along the axis, so ghosts spread over the field of view without landing on the original.
 * The label is untouched (ghosts are an acquisition artefact, not anatomy).
 */
import { InputError } from '../../util/errors.ts';
import type { Axis, Sample, Shape3 } from './sample.ts';
import { axisIndex, checkNumber, checkSample, withImage } from './sample.ts';

export interface GhostingParams {
  axis: Axis;
  /** Ghosts on each side, >= 1. */
  count: number;
  /** Amplitude of the first ghost relative to the image. */
  intensity: number;
  /** Each further ghost is `decay` times the previous one. */
  decay: number;
}

export function checkGhostingParams(params: GhostingParams): void {
  if (!Number.isInteger(params.count) || params.count < 1) throw new InputError('ghosting.count', `must be an integer >= 1, got ${params.count}`);
  checkNumber(params.intensity, 'ghosting.intensity', 0, 10);
  checkNumber(params.decay, 'ghosting.decay', 0, 1);
}

export function ghostingInPlace(image: Float32Array, shape: Shape3, channels: number, params: GhostingParams): void {
  const a = axisIndex(params.axis);
  const n = shape[a];
  const d = Math.floor(n / (2 * params.count + 1));
  if (n < 3 || d < 1 || params.intensity === 0) return;
  const source = image.slice();
  const [nx, ny, nz] = shape;
  const stride = (a === 0 ? 1 : a === 1 ? nx : nx * ny) * channels;
  for (let m = 1; m <= params.count; m++) {
    const w = 0.5 * params.intensity * params.decay ** (m - 1);
    if (w === 0) break;
    const shift = (m * d) % n;
    let o = 0;
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++) {
          const t = a === 0 ? x : a === 1 ? y : z;
          // Start of this voxel's line along the axis, then the wrapped neighbours t - shift and t + shift.
          const lineStart = o - t * stride;
          const back = t - shift < 0 ? t - shift + n : t - shift;
          const fwd = t + shift >= n ? t + shift - n : t + shift;
          const ib = lineStart + back * stride;
          const iff = lineStart + fwd * stride;
          for (let c = 0; c < channels; c++) image[o + c] += w * (source[ib + c] + source[iff + c]);
          o += channels;
        }
      }
    }
  }
}

export function motionGhosting(sample: Sample, params: GhostingParams): Sample {
  checkSample(sample);
  checkGhostingParams(params);
  const image = sample.image.slice();
  ghostingInPlace(image, sample.shape, sample.channels, params);
  return withImage(sample, image);
}
