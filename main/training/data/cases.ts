/**
 * A training case in memory: normalised image (x-fastest, channels interleaved), label map, and where each class
 * occurs (for foreground oversampling). Volumes are read from the project's OME-Zarr stores.
 */
import '../../io/formats.ts';
import { readVolume } from '../../io/registry.ts';
import { InputError } from '../../util/errors.ts';
import type { Normalizer } from '../transforms/normalize.ts';
import type { TrainingCaseRef } from './project.ts';

export interface LoadedCase {
  id: string;
  domain: string;
  shape: [number, number, number];
  spacing: [number, number, number];
  channels: number;
  image: Float32Array;
  label: Uint8Array;
  /** Voxel indices of every class value present (index = value). */
  classVoxels: (Uint32Array | undefined)[];
}

/** Voxel indices per class value, in increasing order. */
export function indexClasses(label: Uint8Array): (Uint32Array | undefined)[] {
  const counts: number[] = [];
  for (let i = 0; i < label.length; i++) counts[label[i]] = (counts[label[i]] ?? 0) + 1;
  const lists = counts.map((n) => (n ? new Uint32Array(n) : undefined));
  const fill = new Array<number>(counts.length).fill(0);
  for (let i = 0; i < label.length; i++) {
    const v = label[i];
    (lists[v] as Uint32Array)[fill[v]++] = i;
  }
  return lists;
}

/** Interleaves single-channel arrays into one x-fastest, channel-fastest array. */
export function interleave(channels: readonly Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const n = channels[0].length;
  const out = new Float32Array(n * channels.length);
  for (let c = 0; c < channels.length; c++) {
    const src = channels[c];
    for (let i = 0; i < n; i++) out[i * channels.length + c] = src[i];
  }
  return out;
}

export async function loadCase(ref: TrainingCaseRef, normalizer: Normalizer, classCount: number): Promise<LoadedCase> {
  const label = await readVolume(ref.label);
  const n = label.shape[0] * label.shape[1] * label.shape[2];
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = Number(label.data[i]);
    if (!(v >= 0 && v < classCount)) throw new InputError(ref.label, `label value ${v} is not a class of the project (0..${classCount - 1})`);
    labels[i] = v;
  }
  const raw: Float32Array[] = [];
  for (const file of ref.images) {
    const image = await readVolume(file);
    if (image.shape.some((s, i) => s !== label.shape[i])) throw new InputError(file, `shape [${image.shape}] differs from the label's [${label.shape}]`);
    raw.push(Float32Array.from(image.data as ArrayLike<number>));
  }
  const image = normalizer.normalize(interleave(raw), raw.length, ref.domain);
  return {
    id: ref.id,
    domain: ref.domain,
    shape: [...label.shape] as [number, number, number],
    spacing: [...label.spacing] as [number, number, number],
    channels: raw.length,
    image,
    label: labels,
    classVoxels: indexClasses(labels),
  };
}
