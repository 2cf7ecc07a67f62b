/**
 * Stacking frames into a volume: grouping by orientation, sorting along the slice normal, slice spacing from the
 * positions, checks (size, duplicates, irregular steps), and copying the pixels with the rescale applied.
 *
 * Geometry (ITK/LPS, DICOM patient coordinates are LPS already):
 *   x axis = row cosine (IOP[0..2]), spacing PixelSpacing[1] (between columns)
 *   y axis = column cosine (IOP[3..5]), spacing PixelSpacing[0] (between rows)
 *   z axis = row x column (right-handed), frames sorted by the projection of their position on it
 *   origin = position of the first frame after sorting
 *
 * Slice spacing of a stack of n >= 2 frames is (last - first) / (n - 1) along the normal, i.e. the mean step, which
 * puts the first and the last slice exactly where the files say (as ITK does). Every slice must then lie within
 * max(1% of the spacing, min(0.2 mm, 10% of the spacing)) of its place on that uniform grid: the absolute part
 * absorbs positions rounded to 0.1 mm, as in real series whose steps alternate 6.96 / 7.07 mm around 7.00 mm (a
 * strict 1% step check would flag them). When a slice is off by more, the volume is still built (a missing slice
 * should not make a series unreadable) with the median step as spacing and a
 * `warnings` entry in meta naming the irregular slices. Two frames at the same position are an InputError.
 */
import { InputError } from '../../util/errors.ts';
import { allocate, type DType, type TypedArray } from '../../volume/dtype.ts';
import { orthonormalize } from '../../volume/orientation.ts';
import { IDENTITY3, type Mat3, type Vec3 } from '../../volume/volume.ts';
import type { FrameInfo } from './frames.ts';
import { chooseStorage, frameLength, isIdentity, rangeOf, rawDType, type StorageChoice } from './pixels.ts';

export interface StackGeometry {
  spacing: Vec3;
  origin: Vec3;
  direction: Mat3;
}

export interface Stack extends StackGeometry {
  /** Frames in slice order (index z). */
  frames: FrameInfo[];
}

const dot = (a: readonly number[], b: readonly number[]): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: readonly number[], b: readonly number[]): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
const fmt = (x: number, digits = 4): string => String(+x.toFixed(digits));

/** Direction matrix (columns: row cosine, column cosine, normal), orthonormal. Undefined when IOP is unusable. */
export function directionFromOrientation(iop: readonly number[] | undefined): Mat3 | undefined {
  if (!iop || iop.length < 6) return undefined;
  const row = iop.slice(0, 3);
  const col = iop.slice(3, 6);
  const normal = cross(row, col);
  try {
    return orthonormalize([row[0], col[0], normal[0], row[1], col[1], normal[1], row[2], col[2], normal[2]]);
  } catch {
    return undefined;
  }
}

export function normalOf(direction: Mat3): Vec3 {
  return [direction[2], direction[5], direction[8]];
}

/** Clusters frames whose ImageOrientationPatient agree within 1e-3 per component (frames without IOP form one group). */
export function groupByOrientation(frames: readonly FrameInfo[]): FrameInfo[][] {
  const groups: { iop: number[] | undefined; frames: FrameInfo[] }[] = [];
  for (const frame of frames) {
    const iop = frame.orientation;
    const g = groups.find((gr) =>
      iop === undefined || gr.iop === undefined ? iop === gr.iop : gr.iop.every((v, i) => Math.abs(v - iop[i]) < 1e-3),
    );
    if (g) g.frames.push(frame);
    else groups.push({ iop, frames: [frame] });
  }
  return groups.map((g) => g.frames).sort((a, b) => b.length - a.length);
}

/** Frames must share size and pixel format; the InputError names the first file that differs. */
export function checkConsistent(frames: readonly FrameInfo[]): void {
  const a = frames[0];
  for (const f of frames) {
    if (f.fmt.rows !== a.fmt.rows || f.fmt.columns !== a.fmt.columns) {
      throw new InputError(
        f.dicom.file,
        `image is ${f.fmt.columns}x${f.fmt.rows} (columns x rows) but ${a.label} in the same series is ` +
          `${a.fmt.columns}x${a.fmt.rows}: a series must have one image size`,
      );
    }
    if (f.fmt.samplesPerPixel !== a.fmt.samplesPerPixel || rawDType(f.fmt) !== rawDType(a.fmt)) {
      throw new InputError(
        f.dicom.file,
        `pixel format (${f.fmt.samplesPerPixel} sample(s), ${rawDType(f.fmt)}) differs from ${a.label} ` +
          `(${a.fmt.samplesPerPixel} sample(s), ${rawDType(a.fmt)}) in the same series`,
      );
    }
    const sa = a.pixelSpacing;
    const sf = f.pixelSpacing;
    if (sa && sf && (Math.abs(sa[0] - sf[0]) > 1e-4 * sa[0] || Math.abs(sa[1] - sf[1]) > 1e-4 * sa[1])) {
      throw new InputError(
        f.dicom.file,
        `PixelSpacing ${sf.join('\\')} differs from ${sa.join('\\')} of ${a.label} in the same series`,
      );
    }
  }
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fallbackSliceSpacing(frame: FrameInfo): number {
  return frame.spacingBetweenSlices ?? frame.sliceThickness ?? 1;
}

/**
 * Orders frames along the slice normal and derives the grid. `subject` names the series (folder or file) in errors.
 * Warnings (missing geometry, irregular steps, in-plane drift) are pushed to `warnings`.
 */
export function stackFrames(frames: readonly FrameInfo[], subject: string, warnings: string[]): Stack {
  if (frames.length === 0) throw new InputError(subject, 'no image frames to stack');
  const first = frames[0];
  let direction = directionFromOrientation(first.orientation);
  if (!direction) {
    warnings.push('no usable ImageOrientationPatient: axes assumed aligned with the patient (identity direction)');
    direction = [...IDENTITY3] as Mat3;
  }
  const ps = first.pixelSpacing;
  if (!ps) warnings.push('no PixelSpacing: in-plane spacing assumed 1 mm');
  const sx = ps ? ps[1] : 1;
  const sy = ps ? ps[0] : 1;

  if (frames.length === 1) {
    return {
      frames: [first],
      spacing: [sx, sy, fallbackSliceSpacing(first)],
      origin: first.position ?? [0, 0, 0],
      direction,
    };
  }

  if (frames.some((f) => !f.position)) {
    const sorted = [...frames].sort((a, b) => (a.order ?? 0) - (b.order ?? 0) || a.index - b.index);
    const dz = fallbackSliceSpacing(first);
    warnings.push(
      `not every frame has an ImagePositionPatient: ${frames.length} frames stacked in stored/instance order, ` +
        `slice spacing ${fmt(dz)} mm from ${first.spacingBetweenSlices ? 'SpacingBetweenSlices' : first.sliceThickness ? 'SliceThickness' : 'a default'}`,
    );
    return { frames: sorted, spacing: [sx, sy, dz], origin: sorted[0].position ?? first.position ?? [0, 0, 0], direction };
  }

  const normal = normalOf(direction);
  const keyed = frames.map((f) => ({ f, d: dot(f.position as Vec3, normal) }));
  keyed.sort((a, b) => a.d - b.d || (a.f.order ?? 0) - (b.f.order ?? 0));
  const steps: number[] = [];
  for (let i = 1; i < keyed.length; i++) {
    const step = keyed[i].d - keyed[i - 1].d;
    if (step < 0.01) {
      throw new InputError(
        subject,
        `${keyed[i - 1].f.label} and ${keyed[i].f.label} lie at the same position along the slice normal ` +
          `(${fmt(keyed[i].d)} mm): duplicate images, or several volumes (time points, echoes) in one series`,
      );
    }
    steps.push(step);
  }
  const mean = (keyed[keyed.length - 1].d - keyed[0].d) / (keyed.length - 1);
  const tolerance = Math.max(0.01 * mean, Math.min(0.2, 0.1 * mean));
  let residual = 0;
  keyed.forEach(({ d }, k) => {
    residual = Math.max(residual, Math.abs(d - keyed[0].d - k * mean));
  });
  let dz = mean;
  if (residual > tolerance) {
    dz = median(steps);
    const irregular = steps.flatMap((s, i) => (Math.abs(s - dz) > tolerance ? [i] : []));
    const shown = irregular
      .slice(0, 5)
      .map((i) => `${keyed[i].f.label} -> ${keyed[i + 1].f.label}: ${fmt(steps[i])} mm`)
      .join(', ');
    warnings.push(
      `irregular slice spacing: positions deviate up to ${fmt(residual, 3)} mm from a uniform grid; ` +
        (irregular.length
          ? `${irregular.length} of ${steps.length} steps differ from the median step by more than ${fmt(tolerance, 3)} mm ` +
            `(${shown}${irregular.length > 5 ? ', ...' : ''}); `
          : '') +
        `the volume assumes the median step ${fmt(dz)} mm, so slices beyond an irregular step are misplaced`,
    );
  }

  // In-plane drift of positions (gantry tilt, sheared acquisitions) cannot be represented by the grid.
  const p0 = keyed[0].f.position as Vec3;
  let drift = 0;
  for (const { f, d } of keyed) {
    const p = f.position as Vec3;
    const off = [0, 1, 2].map((r) => p[r] - p0[r] - (d - keyed[0].d) * normal[r]);
    drift = Math.max(drift, Math.hypot(off[0], off[1], off[2]));
  }
  if (drift > 0.5 * Math.min(sx, sy)) {
    warnings.push(
      `slice positions drift in-plane by up to ${fmt(drift, 3)} mm (gantry tilt or sheared stack); ` +
        'the volume keeps the first slice position and ignores the drift',
    );
  }
  return { frames: keyed.map((k) => k.f), spacing: [sx, sy, dz], origin: [...p0] as Vec3, direction };
}

export interface AssembledPixels {
  data: TypedArray;
  dtype: DType;
  storage: StorageChoice;
}

/**
 * Copies the frames' pixels into one array in slice order, rescaled. `pixelsOf` gives a frame's raw values (a view of
 * its file's decoded pixel data).
 */
export function assemblePixels(frames: readonly FrameInfo[], pixelsOf: (frame: FrameInfo) => TypedArray): AssembledPixels {
  const per = frameLength(frames[0].fmt);
  const raw = rawDType(frames[0].fmt);
  const identity = frames.every((f) => isIdentity(f.rescale));
  const ranges = frames.map((f) => {
    if (identity) return { rescale: f.rescale, min: 0, max: 0 };
    const px = pixelsOf(f);
    return { rescale: f.rescale, ...rangeOf(px, 0, per) };
  });
  const storage = chooseStorage(raw, ranges);
  const data = allocate(storage.dtype, per * frames.length);
  frames.forEach((f, k) => {
    const px = pixelsOf(f);
    if (storage.identity) {
      data.set(px.subarray(0, per), k * per);
      return;
    }
    const { slope, intercept } = f.rescale;
    const base = k * per;
    for (let i = 0; i < per; i++) data[base + i] = px[i] * slope + intercept;
  });
  return { data, dtype: storage.dtype, storage };
}
