import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeNifti,
  encodeNifti,
  niftiReader,
  niftiWriter,
  parseNiftiHeader,
  readNifti,
} from '../../../main/io/nifti.ts';
import { readVolume, registerReader, registerWriter, writeVolume } from '../../../main/io/registry.ts';
import { InputError } from '../../../main/util/errors.ts';
import { asBytes, type TypedArray } from '../../../main/volume/dtype.ts';
import { axisCodes, flipPointXY } from '../../../main/volume/orientation.ts';
import { createVolume, indexToWorld, type Mat3, type Vec3, type Volume } from '../../../main/volume/volume.ts';
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
  registerReader(niftiReader);
  registerWriter(niftiWriter);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-nifti-'));
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

function expectClose(actual: readonly number[], expected: readonly number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i]))));
}

function expectSameVolume(a: Volume, b: Volume, tol = 1e-6): void {
  expect(b.shape).toEqual(a.shape);
  expect(b.dtype).toBe(a.dtype);
  expect(b.components).toBe(a.components);
  expectClose(b.spacing, a.spacing, tol);
  expectClose(b.origin, a.origin, tol);
  expectClose(b.direction, a.direction, tol);
  expect(Buffer.compare(asBytes(b.data), asBytes(a.data))).toBe(0);
}

interface RawHeader {
  dim: number[];
  datatype: number;
  bitpix: number;
  pixdim?: number[];
  voxOffset?: number;
  slope?: number;
  inter?: number;
  qformCode?: number;
  sformCode?: number;
  quatern?: number[];
  qoffset?: number[];
  srow?: number[];
  intentCode?: number;
  littleEndian?: boolean;
  magic?: string;
  /** Where the data really goes (default: vox_offset, at least 352), to build files that lie about vox_offset. */
  dataAt?: number;
}

/**
 * Builds a NIfTI-1 file byte by byte, independently of the writer under test, so that header fields the writer would
 * never produce (big-endian, qform only, no transform, scaling, bad values) can be read back.
 */
function buildNifti1(h: RawHeader, data: Uint8Array): Uint8Array {
  const voxOffset = h.voxOffset ?? 352;
  const dataAt = h.dataAt ?? Math.max(352, voxOffset);
  const out = new Uint8Array(dataAt + data.length);
  const v = new DataView(out.buffer);
  const le = h.littleEndian ?? true;
  v.setInt32(0, 348, le);
  for (let i = 0; i < 8; i++) v.setInt16(40 + 2 * i, h.dim[i] ?? 0, le);
  v.setInt16(68, h.intentCode ?? 0, le);
  v.setInt16(70, h.datatype, le);
  v.setInt16(72, h.bitpix, le);
  const pixdim = h.pixdim ?? [1, 1, 1, 1, 1, 1, 1, 1];
  for (let i = 0; i < 8; i++) v.setFloat32(76 + 4 * i, pixdim[i] ?? 0, le);
  v.setFloat32(108, voxOffset, le);
  v.setFloat32(112, h.slope ?? 0, le);
  v.setFloat32(116, h.inter ?? 0, le);
  v.setInt16(252, h.qformCode ?? 0, le);
  v.setInt16(254, h.sformCode ?? 0, le);
  (h.quatern ?? [0, 0, 0]).forEach((q, i) => v.setFloat32(256 + 4 * i, q, le));
  (h.qoffset ?? [0, 0, 0]).forEach((q, i) => v.setFloat32(268 + 4 * i, q, le));
  (h.srow ?? new Array(12).fill(0)).forEach((s, i) => v.setFloat32(280 + 4 * i, s, le));
  const magic = h.magic ?? 'n+1';
  for (let i = 0; i < magic.length; i++) out[344 + i] = magic.charCodeAt(i);
  out.set(data, dataAt);
  return out;
}

function int16Bytes(values: number[], littleEndian = true): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => v.setInt16(2 * i, x, littleEndian));
  return out;
}

async function writeTemp(name: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(tmp, name);
  await fs.writeFile(file, bytes);
  return file;
}

/** Runs `fn` and returns the InputError it throws (fails the test if it throws something else or nothing). */
async function inputError(fn: () => Promise<unknown>): Promise<InputError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError, nothing was thrown');
}

/** Rotation about z by `a` degrees, then about x by `b` degrees. */
function rotation(a: number, b: number): Mat3 {
  const [ca, sa, cb, sb] = [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180), Math.cos((b * Math.PI) / 180), Math.sin((b * Math.PI) / 180)];
  // Rx(b) · Rz(a)
  return [ca, -sa, 0, cb * sa, cb * ca, -sb, sb * sa, sb * ca, cb];
}

// ---------------------------------------------------------------------------------------------------------------------
// Real files

const niftiEntries = hasSharedData() ? loadManifest().filter((e) => /\.nii(\.gz)?$/.test(e.path)) : [];

describe.skipIf(niftiEntries.length === 0)('shared NIfTI files match the nibabel manifest', () => {
  it.each(niftiEntries.map((e) => [e.path, e] as const))('%s', async (_p, entry) => {
    const volume = await readVolume(sharedPath(entry.path));
    expect(volume.meta.format).toBe('nifti');
    expect(engineShape(volume.shape, volume.components)).toEqual(manifestShapeXYZ(entry));
    expectClose(volume.spacing, entry.zooms!.slice(0, 3), 1e-6);
    expect(volume.dtype).toBe(normalizeManifestDType(entry.dtype!));
    const [min, max] = range(volume.data);
    expectClose([min, max], [entry.min!, entry.max!], 1e-6);
    expect(axisCodes(volume.direction)).toBe(entry.axcodes);
  });

  it.each(niftiEntries.map((e) => [e.path] as const))('%s survives read -> write .nii / .nii.gz -> read', async (p) => {
    const original = await readVolume(sharedPath(p));
    for (const ext of ['.nii', '.nii.gz']) {
      const file = path.join(tmp, `${path.basename(p).replace(/\.nii(\.gz)?$/, '')}-rt${ext}`);
      await writeVolume(original, file);
      const back = await readVolume(file);
      expectSameVolume(original, back);
    }
  });

  it('reads the big-endian nibabel/anatomical.nii with nibabel voxel values', async () => {
    const file = sharedPath('nibabel/anatomical.nii');
    const header = parseNiftiHeader(new Uint8Array(await fs.readFile(file)), file);
    expect(header.littleEndian).toBe(false);
    const v = await readNifti(file);
    const at = (i: number, j: number, k: number) => v.data[i + v.shape[0] * (j + v.shape[1] * k)];
    // Reference: numpy.asanyarray(nibabel.load('nibabel/anatomical.nii').dataobj)[i, j, k] (nibabel 5.0).
    expect(at(16, 20, 12)).toBe(11881);
    expect(at(0, 0, 0)).toBe(10712);
    expect(at(32, 40, 24)).toBe(2971);
    expect(at(10, 30, 5)).toBe(6777);
  });

  // Reference: nibabel.affines.apply_affine(nibabel.load(path).affine, ijk) (RAS) and
  // numpy.asanyarray(img.dataobj)[ijk], computed once with nibabel 5.0 / numpy.
  const worldPoints: [string, Vec3, Vec3, number[]][] = [
    ['debian_itk_examples/KmeansTest_T1UCharRaw.nii.gz', [10, 20, 30], [-20, -164, 40], [0]],
    ['debian_itk_examples/KmeansTest_T1UCharRaw.nii.gz', [64, 70, 30], [-128, -164, 140], [103]],
    ['nibabel/someones_anatomy.nii.gz', [5, 6, 7], [-64.25, -74.5, -71.75], [10.555413275957108]],
    ['nibabel/someones_epi.nii.gz', [10, 20, 30], [-48.0, -45.27662909030914, 39.71149659156799], [47.65843963623047]],
    ['nibabel/example4d.nii.gz', [60, 50, 12], [-2.1448974609375, 58.696293354034424, 34.964563846588135], [468, 457]],
  ];
  it.each(worldPoints)('%s voxel %j is at nibabel RAS %j', async (p, ijk, ras, values) => {
    const v = await readVolume(sharedPath(p));
    expectClose(indexToWorld(v, ijk), flipPointXY(ras), 1e-6);
    const base = (ijk[0] + v.shape[0] * (ijk[1] + v.shape[1] * ijk[2])) * v.components;
    expect(Array.from(v.data.subarray(base, base + v.components))).toEqual(values);
  });

  it('keeps 4D time points as interleaved components and records the layout', async () => {
    const v = await readVolume(sharedPath('nibabel/functional.nii'));
    expect(v.components).toBe(20);
    expect(v.meta['nifti.layout']).toBe('time');
    expect(v.meta['nifti.timeStep']).toBe(2);
    expect(v.meta['nifti.sclSlope']).toBeCloseTo(0.0754069686, 9);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Synthetic volumes

describe('synthetic round trips', () => {
  function obliqueVolume(components: number): Volume {
    const shape: Vec3 = [7, 5, 4];
    const n = shape[0] * shape[1] * shape[2] * components;
    const data = new Int16Array(n);
    for (let i = 0; i < n; i++) data[i] = ((i * 7919) % 65536) - 32768;
    return createVolume({
      shape,
      data,
      components,
      spacing: [0.859375, 0.859375, 6.9],
      origin: [-101.25, 87.5, -33.3],
      direction: rotation(23, -8),
    });
  }

  it.each([
    ['.nii', 3],
    ['.nii.gz', 3],
    ['.nii', 1],
    ['.nii.gz', 5],
  ] as const)('oblique int16 volume with %s and %i components is lossless', async (ext, components) => {
    const volume = obliqueVolume(components);
    const file = path.join(tmp, `oblique-${components}${ext}`);
    await writeVolume(volume, file);
    const raw = new Uint8Array(await fs.readFile(file));
    expect(raw[0] === 0x1f && raw[1] === 0x8b).toBe(ext === '.nii.gz');
    const back = await readVolume(file);
    expectSameVolume(volume, back);
    expect(axisCodes(back.direction)).toBe(axisCodes(volume.direction));
  });

  it('writes a reflected direction into the qform with qfac -1, and the qform alone reproduces it', async () => {
    const volume = createVolume({
      shape: [3, 4, 5],
      dtype: 'float32',
      spacing: [1.5, 2, 2.5],
      origin: [4, -5, 6],
      direction: [0, 0, 1, 1, 0, 0, 0, -1, 0], // index axes -> P, I, L: determinant -1, a reflection
    });
    const bytes = await encodeNifti(volume);
    const header = parseNiftiHeader(bytes);
    expect(header.pixdim[0]).toBe(-1);
    // Drop the sform: the reader must fall back to the qform and land on the same grid.
    new DataView(bytes.buffer, bytes.byteOffset).setInt16(254, 0, true);
    const back = decodeNifti(bytes, 'qform-only');
    expect(back.meta?.['nifti.affine']).toBe('qform');
    expectClose(back.direction, volume.direction, 1e-6);
    expectClose(back.origin, volume.origin, 1e-6);
    expectClose(back.spacing, volume.spacing, 1e-6);
  });

  it.each(['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'] as const)(
    'every engine dtype round-trips (%s)',
    async (dtype) => {
      const volume = createVolume({ shape: [3, 2, 2], dtype });
      for (let i = 0; i < volume.data.length; i++) volume.data[i] = dtype.startsWith('float') ? i * 0.25 - 1 : (i * 37) % 100;
      const back = decodeNifti(await encodeNifti(volume));
      expectSameVolume(volume, back);
    },
  );

  it('NIfTI-2 encodes and decodes losslessly, with double-precision geometry', async () => {
    const volume = obliqueVolume(2);
    const bytes = await encodeNifti(volume, { version: 2 });
    expect(parseNiftiHeader(bytes).version).toBe(2);
    const back = decodeNifti(bytes);
    expectSameVolume(volume, back, 1e-12);
    expect(back.meta?.['nifti.version']).toBe(2);
  });

  it('vector layout (dim[5], intent VECTOR) survives a round trip', async () => {
    const volume = obliqueVolume(3);
    volume.meta = { 'nifti.layout': 'vector' };
    const bytes = await encodeNifti(volume);
    const header = parseNiftiHeader(bytes);
    expect(header.dim.slice(0, 6)).toEqual([5, 7, 5, 4, 1, 3]);
    expect(header.intentCode).toBe(1007);
    const back = decodeNifti(bytes);
    expect(back.meta?.['nifti.layout']).toBe('vector');
    expectSameVolume(volume, back);
  });

  it('de-interleaves: time point t of voxel v lands at t*N + v in the file', async () => {
    const volume = createVolume({ shape: [2, 1, 1], dtype: 'int16', components: 3, data: new Int16Array([1, 2, 3, 4, 5, 6]) });
    const bytes = await encodeNifti(volume);
    expect(Array.from(new Int16Array(bytes.slice(352).buffer))).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Hand-built headers

describe('hand-built headers', () => {
  const dim = [3, 4, 5, 6, 1, 1, 1, 1];
  const zeros = new Uint8Array(4 * 5 * 6 * 2);

  it('sform LAS 2 mm gives LPS origin (-x, -y, z) and direction diag(1, -1, 1)', () => {
    const bytes = buildNifti1(
      { dim, datatype: 4, bitpix: 16, pixdim: [1, 2, 2, 2], sformCode: 1, srow: [-2, 0, 0, 32, 0, 2, 0, -40, 0, 0, 2, -16] },
      zeros,
    );
    const v = decodeNifti(bytes);
    expect(v.spacing).toEqual([2, 2, 2]);
    expect(v.origin).toEqual([-32, 40, -16]);
    expect(v.direction.map((d) => d + 0)).toEqual([1, 0, 0, 0, -1, 0, 0, 0, 1]);
    expect(axisCodes(v.direction)).toBe('LAS');
  });

  it('qform with qfac -1 matches nibabel get_best_affine', () => {
    // nibabel: quatern (0, 0, float32(sin 45deg)), pixdim [-1, 2, 3, 4], qoffset (10, 20, 30) ->
    // RAS affine [[0, -3, 0, 10], [2, 0, 0, 20], [0, 0, -4, 30]] (nibabel 5.0, Nifti1Header.get_best_affine).
    const bytes = buildNifti1(
      { dim, datatype: 4, bitpix: 16, pixdim: [-1, 2, 3, 4], qformCode: 1, quatern: [0, 0, Math.SQRT1_2], qoffset: [10, 20, 30] },
      zeros,
    );
    const v = decodeNifti(bytes);
    expect(v.meta?.['nifti.affine']).toBe('qform');
    expectClose(v.spacing, [2, 3, 4], 1e-6);
    expectClose(v.origin, [-10, -20, 30], 1e-6);
    expectClose(v.direction, [0, 1, 0, -1, 0, 0, 0, 0, -1], 1e-6);
  });

  it('no sform or qform: nibabel Analyze-style fallback (x flipped, centred)', () => {
    // nibabel: Nifti1Header with shape (4, 5, 6), zooms (2, 3, 4), no codes -> get_best_affine()
    // [[-2, 0, 0, 3], [0, 3, 0, -6], [0, 0, 4, -10]] (nibabel 5.0).
    const bytes = buildNifti1({ dim, datatype: 4, bitpix: 16, pixdim: [1, 2, 3, 4] }, zeros);
    const v = decodeNifti(bytes);
    expect(v.meta?.['nifti.affine']).toBe('fallback');
    expect(v.spacing).toEqual([2, 3, 4]);
    expect(v.origin).toEqual([-3, 6, -10]);
    expect(v.direction.map((d) => d + 0)).toEqual([1, 0, 0, 0, -1, 0, 0, 0, 1]);
  });

  it('big-endian synthetic header and data read right', () => {
    const values = Array.from({ length: 120 }, (_, i) => i * 251 - 15000);
    const bytes = buildNifti1(
      { dim, datatype: 4, bitpix: 16, pixdim: [1, 1, 1, 1], sformCode: 1, srow: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0], littleEndian: false },
      int16Bytes(values, false),
    );
    const v = decodeNifti(bytes);
    expect(Array.from(v.data)).toEqual(values);
  });

  const scaling: [string, number, number, number[], string, number[]][] = [
    // [name, slope, inter, uint16 raw values, expected dtype, expected values]
    ['slope 0 means unscaled', 0, 5, [0, 1, 2], 'uint16', [0, 1, 2]],
    ['(1, 0) means unscaled', 1, 0, [0, 1, 2], 'uint16', [0, 1, 2]],
    ['fractional slope gives float64 like nibabel', 0.5, 0, [0, 1, 3], 'float64', [0, 0.5, 1.5]],
    ['fractional intercept gives float64', 1, 0.25, [0, 1, 2], 'float64', [0.25, 1.25, 2.25]],
    ['CT slope 1 intercept -1024 stays integer (int16)', 1, -1024, [0, 1024, 4095], 'int16', [-1024, 0, 3071]],
    ['integer scaling that fits the stored type keeps it', 2, 10, [0, 1, 100], 'uint16', [10, 12, 210]],
    ['integer scaling that needs uint32 picks it', 65536, 0, [0, 1, 65535], 'uint32', [0, 65536, 4294901760]],
    ['integer scaling beyond every integer dtype falls back to float64', 70000, 0, [0, 1, 65535], 'float64', [0, 70000, 4587450000]],
  ];
  it.each(scaling)('scl_slope/scl_inter: %s', (_name, slope, inter, raw, dtype, expected) => {
    const d = new Uint8Array(raw.length * 2);
    raw.forEach((x, i) => new DataView(d.buffer).setUint16(2 * i, x, true));
    const bytes = buildNifti1({ dim: [3, raw.length, 1, 1, 1, 1, 1, 1], datatype: 512, bitpix: 16, slope, inter }, d);
    const v = decodeNifti(bytes);
    expect(v.dtype).toBe(dtype);
    expect(Array.from(v.data)).toEqual(expected);
  });

  it('RGB24 becomes 3 interleaved uint8 components and round-trips as RGB24', async () => {
    const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    const bytes = buildNifti1({ dim: [3, 2, 2, 1, 1, 1, 1, 1], datatype: 128, bitpix: 24 }, rgb);
    const v = decodeNifti(bytes);
    expect(v.dtype).toBe('uint8');
    expect(v.components).toBe(3);
    expect(Array.from(v.data)).toEqual(Array.from(rgb));
    const again = await encodeNifti(v);
    expect(parseNiftiHeader(again).datatype).toBe(128);
    expectSameVolume(v, decodeNifti(again));
  });

  it('RGBA32 becomes 4 components', () => {
    const rgba = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const v = decodeNifti(buildNifti1({ dim: [3, 2, 1, 1, 1, 1, 1, 1], datatype: 2304, bitpix: 32 }, rgba));
    expect(v.components).toBe(4);
    expect(Array.from(v.data)).toEqual(Array.from(rgba));
  });

  it('dim[5] vector field becomes components (component fastest)', () => {
    // 2 voxels x 3 vector components, planar in the file.
    const bytes = buildNifti1(
      { dim: [5, 2, 1, 1, 1, 3, 1, 1], datatype: 4, bitpix: 16, intentCode: 1007 },
      int16Bytes([1, 2, 10, 20, 100, 200]),
    );
    const v = decodeNifti(bytes);
    expect(v.components).toBe(3);
    expect(v.meta?.['nifti.layout']).toBe('vector');
    expect(Array.from(v.data)).toEqual([1, 10, 100, 2, 20, 200]);
  });

  it('reads a .hdr/.img pair', async () => {
    const values = Array.from({ length: 120 }, (_, i) => i);
    const header = buildNifti1({ dim, datatype: 4, bitpix: 16, pixdim: [1, 2, 3, 4], voxOffset: 0, magic: 'ni1' }, new Uint8Array(0));
    const hdr = await writeTemp('pair.hdr', header.subarray(0, 348));
    await writeTemp('pair.img', int16Bytes(values));
    const v = await readVolume(hdr);
    expect(v.meta.format).toBe('nifti');
    expect(Array.from(v.data)).toEqual(values);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Bad input

describe('bad input gives an InputError naming the file and the problem', () => {
  const dim = [3, 4, 5, 6, 1, 1, 1, 1];
  const data = new Uint8Array(4 * 5 * 6 * 2);
  const good = () => buildNifti1({ dim, datatype: 4, bitpix: 16, pixdim: [1, 1, 1, 1] }, data);

  it('truncated .nii.gz', async () => {
    const gz = zlib.gzipSync(good());
    const file = await writeTemp('truncated.nii.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    const error = await inputError(() => readVolume(file));
    expect(error.subject).toBe(file);
    expect(error.message).toContain(file);
    expect(error.problem).toMatch(/gzip stream is truncated/);
  });

  it('corrupt .nii.gz', async () => {
    const gz = Buffer.from(zlib.gzipSync(good()));
    gz.fill(0xaa, 12, 60);
    const file = await writeTemp('corrupt.nii.gz', gz);
    const error = await inputError(() => readVolume(file));
    expect(error.message).toContain(file);
    expect(error.problem).toMatch(/gzip stream is (corrupt|truncated)/);
  });

  it('truncated .nii says how many bytes were expected and present', async () => {
    const file = await writeTemp('truncated.nii', good().subarray(0, 352 + 100));
    const error = await inputError(() => readVolume(file));
    expect(error.message).toContain(file);
    expect(error.problem).toMatch(/truncated/);
    expect(error.problem).toContain('need 240 bytes');
    expect(error.problem).toContain('has 100');
  });

  const bad: [string, RawHeader, RegExp][] = [
    ['vox_offset beyond the file', { dim, datatype: 4, bitpix: 16, voxOffset: 100000, dataAt: 352 }, /vox_offset 100000 is beyond the end of the file/],
    ['vox_offset inside the header', { dim, datatype: 4, bitpix: 16, voxOffset: 100 }, /vox_offset 100 points inside the 348-byte header/],
    ['fractional vox_offset', { dim, datatype: 4, bitpix: 16, voxOffset: 352.5 }, /vox_offset 352.5 is not a whole number/],
    ['zero dimension', { dim: [3, 4, 0, 6, 1, 1, 1, 1], datatype: 4, bitpix: 16 }, /dim\[2\] is 0: dimensions must be positive/],
    ['negative dimension', { dim: [3, 4, 5, -6, 1, 1, 1, 1], datatype: 4, bitpix: 16 }, /dim\[3\] is -6/],
    ['dim[0] out of range', { dim: [9, 4, 5, 6, 1, 1, 1, 1], datatype: 4, bitpix: 16 }, /dim\[0\] is 9/],
    ['unknown datatype', { dim, datatype: 77, bitpix: 16 }, /unknown NIfTI datatype code 77/],
    ['int64', { dim, datatype: 1024, bitpix: 64 }, /datatype 1024 \(int64\) is not supported/],
    ['complex64', { dim, datatype: 32, bitpix: 64 }, /datatype 32 \(complex64\) is not supported/],
    ['float128', { dim, datatype: 1536, bitpix: 128 }, /datatype 1536 \(float128\) is not supported/],
    ['bitpix inconsistent with datatype', { dim, datatype: 4, bitpix: 8 }, /bitpix is 8 but datatype 4 \(int16\) has 16 bits per voxel/],
    ['NaN pixdim', { dim, datatype: 4, bitpix: 16, pixdim: [1, NaN, 1, 1] }, /pixdim\[1\] is NaN/],
    ['zero pixdim', { dim, datatype: 4, bitpix: 16, pixdim: [1, 1, 0, 1] }, /pixdim\[2\] is 0/],
  ];
  it.each(bad)('%s', async (name, header, problem) => {
    const file = await writeTemp(`${name.replace(/\W+/g, '_')}.nii`, buildNifti1(header, data));
    const error = await inputError(() => readVolume(file));
    expect(error.subject).toBe(file);
    expect(error.message).toContain(file);
    expect(error.problem).toMatch(problem);
  });

  it('a .nii that is not NIfTI', async () => {
    const file = await writeTemp('garbage.nii', new Uint8Array(1000).fill(7));
    const error = await inputError(() => readVolume(file));
    expect(error.problem).toMatch(/not a NIfTI file/);
  });

  it('a .hdr whose .img is missing', async () => {
    const header = buildNifti1({ dim, datatype: 4, bitpix: 16, voxOffset: 0, magic: 'ni1' }, new Uint8Array(0));
    const file = await writeTemp('lonely.hdr', header.subarray(0, 348));
    const error = await inputError(() => readVolume(file));
    expect(error.problem).toMatch(/image file lonely\.img is missing/);
  });

  it('a missing file', async () => {
    const file = path.join(tmp, 'nope.nii');
    const error = await inputError(() => readNifti(file));
    expect(error.problem).toMatch(/no such file/);
  });
});

describe('sniffing', () => {
  it('recognises NIfTI-1 (both byte orders) and NIfTI-2 headers, and nothing else', async () => {
    const le = buildNifti1({ dim: [3, 1, 1, 1], datatype: 2, bitpix: 8 }, new Uint8Array(1));
    const be = buildNifti1({ dim: [3, 1, 1, 1], datatype: 2, bitpix: 8, littleEndian: false }, new Uint8Array(1));
    const n2 = await encodeNifti(createVolume({ shape: [1, 1, 1], dtype: 'uint8' }), { version: 2 });
    const head = (bytes: Uint8Array) => ({ bytes, gzipped: false, name: 'x.nii' });
    expect(niftiReader.sniff!(head(le))).toBe(true);
    expect(niftiReader.sniff!(head(be))).toBe(true);
    expect(niftiReader.sniff!(head(n2))).toBe(true);
    // Analyze 7.5: right size, no magic.
    const analyze = le.slice();
    analyze.fill(0, 344, 348);
    expect(niftiReader.sniff!(head(analyze))).toBe(false);
    expect(niftiReader.sniff!(head(new Uint8Array(100)))).toBe(false);
  });
});
