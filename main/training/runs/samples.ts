/**
 * Sample predictions of a training run for the dashboard: after a validation, the middle z slice of a few validation
 * cases as one PNG each — image (grey), ground truth and prediction (class colours) side by side — written atomically
 * into `runs/<id>/samples/`, replacing the previous validation's files.
 */
import path from 'node:path';
import type { Color } from '../../../ipc/contract.ts';
import { createRaster, encodePng, type RasterImage } from '../../report/png.ts';
import { writeFileAtomic } from '../../util/atomic.ts';

/** Grey pixels between panels. */
const GAP = 2;
/** Panels are shrunk by an integer stride to at most this many pixels a side. */
const MAX_PANEL = 256;
const GAP_GREY = 40;

export interface SliceSampleInput {
  shape: readonly [number, number, number];
  channels: number;
  /** Normalised image, x fastest, channels interleaved. */
  image: Float32Array;
  label: Uint8Array;
  prediction: Uint8Array;
}

/** Colour per class value (index = value); values without an entry draw black. */
export type ClassColors = readonly Color[];

/** Sample file name of a case: only URL-safe characters, so the data plane can serve it under the same name. */
export function sampleFileName(caseId: string): string {
  return `val-${caseId.replace(/[^A-Za-z0-9._-]/g, '_')}.png`;
}

/**
 * The middle z slice as image | truth | prediction. The image is windowed to its slice's min..max (channel 0); rows
 * go top to bottom with y increasing downwards, as the slice views show an axial slice.
 */
export function composeSliceSample(input: SliceSampleInput, colors: ClassColors): RasterImage {
  const [nx, ny, nz] = input.shape;
  const expected = nx * ny * nz;
  if (input.label.length !== expected || input.prediction.length !== expected || input.image.length !== expected * input.channels) {
    throw new RangeError(`composeSliceSample: arrays do not match the shape ${nx}x${ny}x${nz}`);
  }
  const z = Math.floor(nz / 2);
  const stride = Math.max(1, Math.ceil(Math.max(nx, ny) / MAX_PANEL));
  const w = Math.ceil(nx / stride);
  const h = Math.ceil(ny / stride);
  const raster = createRaster(3 * w + 2 * GAP, h, 3);
  raster.pixels.fill(GAP_GREY);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = z * nx * ny; i < (z + 1) * nx * ny; i++) {
    const v = input.image[i * input.channels];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const put = (panel: number, px: number, py: number, rgb: readonly number[]): void => {
    const o = (py * raster.width + panel * (w + GAP) + px) * 3;
    raster.pixels[o] = rgb[0];
    raster.pixels[o + 1] = rgb[1];
    raster.pixels[o + 2] = rgb[2];
  };
  const colorOf = (value: number): readonly number[] => colors[value] ?? [0, 0, 0];
  for (let py = 0; py < h; py++) {
    for (let px = 0; px < w; px++) {
      const voxel = (z * ny + py * stride) * nx + px * stride;
      const v = input.image[voxel * input.channels];
      const grey = Number.isFinite(v) ? Math.round(Math.min(255, Math.max(0, (v - lo) * scale))) : 0;
      put(0, px, py, [grey, grey, grey]);
      put(1, px, py, colorOf(input.label[voxel]));
      put(2, px, py, colorOf(input.prediction[voxel]));
    }
  }
  return raster;
}

/** Writes one sample PNG per case into `<runFolder>/samples/`; returns the file names in case order. */
export async function writeValidationSamples(
  runFolder: string,
  cases: readonly (SliceSampleInput & { id: string })[],
  colors: ClassColors,
): Promise<string[]> {
  const files: string[] = [];
  for (const c of cases) {
    const name = sampleFileName(c.id);
    await writeFileAtomic(path.join(runFolder, 'samples', name), encodePng(composeSliceSample(c, colors)));
    files.push(name);
  }
  return files;
}
