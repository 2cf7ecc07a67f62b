import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hdf5ErrorMessage, hdf5Reader, hdf5Writer, listHdf5Datasets, readHdf5 } from '../../../main/io/hdf5.ts';
import { detectReader, readVolume, registerReader, registerWriter, writeVolume } from '../../../main/io/registry.ts';
import { tiffReader } from '../../../main/io/tiff.ts';
import { InputError } from '../../../main/util/errors.ts';
import { allocate, asBytes, DTYPES, type DType, type TypedArray } from '../../../main/volume/dtype.ts';
import { createVolume, type Mat3, type Vec3 } from '../../../main/volume/volume.ts';
import {
  engineShape,
  hasSharedData,
  loadManifest,
  manifestShapeXYZ,
  normalizeManifestDType,
  sharedPath,
} from '../../helpers/shared-data.ts';

let tmp = '';

beforeAll(async () => {
  registerReader(hdf5Reader);
  registerWriter(hdf5Writer);
  registerReader(tiffReader);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-hdf5-'));
  const module = await h5wasm.ready;
  module.activate_throwing_error_handler();
});

afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------------------
// Helpers

function range(data: TypedArray): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    if (data[i] < min) min = data[i];
    if (data[i] > max) max = data[i];
  }
  return [min, max];
}

function sameBytes(a: TypedArray, b: TypedArray): boolean {
  return Buffer.compare(asBytes(a), asBytes(b)) === 0;
}

function pattern(dtype: DType, n: number): TypedArray {
  const data = allocate(dtype, n);
  const lo: Record<DType, number> = {
    uint8: 0, int8: -128, uint16: 0, int16: -32768, uint32: 0, int32: -2e9, float32: -5e5, float64: -5e11,
  };
  const span: Record<DType, number> = {
    uint8: 255, int8: 255, uint16: 65535, int16: 65535, uint32: 4e9, int32: 4e9, float32: 1e6, float64: 1e12,
  };
  for (let i = 0; i < n; i++) {
    const v = lo[dtype] + (((i * 2654435761) % 1000003) / 1000003) * span[dtype];
    data[i] = dtype.startsWith('float') ? v + 0.125 : Math.round(v);
  }
  return data;
}

async function expectInputError(promise: Promise<unknown>, subject: string, problem: RegExp): Promise<InputError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InputError);
  const error = caught as InputError;
  expect(error.subject).toBe(subject);
  expect(error.problem).toMatch(problem);
  return error;
}

/** Builds an HDF5 fixture with h5wasm directly: each dataset in C order with optional attributes. */
function makeH5(
  file: string,
  datasets: { name: string; data: TypedArray | BigInt64Array; shape: number[]; attrs?: Record<string, Float64Array | string> }[],
  rootAttrs: Record<string, Float64Array> = {},
): void {
  const f = new h5wasm.File(file, 'w');
  try {
    for (const d of datasets) {
      const parts = d.name.split('/');
      let group: InstanceType<typeof h5wasm.Group> = f;
      for (const part of parts.slice(0, -1)) {
        const existing = group.get(part);
        group = existing instanceof h5wasm.Group ? existing : group.create_group(part);
      }
      const ds = group.create_dataset({ name: parts[parts.length - 1], data: d.data, shape: d.shape });
      for (const [k, v] of Object.entries(d.attrs ?? {})) ds.create_attribute(k, v);
    }
    for (const [k, v] of Object.entries(rootAttrs)) f.create_attribute(k, v);
  } finally {
    f.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Real data

describe.skipIf(!hasSharedData())('derived/headsq.h5', () => {
  it('matches the manifest: (64, 64, 93) x,y,z int16 0..3926, spacing from spacing_zyx', async () => {
    const entry = loadManifest().find((e) => e.path === 'derived/headsq.h5')!;
    const file = sharedPath(entry.path);
    expect((await detectReader(file)).format).toBe('hdf5');
    const volume = await readVolume(file);
    expect(volume.shape).toEqual([64, 64, 93]);
    expect(engineShape(volume.shape, volume.components)).toEqual(manifestShapeXYZ(entry));
    expect(volume.dtype).toBe(normalizeManifestDType(entry.dtype!));
    expect(range(volume.data)).toEqual([entry.min, entry.max]);
    expect(volume.spacing).toEqual([3.2, 3.2, 1.5]);
    expect(volume.meta.dataset).toBe('volume');
  });

  it('equals derived/headsq_zyx.tif voxel for voxel', async () => {
    const h5 = await readVolume(sharedPath('derived/headsq.h5'));
    const tif = await readVolume(sharedPath('derived/headsq_zyx.tif'));
    expect(tif.meta.format).toBe('tiff');
    expect(h5.shape).toEqual(tif.shape);
    expect(h5.dtype).toBe(tif.dtype);
    expect(sameBytes(h5.data, tif.data)).toBe(true);
    tif.spacing.forEach((s, i) => expect(h5.spacing[i]).toBeCloseTo(s, 9));
  });

  it('lists its datasets', async () => {
    expect(await listHdf5Datasets(sharedPath('derived/headsq.h5'))).toEqual([
      { path: 'volume', shape: [93, 64, 64], type: 'int16' },
    ]);
  });

  it('a truncated copy is an InputError', async () => {
    const bytes = await fs.readFile(sharedPath('derived/headsq.h5'));
    const file = path.join(tmp, 'headsq-cut.h5');
    await fs.writeFile(file, bytes.subarray(0, 200_000));
    const error = await expectInputError(readVolume(file), file, /truncated/);
    expect(error.problem).not.toMatch(/HDF5-DIAG/);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Round trips

describe('round trip', () => {
  const geometry = {
    spacing: [0.3, 0.7, 2.5] as Vec3,
    origin: [-12.5, 3.25, 100] as Vec3,
    direction: [0, 1, 0, 1, 0, 0, 0, 0, -1] as Mat3,
  };
  const cases = DTYPES.flatMap((dtype) => [1, 3].map((components) => [dtype, components] as const));

  it.each(cases)('%s x %i components keeps values, spacing, origin and direction', async (dtype, components) => {
    const shape: Vec3 = [7, 5, 4];
    const volume = createVolume({ shape, data: pattern(dtype, 140 * components), components, ...geometry });
    const file = path.join(tmp, `rt-${dtype}-${components}.h5`);
    await writeVolume(volume, file);
    const back = await readVolume(file);
    expect(back.shape).toEqual(shape);
    expect(back.dtype).toBe(dtype);
    expect(back.components).toBe(components);
    expect(back.spacing).toEqual(geometry.spacing);
    expect(back.origin).toEqual(geometry.origin);
    expect(back.direction).toEqual(geometry.direction);
    expect(sameBytes(back.data, volume.data)).toBe(true);
    expect((await fs.readdir(tmp)).filter((e) => e.startsWith('.'))).toEqual([]);
  });

  it('writes a gzip-compressed, chunked dataset with x,y,z and z,y,x attributes', async () => {
    const volume = createVolume({ shape: [40, 30, 20], data: pattern('uint16', 24000), ...geometry });
    const file = path.join(tmp, 'layout.h5');
    await writeVolume(volume, file);
    const f = new h5wasm.File(file, 'r');
    try {
      const ds = f.get('volume');
      expect(ds).toBeInstanceOf(h5wasm.Dataset);
      const d = ds as InstanceType<typeof h5wasm.Dataset>;
      expect(d.shape).toEqual([20, 30, 40]);
      expect(d.filters.map((x) => x.name)).toContain('deflate');
      expect(d.metadata.chunks).not.toBeNull();
      expect(Array.from(d.attrs['spacing'].value as Float64Array)).toEqual([0.3, 0.7, 2.5]);
      expect(Array.from(d.attrs['element_size_um'].value as Float64Array)).toEqual([2.5, 0.7, 0.3]);
    } finally {
      f.close();
    }
  });

  it('compress: false writes a contiguous dataset that reads back the same', async () => {
    const volume = createVolume({ shape: [6, 5, 4], data: pattern('float32', 120) });
    const file = path.join(tmp, 'plain.h5');
    await writeVolume(volume, file, { compress: false });
    const back = await readVolume(file);
    expect(sameBytes(back.data, volume.data)).toBe(true);
  });

  it('labels and a nested dataset path survive', async () => {
    const volume = createVolume({
      shape: [4, 4, 2],
      data: pattern('uint8', 32).map((v) => v % 3),
      labels: [{ value: 1, name: 'liver', color: [200, 40, 40] }],
    });
    const file = path.join(tmp, 'labels.h5');
    await writeVolume(volume, file, { dataset: 'seg/labels' });
    const back = await readVolume(file, { dataset: 'seg/labels' });
    expect(back.labels).toEqual(volume.labels);
    expect(sameBytes(back.data, volume.data)).toBe(true);
    // the only 3D dataset is found without being named
    expect((await readVolume(file)).meta.dataset).toBe('seg/labels');
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Datasets and attributes written by other programs

describe('choosing a dataset', () => {
  const zyx = (n = 24) => pattern('int16', n);

  it('reads a named dataset; without a name, several 3D datasets are an InputError listing them', async () => {
    const file = path.join(tmp, 'several.h5');
    makeH5(file, [
      { name: 'raw', data: zyx(), shape: [2, 3, 4] },
      { name: 'pred/probabilities', data: pattern('float32', 24), shape: [2, 3, 4] },
      { name: 'meta/ids', data: pattern('int32', 5), shape: [5] },
    ]);
    const named = await readVolume(file, { dataset: 'pred/probabilities' });
    expect(named.shape).toEqual([4, 3, 2]);
    expect(named.dtype).toBe('float32');
    expect((await readVolume(file, { dataset: '/raw' })).dtype).toBe('int16');
    const error = await expectInputError(readVolume(file), file, /several 3D datasets/);
    expect(error.problem).toContain('raw (2x3x4 int16)');
    expect(error.problem).toContain('pred/probabilities (2x3x4 float32)');
    expect(error.problem).toContain('meta/ids (5 int32)');
  });

  it('a missing dataset is an InputError listing the datasets found', async () => {
    const file = path.join(tmp, 'missing.h5');
    makeH5(file, [
      { name: 'raw', data: zyx(), shape: [2, 3, 4] },
      { name: 'labels', data: pattern('uint8', 24), shape: [2, 3, 4] },
    ]);
    const error = await expectInputError(readVolume(file, { dataset: 'volume' }), file, /no dataset 'volume'/);
    expect(error.problem).toMatch(/raw \(2x3x4 int16\)/);
    expect(error.problem).toMatch(/labels \(2x3x4 uint8\)/);
  });

  it("'volume' wins over other datasets", async () => {
    const file = path.join(tmp, 'prefer-volume.h5');
    makeH5(file, [
      { name: 'a', data: zyx(), shape: [2, 3, 4] },
      { name: 'volume', data: pattern('uint16', 60), shape: [3, 4, 5] },
    ]);
    expect((await readVolume(file)).shape).toEqual([5, 4, 3]);
  });

  it('a lone 2D dataset reads as one slice; (z, y, x, c) as components', async () => {
    const flat = path.join(tmp, 'flat.h5');
    makeH5(flat, [{ name: 'img', data: pattern('uint8', 12), shape: [3, 4] }]);
    const slice = await readVolume(flat);
    expect(slice.shape).toEqual([4, 3, 1]);
    const rgb = path.join(tmp, 'zyxc.h5');
    const data = pattern('uint8', 2 * 3 * 4 * 3);
    makeH5(rgb, [{ name: 'rgb', data, shape: [2, 3, 4, 3] }]);
    const v = await readVolume(rgb);
    expect(v.shape).toEqual([4, 3, 2]);
    expect(v.components).toBe(3);
    expect(sameBytes(v.data, data)).toBe(true);
  });

  it('ilastik/Fiji element_size_um (z,y,x) and root-level attributes give spacing', async () => {
    const file = path.join(tmp, 'ilastik.h5');
    makeH5(file, [{ name: 'exported_data', data: zyx(), shape: [2, 3, 4], attrs: { element_size_um: Float64Array.from([2, 0.5, 0.25]) } }]);
    const v = await readVolume(file);
    expect(v.spacing).toEqual([0.25, 0.5, 2]);
    expect(v.meta.unit).toBe('µm');
    const root = path.join(tmp, 'cremi.h5');
    makeH5(root, [{ name: 'volumes/raw', data: zyx(), shape: [2, 3, 4] }], { resolution: Float64Array.from([40, 4, 4]) });
    expect((await readVolume(root)).spacing).toEqual([4, 4, 40]);
  });

  it('64-bit integer datasets are narrowed when their values fit', async () => {
    const file = path.join(tmp, 'int64.h5');
    makeH5(file, [{ name: 'labels', data: BigInt64Array.from([0n, 1n, -5n, 70000n, 2n, 3n]), shape: [1, 2, 3] }]);
    const v = await readVolume(file);
    expect(v.dtype).toBe('int32');
    expect(Array.from(v.data)).toEqual([0, 1, -5, 70000, 2, 3]);
    expect(String(v.meta.note)).toMatch(/int64 narrowed to int32/);
  });

  it('a bad direction attribute is an InputError', async () => {
    const file = path.join(tmp, 'bad-direction.h5');
    makeH5(file, [{ name: 'volume', data: zyx(), shape: [2, 3, 4], attrs: { direction: new Float64Array(9) } }]);
    await expectInputError(readVolume(file), file, /direction/);
  });

  it('a string dataset cannot be read as a volume', async () => {
    const file = path.join(tmp, 'strings.h5');
    const f = new h5wasm.File(file, 'w');
    f.create_dataset({ name: 'volume', data: ['a', 'b'] });
    f.close();
    await expectInputError(readVolume(file), file, /string values/);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Detection and bad files

describe('detection and bad files', () => {
  const signature = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

  it('sniffs the signature at 0 and after a user block (512, 1024, 2048)', () => {
    for (const offset of [0, 512, 1024, 2048]) {
      const bytes = new Uint8Array(4096);
      bytes.set(signature, offset);
      expect(hdf5Reader.sniff!({ bytes, gzipped: false, name: 'x' })).toBe(true);
    }
    const shifted = new Uint8Array(4096);
    shifted.set(signature, 100);
    expect(hdf5Reader.sniff!({ bytes: shifted, gzipped: false, name: 'x' })).toBe(false);
    expect(hdf5Reader.sniff!({ bytes: Uint8Array.from(signature.slice(0, 5)), gzipped: false, name: 'x' })).toBe(false);
  });

  it('a file with an .h5 name but no HDF5 signature', async () => {
    const file = path.join(tmp, 'fake.h5');
    await fs.writeFile(file, 'not hdf5 at all, but long enough to look at');
    await expectInputError(readHdf5(file), file, /not an HDF5 file/);
  });

  it('a signature followed by garbage is an InputError with HDF5’s own reason, not a crash', async () => {
    const file = path.join(tmp, 'garbage.h5');
    const bytes = new Uint8Array(4096).fill(0x5a);
    bytes.set(signature, 0);
    await fs.writeFile(file, bytes);
    const error = await expectInputError(readHdf5(file), file, /cannot open as HDF5/);
    expect(error.problem.split('\n')).toHaveLength(1);
  });

  it('a missing file is an InputError', async () => {
    const file = path.join(tmp, 'nope.h5');
    await expectInputError(readHdf5(file), file, /cannot open/);
  });

  it('error messages keep the most specific line of the HDF5 error stack', () => {
    const stack = [
      'HDF5-DIAG: Error detected in HDF5 (2.0.0):',
      '  #000: H5F.c line 821 in H5Fopen(): unable to synchronously open file',
      '    major: File accessibility',
      '  #001: H5Fsuper.c line 577 in H5F__super_read(): truncated file: eof = 10, stored_eof = 20',
      '    minor: File has been truncated',
    ].join('\n');
    expect(hdf5ErrorMessage(new Error(stack))).toBe('truncated file: eof = 10, stored_eof = 20');
  });
});
