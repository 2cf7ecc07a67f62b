/** Cutting slices out of an in-memory grid and describing them as data-plane blocks. */
import type { VolumeBlock } from '../../ipc/api.ts';
import type { Axis } from '../../ipc/contract.ts';
import { allocate, dtypeOf, type TypedArray } from '../volume/dtype.ts';
import { indexToWorld, type Geometry, type Vec3 } from '../volume/volume.ts';
import { InputError } from '../util/errors.ts';

/** Throws an InputError naming `index` unless 0 <= index < shape[axis]. */
export function checkSliceIndex(subject: string, shape: Vec3, axis: Axis, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= shape[axis]) {
    throw new InputError('index', `${index} is outside 0..${shape[axis] - 1} along axis ${axis} of ${subject}`);
  }
}

/** The plane normal to `axis` at `index`, in-plane axes in increasing order with the lower one fastest. */
export function extractSlice(data: TypedArray, shape: Vec3, components: number, axis: Axis, index: number): TypedArray {
  const [nx, ny, nz] = shape;
  const C = components;
  const plane = nx * ny * C;
  if (axis === 2) return data.subarray(index * plane, (index + 1) * plane);
  if (axis === 1) {
    const row = nx * C;
    const out = allocate(dtypeOf(data), row * nz);
    for (let z = 0; z < nz; z++) {
      const from = z * plane + index * row;
      out.set(data.subarray(from, from + row), z * row);
    }
    return out;
  }
  const out = allocate(dtypeOf(data), ny * nz * C);
  let o = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const from = z * plane + (y * nx + index) * C;
      for (let c = 0; c < C; c++) out[o++] = data[from + c];
    }
  }
  return out;
}

/** A block for a slice: one voxel thick along `axis`, its origin the world position of its first voxel. */
export function sliceBlock(geometry: Geometry, components: number, axis: Axis, index: number, data: TypedArray): VolumeBlock {
  const shape = [...geometry.shape] as Vec3;
  shape[axis] = 1;
  const start: Vec3 = [0, 0, 0];
  start[axis] = index;
  return {
    dtype: dtypeOf(data),
    shape,
    components,
    spacing: [...geometry.spacing] as Vec3,
    origin: indexToWorld(geometry, start),
    direction: [...geometry.direction] as Geometry['direction'],
    data,
  };
}

export function levelBlock(geometry: Geometry, components: number, data: TypedArray): VolumeBlock {
  return {
    dtype: dtypeOf(data),
    shape: [...geometry.shape] as Vec3,
    components,
    spacing: [...geometry.spacing] as Vec3,
    origin: [...geometry.origin] as Vec3,
    direction: [...geometry.direction] as Geometry['direction'],
    data,
  };
}

/** Smallest and largest finite value; [0, 0] when there is none. */
export function finiteRange(data: TypedArray): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity || !Number.isFinite(min) || !Number.isFinite(max)) {
    // Only float data can hold NaN/Infinity: redo the scan skipping them.
    min = Infinity;
    max = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return min === Infinity ? [0, 0] : [min, max];
}

/** Voxels [start, start + size) of an in-memory grid, x fastest, components interleaved. */
export function extractRegion(data: TypedArray, shape: Vec3, components: number, start: Vec3, size: Vec3): TypedArray {
  const [nx, ny] = shape;
  const C = components;
  const out = allocate(dtypeOf(data), size[0] * size[1] * size[2] * C);
  const row = size[0] * C;
  let o = 0;
  for (let z = start[2]; z < start[2] + size[2]; z++) {
    for (let y = start[1]; y < start[1] + size[1]; y++) {
      const from = ((z * ny + y) * nx + start[0]) * C;
      out.set(data.subarray(from, from + row), o);
      o += row;
    }
  }
  return out;
}

/** Throws an InputError naming `start`/`size` unless the box lies inside `shape`. */
export function checkRegion(subject: string, shape: Vec3, start: Vec3, size: Vec3, level: number): void {
  for (let a = 0; a < 3; a++) {
    if (start[a] + size[a] > shape[a]) {
      throw new InputError('size', `box [${start.join(', ')}] + [${size.join(', ')}] leaves level ${level} of ${subject} (shape [${shape.join(', ')}])`);
    }
  }
}

/** A block for a window of a level: its origin is the world position of voxel `start`. */
export function regionBlock(levelGeometry: Geometry, components: number, start: Vec3, data: TypedArray, size: Vec3): VolumeBlock {
  return {
    dtype: dtypeOf(data),
    shape: [...size] as Vec3,
    components,
    spacing: [...levelGeometry.spacing] as Vec3,
    origin: indexToWorld(levelGeometry, start),
    direction: [...levelGeometry.direction] as Geometry['direction'],
    data,
  };
}
