/**
 * Rotation by a multiple of 90° in one plane. Exact (no interpolation).
 *
 * Convention: `rot90(sample, 'xy', 1)` turns the first axis of the plane into the second (the unit vector along x goes
 * to +y, +y goes to -x), like numpy's `rot90(..., axes=(first, second))` on an [x, y, z] array. For odd `k` the two
 * sizes of the plane swap: a non-square plane changes the sample's shape (and its spacing is swapped to match). The
 * pipeline only rotates square planes unless told otherwise, so patches keep their shape.
 */
import { InputError } from '../../util/errors.ts';
import type { Sample, Shape3 } from './sample.ts';
import { checkSample } from './sample.ts';
import { identityMap, remapSample } from './remap.ts';

export type Plane = 'xy' | 'xz' | 'yz';
export const PLANES: readonly Plane[] = ['xy', 'xz', 'yz'];

export function planeAxes(plane: Plane): [0 | 1 | 2, 0 | 1 | 2] {
  return plane === 'xy' ? [0, 1] : plane === 'xz' ? [0, 2] : [1, 2];
}

/** True when a rotation in `plane` keeps `shape` (the plane is square). */
export function isSquarePlane(shape: Shape3, plane: Plane): boolean {
  const [a, b] = planeAxes(plane);
  return shape[a] === shape[b];
}

export function rot90(sample: Sample, plane: Plane, k: number): Sample {
  checkSample(sample);
  if (!Number.isInteger(k)) throw new InputError('rot90.k', `must be an integer number of quarter turns, got ${k}`);
  if (!(['xy', 'xz', 'yz'] as const).includes(plane)) throw new InputError('rot90.plane', `must be one of xy, xz, yz, got ${String(plane)}`);
  const turns = ((k % 4) + 4) % 4;
  const [a, b] = planeAxes(plane);
  const input = identityMap(sample.shape);
  const map = identityMap(sample.shape);
  const na = sample.shape[a];
  const nb = sample.shape[b];
  if (turns === 1) {
    // out(a) = nb - 1 - in(b), out(b) = in(a)  =>  in(a) = out(b), in(b) = nb - 1 - out(a)
    map.shape[a] = nb;
    map.shape[b] = na;
    map.strides[a] = -input.strides[b];
    map.strides[b] = input.strides[a];
    map.offset = (nb - 1) * input.strides[b];
  } else if (turns === 2) {
    map.strides[a] = -input.strides[a];
    map.strides[b] = -input.strides[b];
    map.offset = (na - 1) * input.strides[a] + (nb - 1) * input.strides[b];
  } else if (turns === 3) {
    // out(a) = in(b), out(b) = na - 1 - in(a)  =>  in(a) = na - 1 - out(b), in(b) = out(a)
    map.shape[a] = nb;
    map.shape[b] = na;
    map.strides[a] = input.strides[b];
    map.strides[b] = -input.strides[a];
    map.offset = (na - 1) * input.strides[a];
  }
  const out = remapSample(sample, map);
  if (out.spacing && turns % 2 === 1) {
    const s = out.spacing;
    [s[a], s[b]] = [s[b], s[a]];
  }
  return out;
}
