import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import '../../../main/io/formats.ts';
import { InputError } from '../../../main/util/errors.ts';
import { mulberry32 } from '../../../main/util/random.ts';
import { allocate, type DType, type TypedArray } from '../../../main/volume/dtype.ts';
import { createVolume, type Mat3, type Vec3, type Volume } from '../../../main/volume/volume.ts';

export async function tempDir(tag: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `segstation-dataset-${tag}-`));
}

export interface PhantomOptions {
  shape?: Vec3;
  dtype?: DType;
  spacing?: Vec3;
  origin?: Vec3;
  direction?: Mat3;
  components?: number;
  seed?: number;
  /** Value generator for voxel i (x fastest) and component c; default: seeded noise. */
  value?: (i: number, c: number, random: () => number) => number;
}

export function phantom(options: PhantomOptions = {}): Volume {
  const shape = options.shape ?? [8, 7, 6];
  const dtype = options.dtype ?? 'float32';
  const components = options.components ?? 1;
  const n = shape[0] * shape[1] * shape[2];
  const random = mulberry32(options.seed ?? 1);
  const data: TypedArray = allocate(dtype, n * components);
  const value = options.value ?? ((_i: number, _c: number, r: () => number) => Math.round(r() * 1000) / 4 - 50);
  for (let i = 0; i < n; i++) for (let c = 0; c < components; c++) data[i * components + c] = value(i, c, random);
  return createVolume({
    shape,
    data,
    dtype,
    components,
    spacing: options.spacing ?? [0.5, 0.75, 1.25],
    origin: options.origin ?? [10, -20, 30],
    direction: options.direction,
  });
}

/** A label map: a sphere-ish blob of value 1 and a slab of value 2, on the phantom's default grid. */
export function labelPhantom(options: PhantomOptions & { values?: number[] } = {}): Volume {
  const shape = options.shape ?? [8, 7, 6];
  const values = options.values ?? [0, 1, 2];
  return phantom({
    dtype: 'uint8',
    ...options,
    shape,
    value: (i) => {
      const x = i % shape[0];
      const y = Math.floor(i / shape[0]) % shape[1];
      const z = Math.floor(i / (shape[0] * shape[1]));
      if (z === shape[2] - 1 && values.length > 2) return values[2];
      const d = (x - shape[0] / 2) ** 2 + (y - shape[1] / 2) ** 2 + (z - shape[2] / 2) ** 2;
      return d < (Math.min(...shape) / 3) ** 2 ? values[1] : values[0];
    },
  });
}

/**
 * Every entry under `root`: folders by name, files by name and SHA-256 of their content. Two equal snapshots mean the
 * tree is byte-for-byte the same.
 */
export async function snapshotTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    const abs = path.join(root, rel);
    for (const entry of (await fs.readdir(abs)).sort()) {
      const childRel = rel ? `${rel}/${entry}` : entry;
      const stat = await fs.lstat(path.join(abs, entry));
      if (stat.isDirectory()) {
        out.push(`dir  ${childRel}`);
        await walk(childRel);
      } else {
        const bytes = await fs.readFile(path.join(abs, entry));
        out.push(`file ${childRel} ${createHash('sha256').update(bytes).digest('hex')}`);
      }
    }
  };
  await walk('');
  return out;
}

/** Awaits `promise`, expects an InputError, returns it. */
export async function expectInputError(promise: Promise<unknown>): Promise<InputError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError, but the call succeeded');
}
