import { createVolume, type Volume, type Vec3 } from '../volume/volume.ts';
import { gaussianSource, mulberry32 } from '../util/random.ts';
import { InputError } from '../util/errors.ts';

/**
 * A synthetic X-ray tomogram of a real 3-phase battery electrode segmentation (taufactor's NMC cathode, 0/85/170),
 * with what makes real tomography hard to threshold: phase intensities that overlap, partial-volume blur, noise, a
 * smooth bias field and ring artefacts around the rotation axis. The label map is the segmentation itself, so a model
 * can be scored against exact ground truth.
 */
export interface ElectrodePhantomOptions {
  /** Sub-volume of the segmentation to use, (x, y, z) size from the corner; default the whole volume. */
  size?: Vec3;
  seed?: number;
  /** Mean grey value per phase: pore, NMC, carbon-binder. */
  phaseMeans?: [number, number, number];
  /** Gaussian blur sigma in voxels (partial volume). */
  blurSigma?: number;
  /** Noise standard deviation, grey values. */
  noiseSigma?: number;
  /** Peak-to-peak amplitude of the multiplicative bias field (fraction, e.g. 0.2 = ±10%). */
  biasAmplitude?: number;
  /** Amplitude of the ring artefacts, grey values. */
  ringAmplitude?: number;
  /** Voxel size in micrometres, written as spacing. */
  voxelSize?: number;
}

export const ELECTRODE_PHASES = [
  { value: 0, name: 'pore', color: [40, 40, 40] as [number, number, number] },
  { value: 1, name: 'NMC', color: [230, 160, 40] as [number, number, number] },
  { value: 2, name: 'carbon-binder', color: [60, 140, 230] as [number, number, number] },
];

/** Maps taufactor's grey codes (0, 85, 170) to class indices 0, 1, 2, cropping to `size`. */
export function electrodeLabels(segmentation: Volume, size?: Vec3, voxelSize = 1): Volume {
  const [nx, ny, nz] = segmentation.shape;
  const [sx, sy, sz] = size ?? segmentation.shape;
  if (sx > nx || sy > ny || sz > nz || sx < 1 || sy < 1 || sz < 1) {
    throw new InputError('phantom size', `[${sx}, ${sy}, ${sz}] must lie within the segmentation's [${nx}, ${ny}, ${nz}]`);
  }
  const codes = new Map([[0, 0], [85, 1], [170, 2]]);
  const labels = new Uint8Array(sx * sy * sz);
  for (let z = 0; z < sz; z++) {
    for (let y = 0; y < sy; y++) {
      const src = (z * ny + y) * nx;
      const dst = (z * sy + y) * sx;
      for (let x = 0; x < sx; x++) {
        const code = segmentation.data[src + x];
        const label = codes.get(code);
        if (label === undefined) throw new InputError('electrode segmentation', `unexpected value ${code} (expected 0, 85 or 170)`);
        labels[dst + x] = label;
      }
    }
  }
  return createVolume({
    shape: [sx, sy, sz],
    data: labels,
    spacing: [voxelSize, voxelSize, voxelSize],
    labels: ELECTRODE_PHASES,
    meta: { isLabel: true },
  });
}

/** Separable Gaussian blur along the three axes, in place on a float32 buffer. */
export function gaussianBlur3d(data: Float32Array, shape: Vec3, sigma: number): void {
  if (sigma <= 0) return;
  const radius = Math.ceil(3 * sigma);
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += kernel[i + radius] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
  const [nx, ny, nz] = shape;
  const strides = [1, nx, nx * ny];
  for (let axis = 0; axis < 3; axis++) {
    const n = shape[axis];
    const stride = strides[axis];
    const line = new Float32Array(n);
    const lines = (nx * ny * nz) / n;
    for (let l = 0; l < lines; l++) {
      // First element of line l along `axis`.
      let base: number;
      if (axis === 0) base = l * nx;
      else if (axis === 1) base = (l % nx) + Math.floor(l / nx) * nx * ny;
      else base = l;
      for (let i = 0; i < n; i++) line[i] = data[base + i * stride];
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let k = -radius; k <= radius; k++) {
          // Mirror at the borders so the edges keep their mean.
          let j = i + k;
          if (j < 0) j = -j - 1;
          if (j >= n) j = 2 * n - j - 1;
          j = Math.min(Math.max(j, 0), n - 1);
          acc += kernel[k + radius] * line[j];
        }
        data[base + i * stride] = acc;
      }
    }
  }
}

export function electrodePhantom(labels: Volume, options: ElectrodePhantomOptions = {}): Volume {
  const {
    seed = 7,
    phaseMeans = [70, 150, 115],
    blurSigma = 1.0,
    noiseSigma = 18,
    biasAmplitude = 0.2,
    ringAmplitude = 10,
  } = options;
  const [nx, ny, nz] = labels.shape;
  const image = new Float32Array(nx * ny * nz);
  for (let i = 0; i < image.length; i++) image[i] = phaseMeans[labels.data[i]];
  gaussianBlur3d(image, labels.shape, blurSigma);

  const uniform = mulberry32(seed);
  const normal = gaussianSource(uniform);
  // Bias: a smooth product of low-frequency cosines with random phases.
  const phases = [uniform(), uniform(), uniform()].map((p) => p * 2 * Math.PI);
  // Rings: offsets by radius from the rotation axis (z), a few random bands as a detector with bad pixels makes.
  const maxRadius = Math.ceil(Math.hypot(nx, ny) / 2) + 1;
  const ringProfile = new Float32Array(maxRadius);
  for (let b = 0; b < 6; b++) {
    const r0 = Math.floor(uniform() * maxRadius);
    const amp = ringAmplitude * (uniform() < 0.5 ? -1 : 1) * (0.5 + uniform());
    for (let r = Math.max(0, r0 - 1); r <= Math.min(maxRadius - 1, r0 + 1); r++) ringProfile[r] += amp;
  }
  const cx = (nx - 1) / 2;
  const cy = (ny - 1) / 2;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const i = (z * ny + y) * nx + x;
        const bias =
          1 +
          (biasAmplitude / 2) *
            Math.cos((Math.PI * x) / nx + phases[0]) *
            Math.cos((Math.PI * y) / ny + phases[1]) *
            Math.cos((Math.PI * z) / nz + phases[2]);
        const ring = ringProfile[Math.round(Math.hypot(x - cx, y - cy))];
        image[i] = image[i] * bias + ring + noiseSigma * normal();
      }
    }
  }
  return createVolume({
    shape: labels.shape,
    data: image,
    spacing: labels.spacing,
    meta: { phantom: 'electrode', seed },
  });
}
