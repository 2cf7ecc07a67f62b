/**
 * Raster figures of a report, drawn in code: axial (x-y) slices of labels, errors, uncertainty and phase boundaries,
 * and a shaded depth projection of the label surface as the 3D snapshot. Pixels are square in physical space: a voxel
 * spans spacing_x x spacing_y in the image, scaled so that the slice is about `targetWidth` pixels wide.
 */
import type { TypedArray } from '../volume/dtype.ts';
import type { Vec3 } from '../volume/volume.ts';
import { createRaster, type RasterImage } from './png.ts';

export type Rgb = [number, number, number];
export type Palette = (value: number) => Rgb;

export interface SliceGrid {
  shape: Vec3;
  spacing: Vec3;
}

/** z slice holding the most voxels that are non-zero in `labels` (the middle one when all are empty). */
export function busiestSlice(labels: TypedArray, shape: Vec3): number {
  const [nx, ny, nz] = shape;
  let best = Math.floor(nz / 2);
  let bestCount = 0;
  for (let z = 0; z < nz; z++) {
    let count = 0;
    for (let i = z * nx * ny; i < (z + 1) * nx * ny; i++) if (labels[i] !== 0) count++;
    if (count > bestCount) [best, bestCount] = [z, count];
  }
  return best;
}

/** Maps output pixels to voxel (x, y) with nearest-neighbour sampling, keeping the physical aspect ratio. */
function pixelMap(grid: SliceGrid, targetWidth: number): { width: number; height: number; xs: Int32Array; ys: Int32Array } {
  const [nx, ny] = grid.shape;
  const physW = nx * grid.spacing[0];
  const physH = ny * grid.spacing[1];
  const scale = targetWidth / physW;
  const width = Math.max(1, Math.round(physW * scale));
  const height = Math.max(1, Math.round(physH * scale));
  const xs = Int32Array.from({ length: width }, (_, u) => Math.min(nx - 1, Math.floor(((u + 0.5) / width) * nx)));
  const ys = Int32Array.from({ length: height }, (_, v) => Math.min(ny - 1, Math.floor(((v + 0.5) / height) * ny)));
  return { width, height, xs, ys };
}

function render(grid: SliceGrid, targetWidth: number, colour: (x: number, y: number, out: Rgb) => void): RasterImage {
  const { width, height, xs, ys } = pixelMap(grid, targetWidth);
  const image = createRaster(width, height, 3);
  const rgb: Rgb = [0, 0, 0];
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      colour(xs[u], ys[v], rgb);
      const o = (v * width + u) * 3;
      image.pixels[o] = rgb[0];
      image.pixels[o + 1] = rgb[1];
      image.pixels[o + 2] = rgb[2];
    }
  }
  return image;
}

/** Intensity window (0.5 and 99.5 percentiles of a slice's finite values), for grey backgrounds. */
function sliceWindow(data: TypedArray, offset: number, count: number, stride: number): [number, number] {
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = data[(offset + i) * stride];
    if (Number.isFinite(v)) values.push(v);
  }
  if (values.length === 0) return [0, 1];
  values.sort((a, b) => a - b);
  const lo = values[Math.floor(0.005 * (values.length - 1))];
  const hi = values[Math.ceil(0.995 * (values.length - 1))];
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

export interface Background {
  data: TypedArray;
  /** Values per voxel (the first is shown). */
  components: number;
}

/** Labels over a grey image (or black), each class in its colour at `alpha`. */
export function labelSlice(labels: TypedArray, grid: SliceGrid, z: number, palette: Palette, background?: Background, alpha = 0.55, targetWidth = 300): RasterImage {
  const [nx, ny] = grid.shape;
  const base = z * nx * ny;
  const win = background ? sliceWindow(background.data, base, nx * ny, background.components) : [0, 1];
  return render(grid, targetWidth, (x, y, out) => {
    const i = base + y * nx + x;
    const g = background ? Math.max(0, Math.min(255, ((background.data[i * background.components] - win[0]) / (win[1] - win[0])) * 255)) : 0;
    const value = labels[i];
    if (value === 0) {
      out[0] = out[1] = out[2] = g;
      return;
    }
    const c = palette(value);
    for (let k = 0; k < 3; k++) out[k] = Math.round((1 - alpha) * g + alpha * c[k]);
  });
}

/** Colours of the error map: right (non-zero), false positive, false negative, wrong class, background. */
export const ERROR_COLORS = {
  correct: [200, 200, 200] as Rgb,
  falsePositive: [220, 40, 40] as Rgb,
  falseNegative: [40, 90, 230] as Rgb,
  wrongClass: [245, 160, 30] as Rgb,
  background: [20, 20, 20] as Rgb,
};

export function errorSlice(pred: TypedArray, truth: TypedArray, grid: SliceGrid, z: number, targetWidth = 300): RasterImage {
  const [nx, ny] = grid.shape;
  const base = z * nx * ny;
  return render(grid, targetWidth, (x, y, out) => {
    const i = base + y * nx + x;
    const p = pred[i], t = truth[i];
    const c =
      p === t ? (t === 0 ? ERROR_COLORS.background : ERROR_COLORS.correct)
      : t === 0 ? ERROR_COLORS.falsePositive
      : p === 0 ? ERROR_COLORS.falseNegative
      : ERROR_COLORS.wrongClass;
    out[0] = c[0];
    out[1] = c[1];
    out[2] = c[2];
  });
}

const HEAT: Rgb[] = [[13, 8, 135], [126, 3, 168], [204, 71, 120], [248, 149, 64], [240, 249, 33]];

/** A scalar map (entropy, variance) in a plasma-like colour map from its slice minimum to maximum. */
export function heatSlice(values: TypedArray, grid: SliceGrid, z: number, targetWidth = 300): RasterImage {
  const [nx, ny] = grid.shape;
  const base = z * nx * ny;
  let lo = Infinity, hi = -Infinity;
  for (let i = base; i < base + nx * ny; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(hi > lo)) hi = lo + 1;
  return render(grid, targetWidth, (x, y, out) => {
    const v = values[base + y * nx + x];
    const t = Number.isFinite(v) ? Math.max(0, Math.min(1, (v - lo) / (hi - lo))) * (HEAT.length - 1) : 0;
    const k = Math.min(HEAT.length - 2, Math.floor(t));
    const f = t - k;
    for (let c = 0; c < 3; c++) out[c] = Math.round(HEAT[k][c] * (1 - f) + HEAT[k + 1][c] * f);
  });
}

/** Phases in their colours with the in-plane interfaces (a 4-neighbour of another phase) drawn in white. */
export function boundarySlice(labels: TypedArray, grid: SliceGrid, z: number, palette: Palette, targetWidth = 300): RasterImage {
  const [nx, ny] = grid.shape;
  const base = z * nx * ny;
  return render(grid, targetWidth, (x, y, out) => {
    const i = base + y * nx + x;
    const v = labels[i];
    const edge = (x > 0 && labels[i - 1] !== v) || (x < nx - 1 && labels[i + 1] !== v) || (y > 0 && labels[i - nx] !== v) || (y < ny - 1 && labels[i + nx] !== v);
    const c: Rgb = edge ? [255, 255, 255] : v === 0 ? [40, 40, 40] : palette(v);
    out[0] = c[0];
    out[1] = c[1];
    out[2] = c[2];
  });
}

/**
 * 3D snapshot: looking along +z, the first non-zero voxel of every (x, y) ray, coloured by its class and shaded with a
 * Lambert term from the normal of the depth map (physical units), light from the upper left. Empty rays are dark.
 */
export function depthProjection(labels: TypedArray, grid: SliceGrid, palette: Palette, targetWidth = 300): RasterImage {
  const [nx, ny, nz] = grid.shape;
  const [sx, sy, sz] = grid.spacing;
  const depth = new Float64Array(nx * ny).fill(NaN);
  const value = new Float64Array(nx * ny);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      for (let z = 0; z < nz; z++) {
        const v = labels[(z * ny + y) * nx + x];
        if (v !== 0) {
          depth[y * nx + x] = z * sz;
          value[y * nx + x] = v;
          break;
        }
      }
    }
  }
  const light = [-0.4, -0.4, -0.82];
  const norm = Math.hypot(light[0], light[1], light[2]);
  const at = (x: number, y: number, fallback: number) => {
    const d = depth[Math.max(0, Math.min(ny - 1, y)) * nx + Math.max(0, Math.min(nx - 1, x))];
    return Number.isNaN(d) ? fallback : d;
  };
  return render(grid, targetWidth, (x, y, out) => {
    const d = depth[y * nx + x];
    if (Number.isNaN(d)) {
      out[0] = out[1] = out[2] = 30;
      return;
    }
    // surface z = depth(x, y); normal towards the viewer (-z)
    const gx = (at(x + 1, y, d + sz) - at(x - 1, y, d + sz)) / (2 * sx);
    const gy = (at(x, y + 1, d + sz) - at(x, y - 1, d + sz)) / (2 * sy);
    const n = [gx, gy, -1];
    const nl = Math.hypot(n[0], n[1], n[2]);
    const lambert = Math.max(0, (n[0] * light[0] + n[1] * light[1] + n[2] * light[2]) / (nl * norm));
    const fog = 1 - 0.35 * (d / Math.max(sz, (nz - 1) * sz));
    const shade = (0.25 + 0.75 * lambert) * fog;
    const c = palette(value[y * nx + x]);
    for (let k = 0; k < 3; k++) out[k] = Math.round(Math.min(255, c[k] * shade));
  });
}
