// vtk.js HTTP data set images: the real headsq.vti, its direction convention, round trips through the writer.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectReader, readVolume, registerReader, registerWriter, writeVolume } from '../../../main/io/registry.ts';
import { vtkJsReader, vtkJsWriter } from '../../../main/io/vtkjs.ts';
import { InputError } from '../../../main/util/errors.ts';
import { allocate, asBytes, DTYPES, integerRange, isIntegerDType, type DType } from '../../../main/volume/dtype.ts';
import { valueRange } from '../../../main/volume/statistics.ts';
import { createVolume, indexToWorld, type Mat3, type Vec3, type Volume } from '../../../main/volume/volume.ts';
import { hasSharedData, sharedPath } from '../../helpers/shared-data.ts';

let dir: string;

beforeAll(async () => {
  registerReader(vtkJsReader);
  registerWriter(vtkJsWriter);
  dir = await mkdtemp(path.join(os.tmpdir(), 'segstation-vtkjs-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function rotation(axis: Vec3, angle: number): Mat3 {
  const n = Math.hypot(...axis);
  const [x, y, z] = axis.map((v) => v / n);
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const t = 1 - c;
  return [
    t * x * x + c, t * x * y - s * z, t * x * z + s * y,
    t * x * y + s * z, t * y * y + c, t * y * z - s * x,
    t * x * z - s * y, t * y * z + s * x, t * z * z + c,
  ];
}

function obliqueVolume(dtype: DType, components = 1): Volume {
  const shape: Vec3 = [5, 4, 3];
  const n = 60 * components;
  const data = allocate(dtype, n);
  const [lo, hi] = integerRange(dtype);
  for (let i = 0; i < n; i++) {
    if (isIntegerDType(dtype)) data[i] = i === 0 ? lo : i === 1 ? hi : ((i * 37) % 120) - (lo < 0 ? 60 : 0);
    else data[i] = i === 0 ? -1e30 : i === 1 ? 3.5e-7 : (i - 30) * 0.123456789;
  }
  return createVolume({
    shape,
    data,
    components,
    spacing: [0.7, 1.3, 2.9],
    origin: [-12.5, 33.25, 7.125],
    direction: rotation([1, 2, 3], 0.4),
  });
}

function expectSameVolume(actual: Volume, expected: Volume): void {
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.components).toBe(expected.components);
  expect(actual.dtype).toBe(expected.dtype);
  for (let i = 0; i < 3; i++) {
    expect(Math.abs(actual.spacing[i] - expected.spacing[i])).toBeLessThan(1e-9);
    expect(Math.abs(actual.origin[i] - expected.origin[i])).toBeLessThan(1e-9);
  }
  for (let i = 0; i < 9; i++) expect(Math.abs(actual.direction[i] - expected.direction[i])).toBeLessThan(1e-9);
  expect(Buffer.compare(Buffer.from(asBytes(actual.data)), Buffer.from(asBytes(expected.data)))).toBe(0);
}

async function expectInputError(promise: Promise<unknown>, subject: string, problem: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  const e = error as InputError;
  expect(e.message).toContain(subject);
  expect(e.problem).toMatch(problem);
}

/** A hand-made vtk.js image folder. */
async function makeImage(name: string, index: Record<string, unknown>, data?: Uint8Array, gzip = true): Promise<string> {
  const folder = path.join(dir, name);
  await mkdir(path.join(folder, 'data'), { recursive: true });
  await writeFile(path.join(folder, 'index.json'), JSON.stringify(index));
  if (data) await writeFile(path.join(folder, 'data', gzip ? 'abc.gz' : 'abc'), gzip ? zlib.gzipSync(data) : data);
  return folder;
}

function imageIndex(extra: Record<string, unknown>, array: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    vtkClass: 'vtkImageData',
    origin: [0, 0, 0],
    spacing: [1, 1, 1],
    extent: [0, 1, 0, 0, 0, 0],
    pointData: {
      vtkClass: 'vtkDataSetAttributes',
      arrays: [{ data: { numberOfComponents: 1, dataType: 'Int16Array', size: 2, ref: { registration: 'setScalars', encode: 'LittleEndian', basepath: 'data', id: 'abc' }, ...array } }],
    },
    ...extra,
  };
}

describe.skipIf(!hasSharedData())('headsq.vti', () => {
  const folder = sharedPath('vtkjs/headsq.vti');

  it('is recognised as a vtk.js folder', async () => {
    expect((await detectReader(folder)).format).toBe('vtkjs');
  });

  it('has shape 64x64x93, spacing 3.2 3.2 1.5, int16 0..3926 and a rotated direction', async () => {
    const v = await readVolume(folder);
    expect(v.shape).toEqual([64, 64, 93]);
    expect(v.components).toBe(1);
    expect(v.dtype).toBe('int16');
    expect(v.spacing).toEqual([3.2, 3.2, 1.5]);
    const range = valueRange(v.data);
    expect([range.min, range.max]).toEqual([0, 3926]);
    expect(v.direction).not.toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    // vtk.js direction [0.866, 0.5, 0, -0.5, 0.866, 0, 0, 0, 1] is column-major: the i axis points to (0.866, 0.5, 0).
    expect(v.direction[0]).toBeCloseTo(0.866, 3);
    expect(v.direction[3]).toBeCloseTo(0.5, 3);
    expect(v.direction[1]).toBeCloseTo(-0.5, 3);
    expect(v.direction[4]).toBeCloseTo(0.866, 3);
    // What vtk.js indexToWorld gives for index (1, 0, 0) and (0, 1, 0): origin + spacing * direction[0..2] / [3..5].
    const i = indexToWorld(v, [1, 0, 0]);
    const j = indexToWorld(v, [0, 1, 0]);
    [3.2 * 0.866, 3.2 * 0.5, 0].forEach((x, k) => expect(i[k]).toBeCloseTo(x, 3));
    [-3.2 * 0.5, 3.2 * 0.866, 0].forEach((x, k) => expect(j[k]).toBeCloseTo(x, 3));
    expect(v.meta.vtkjsDirection).toBe('0.866 0.5 0 -0.5 0.866 0 0 0 1');
  });

  it('has the voxels of headsq_converted.nii.gz (x fastest, same order)', async () => {
    const v = await readVolume(folder);
    const nii = zlib.gunzipSync(await readFile(sharedPath('vtkjs/headsq_converted.nii.gz')));
    expect(nii.readInt32LE(0)).toBe(348);
    expect(nii.readInt16LE(70)).toBe(4); // datatype int16
    const voxOffset = nii.readFloatLE(108);
    const raw = nii.subarray(voxOffset, voxOffset + 64 * 64 * 93 * 2);
    expect(Buffer.compare(Buffer.from(asBytes(v.data)), raw)).toBe(0);
  });
});

describe('vtk.js image conventions', () => {
  it('shifts the origin by the extent minima and reads uncompressed data files', async () => {
    const folder = await makeImage('extent.vti', imageIndex({
      extent: [2, 3, 0, 0, 5, 5], spacing: [2, 1, 3], origin: [1, 1, 1], direction: [0, 1, 0, -1, 0, 0, 0, 0, 1],
    }), new Uint8Array(Buffer.from([1, 0, 2, 0])), false);
    const v = await readVolume(folder);
    expect(v.shape).toEqual([2, 1, 1]);
    // world(index) = origin + i*2*(0,1,0) + k*3*(0,0,1) for absolute (i, k) = (2, 5)
    expect(v.origin).toEqual([1, 5, 16]);
    expect(v.direction).toEqual([0, -1, 0, 1, 0, 0, 0, 0, 1]);
    expect(Array.from(v.data)).toEqual([1, 2]);
  });

  it('keeps interleaved components', async () => {
    const folder = await makeImage('rgb.vti', imageIndex({}, { numberOfComponents: 3, dataType: 'Uint8Array', size: 6 }), new Uint8Array([1, 2, 3, 4, 5, 6]));
    const v = await readVolume(folder);
    expect(v.components).toBe(3);
    expect(Array.from(v.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('names a missing data file', async () => {
    const folder = await makeImage('nodata.vti', imageIndex({}));
    await expectInputError(readVolume(folder), folder, /vtk\.js data file ".*abc\.gz" \(or ".*abc"\) not found/);
  });

  it('rejects data whose length does not match the extent', async () => {
    const folder = await makeImage('short.vti', imageIndex({}), new Uint8Array(3));
    await expectInputError(readVolume(folder), 'abc.gz', /need 4 bytes, data has 3/);
  });

  it('rejects truncated gzip data', async () => {
    const folder = await makeImage('trunc.vti', imageIndex({}));
    const gz = zlib.gzipSync(Buffer.alloc(4000, 7));
    await writeFile(path.join(folder, 'data', 'abc.gz'), gz.subarray(0, gz.length - 8));
    await expectInputError(readVolume(folder), 'abc.gz', /gzip data is truncated/);
  });

  it('rejects other vtk classes and does not claim folders without index.json', async () => {
    const folder = await makeImage('poly.vti', { vtkClass: 'vtkPolyData' });
    expect(await vtkJsReader.sniffDirectory!(folder, ['index.json'])).toBe(false);
    expect(await vtkJsReader.sniffDirectory!(dir, await readdir(dir))).toBe(false);
    await expectInputError(vtkJsReader.read(folder), 'index.json', /only vtkImageData is supported/);
  });
});

describe('vtk.js round trips', () => {
  it.each(DTYPES.map((d) => [d]))('%s is lossless', async (dtype) => {
    const volume = obliqueVolume(dtype);
    const target = path.join(dir, `rt-${dtype}.vti`);
    await writeVolume(volume, target);
    expectSameVolume(await readVolume(target), volume);
  });

  it('keeps 3 components and writes a column-major direction', async () => {
    const volume = obliqueVolume('float32', 3);
    const target = path.join(dir, 'rt-rgb.vti');
    await writeVolume(volume, target);
    expectSameVolume(await readVolume(target), volume);
    const index = JSON.parse(await readFile(path.join(target, 'index.json'), 'utf8')) as { direction: number[]; pointData: { arrays: { data: { ref: { id: string } } }[] } };
    const d = volume.direction;
    expect(index.direction.slice(0, 3)).toEqual([d[0], d[3], d[6]]);
    const id = index.pointData.arrays[0].data.ref.id;
    expect(await readdir(path.join(target, 'data'))).toEqual([`${id}.gz`]);
  });

  it('replaces an existing folder as a whole and keeps labels', async () => {
    const target = path.join(dir, 'labels.vti');
    await writeVolume(obliqueVolume('uint8'), target);
    const labels = createVolume({ shape: [2, 1, 1], data: new Uint8Array([0, 5]), labels: [{ value: 5, name: 'lesion', color: [255, 0, 0] }] });
    await writeVolume(labels, target);
    const back = await readVolume(target);
    expect(Array.from(back.data)).toEqual([0, 5]);
    expect(back.labels).toEqual(labels.labels);
    expect((await readdir(path.join(target, 'data'))).length).toBe(1);
  });
});
