/**
 * Elastic deformation: every voxel is displaced by a smooth random field (Gaussian-smoothed noise, one independent
 * field per axis; see noise-field.ts), then the patch is resampled (trilinear image, nearest-neighbour label).
 *
 * Parameters in voxels: `sigma` is the smoothing (correlation length) of the field, `alpha` the RMS displacement per
 * axis. (nnU-Net/batchgenerators multiply unit-range noise smoothed with sigma by alpha, so their alpha depends on
 * sigma and on the dimension: alpha_nnunet ≈ alpha · sqrt(3 · (2 sigma sqrt(pi))^d); their 3D range 0..900 at
 * sigma 9..13 is an RMS of 0..3 voxels.) A 2D sample is deformed in x and y only.
 */
import type { Rng, Sample, Shape3 } from './sample.ts';
import { checkNumber, checkSample, voxelCount } from './sample.ts';
import type { Border, Displacement } from './resample.ts';
import { DEFAULT_BORDER, IDENTITY3, resample } from './resample.ts';
import { smoothNoiseField } from './noise-field.ts';

export interface ElasticParams {
  /** RMS displacement per axis, voxels. */
  alpha: number;
  /** Smoothness of the displacement field, voxels. */
  sigma: number;
}

/** A random smooth displacement field over `shape` (zero along axes of length 1). */
export function elasticDisplacement(shape: Shape3, params: ElasticParams, rng: Rng): Displacement {
  const field = (axis: 0 | 1 | 2): Float32Array => {
    if (shape[axis] === 1 || params.alpha === 0) return new Float32Array(voxelCount(shape));
    const f = smoothNoiseField(shape, params.sigma, rng);
    for (let i = 0; i < f.length; i++) f[i] *= params.alpha;
    return f;
  };
  return { x: field(0), y: field(1), z: field(2) };
}

export function checkElasticParams(params: ElasticParams): void {
  checkNumber(params.alpha, 'elastic.alpha', 0);
  checkNumber(params.sigma, 'elastic.sigma', 0.5);
}

export function elasticDeform(sample: Sample, params: ElasticParams, rng: Rng, border: Border = DEFAULT_BORDER): Sample {
  checkSample(sample);
  checkElasticParams(params);
  return resample(sample, IDENTITY3, elasticDisplacement(sample.shape, params, rng), border);
}
