import { allocate, dtypeOf, type DType, type TypedArray } from './dtype.ts';

export type Vec3 = [number, number, number];
/** Row-major 3x3 matrix. Column j is the world (LPS) direction of index axis j. */
export type Mat3 = [number, number, number, number, number, number, number, number, number];

export const IDENTITY3: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

export interface LabelEntry {
  value: number;
  name: string;
  /** sRGB 0..255 */
  color: [number, number, number];
}

/**
 * Geometry of a voxel grid, as ITK defines it, in LPS world coordinates (millimetres):
 *   world = origin + direction · diag(spacing) · index
 * Index axes are (x, y, z) with x fastest in memory.
 */
export interface Geometry {
  shape: Vec3;
  spacing: Vec3;
  origin: Vec3;
  direction: Mat3;
}

export interface VolumeHeader extends Geometry {
  dtype: DType;
  /** Values per voxel, interleaved (component fastest). 1 for scalar volumes; 4D series are stored as components. */
  components: number;
  /** Present for label maps: value -> name, colour. */
  labels?: LabelEntry[];
  /** Free-form provenance, e.g. the source format, DICOM series UID. */
  meta?: Record<string, string | number | boolean>;
}

export interface Volume extends VolumeHeader {
  data: TypedArray;
}

export function voxelCount(shape: Vec3): number {
  return shape[0] * shape[1] * shape[2];
}

export interface VolumeInit {
  shape: Vec3;
  data?: TypedArray;
  dtype?: DType;
  components?: number;
  spacing?: Vec3;
  origin?: Vec3;
  direction?: Mat3;
  labels?: LabelEntry[];
  meta?: Record<string, string | number | boolean>;
}

/** Builds a volume with defaults (unit spacing, zero origin, identity direction) and checks that it is consistent. */
export function createVolume(init: VolumeInit): Volume {
  const components = init.components ?? 1;
  const dtype = init.dtype ?? (init.data ? dtypeOf(init.data) : 'float32');
  const data = init.data ?? allocate(dtype, voxelCount(init.shape) * components);
  const volume: Volume = {
    shape: [...init.shape] as Vec3,
    spacing: [...(init.spacing ?? [1, 1, 1])] as Vec3,
    origin: [...(init.origin ?? [0, 0, 0])] as Vec3,
    direction: [...(init.direction ?? IDENTITY3)] as Mat3,
    dtype,
    components,
    data,
    ...(init.labels ? { labels: init.labels } : {}),
    ...(init.meta ? { meta: init.meta } : {}),
  };
  validateVolume(volume);
  return volume;
}

/** Throws a RangeError naming the first inconsistent field. */
export function validateVolume(volume: Volume): void {
  const { shape, spacing, origin, direction, components, data, dtype } = volume;
  if (shape.length !== 3 || shape.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new RangeError(`shape must be three positive integers, got [${shape.join(', ')}]`);
  }
  if (spacing.length !== 3 || spacing.some((s) => !Number.isFinite(s) || s <= 0)) {
    throw new RangeError(`spacing must be three positive finite numbers, got [${spacing.join(', ')}]`);
  }
  if (origin.length !== 3 || origin.some((o) => !Number.isFinite(o))) {
    throw new RangeError(`origin must be three finite numbers, got [${origin.join(', ')}]`);
  }
  if (direction.length !== 9 || direction.some((d) => !Number.isFinite(d))) {
    throw new RangeError('direction must be nine finite numbers (row-major 3x3)');
  }
  if (Math.abs(det3(direction)) < 1e-6) throw new RangeError('direction matrix is singular');
  if (!Number.isInteger(components) || components < 1) {
    throw new RangeError(`components must be a positive integer, got ${components}`);
  }
  if (dtypeOf(data) !== dtype) throw new RangeError(`data is ${dtypeOf(data)} but dtype says ${dtype}`);
  const expected = voxelCount(shape) * components;
  if (data.length !== expected) {
    throw new RangeError(`data has ${data.length} values, shape x components needs ${expected}`);
  }
}

export function det3(m: Mat3): number {
  return (
    m[0] * (m[4] * m[8] - m[5] * m[7]) -
    m[1] * (m[3] * m[8] - m[5] * m[6]) +
    m[2] * (m[3] * m[7] - m[4] * m[6])
  );
}

/** world = origin + D·diag(s)·index */
export function indexToWorld(geometry: Geometry, index: Vec3): Vec3 {
  const { origin: o, direction: d, spacing: s } = geometry;
  const i = index[0] * s[0];
  const j = index[1] * s[1];
  const k = index[2] * s[2];
  return [
    o[0] + d[0] * i + d[1] * j + d[2] * k,
    o[1] + d[3] * i + d[4] * j + d[5] * k,
    o[2] + d[6] * i + d[7] * j + d[8] * k,
  ];
}

/** Continuous index of a world point (inverse of indexToWorld). */
export function worldToIndex(geometry: Geometry, world: Vec3): Vec3 {
  const inv = invert3(geometry.direction);
  const p: Vec3 = [world[0] - geometry.origin[0], world[1] - geometry.origin[1], world[2] - geometry.origin[2]];
  return [
    (inv[0] * p[0] + inv[1] * p[1] + inv[2] * p[2]) / geometry.spacing[0],
    (inv[3] * p[0] + inv[4] * p[1] + inv[5] * p[2]) / geometry.spacing[1],
    (inv[6] * p[0] + inv[7] * p[1] + inv[8] * p[2]) / geometry.spacing[2],
  ];
}

export function invert3(m: Mat3): Mat3 {
  const det = det3(m);
  if (Math.abs(det) < 1e-12) throw new RangeError('matrix is singular');
  const r = 1 / det;
  return [
    (m[4] * m[8] - m[5] * m[7]) * r,
    (m[2] * m[7] - m[1] * m[8]) * r,
    (m[1] * m[5] - m[2] * m[4]) * r,
    (m[5] * m[6] - m[3] * m[8]) * r,
    (m[0] * m[8] - m[2] * m[6]) * r,
    (m[2] * m[3] - m[0] * m[5]) * r,
    (m[3] * m[7] - m[4] * m[6]) * r,
    (m[1] * m[6] - m[0] * m[7]) * r,
    (m[0] * m[4] - m[1] * m[3]) * r,
  ];
}

export function headerOf(volume: Volume): VolumeHeader {
  const { data: _data, ...header } = volume;
  return header;
}

export interface GridTolerance {
  /** Relative tolerance on spacing. */
  spacing: number;
  /** Absolute tolerance on origin, in units of the smallest spacing. */
  origin: number;
  /** Absolute tolerance on direction cosines. */
  direction: number;
}

export const DEFAULT_GRID_TOLERANCE: GridTolerance = { spacing: 1e-4, origin: 1e-3, direction: 1e-4 };

/**
 * Compares two grids and returns a sentence per differing field (empty when they match), so that an import can say
 * exactly why a label does not fit its image.
 */
export function gridDifferences(a: Geometry, b: Geometry, tol: GridTolerance = DEFAULT_GRID_TOLERANCE): string[] {
  const out: string[] = [];
  const fmt = (v: readonly number[]) => `[${v.map((x) => +x.toFixed(6)).join(', ')}]`;
  if (a.shape.some((n, i) => n !== b.shape[i])) out.push(`shape differs: ${fmt(a.shape)} vs ${fmt(b.shape)}`);
  if (a.spacing.some((s, i) => Math.abs(s - b.spacing[i]) > tol.spacing * Math.max(Math.abs(s), Math.abs(b.spacing[i])))) {
    out.push(`spacing differs: ${fmt(a.spacing)} vs ${fmt(b.spacing)}`);
  }
  const originTol = tol.origin * Math.min(...a.spacing, ...b.spacing);
  if (a.origin.some((o, i) => Math.abs(o - b.origin[i]) > originTol)) {
    out.push(`origin differs: ${fmt(a.origin)} vs ${fmt(b.origin)}`);
  }
  if (a.direction.some((d, i) => Math.abs(d - b.direction[i]) > tol.direction)) {
    out.push(`direction differs: ${fmt(a.direction)} vs ${fmt(b.direction)}`);
  }
  return out;
}
