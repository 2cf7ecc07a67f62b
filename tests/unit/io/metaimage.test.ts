// MetaImage reader/writer: real files from ../shared/data, hand-written headers with exact voxels, rotated round trips.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metaAnatomicalOrientation, metaImageReader, metaImageWriter } from '../../../main/io/metaimage.ts';
import { detectReader, readVolume, registerReader, registerWriter, writeVolume } from '../../../main/io/registry.ts';
import { InputError } from '../../../main/util/errors.ts';
import { allocate, asBytes, DTYPES, integerRange, isIntegerDType, type DType } from '../../../main/volume/dtype.ts';
import { valueRange } from '../../../main/volume/statistics.ts';
import { createVolume, indexToWorld, type Mat3, type Vec3, type Volume } from '../../../main/volume/volume.ts';
import {
  engineShape,
  hasSharedData,
  loadManifest,
  manifestShapeXYZ,
  normalizeManifestDType,
  sharedPath,
} from '../../helpers/shared-data.ts';

let dir: string;

beforeAll(async () => {
  registerReader(metaImageReader);
  registerWriter(metaImageWriter);
  dir = await mkdtemp(path.join(os.tmpdir(), 'segstation-mha-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// --- helpers -----------------------------------------------------------------------------------------------------

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

async function put(name: string, ...parts: (string | Uint8Array)[]): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))));
  return file;
}

function int16Bytes(values: number[], bigEndian = false): Uint8Array {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => (bigEndian ? b.writeInt16BE(v, i * 2) : b.writeInt16LE(v, i * 2)));
  return b;
}

async function expectInputError(promise: Promise<unknown>, file: string, problem: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  const e = error as InputError;
  expect(e.message).toContain(file);
  expect(e.problem).toMatch(problem);
}

const header = (lines: string[]) => `${lines.join('\n')}\n`;

// --- real data -----------------------------------------------------------------------------------------------------

const metaEntries = hasSharedData()
  ? loadManifest().filter((e) => e.shape && (e.path.endsWith('.mha') || e.path.endsWith('.mhd')))
  : [];

describe.skipIf(!hasSharedData())('MetaImage files in shared data', () => {
  it('lists the MetaImage files', () => {
    expect(metaEntries.length).toBeGreaterThanOrEqual(3);
  });

  it.each(metaEntries.map((e) => [e.path, e] as const))('%s opens with the manifest shape, dtype and range', async (p, entry) => {
    const file = sharedPath(p);
    expect((await detectReader(file)).format).toBe('metaimage');
    const volume = await readVolume(file);
    expect(engineShape(volume.shape, volume.components)).toEqual(manifestShapeXYZ(entry));
    expect(volume.dtype).toBe(normalizeManifestDType(entry.dtype!));
    const range = valueRange(volume.data);
    expect(range.min).toBeCloseTo(entry.min!, 6);
    expect(range.max).toBeCloseTo(entry.max!, 6);
  });

  it('reads Offset and ElementSpacing of the zlib-compressed 2D CorpusCallosumMeanShape.mha', async () => {
    const v = await readVolume(sharedPath('debian_itk_examples/CorpusCallosumMeanShape.mha'));
    expect(v.shape).toEqual([58, 31, 1]);
    expect(v.spacing).toEqual([2, 2, 1]);
    expect(v.origin).toEqual([-57.5, -30.5, 0]);
  });

  it('gives the same voxels for the .mhd and the .nhdr of BrainProtonDensitySliceBorder20 (same .raw)', async () => {
    const v = await readVolume(sharedPath('debian_itk_examples/BrainProtonDensitySliceBorder20.mhd'));
    const raw = await readFile(sharedPath('debian_itk_examples/BrainProtonDensitySliceBorder20.raw'));
    expect(Buffer.compare(Buffer.from(asBytes(v.data)), raw)).toBe(0);
    expect(v.meta.anatomicalOrientation).toBe('??');
  });
});

// --- hand-written headers ----------------------------------------------------------------------------------------

describe('MetaImage header fields', () => {
  it('reads TransformMatrix as the index-axis directions one after another (ITK convention)', async () => {
    // Axis 0 points along +y, axis 1 along -x, axis 2 along +z (a 90 degree turn about z).
    const file = await put('rotated.mha', header([
      'ObjectType = Image', 'NDims = 3', 'TransformMatrix = 0 1 0 -1 0 0 0 0 1', 'Offset = 10 20 30',
      'ElementSpacing = 2 3 4', 'DimSize = 2 2 1', 'ElementType = MET_UCHAR', 'ElementDataFile = LOCAL',
    ]), new Uint8Array([1, 2, 3, 4]));
    const v = await readVolume(file);
    // Row-major: column 0 = (0, 1, 0), column 1 = (-1, 0, 0).
    expect(v.direction).toEqual([0, -1, 0, 1, 0, 0, 0, 0, 1]);
    expect(indexToWorld(v, [1, 0, 0])).toEqual([10, 22, 30]);
    expect(indexToWorld(v, [0, 1, 0])).toEqual([7, 20, 30]);
  });

  it('writes TransformMatrix the same way and AnatomicalOrientation as ITK does', async () => {
    const volume = obliqueVolume('uint8');
    const file = path.join(dir, 'written.mha');
    await writeVolume(volume, file, { compress: false });
    const text = (await readFile(file)).toString('latin1');
    const tm = text.match(/\nTransformMatrix = (.*)\n/)![1].split(' ').map(Number);
    const d = volume.direction;
    expect(tm.slice(0, 3)).toEqual([d[0], d[3], d[6]]);
    expect(tm.slice(3, 6)).toEqual([d[1], d[4], d[7]]);
    expect(text).toMatch(/\nElementDataFile = LOCAL\n/);
    expect(metaAnatomicalOrientation([1, 0, 0, 0, 1, 0, 0, 0, 1])).toBe('RAI');
    // LSA in nibabel's RAS codes (a coronal grid) is RIP in ITK's from-letters.
    expect(metaAnatomicalOrientation([1, 0, 0, 0, 0, -1, 0, 1, 0])).toBe('RIP');
  });

  it('swaps MSB data', async () => {
    const file = await put('msb.mha', header([
      'NDims = 3', 'DimSize = 2 2 1', 'ElementType = MET_SHORT', 'ElementByteOrderMSB = True', 'ElementDataFile = LOCAL',
    ]), int16Bytes([1, -2, 300, -32768], true));
    expect(Array.from((await readVolume(file)).data)).toEqual([1, -2, 300, -32768]);
  });

  it('reads ASCII data (BinaryData = False)', async () => {
    const file = await put('ascii.mha', header([
      'ObjectType = Image', 'NDims = 2', 'BinaryData = False', 'DimSize = 3 1', 'ElementType = MET_FLOAT', 'ElementDataFile = LOCAL',
    ]), '1.5 -2 300\n');
    const v = await readVolume(file);
    expect(v.shape).toEqual([3, 1, 1]);
    expect(Array.from(v.data)).toEqual([1.5, -2, 300]);
  });

  it.each([
    ['HeaderSize = 5', new Uint8Array(5).fill(9)],
    ['HeaderSize = -1', new Uint8Array(11).fill(9)],
  ])('skips a preamble with %s in the data file', async (line, preamble) => {
    const name = line.includes('-1') ? 'hs-end' : 'hs-5';
    await put(`${name}.raw`, preamble, int16Bytes([5, 6, 7, 8]));
    const file = await put(`${name}.mhd`, header([
      'ObjectType = Image', 'NDims = 3', 'DimSize = 2 2 1', 'ElementType = MET_SHORT', line, `ElementDataFile = ${name}.raw`,
    ]));
    expect(Array.from((await readVolume(file)).data)).toEqual([5, 6, 7, 8]);
  });

  it('reads slices from a LIST and from a printf pattern', async () => {
    await put('sl1.raw', new Uint8Array([1, 2]));
    await put('sl2.raw', new Uint8Array([3, 4]));
    const list = await put('list.mhd', header([
      'ObjectType = Image', 'NDims = 3', 'DimSize = 2 1 2', 'ElementType = MET_UCHAR', 'ElementDataFile = LIST 2D', 'sl1.raw', 'sl2.raw',
    ]));
    expect(Array.from((await readVolume(list)).data)).toEqual([1, 2, 3, 4]);
    const pattern = await put('pattern.mhd', header([
      'ObjectType = Image', 'NDims = 3', 'DimSize = 2 1 2', 'ElementType = MET_UCHAR', 'ElementDataFile = sl%d.raw 1 2 1',
    ]));
    expect(Array.from((await readVolume(pattern)).data)).toEqual([1, 2, 3, 4]);
  });

  it('keeps interleaved channels (ElementNumberOfChannels) and ElementSize / Position aliases', async () => {
    const file = await put('channels.mha', header([
      'ObjectType = Image', 'NDims = 3', 'DimSize = 2 1 1', 'ElementSize = 0.5 0.25 3', 'Position = 1 2 3',
      'ElementNumberOfChannels = 3', 'ElementType = MET_UCHAR_ARRAY', 'ElementDataFile = LOCAL',
    ]), new Uint8Array([1, 2, 3, 4, 5, 6]));
    const v = await readVolume(file);
    expect(v.components).toBe(3);
    expect(v.spacing).toEqual([0.5, 0.25, 3]);
    expect(v.origin).toEqual([1, 2, 3]);
    expect(Array.from(v.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('turns a fourth dimension into interleaved components', async () => {
    const file = await put('4d.mha', header([
      'ObjectType = Image', 'NDims = 4', 'DimSize = 2 1 1 3', 'ElementType = MET_UCHAR', 'ElementDataFile = LOCAL',
    ]), new Uint8Array([10, 11, 20, 21, 30, 31]));
    const v = await readVolume(file);
    expect(v.shape).toEqual([2, 1, 1]);
    expect(v.components).toBe(3);
    expect(Array.from(v.data)).toEqual([10, 20, 30, 11, 21, 31]);
  });

  it('reads a .zraw data file and a gzipped sibling found by MetaIO\'s .gz fallback', async () => {
    await put('z.zraw', zlib.deflateSync(Buffer.from(int16Bytes([-7, 8]))));
    const z = await put('z.mhd', header([
      'NDims = 3', 'DimSize = 2 1 1', 'CompressedData = True', 'ElementType = MET_SHORT', 'ElementDataFile = z.zraw',
    ]));
    expect(Array.from((await readVolume(z)).data)).toEqual([-7, 8]);
    await put('g.raw.gz', zlib.gzipSync(Buffer.from(int16Bytes([9, -10]))));
    const g = await put('g.mhd', header(['NDims = 3', 'DimSize = 2 1 1', 'ElementType = MET_SHORT', 'ElementDataFile = g.raw']));
    expect(Array.from((await readVolume(g)).data)).toEqual([9, -10]);
  });

  it.each([
    ['MET_CHAR', 'int8'], ['MET_UCHAR', 'uint8'], ['MET_SHORT', 'int16'], ['MET_USHORT', 'uint16'], ['MET_INT', 'int32'],
    ['MET_UINT', 'uint32'], ['MET_LONG', 'int32'], ['MET_ULONG', 'uint32'], ['MET_FLOAT', 'float32'], ['MET_DOUBLE', 'float64'],
    ['MET_LONG_LONG', 'int32'], ['MET_ULONG_LONG', 'uint32'],
  ])('ElementType %s reads as %s', async (type, dtype) => {
    const size = /LONG_LONG|DOUBLE/.test(type) ? 8 : /INT|LONG|FLOAT/.test(type) ? 4 : /SHORT/.test(type) ? 2 : 1;
    const bytes = new Uint8Array(2 * size);
    bytes[size] = 7;
    const file = await put(`type-${type}.mha`, header(['NDims = 1', 'DimSize = 2', `ElementType = ${type}`, 'ElementDataFile = LOCAL']), bytes);
    const v = await readVolume(file);
    expect(v.dtype).toBe(dtype);
    if (isIntegerDType(v.dtype)) expect(Array.from(v.data)).toEqual([0, 7]);
  });
});

// --- bad input -----------------------------------------------------------------------------------------------------

describe('MetaImage bad input', () => {
  it('rejects a DimSize that does not match the data', async () => {
    const file = await put('short.mha', header(['ObjectType = Image', 'NDims = 3', 'DimSize = 10 10 10', 'ElementType = MET_SHORT', 'ElementDataFile = LOCAL']),
      new Uint8Array(1234));
    await expectInputError(readVolume(file), file, /DimSize 10x10x10 MET_SHORT need 2000 bytes, data has 1234/);
  });

  it('rejects truncated compressed data', async () => {
    const whole = await readFile(sharedPath('debian_itk_examples/CorpusCallosumMeanShape.mha'));
    const file = await put('truncated.mha', whole.subarray(0, whole.length - 1000));
    await expectInputError(readVolume(file), file, /compressed data is truncated/);
    // Without CompressedDataSize the inflater itself notices.
    const text = whole.toString('latin1').replace(/CompressedDataSize = \d+\n/, '');
    const cut = Buffer.from(text, 'latin1');
    const bare = await put('truncated-bare.mha', cut.subarray(0, cut.length - 1000));
    await expectInputError(readVolume(bare), bare, /compressed data is truncated/);
  });

  it('names a missing data file', async () => {
    const file = await put('orphan.mhd', header(['ObjectType = Image', 'NDims = 3', 'DimSize = 2 2 2', 'ElementType = MET_UCHAR', 'ElementDataFile = gone.raw']));
    await expectInputError(readVolume(file), file, /data file ".*gone\.raw" not found/);
  });

  it('rejects an unknown ElementType', async () => {
    const file = await put('badtype.mha', header(['ObjectType = Image', 'NDims = 3', 'DimSize = 1 1 1', 'ElementType = MET_QUAT', 'ElementDataFile = LOCAL']), new Uint8Array(4));
    await expectInputError(readVolume(file), file, /unknown MetaImage ElementType "MET_QUAT"/);
  });

  it.each(['NDims', 'DimSize', 'ElementType', 'ElementDataFile'])('rejects a header without %s', async (missing) => {
    const lines = ['ObjectType = Image', 'NDims = 3', 'DimSize = 1 1 1', 'ElementType = MET_UCHAR', 'ElementDataFile = LOCAL']
      .filter((l) => !l.startsWith(missing));
    const file = await put(`missing-${missing}.mha`, header(lines), new Uint8Array(1));
    await expectInputError(readVolume(file), file, new RegExp(`missing the required field "${missing}"`));
  });

  it('rejects a singular TransformMatrix', async () => {
    const file = await put('singular.mha', header(['NDims = 3', 'DimSize = 1 1 1', 'TransformMatrix = 1 0 0 1 0 0 0 0 1', 'ElementType = MET_UCHAR', 'ElementDataFile = LOCAL']), new Uint8Array(1));
    await expectInputError(readVolume(file), file, /TransformMatrix is singular/);
  });
});

// --- writer --------------------------------------------------------------------------------------------------------

describe('MetaImage round trips', () => {
  const cases = DTYPES.flatMap((dtype) =>
    (['.mha', '.mhd'] as const).flatMap((ext) => [true, false].map((compress) => [dtype, ext, compress] as const)),
  );

  it.each(cases)('%s %s compress=%s is lossless', async (dtype, ext, compress) => {
    const volume = obliqueVolume(dtype);
    const file = path.join(dir, `rt-${dtype}-${compress}${ext}`);
    await writeVolume(volume, file, { compress });
    expectSameVolume(await readVolume(file), volume);
  });

  it.each(['.mha', '.mhd'])('keeps 3 components (%s)', async (ext) => {
    const volume = obliqueVolume('int16', 3);
    const file = path.join(dir, `rt-rgb${ext}`);
    await writeVolume(volume, file);
    expectSameVolume(await readVolume(file), volume);
  });

  it('writes .mhd beside .zraw (compressed) or .raw and leaves no temporary files', async () => {
    const sub = await mkdtemp(path.join(dir, 'mhd-'));
    await writeVolume(obliqueVolume('uint8'), path.join(sub, 'a.mhd'));
    await writeVolume(obliqueVolume('uint8'), path.join(sub, 'b.mhd'), { compress: false });
    expect((await readdir(sub)).sort()).toEqual(['a.mhd', 'a.zraw', 'b.mhd', 'b.raw']);
    const text = await readFile(path.join(sub, 'a.mhd'), 'latin1');
    expect(text).toMatch(/\nCompressedData = True\nCompressedDataSize = \d+\n/);
    expect(text).toMatch(/\nElementDataFile = a\.zraw\n$/);
  });

  it('keeps label values and the label table exactly', async () => {
    const data = new Uint8Array(60).map((_v, i) => [0, 3, 255][i % 3]);
    const volume = createVolume({ shape: [5, 4, 3], data, labels: [{ value: 3, name: 'bone', color: [250, 250, 210] }] });
    const file = path.join(dir, 'labels.mha');
    await writeVolume(volume, file);
    const back = await readVolume(file);
    expect(Array.from(back.data)).toEqual(Array.from(data));
    expect(back.labels).toEqual(volume.labels);
  });
});
