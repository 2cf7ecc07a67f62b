/**
 * Smooth multiplicative bias field (MR coil inhomogeneity, uneven tomography illumination): image · exp(f), one field
 * for all channels.
 * - polynomial (TorchIO's RandomBiasField): f = Σ c_ijk x^i y^j z^k over i + j + k <= order, coordinates scaled to
 *   [-1, 1] across the patch; a 2D sample uses the terms with k = 0.
 * - noise: f = strength · (unit-RMS smoothed noise with correlation length sigma voxels), see noise-field.ts.
 */
import { InputError } from '../../util/errors.ts';
import type { Rng, Sample, Shape3 } from './sample.ts';
import { checkNumber, checkSample, uniform, voxelCount, withImage } from './sample.ts';
import { smoothNoiseField } from './noise-field.ts';

/** Exponents (i, j, k) of the polynomial terms of total degree <= order, in a fixed order. */
export function polynomialTerms(order: number, flat: boolean): [number, number, number][] {
  const terms: [number, number, number][] = [];
  for (let i = 0; i <= order; i++) {
    for (let j = 0; j <= order - i; j++) {
      for (let k = 0; k <= (flat ? 0 : order - i - j); k++) terms.push([i, j, k]);
    }
  }
  return terms;
}

function normalisedCoordinates(n: number): Float64Array {
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = n === 1 ? 0 : -1 + (2 * i) / (n - 1);
  return t;
}

/** The multiplicative field exp(Σ c_ijk x^i y^j z^k) for coefficients given in polynomialTerms(order) order. */
export function polynomialBiasField(shape: Shape3, order: number, coefficients: readonly number[]): Float32Array {
  if (!Number.isInteger(order) || order < 0 || order > 6) throw new InputError('biasField.order', `must be an integer 0..6, got ${order}`);
  const flat = shape[2] === 1;
  const terms = polynomialTerms(order, flat);
  if (coefficients.length !== terms.length) {
    throw new InputError('biasField.coefficients', `order ${order} needs ${terms.length} coefficients${flat ? ' (2D)' : ''}, got ${coefficients.length}`);
  }
  const [nx, ny, nz] = shape;
  const xs = normalisedCoordinates(nx);
  const ys = normalisedCoordinates(ny);
  const zs = normalisedCoordinates(nz);
  const field = new Float32Array(voxelCount(shape));
  // Per row (y, z) the field is a polynomial in x: gather its coefficients once, then Horner per voxel.
  const a = new Float64Array(order + 1);
  let o = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      a.fill(0);
      terms.forEach(([i, j, k], t) => {
        a[i] += coefficients[t] * ys[y] ** j * zs[z] ** k;
      });
      for (let x = 0; x < nx; x++, o++) {
        let p = a[order];
        for (let i = order - 1; i >= 0; i--) p = p * xs[x] + a[i];
        field[o] = Math.exp(p);
      }
    }
  }
  return field;
}

/** exp(strength · smooth noise): a random field without polynomial structure. */
export function noiseBiasField(shape: Shape3, sigma: number, strength: number, rng: Rng): Float32Array {
  checkNumber(sigma, 'biasField.sigma', 0.5);
  checkNumber(strength, 'biasField.strength', 0);
  const field = smoothNoiseField(shape, sigma, rng);
  for (let i = 0; i < field.length; i++) field[i] = Math.exp(strength * field[i]);
  return field;
}

/** Random polynomial coefficients, each uniform in [-maxCoefficient, maxCoefficient] (TorchIO's default 0.5). */
export function randomPolynomialCoefficients(order: number, flat: boolean, maxCoefficient: number, rng: Rng): number[] {
  return polynomialTerms(order, flat).map(() => uniform(rng, -maxCoefficient, maxCoefficient));
}

export function applyBiasFieldInPlace(image: Float32Array, channels: number, field: Float32Array): void {
  if (channels === 1) {
    for (let i = 0; i < field.length; i++) image[i] *= field[i];
    return;
  }
  for (let v = 0, i = 0; v < field.length; v++) {
    const f = field[v];
    for (let c = 0; c < channels; c++, i++) image[i] *= f;
  }
}

/** Multiplies every channel of `sample` by `field` (one value per voxel, e.g. from polynomialBiasField). */
export function applyBiasField(sample: Sample, field: Float32Array): Sample {
  checkSample(sample);
  if (field.length !== voxelCount(sample.shape)) throw new InputError('biasField.field', `needs ${voxelCount(sample.shape)} values, got ${field.length}`);
  const image = sample.image.slice();
  applyBiasFieldInPlace(image, sample.channels, field);
  return withImage(sample, image);
}
