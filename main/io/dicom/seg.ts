/**
 * DICOM Segmentation (SEG) -> label volume. Each frame belongs to one segment (SegmentIdentificationSequence in its
 * functional groups) and one plane position. The output grid is spanned by the frames' positions: x/y from the frame
 * geometry, z from the distinct positions along the normal (spacing: SpacingBetweenSlices when the positions fall on
 * its multiples, else the smallest step between distinct positions when they fall on its multiples (slices where no
 * segment is present leave gaps), else the median step, rounding positions to the nearest slice with a warning). Voxel value = segment number (0 = background);
 * where segments overlap the higher segment number wins (counted in meta). FRACTIONAL segmentations are thresholded at
 * half the MaximumFractionalValue.
 */
import { InputError } from '../../util/errors.ts';
import { createVolume, IDENTITY3, type LabelEntry, type Mat3, type Vec3, type Volume } from '../../volume/volume.ts';
import type { FrameInfo } from './frames.ts';
import { framesOf } from './multiframe.ts';
import { TAG, type DicomFile } from './parse.ts';
import { decodePixels, readPixelFormat } from './pixels.ts';
import { directionFromOrientation, normalOf } from './series.ts';

export const SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.4';

export function isSegmentation(dicom: DicomFile): boolean {
  return dicom.dataset.string(TAG.SOPClassUID) === SEGMENTATION_STORAGE || dicom.dataset.string(TAG.Modality) === 'SEG';
}

/** Colours for segments that carry no RecommendedDisplayCIELabValue (3D Slicer's generic anatomy palette, first ten). */
const DEFAULT_COLORS: [number, number, number][] = [
  [128, 174, 128],
  [241, 214, 145],
  [177, 122, 101],
  [111, 184, 210],
  [216, 101, 79],
  [221, 130, 101],
  [144, 238, 144],
  [192, 104, 88],
  [220, 245, 20],
  [78, 63, 0],
];

export function defaultSegmentColor(segmentNumber: number): [number, number, number] {
  return [...DEFAULT_COLORS[(Math.max(1, segmentNumber) - 1) % DEFAULT_COLORS.length]] as [number, number, number];
}

/**
 * DICOM scaled CIELab (PS3.3 C.10.7.1.1: L* 0..100 and a*, b* -128..127 mapped to 0..65535) to sRGB 0..255, with the
 * D65 white point as dcmqi and 3D Slicer use when they write these values.
 */
export function dicomLabToRgb(lab: readonly number[]): [number, number, number] {
  const L = (lab[0] / 65535) * 100;
  const a = (lab[1] / 65535) * 255 - 128;
  const b = (lab[2] / 65535) * 255 - 128;
  const fy = (L + 16) / 116;
  const fx = fy + a / 500;
  const fz = fy - b / 200;
  const inv = (t: number) => (t ** 3 > 0.008856 ? t ** 3 : (t - 16 / 116) / 7.787);
  const X = 0.95047 * inv(fx);
  const Y = 1.0 * inv(fy);
  const Z = 1.08883 * inv(fz);
  const linear = [
    3.2404542 * X - 1.5371385 * Y - 0.4985314 * Z,
    -0.969266 * X + 1.8760108 * Y + 0.041556 * Z,
    0.0556434 * X - 0.2040259 * Y + 1.0572252 * Z,
  ];
  const gamma = (c: number) => (c > 0.0031308 ? 1.055 * c ** (1 / 2.4) - 0.055 : 12.92 * c);
  return linear.map((c) => Math.round(Math.min(1, Math.max(0, gamma(c))) * 255)) as [number, number, number];
}

/** The label table of a SEG: SegmentNumber, SegmentLabel and RecommendedDisplayCIELabValue of each segment. */
export function readSegments(dicom: DicomFile): LabelEntry[] {
  const items = dicom.dataset.sequence(TAG.SegmentSequence);
  const out: LabelEntry[] = [];
  items.forEach((item, i) => {
    const value = item.number(TAG.SegmentNumber) ?? i + 1;
    const lab = item.numbers(TAG.RecommendedDisplayCIELabValue);
    out.push({
      value,
      name: item.string(TAG.SegmentLabel) ?? `Segment ${value}`,
      color: lab.length >= 3 ? dicomLabToRgb(lab) : defaultSegmentColor(value),
    });
  });
  return out.sort((a, b) => a.value - b.value);
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Slice index of each distinct position (merged within 0.01 mm) and the spacing between them. */
function sliceGrid(ds: number[], hint: number | undefined, single: number | undefined): { levels: number[]; spacing: number; index: (d: number) => number; offGrid: boolean } {
  const sorted = [...ds].sort((a, b) => a - b);
  const levels: number[] = [];
  for (const d of sorted) if (levels.length === 0 || d - levels[levels.length - 1] > 0.01) levels.push(d);
  const onGrid = (s: number) => levels.every((d) => {
    const k = (d - levels[0]) / s;
    return Math.abs(k - Math.round(k)) * s <= Math.max(0.01 * s, 0.01);
  });
  let spacing: number;
  let offGrid = false;
  const steps = levels.slice(1).map((d, i) => d - levels[i]);
  if (levels.length === 1) spacing = hint ?? single ?? 1;
  else if (hint && onGrid(hint)) spacing = hint;
  else if (onGrid(Math.min(...steps))) spacing = Math.min(...steps); // gaps (slices without the segment) are multiples
  else {
    spacing = median(steps);
    offGrid = true;
  }
  return { levels, spacing, index: (d) => Math.round((d - levels[0]) / spacing), offGrid };
}

export function readSegmentation(dicom: DicomFile, label: string): Volume {
  const file = dicom.file;
  const ds = dicom.dataset;
  const warnings: string[] = [];
  const fmt = readPixelFormat(dicom);
  if (fmt.samplesPerPixel !== 1) throw new InputError(file, 'SEG with several samples per pixel is not valid');
  const segType = ds.string(TAG.SegmentationType) ?? (fmt.bitsAllocated === 1 ? 'BINARY' : 'FRACTIONAL');
  if (fmt.bitsAllocated !== 1 && fmt.bitsAllocated !== 8) {
    throw new InputError(file, `SEG with BitsAllocated ${fmt.bitsAllocated} is not supported (expected 1 or 8)`);
  }
  const segments = readSegments(dicom);
  if (segments.length === 0) throw new InputError(file, 'SEG has no SegmentSequence: no segments to read');
  const frames = framesOf(dicom, fmt, label, warnings);
  const known = new Set(segments.map((s) => s.value));
  for (const f of frames) {
    if (f.segment === undefined) {
      if (segments.length === 1) f.segment = segments[0].value;
      else throw new InputError(file, `${f.label} has no ReferencedSegmentNumber and the SEG holds ${segments.length} segments`);
    }
    if (!known.has(f.segment)) {
      throw new InputError(file, `${f.label} refers to segment ${f.segment}, which the SegmentSequence does not define`);
    }
  }

  let direction = directionFromOrientation(frames[0].orientation);
  if (!direction) {
    warnings.push('no usable ImageOrientationPatient: identity direction assumed');
    direction = [...IDENTITY3] as Mat3;
  }
  const normal = normalOf(direction);
  const ps = frames[0].pixelSpacing;
  if (!ps) warnings.push('no PixelSpacing: in-plane spacing assumed 1 mm');

  let sliceOf: (f: FrameInfo) => number;
  let depth: number;
  let dz: number;
  let origin: Vec3;
  if (frames.every((f) => f.position)) {
    const proj = (f: FrameInfo) => {
      const p = f.position as Vec3;
      return p[0] * normal[0] + p[1] * normal[1] + p[2] * normal[2];
    };
    const grid = sliceGrid(frames.map(proj), frames[0].spacingBetweenSlices, frames[0].sliceThickness);
    if (grid.offGrid) warnings.push('frame positions do not fall on a regular grid along the normal: rounded to the nearest slice');
    dz = grid.spacing;
    depth = grid.index(grid.levels[grid.levels.length - 1]) + 1;
    sliceOf = (f) => grid.index(proj(f));
    const firstFrame = frames.find((f) => Math.abs(proj(f) - grid.levels[0]) <= 0.01) ?? frames[0];
    origin = [...(firstFrame.position as Vec3)] as Vec3;
  } else {
    if (new Set(frames.map((f) => f.segment)).size > 1) {
      throw new InputError(file, 'SEG frames carry no PlanePositionSequence: cannot place several segments');
    }
    warnings.push('SEG frames carry no PlanePositionSequence: frames stacked in stored order');
    dz = frames[0].spacingBetweenSlices ?? frames[0].sliceThickness ?? 1;
    depth = frames.length;
    sliceOf = (f) => frames.indexOf(f);
    origin = frames[0].position ?? [0, 0, 0];
  }

  const pixels = decodePixels(dicom, fmt);
  const per = fmt.rows * fmt.columns;
  const maxSegment = Math.max(...segments.map((s) => s.value));
  const data = maxSegment > 255 ? new Uint16Array(per * depth) : new Uint8Array(per * depth);
  const threshold = segType === 'FRACTIONAL' ? (ds.number(TAG.MaximumFractionalValue) ?? 255) / 2 : 0;
  let overlaps = 0;
  for (const f of [...frames].sort((a, b) => (a.segment ?? 0) - (b.segment ?? 0))) {
    const base = sliceOf(f) * per;
    const src = f.index * per;
    const value = f.segment as number;
    for (let i = 0; i < per; i++) {
      if (pixels[src + i] > threshold) {
        if (data[base + i] !== 0 && data[base + i] !== value) overlaps++;
        data[base + i] = value;
      }
    }
  }
  if (overlaps > 0) warnings.push(`${overlaps} voxels belong to several segments: the higher segment number was kept`);

  const meta: Record<string, string | number | boolean> = {
    isLabel: true,
    modality: 'SEG',
    segmentationType: segType,
    segments: segments.length,
    frames: frames.length,
  };
  for (const [key, tag] of [
    ['seriesInstanceUID', TAG.SeriesInstanceUID],
    ['seriesDescription', TAG.SeriesDescription],
    ['studyInstanceUID', TAG.StudyInstanceUID],
    ['frameOfReferenceUID', TAG.FrameOfReferenceUID],
    ['sopClassUID', TAG.SOPClassUID],
  ] as const) {
    const v = ds.string(tag);
    if (v) meta[key] = v;
  }
  meta.transferSyntaxUID = dicom.transferSyntaxUID;
  if (warnings.length) meta.warnings = warnings.join('; ');
  return createVolume({
    shape: [fmt.columns, fmt.rows, depth],
    data,
    spacing: [ps ? ps[1] : 1, ps ? ps[0] : 1, dz],
    origin,
    direction,
    labels: segments.map(({ value, name, color }) => ({ value, name, color })),
    meta,
  });
}
