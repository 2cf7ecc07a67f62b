/**
 * The one interpolating spatial operation: every output voxel p (index coordinates) reads the input at
 *
 *     q = c + M · (p - c + d(p))
 *
 * where c is the patch centre ((n - 1) / 2 per axis), M a 3x3 matrix (output offsets -> input offsets) and d an
 * optional displacement field in voxels (elastic deformation). Affine and elastic deformation share this single
 * resampling pass, so a patch is interpolated once however many spatial transforms are drawn (as nnU-Net does).
 *
 * Images are interpolated trilinearly (bilinearly for a 2D sample, nz = 1, where z is ignored), labels by nearest
 * neighbour so they keep only their original values. Outside the input, `constant` reads `imageFill` / `labelFill`
 * and `edge` repeats the border voxel.
 */
import type { Sample } from './sample.ts';
import { voxelCount } from './sample.ts';

export type BorderMode = 'constant' | 'edge';

export interface Border {
  mode: BorderMode;
  /** Image value outside the input in `constant` mode. */
  imageFill: number;
  /** Label value outside the input in `constant` mode. */
  labelFill: number;
}

export const DEFAULT_BORDER: Border = { mode: 'constant', imageFill: 0, labelFill: 0 };

export interface Displacement {
  /** Per output voxel, in voxels, x-fastest like the sample. */
  x: Float32Array;
  y: Float32Array;
  z: Float32Array;
}

/** Row-major 3x3 matrix. */
export type Matrix3 = [number, number, number, number, number, number, number, number, number];
export const IDENTITY3: Matrix3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

export function resample(sample: Sample, matrix: Matrix3, displacement: Displacement | null, border: Border = DEFAULT_BORDER): Sample {
  const [nx, ny, nz] = sample.shape;
  const channels = sample.channels;
  const n = voxelCount(sample.shape);
  const image = new Float32Array(n * channels);
  const label = new Uint8Array(n);
  const src = sample.image;
  const srcLabel = sample.label;
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = matrix;
  const cx = (nx - 1) / 2;
  const cy = (ny - 1) / 2;
  const cz = (nz - 1) / 2;
  const flat = nz === 1;
  const constant = border.mode === 'constant';
  const labelFill = border.labelFill;
  const sy = nx;
  const sz = nx * ny;
  // Taps of the 2x2(x2) neighbourhood, in array elements.
  const dx = channels;
  const dy = sy * channels;
  const dz = flat ? 0 : sz * channels;
  const dispX = displacement?.x;
  const dispY = displacement?.y;
  const dispZ = displacement?.z;
  const lastX = nx - 1;
  const lastY = ny - 1;
  const lastZ = nz - 1;

  let o = 0;
  for (let z = 0; z < nz; z++) {
    const pz = z - cz;
    for (let y = 0; y < ny; y++) {
      const py = y - cy;
      // q at x = 0 of this row; it advances by the matrix's first column per voxel.
      const rowX = cx + m00 * -cx + m01 * py + m02 * pz;
      const rowY = cy + m10 * -cx + m11 * py + m12 * pz;
      const rowZ = cz + m20 * -cx + m21 * py + m22 * pz;
      for (let x = 0; x < nx; x++, o++) {
        let qx = rowX + m00 * x;
        let qy = rowY + m10 * x;
        let qz = flat ? 0 : rowZ + m20 * x;
        if (dispX !== undefined) {
          const ddx = dispX[o];
          const ddy = dispY![o];
          const ddz = dispZ![o];
          qx += m00 * ddx + m01 * ddy + m02 * ddz;
          qy += m10 * ddx + m11 * ddy + m12 * ddz;
          if (!flat) qz += m20 * ddx + m21 * ddy + m22 * ddz;
        }
        const x0 = Math.floor(qx);
        const y0 = Math.floor(qy);
        const z0 = flat ? 0 : Math.floor(qz);
        const fx = qx - x0;
        const fy = qy - y0;
        const fz = qz - z0;

        // Label: nearest neighbour (the nearer of the two taps on each axis).
        let lx = fx < 0.5 ? x0 : x0 + 1;
        let ly = fy < 0.5 ? y0 : y0 + 1;
        let lz = fz < 0.5 ? z0 : z0 + 1;
        if (lx >= 0 && lx <= lastX && ly >= 0 && ly <= lastY && lz >= 0 && lz <= lastZ) {
          label[o] = srcLabel[lz * sz + ly * sy + lx];
        } else if (constant) {
          label[o] = labelFill;
        } else {
          lx = lx < 0 ? 0 : lx > lastX ? lastX : lx;
          ly = ly < 0 ? 0 : ly > lastY ? lastY : ly;
          lz = lz < 0 ? 0 : lz > lastZ ? lastZ : lz;
          label[o] = srcLabel[lz * sz + ly * sy + lx];
        }

        // Image: trilinear (bilinear when flat), the common all-inside case without bounds checks.
        if (x0 >= 0 && x0 < lastX && y0 >= 0 && y0 < lastY && (flat || (z0 >= 0 && z0 < lastZ))) {
          const gx = 1 - fx;
          const gy = 1 - fy;
          const i000 = (z0 * sz + y0 * sy + x0) * channels;
          if (flat) {
            for (let c = 0, oc = o * channels; c < channels; c++, oc++) {
              const i = i000 + c;
              image[oc] = gy * (gx * src[i] + fx * src[i + dx]) + fy * (gx * src[i + dy] + fx * src[i + dy + dx]);
            }
          } else {
            const gz = 1 - fz;
            for (let c = 0, oc = o * channels; c < channels; c++, oc++) {
              const i = i000 + c;
              const j = i + dz;
              image[oc] =
                gz * (gy * (gx * src[i] + fx * src[i + dx]) + fy * (gx * src[i + dy] + fx * src[i + dy + dx])) +
                fz * (gy * (gx * src[j] + fx * src[j + dx]) + fy * (gx * src[j + dy] + fx * src[j + dy + dx]));
            }
          }
        } else {
          borderTaps(src, image, o * channels, channels, sample.shape, x0, y0, z0, fx, fy, fz, border);
        }
      }
    }
  }
  return { ...sample, image, label, shape: [nx, ny, nz], spacing: sample.spacing ? [...sample.spacing] : undefined };
}

/** Trilinear value near or beyond the border: each of the up to 8 taps read with the border rule. */
function borderTaps(
  src: Float32Array,
  image: Float32Array,
  out: number,
  channels: number,
  shape: readonly [number, number, number],
  x0: number,
  y0: number,
  z0: number,
  fx: number,
  fy: number,
  fz: number,
  border: Border,
): void {
  const [nx, ny, nz] = shape;
  const flat = nz === 1;
  const constant = border.mode === 'constant';
  for (let c = 0; c < channels; c++) image[out + c] = 0;
  for (let tz = 0; tz < (flat ? 1 : 2); tz++) {
    const wz = flat ? 1 : tz === 0 ? 1 - fz : fz;
    if (wz === 0) continue;
    let iz = z0 + tz;
    const zOut = iz < 0 || iz >= nz;
    if (zOut) iz = iz < 0 ? 0 : nz - 1;
    for (let ty = 0; ty < 2; ty++) {
      const wy = ty === 0 ? 1 - fy : fy;
      if (wy === 0) continue;
      let iy = y0 + ty;
      const yOut = iy < 0 || iy >= ny;
      if (yOut) iy = iy < 0 ? 0 : ny - 1;
      for (let tx = 0; tx < 2; tx++) {
        const wx = tx === 0 ? 1 - fx : fx;
        if (wx === 0) continue;
        let ix = x0 + tx;
        const xOut = ix < 0 || ix >= nx;
        if (xOut) ix = ix < 0 ? 0 : nx - 1;
        const w = wz * wy * wx;
        if (constant && (xOut || yOut || zOut)) {
          for (let c = 0; c < channels; c++) image[out + c] += w * border.imageFill;
        } else {
          const i = ((iz * ny + iy) * nx + ix) * channels;
          for (let c = 0; c < channels; c++) image[out + c] += w * src[i + c];
        }
      }
    }
  }
}
