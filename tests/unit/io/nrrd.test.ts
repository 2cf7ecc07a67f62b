// NRRD reader/writer: real files from ../shared/data, hand-written headers with exact expected voxels, round trips.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nrrdReader, nrrdWriter } from '../../../main/io/nrrd.ts';
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
  registerReader(nrrdReader);
  registerWriter(nrrdWriter);
  dir = await mkdtemp(path.join(os.tmpdir(), 'segstation-nrrd-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// --- helpers -----------------------------------------------------------------------------------------------------

/** Rotation by `angle` about `axis` (Rodrigues), row-major. */
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

/** Small oblique volume: rotated direction, non-zero origin, anisotropic spacing, values spanning the dtype. */
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

// --- real data -----------------------------------------------------------------------------------------------------

/**
 * The manifest's min/max for test_simple4d_raw.nrrd come from a reference parser that read the last 8 bytes of the
 * file, which includes the trailing newline after the sample; the single double is 0.76903426 (pynrrd's own test
 * expects that value, and python struct on the bytes after the blank line agrees).
 */
const nrrdEntries = hasSharedData()
  ? loadManifest().filter((e) => e.shape && (e.path.endsWith('.nrrd') || e.path.endsWith('.nhdr')))
  : [];

describe.skipIf(!hasSharedData())('NRRD files in shared data', () => {
  it('lists the NRRD files', () => {
    expect(nrrdEntries.length).toBeGreaterThanOrEqual(5);
  });

  it.each(nrrdEntries.map((e) => [e.path, e] as const))('%s opens with the manifest shape, dtype and range', async (p, entry) => {
    const file = sharedPath(p);
    expect((await detectReader(file)).format).toBe('nrrd');
    const volume = await readVolume(file);
    expect(engineShape(volume.shape, volume.components)).toEqual(manifestShapeXYZ(entry));
    expect(volume.dtype).toBe(normalizeManifestDType(entry.dtype!));
    const range = valueRange(volume.data);
    const expected = { min: entry.min!, max: entry.max! };
    expect(range.min).toBeCloseTo(expected.min, 6);
    expect(range.max).toBeCloseTo(expected.max, 6);
  });

  it('gives identical voxels and geometry for the three BallBinary NRRD encodings', async () => {
    const names = ['BallBinary30x30x30.nrrd', 'BallBinary30x30x30_gz.nrrd', 'BallBinary30x30x30.nhdr'];
    const [first, ...rest] = await Promise.all(names.map((n) => readVolume(sharedPath(`pynrrd/${n}`))));
    expect(first.shape).toEqual([30, 30, 30]);
    expect(first.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    for (const other of rest) expectSameVolume(other, first);
    const range = valueRange(first.data);
    expect([range.min, range.max]).toEqual([0, 257]);
  });

  it('converts the RAS space of test_simple4d_raw.nrrd to LPS and drops its size-1 fourth axis', async () => {
    const v = await readVolume(sharedPath('pynrrd/test_simple4d_raw.nrrd'));
    expect(v.shape).toEqual([1, 1, 1]);
    expect(v.components).toBe(1);
    expect(v.spacing).toEqual([1.5, 1.5, 1]);
    expect(v.direction).toEqual([-1, 0, 0, 0, -1, 0, 0, 0, 1]);
    expect(v.data[0]).toBe(0.76903426);
  });

  it('reads the 2D detached header with a two-dimensional space as shape [x, y, 1]', async () => {
    const v = await readVolume(sharedPath('debian_itk_examples/BrainProtonDensitySliceBorder20.nhdr'));
    expect(v.shape).toEqual([221, 257, 1]);
    expect(v.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });
});

// --- hand-written headers ----------------------------------------------------------------------------------------

describe('NRRD header fields', () => {
  const header = (fields: string[]) => `NRRD0004\n# comment\n${fields.join('\n')}\n\n`;

  it.each([
    ['uchar', 'uint8'], ['unsigned char', 'uint8'], ['uint8', 'uint8'], ['uint8_t', 'uint8'],
    ['signed char', 'int8'], ['int8', 'int8'], ['int8_t', 'int8'],
    ['short', 'int16'], ['short int', 'int16'], ['signed short', 'int16'], ['int16', 'int16'], ['int16_t', 'int16'],
    ['ushort', 'uint16'], ['unsigned short', 'uint16'], ['unsigned short int', 'uint16'], ['uint16_t', 'uint16'],
    ['int', 'int32'], ['signed int', 'int32'], ['int32_t', 'int32'],
    ['uint', 'uint32'], ['unsigned int', 'uint32'], ['uint32_t', 'uint32'],
    ['float', 'float32'], ['double', 'float64'],
    ['long long', 'int32'], ['uint64', 'uint32'],
  ])('type "%s" reads as %s', async (type, dtype) => {
    const size = { uint8: 1, int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, float64: 8 }[dtype]!;
    const bytesPer = /long|64/.test(type) ? 8 : size;
    const data = new Uint8Array(2 * 2 * bytesPer);
    if (bytesPer > 1) data[bytesPer] = 7; // second sample = 7 (little-endian integers) or a tiny float
    else data[1] = 7;
    const file = await put(`type-${type.replace(/\s/g, '_')}.nrrd`, header([
      `type: ${type}`, 'dimension: 2', 'sizes: 2 2', 'endian: little', 'encoding: raw',
    ]), data);
    const v = await readVolume(file);
    expect(v.dtype).toBe(dtype);
    expect(v.shape).toEqual([2, 2, 1]);
    if (isIntegerDType(v.dtype)) expect(Array.from(v.data)).toEqual([0, 7, 0, 0]);
  });

  it('swaps big-endian samples', async () => {
    const file = await put('big.nrrd', header(['type: short', 'dimension: 3', 'sizes: 2 2 1', 'endian: big', 'encoding: raw']),
      int16Bytes([1, -2, 300, -32768], true));
    expect(Array.from((await readVolume(file)).data)).toEqual([1, -2, 300, -32768]);
  });

  it('reads ascii encoding', async () => {
    const file = await put('ascii.nrrd', header(['type: float', 'dimension: 3', 'sizes: 3 1 1', 'encoding: ascii']), '1.5 -2\n3e2\n');
    const v = await readVolume(file);
    expect(v.dtype).toBe('float32');
    expect(Array.from(v.data)).toEqual([1.5, -2, 300]);
  });

  it('reads hex encoding', async () => {
    const file = await put('hex.nrrd', header(['type: uchar', 'dimension: 1', 'sizes: 4', 'encoding: hex']), '00ff\n7f 10\n');
    const v = await readVolume(file);
    expect(v.shape).toEqual([4, 1, 1]);
    expect(Array.from(v.data)).toEqual([0, 255, 127, 16]);
  });

  it('honours byte skip -1 (data at the end of a detached file)', async () => {
    await put('skipend.raw', new Uint8Array(13).fill(9), int16Bytes([5, 6, 7, 8]));
    const file = await put('skipend.nhdr', 'NRRD0004\ntype: int16\ndimension: 2\nsizes: 2 2\nendian: little\nencoding: raw\nbyte skip: -1\ndata file: skipend.raw\n');
    expect(Array.from((await readVolume(file)).data)).toEqual([5, 6, 7, 8]);
  });

  it('honours line skip then byte skip', async () => {
    await put('skiplines.raw', 'first line\nsecond\n', 'XY', int16Bytes([-1, 2]));
    const file = await put('skiplines.nhdr',
      'NRRD0004\ntype: short\ndimension: 1\nsizes: 2\nendian: little\nencoding: raw\nline skip: 2\nbyte skip: 2\ndata file: ./skiplines.raw\n');
    expect(Array.from((await readVolume(file)).data)).toEqual([-1, 2]);
  });

  it('applies byte skip after gzip decompression', async () => {
    const gz = zlib.gzipSync(Buffer.concat([Buffer.from('HEAD'), Buffer.from(int16Bytes([11, 12]))]));
    const file = await put('gzskip.nrrd', header(['type: short', 'dimension: 1', 'sizes: 2', 'endian: little', 'encoding: gz', 'byte skip: 4']), gz);
    expect(Array.from((await readVolume(file)).data)).toEqual([11, 12]);
  });

  it('converts right-anterior-superior space directions and origin to LPS', async () => {
    const file = await put('ras.nrrd', header([
      'type: uchar', 'dimension: 3', 'space: right-anterior-superior', 'sizes: 2 1 1',
      'space directions: (2,0,0) (0,3,0) (0,0,4)', 'kinds: domain domain domain', 'encoding: raw', 'space origin: (10,20,30)',
    ]), new Uint8Array([1, 2]));
    const v = await readVolume(file);
    expect(v.spacing).toEqual([2, 3, 4]);
    expect(v.origin).toEqual([-10, -20, 30]);
    expect(v.direction).toEqual([-1, 0, 0, 0, -1, 0, 0, 0, 1]);
    expect(v.meta.nrrdSpace).toBe('right-anterior-superior');
  });

  it('keeps LPS oblique space directions: spacing = column norms, direction = normalised columns', async () => {
    const file = await put('oblique.nrrd', header([
      'type: uchar', 'dimension: 3', 'space: LPS', 'sizes: 1 1 1',
      'space directions: (0,0.6,0.8) (-2,0,0) (0,1.6,-1.2)', 'encoding: raw', 'space origin: (1,-2,3.5)',
    ]), new Uint8Array([1]));
    const v = await readVolume(file);
    expect(v.spacing[0]).toBeCloseTo(1, 12);
    expect(v.spacing[1]).toBeCloseTo(2, 12);
    expect(v.spacing[2]).toBeCloseTo(2, 12);
    const expected = [0, -1, 0, 0.6, 0, 0.8, 0.8, 0, -0.6];
    v.direction.forEach((d, i) => expect(d).toBeCloseTo(expected[i], 12));
    expect(indexToWorld(v, [1, 1, 1]).map((x) => +x.toFixed(12))).toEqual([-1, 0.2, 3.1]);
  });

  it('uses spacings and axis mins when there are no space directions', async () => {
    const file = await put('spacings.nrrd', header([
      'type: uchar', 'dimension: 3', 'sizes: 1 2 1', 'spacings: 0.5 2 nan', 'axis mins: 1 2 3', 'encoding: raw',
    ]), new Uint8Array([1, 2]));
    const v = await readVolume(file);
    expect(v.spacing).toEqual([0.5, 2, 1]);
    expect(v.origin).toEqual([1, 2, 3]);
    expect(v.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });

  it('turns a first vector axis (space direction none) into interleaved components', async () => {
    const file = await put('vector.nrrd', header([
      'type: uchar', 'dimension: 4', 'space: left-posterior-superior', 'sizes: 3 2 1 1',
      'space directions: none (1,0,0) (0,1,0) (0,0,1)', 'kinds: RGB-color domain domain domain', 'encoding: raw',
    ]), new Uint8Array([1, 2, 3, 4, 5, 6]));
    const v = await readVolume(file);
    expect(v.shape).toEqual([2, 1, 1]);
    expect(v.components).toBe(3);
    expect(Array.from(v.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(v.meta.nrrdComponentKind).toBe('rgb-color');
  });

  it('transposes a trailing non-spatial fourth axis to interleaved components', async () => {
    const file = await put('series.nrrd', header([
      'type: uchar', 'dimension: 4', 'space: left-posterior-superior', 'sizes: 2 1 1 3',
      'space directions: (1,0,0) (0,1,0) (0,0,1) none', 'kinds: domain domain domain list', 'encoding: raw',
    ]), new Uint8Array([10, 11, 20, 21, 30, 31]));
    const v = await readVolume(file);
    expect(v.shape).toEqual([2, 1, 1]);
    expect(v.components).toBe(3);
    expect(Array.from(v.data)).toEqual([10, 20, 30, 11, 21, 31]);
  });

  it('treats a vector kind as components when there are no space directions', async () => {
    const file = await put('kinds.nrrd', header([
      'type: uchar', 'dimension: 3', 'sizes: 2 2 1', 'kinds: vector domain domain', 'encoding: raw',
    ]), new Uint8Array([1, 2, 3, 4]));
    const v = await readVolume(file);
    expect(v.shape).toEqual([2, 1, 1]);
    expect(v.components).toBe(2);
  });

  it('reads detached data from a LIST and from a format string', async () => {
    await put('slice01.raw', new Uint8Array([1, 2]));
    await put('slice02.raw', new Uint8Array([3, 4]));
    const list = await put('list.nhdr', 'NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 1 2\nencoding: raw\ndata file: LIST\nslice01.raw\nslice02.raw\n');
    expect(Array.from((await readVolume(list)).data)).toEqual([1, 2, 3, 4]);
    const pattern = await put('pattern.nhdr', 'NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 1 2\nencoding: raw\ndata file: slice%02d.raw 1 2 1\n');
    expect(Array.from((await readVolume(pattern)).data)).toEqual([1, 2, 3, 4]);
  });

  it('keeps key/value pairs in meta', async () => {
    const file = await put('kv.nrrd', header(['type: uchar', 'dimension: 1', 'sizes: 1', 'encoding: raw', 'modality:=CT', 'content: phantom']), new Uint8Array([0]));
    const v = await readVolume(file);
    expect(v.meta['nrrd:modality']).toBe('CT');
    expect(v.meta.content).toBe('phantom');
  });
});

// --- bad input -----------------------------------------------------------------------------------------------------

describe('NRRD bad input', () => {
  const base = ['type: short', 'dimension: 3', 'sizes: 30 30 30', 'endian: little', 'encoding: raw'];

  it('rejects sizes that do not match the data length', async () => {
    const file = await put('short-data.nrrd', `NRRD0004\n${base.join('\n')}\n\n`, new Uint8Array(1234));
    await expectInputError(readVolume(file), file, /sizes 30x30x30 int16 need 54000 bytes, data has 1234/);
  });

  it('rejects an unknown type', async () => {
    const file = await put('bad-type.nrrd', 'NRRD0004\ntype: quaternion\ndimension: 1\nsizes: 1\nencoding: raw\n\n', new Uint8Array(8));
    await expectInputError(readVolume(file), file, /unknown NRRD type "quaternion"/);
  });

  it.each(['sizes', 'type', 'dimension', 'encoding', 'endian'])('rejects a header without "%s"', async (missing) => {
    const fields = base.filter((f) => !f.startsWith(`${missing}:`));
    const file = await put(`missing-${missing}.nrrd`, `NRRD0004\n${fields.join('\n')}\n\n`, new Uint8Array(54000));
    await expectInputError(readVolume(file), file, new RegExp(`missing the required field "${missing}"`));
  });

  it('rejects truncated gzip data', async () => {
    const whole = await readFile(sharedPath('pynrrd/BallBinary30x30x30_gz.nrrd'));
    const file = await put('truncated_gz.nrrd', whole.subarray(0, whole.length - 300));
    await expectInputError(readVolume(file), file, /gzip data is truncated/);
  });

  it('names a missing detached data file', async () => {
    const file = await put('orphan.nhdr', `NRRD0004\n${base.join('\n')}\ndata file: nothere.raw\n`);
    await expectInputError(readVolume(file), file, /detached data file ".*nothere\.raw" not found/);
  });

  it('rejects a .nhdr without a data file', async () => {
    const file = await put('nodata.nhdr', `NRRD0004\n${base.join('\n')}\n`);
    await expectInputError(readVolume(file), file, /missing the required field "data file"/);
  });

  it.each([
    ['space: left-anterior-superior', /left-anterior-superior" is not supported/],
    ['space: somewhere', /unknown NRRD space "somewhere"/],
  ])('rejects %s', async (line, problem) => {
    const file = await put('space.nrrd', `NRRD0004\n${base.join('\n')}\n${line}\n\n`, new Uint8Array(54000));
    await expectInputError(readVolume(file), file, problem);
  });

  it('rejects bzip2 encoding with a clear message', async () => {
    const file = await put('bz.nrrd', 'NRRD0004\ntype: uchar\ndimension: 1\nsizes: 1\nencoding: bzip2\n\n', new Uint8Array(1));
    await expectInputError(readVolume(file), file, /bzip2.*not supported/);
  });
});

// --- writer --------------------------------------------------------------------------------------------------------

describe('NRRD round trips', () => {
  const cases = DTYPES.flatMap((dtype) =>
    (['.nrrd', '.nhdr'] as const).flatMap((ext) => [true, false].map((compress) => [dtype, ext, compress] as const)),
  );

  it.each(cases)('%s %s compress=%s is lossless', async (dtype, ext, compress) => {
    const volume = obliqueVolume(dtype);
    const file = path.join(dir, `rt-${dtype}-${compress}${ext}`);
    await writeVolume(volume, file, { compress });
    expectSameVolume(await readVolume(file), volume);
  });

  it.each(['.nrrd', '.nhdr'])('keeps 3 components (%s)', async (ext) => {
    const volume = obliqueVolume('float32', 3);
    const file = path.join(dir, `rt-rgb${ext}`);
    await writeVolume(volume, file);
    const back = await readVolume(file);
    expectSameVolume(back, volume);
  });

  it('writes LPS space, space directions, origin, kinds, little endian and gzip by default', async () => {
    const volume = obliqueVolume('int16', 2);
    const file = path.join(dir, 'header.nrrd');
    await writeVolume(volume, file);
    const text = (await readFile(file)).toString('latin1');
    const head = text.slice(0, text.indexOf('\n\n') + 1);
    expect(head).toMatch(/^NRRD0004\n/);
    expect(head).toContain('\ntype: short\n');
    expect(head).toContain('\ndimension: 4\n');
    expect(head).toContain('\nspace: left-posterior-superior\n');
    expect(head).toContain('\nsizes: 2 5 4 3\n');
    expect(head).toMatch(/\nspace directions: none \(.+\) \(.+\) \(.+\)\n/);
    expect(head).toContain('\nkinds: vector domain domain domain\n');
    expect(head).toContain('\nendian: little\n');
    expect(head).toContain('\nencoding: gzip\n');
    expect(head).toContain('\nspace origin: (-12.5,33.25,7.125)\n');
  });

  it('writes a detached header beside .raw.gz (or .raw) and leaves no temporary files', async () => {
    const sub = await mkdtemp(path.join(dir, 'nhdr-'));
    const volume = obliqueVolume('uint8');
    await writeVolume(volume, path.join(sub, 'scan.nhdr'));
    await writeVolume(volume, path.join(sub, 'plain.nhdr'), { compress: false });
    expect((await readdir(sub)).sort()).toEqual(['plain.nhdr', 'plain.raw', 'scan.nhdr', 'scan.raw.gz']);
    expect((await readFile(path.join(sub, 'scan.nhdr'), 'latin1'))).toContain('\ndata file: scan.raw.gz\n');
    expect((await readFile(path.join(sub, 'plain.raw'))).length).toBe(60);
  });

  it('keeps label values and the label table exactly', async () => {
    const data = new Uint16Array(60).map((_v, i) => [0, 1, 7, 65535][i % 4]);
    const volume = createVolume({
      shape: [5, 4, 3],
      data,
      labels: [
        { value: 1, name: 'liver', color: [200, 20, 20] },
        { value: 7, name: 'tumour é', color: [0, 255, 0] },
        { value: 65535, name: 'edge', color: [1, 2, 3] },
      ],
    });
    const file = path.join(dir, 'labels.nrrd');
    await writeVolume(volume, file);
    const back = await readVolume(file);
    expect(Array.from(back.data)).toEqual(Array.from(data));
    expect(back.labels).toEqual(volume.labels);
  });

  it('is chosen by content whatever the extension', async () => {
    const file = path.join(dir, 'content.nrrd');
    await writeVolume(obliqueVolume('uint8'), file);
    const renamed = await put('content.bin', await readFile(file));
    expect((await detectReader(renamed)).format).toBe('nrrd');
  });
});
