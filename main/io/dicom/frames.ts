/**
 * A frame is one 2D image with its own geometry and rescale: a classic single-frame file, or one frame of an enhanced
 * multi-frame file. Series and multi-frame files are both stacked from frames, by the same code.
 */
import type { Vec3 } from '../../volume/volume.ts';
import { TAG, type DicomDataset, type DicomFile } from './parse.ts';
import { IDENTITY_RESCALE, type PixelFormat, type Rescale } from './pixels.ts';

export interface FrameInfo {
  dicom: DicomFile;
  fmt: PixelFormat;
  /** Index of the frame in its file. */
  index: number;
  /** For messages: the file name, plus the frame number in multi-frame files. */
  label: string;
  /** ImagePositionPatient of the frame's first pixel (LPS, mm). */
  position?: Vec3;
  /** ImageOrientationPatient: row cosine then column cosine. */
  orientation?: number[];
  /** PixelSpacing as DICOM gives it: [between rows (y), between columns (x)]. */
  pixelSpacing?: [number, number];
  sliceThickness?: number;
  spacingBetweenSlices?: number;
  rescale: Rescale;
  /** InstanceNumber (classic) or InStackPositionNumber (enhanced): the fallback order when positions are missing. */
  order?: number;
  /** DICOM SEG: ReferencedSegmentNumber. */
  segment?: number;
}

export function vec3(values: number[]): Vec3 | undefined {
  return values.length >= 3 && values.slice(0, 3).every(Number.isFinite) ? [values[0], values[1], values[2]] : undefined;
}

export function orientationOf(ds: DicomDataset | undefined): number[] | undefined {
  const v = ds?.numbers(TAG.ImageOrientationPatient) ?? [];
  return v.length >= 6 && v.slice(0, 6).every(Number.isFinite) ? v.slice(0, 6) : undefined;
}

export function pixelSpacingOf(ds: DicomDataset | undefined): [number, number] | undefined {
  const v = ds?.numbers(TAG.PixelSpacing) ?? [];
  if (v.length === 1 && v[0] > 0) return [v[0], v[0]];
  return v.length >= 2 && v[0] > 0 && v[1] > 0 ? [v[0], v[1]] : undefined;
}

export function positiveNumber(ds: DicomDataset | undefined, tag: string): number | undefined {
  const v = ds?.number(tag);
  return v !== undefined && v > 0 ? v : undefined;
}

export function rescaleOf(ds: DicomDataset | undefined): Rescale | undefined {
  if (!ds) return undefined;
  const slope = ds.number(TAG.RescaleSlope);
  const intercept = ds.number(TAG.RescaleIntercept);
  if (slope === undefined && intercept === undefined) return undefined;
  return { slope: slope === undefined || slope === 0 ? 1 : slope, intercept: intercept ?? 0 };
}

/**
 * Frames of a classic (not enhanced) file. A classic multi-frame file has one position for the whole file, which we
 * give to its first frame only: the others are stacked in stored order.
 */
export function classicFrames(dicom: DicomFile, fmt: PixelFormat, label: string): FrameInfo[] {
  const ds = dicom.dataset;
  const common = {
    dicom,
    fmt,
    orientation: orientationOf(ds),
    pixelSpacing: pixelSpacingOf(ds),
    sliceThickness: positiveNumber(ds, TAG.SliceThickness),
    spacingBetweenSlices: positiveNumber(ds, TAG.SpacingBetweenSlices),
    rescale: rescaleOf(ds) ?? IDENTITY_RESCALE,
  };
  const position = vec3(ds.numbers(TAG.ImagePositionPatient));
  if (fmt.frames === 1) return [{ ...common, index: 0, label, position, order: ds.number(TAG.InstanceNumber) }];
  const frames: FrameInfo[] = [];
  for (let i = 0; i < fmt.frames; i++) {
    frames.push({ ...common, index: i, label: `${label} frame ${i + 1}`, position: i === 0 ? position : undefined, order: i });
  }
  return frames;
}
