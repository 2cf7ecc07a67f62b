import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMinc1, mincReader, parseNetcdf, readMinc } from '../../../main/io/minc.ts';
import { readVolume, registerReader } from '../../../main/io/registry.ts';
import { InputError } from '../../../main/util/errors.ts';
import { asBytes, type TypedArray } from '../../../main/volume/dtype.ts';
import { axisCodes, flipPointXY, rasAffineFromGeometry } from '../../../main/volume/orientation.ts';
import { indexToWorld, type Vec3, type Volume } from '../../../main/volume/volume.ts';
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
  registerReader(mincReader);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-minc-'));
});

afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------------------
// A minimal NetCDF classic writer, so MINC1 files can be built here without fixtures on disk.

type NcType = 'byte' | 'char' | 'short' | 'int' | 'float' | 'double';
const NC_CODE: Record<NcType, number> = { byte: 1, char: 2, short: 3, int: 4, float: 5, double: 6 };
const NC_SIZE: Record<NcType, number> = { byte: 1, char: 1, short: 2, int: 4, float: 4, double: 8 };
type NcAttr = string | { type: NcType; values: number[] };

interface NcVar {
  name: string;
  dims: string[];
  type: NcType;
  attrs?: Record<string, NcAttr>;
  /** Values in C order (default zeros). Bytes are written as unsigned when >= 128. */
  data?: ArrayLike<number>;
}

function encodeNetcdf(dims: [string, number][], vars: NcVar[], version: 1 | 2 = 1): Uint8Array {
  const out: number[] = [];
  const u32 = (n: number) => out.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  const pad = () => {
    while (out.length % 4) out.push(0);
  };
  const name = (s: string) => {
    u32(s.length);
    for (const ch of s) out.push(ch.charCodeAt(0));
    pad();
  };
  const value = (type: NcType, x: number) => {
    const b = new DataView(new ArrayBuffer(8));
    switch (type) {
      case 'byte':
      case 'char':
        out.push(x & 255);
        return;
      case 'short':
        b.setInt16(0, x, false);
        out.push(b.getUint8(0), b.getUint8(1));
        return;
      case 'int':
        b.setInt32(0, x, false);
        break;
      case 'float':
        b.setFloat32(0, x, false);
        break;
      case 'double':
        b.setFloat64(0, x, false);
        out.push(...new Uint8Array(b.buffer));
        return;
    }
    out.push(...new Uint8Array(b.buffer, 0, 4));
  };
  const attrs = (a: Record<string, NcAttr> | undefined) => {
    const entries = Object.entries(a ?? {});
    if (entries.length === 0) return (u32(0), u32(0));
    u32(0x0c);
    u32(entries.length);
    for (const [n, v] of entries) {
      name(n);
      if (typeof v === 'string') {
        u32(2);
        u32(v.length);
        for (const ch of v) out.push(ch.charCodeAt(0));
      } else {
        u32(NC_CODE[v.type]);
        u32(v.values.length);
        for (const x of v.values) value(v.type, x);
      }
      pad();
    }
  };
  const dimIndex = new Map(dims.map(([n], i) => [n, i]));
  const dimLength = new Map(dims);
  const count = (v: NcVar) => v.dims.reduce((p, d) => p * dimLength.get(d)!, 1);
  const vsize = (v: NcVar) => (count(v) * NC_SIZE[v.type] + 3) & ~3;

  out.push(0x43, 0x44, 0x46, version);
  u32(0);
  u32(0x0a);
  u32(dims.length);
  for (const [n, l] of dims) {
    name(n);
    u32(l);
  }
  u32(0);
  u32(0); // no global attributes
  u32(0x0b);
  u32(vars.length);
  const beginAt: number[] = [];
  for (const v of vars) {
    name(v.name);
    u32(v.dims.length);
    for (const d of v.dims) u32(dimIndex.get(d)!);
    attrs(v.attrs);
    u32(NC_CODE[v.type]);
    u32(vsize(v));
    beginAt.push(out.length);
    if (version === 2) u32(0);
    u32(0); // patched below
  }
  for (let i = 0; i < vars.length; i++) {
    const begin = out.length;
    const at = beginAt[i] + (version === 2 ? 4 : 0);
    out[at] = (begin >>> 24) & 255;
    out[at + 1] = (begin >>> 16) & 255;
    out[at + 2] = (begin >>> 8) & 255;
    out[at + 3] = begin & 255;
    const v = vars[i];
    const n = count(v);
    for (let k = 0; k < n; k++) value(v.type, v.data ? v.data[k] : 0);
    pad();
  }
  return new Uint8Array(out);
}

const d = (values: number[]): NcAttr => ({ type: 'double', values });

function dimVar(name: string, step: number, start: number, cosines: number[]): NcVar {
  return {
    name,
    dims: [],
    type: 'int',
    attrs: { spacing: 'regular__', step: d([step]), start: d([start]), direction_cosines: d(cosines) },
  };
}

async function writeTemp(name: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(tmp, name);
  await fs.writeFile(file, bytes);
  return file;
}

async function inputError(fn: () => Promise<unknown>): Promise<InputError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError, nothing was thrown');
}

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

const at = (v: Volume, i: number, j: number, k: number, c = 0) => v.data[(i + v.shape[0] * (j + v.shape[1] * k)) * v.components + c];

// ---------------------------------------------------------------------------------------------------------------------
// nibabel/small.mnc (MINC2 / HDF5)

const smallEntry = hasSharedData() ? loadManifest().find((e) => e.path === 'nibabel/small.mnc') : undefined;

describe.skipIf(!smallEntry)('nibabel/small.mnc', () => {
  it('matches the manifest (shape, zooms, dtype, min/max, axcodes)', async () => {
    const entry = smallEntry!;
    const v = await readVolume(sharedPath(entry.path));
    expect(v.meta.format).toBe('minc');
    expect(engineShape(v.shape, v.components)).toEqual(manifestShapeXYZ(entry));
    expectClose(v.spacing, entry.zooms!, 1e-9);
    expect(v.dtype).toBe(normalizeManifestDType(entry.dtype!));
    expectClose(range(v.data), [entry.min!, entry.max!], 1e-9);
    expect(axisCodes(v.direction)).toBe(entry.axcodes);
  });

  // Reference: nibabel 5.0, img = nibabel.load('nibabel/small.mnc'); nibabel.affines.apply_affine(img.affine, ijk) (RAS)
  // and img.get_fdata()[ijk].
  it.each([
    [[3, 5, 7], [-49, -94, -45], 59.732488381213415],
    [[9, 14, 15], [7, -22, 9], 63.87371498080009],
    [[17, 27, 28], [98, 82, 81], 1.2853859531029812],
  ] as [Vec3, Vec3, number][])('voxel %j is at nibabel RAS %j with value %d', async (ijk, ras, value) => {
    const v = await readMinc(sharedPath('nibabel/small.mnc'));
    expectClose(indexToWorld(v, ijk), flipPointXY(ras), 1e-9);
    expect(at(v, ...ijk)).toBeCloseTo(value, 12);
  });

  it('the same content as MINC1 (CDF-1 and CDF-2) reads identically', async () => {
    // Pull the stored int16 values and scaling out of the MINC2 file, re-encode as NetCDF.
    await h5wasm.ready;
    const f = new h5wasm.File(sharedPath('nibabel/small.mnc'), 'r');
    const ds = (p: string) => f.get(p) as InstanceType<typeof h5wasm.Dataset>;
    const raw = ds('/minc-2.0/image/0/image').value as Int16Array;
    const imin = Array.from(ds('/minc-2.0/image/0/image-min').value as Float64Array);
    const imax = Array.from(ds('/minc-2.0/image/0/image-max').value as Float64Array);
    const dimAttrs = (n: string) => {
      const a = ds(`/minc-2.0/dimensions/${n}`).attrs;
      return dimVar(n, a.step.value as number, a.start.value as number, Array.from(a.direction_cosines.value as Float64Array));
    };
    const dims = ['xspace', 'yspace', 'zspace'].map(dimAttrs);
    f.close();
    const minc2 = await readMinc(sharedPath('nibabel/small.mnc'));
    for (const version of [1, 2] as const) {
      const bytes = encodeNetcdf(
        [['zspace', 18], ['yspace', 28], ['xspace', 29]],
        [
          ...dims,
          { name: 'image', dims: ['zspace', 'yspace', 'xspace'], type: 'short', data: raw, attrs: { signtype: 'signed__', valid_range: d([-32768, 32767]) } },
          { name: 'image-min', dims: ['zspace'], type: 'double', data: imin },
          { name: 'image-max', dims: ['zspace'], type: 'double', data: imax },
        ],
        version,
      );
      expect(parseNetcdf(bytes).version).toBe(version);
      const file = await writeTemp(`small-cdf${version}.mnc`, bytes);
      const minc1 = await readVolume(file);
      expect(minc1.meta['minc.version']).toBe(1);
      expect(minc1.shape).toEqual(minc2.shape);
      expect(minc1.spacing).toEqual(minc2.spacing);
      expect(minc1.origin).toEqual(minc2.origin);
      expect(minc1.direction).toEqual(minc2.direction);
      expect(Buffer.compare(asBytes(minc1.data), asBytes(minc2.data))).toBe(0);
    }
  });

  it('a truncated MINC2 file gives an InputError', async () => {
    const bytes = await fs.readFile(sharedPath('nibabel/small.mnc'));
    const file = await writeTemp('small-truncated.mnc', bytes.subarray(0, 20000));
    const error = await inputError(() => readVolume(file));
    expect(error.message).toContain(file);
    expect(error.problem).toMatch(/truncated.*40208 bytes, the file has 20000/);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Synthetic MINC1

describe('MINC1 (NetCDF classic)', () => {
  const c = Math.cos(0.3);
  const s = Math.sin(0.3);
  const oblique = [
    dimVar('xspace', 1.5, -10, [c, s, 0]),
    dimVar('yspace', -2, 20, [-s, c, 0]),
    dimVar('zspace', 3, 5, [0, 0, 1]),
  ];
  // Dimension order (yspace, xspace, zspace): engine axes follow it, like nibabel's.
  const shape = [3, 5, 6];
  const raw = Array.from({ length: 90 }, (_, i) => (i * 37 + 11) % 256);
  const imin = [-1, -2, -3];
  const imax = [10, 20, 30];
  const obliqueFile = () =>
    encodeNetcdf(
      [['yspace', 3], ['xspace', 5], ['zspace', 6]],
      [
        ...oblique,
        { name: 'image', dims: ['yspace', 'xspace', 'zspace'], type: 'byte', data: raw, attrs: { signtype: 'unsigned', valid_range: d([0, 255]) } },
        { name: 'image-min', dims: ['yspace'], type: 'double', data: imin },
        { name: 'image-max', dims: ['yspace'], type: 'double', data: imax },
      ],
    );

  it('oblique uint8 with per-slice scaling and a negative step matches nibabel', async () => {
    const file = await writeTemp('oblique.mnc', obliqueFile());
    const v = await readVolume(file);
    expect(v.shape).toEqual(shape);
    expect(v.dtype).toBe('float64');
    // Reference: this exact file (obliqueFile() written to disk) loaded with nibabel 5.0 as Minc1Image: img.affine,
    // nibabel.aff2axcodes(img.affine) == ('P', 'R', 'S'), zooms (2, 1.5, 3).
    expectClose(
      rasAffineFromGeometry(v),
      [
        0.5910404133226791, 1.433004733688409, 0, -15.46376902448285,
        -1.910672978251212, 0.4432803099920093, 0, 16.151527715898723,
        0, 0, 3, 5,
        0, 0, 0, 1,
      ],
      1e-12,
    );
    expect(axisCodes(v.direction)).toBe('PRS');
    expectClose(v.spacing, [2, 1.5, 3], 1e-12);
    // nibabel _normalize: value = raw * (imax - imin) / 255 + imin, per yspace slice (engine axis i); the reference
    // values are img.get_fdata()[ijk] of the same file.
    const nibabelValues: [number, number, number, number][] = [
      [0, 0, 0, -0.5254901960784314],
      [1, 2, 3, 10.07843137254902],
      [2, 4, 5, 27.02352941176471],
    ];
    for (const [i, j, k, ref] of nibabelValues) {
      const r = raw[(i * 5 + j) * 6 + k];
      expect(at(v, i, j, k)).toBeCloseTo((r * (imax[i] - imin[i])) / 255 + imin[i], 12);
      expect(at(v, i, j, k)).toBeCloseTo(ref, 12);
    }
  });

  it('a leading time dimension becomes interleaved components with 2D (time, zspace) scaling', async () => {
    const T = 2;
    const data = Array.from({ length: T * 2 * 3 * 4 }, (_, i) => i - 10);
    const mins = [0, 1, 2, 3];
    const maxs = [100, 200, 300, 400];
    const bytes = encodeNetcdf(
      [['time', T], ['zspace', 2], ['yspace', 3], ['xspace', 4]],
      [
        dimVar('xspace', 1, 0, [1, 0, 0]),
        dimVar('yspace', 1, 0, [0, 1, 0]),
        dimVar('zspace', 1, 0, [0, 0, 1]),
        { name: 'image', dims: ['time', 'zspace', 'yspace', 'xspace'], type: 'short', data, attrs: { signtype: 'signed__', valid_range: d([-100, 100]) } },
        { name: 'image-min', dims: ['time', 'zspace'], type: 'double', data: mins },
        { name: 'image-max', dims: ['time', 'zspace'], type: 'double', data: maxs },
      ],
    );
    const v = decodeMinc1(bytes, 'time.mnc');
    expect(v.shape).toEqual([2, 3, 4]); // (zspace, yspace, xspace)
    expect(v.components).toBe(T);
    for (let t = 0; t < T; t++) {
      for (const [z, y, x] of [[0, 0, 0], [1, 2, 3], [0, 1, 2]]) {
        const r = data[((t * 2 + z) * 3 + y) * 4 + x];
        const sIdx = t * 2 + z;
        const slope = (maxs[sIdx] - mins[sIdx]) / 200;
        expect(at(v, z, y, x, t)).toBeCloseTo((r + 100) * slope + mins[sIdx], 12);
      }
    }
  });

  it('float images are not scaled and keep float32', () => {
    const data = [0.5, -1.25, 3, 1e6, 7, 8, 9, 10];
    const v = decodeMinc1(
      encodeNetcdf([['zspace', 2], ['yspace', 2], ['xspace', 2]], [
        { name: 'image', dims: ['zspace', 'yspace', 'xspace'], type: 'float', data },
        { name: 'image-min', dims: [], type: 'double', data: [0] },
        { name: 'image-max', dims: [], type: 'double', data: [1] },
      ]),
    );
    expect(v.dtype).toBe('float32');
    // Default direction cosines and step 1: engine axes (z, y, x) -> index i runs along z.
    expect(axisCodes(v.direction)).toBe('SAR');
    expect(at(v, 0, 0, 1)).toBe(-1.25);
    expect(at(v, 0, 1, 1)).toBe(1e6);
  });

  it('without image-min/max the stored integers are returned as they are', () => {
    const v = decodeMinc1(
      encodeNetcdf([['zspace', 1], ['yspace', 2], ['xspace', 2]], [
        { name: 'image', dims: ['zspace', 'yspace', 'xspace'], type: 'short', data: [1, -2, 300, 4], attrs: { signtype: 'signed__' } },
      ]),
    );
    expect(v.dtype).toBe('int16');
    expect(Array.from(v.data)).toEqual([1, 300, -2, 4]); // engine i = zspace (size 1), j = yspace, k = xspace
  });

  it('sniffs NetCDF classic, and HDF5 only when named .mnc', () => {
    const hdf5 = new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    expect(mincReader.sniff!({ bytes: obliqueFile(), gzipped: false, name: 'x.mnc' })).toBe(true);
    expect(mincReader.sniff!({ bytes: hdf5, gzipped: false, name: 'x.mnc' })).toBe(true);
    expect(mincReader.sniff!({ bytes: hdf5, gzipped: false, name: 'x.h5' })).toBe(false);
    expect(mincReader.sniff!({ bytes: new Uint8Array([0x43, 0x44, 0x46, 5]), gzipped: false, name: 'x.nc' })).toBe(false);
  });

  it('reads gzipped MINC1 (.mnc.gz)', async () => {
    const file = await writeTemp('oblique.mnc.gz', zlib.gzipSync(obliqueFile()));
    const v = await readVolume(file);
    expect(v.meta.format).toBe('minc');
    expect(v.shape).toEqual(shape);
  });

  describe('bad input gives an InputError naming the file and the problem', () => {
    const cases: [string, () => Uint8Array, RegExp][] = [
      // The file ends with image (90 bytes, padded to 92), image-min (24), image-max (24).
      ['truncated image data', () => obliqueFile().subarray(0, obliqueFile().length - 80), /truncated: NetCDF variable 'image' needs bytes up to \d+, the file has \d+/],
      ['truncated scaling data', () => obliqueFile().subarray(0, obliqueFile().length - 10), /truncated: NetCDF variable 'image-max' needs bytes up to/],
      ['truncated header', () => obliqueFile().subarray(0, 60), /NetCDF header is truncated/],
      ['CDF-5', () => new Uint8Array([0x43, 0x44, 0x46, 5, 0, 0, 0, 0]), /not a MINC file/],
      [
        'no image variable',
        () => encodeNetcdf([['x', 2]], [{ name: 'other', dims: ['x'], type: 'short' }]),
        /no 'image' variable/,
      ],
      [
        'irregular spacing',
        () =>
          encodeNetcdf([['zspace', 1], ['yspace', 1], ['xspace', 2]], [
            { name: 'xspace', dims: [], type: 'int', attrs: { spacing: 'irregular' } },
            { name: 'image', dims: ['zspace', 'yspace', 'xspace'], type: 'short' },
          ]),
        /irregular spacing/,
      ],
      [
        'two spatial dimensions',
        () => encodeNetcdf([['yspace', 2], ['xspace', 2]], [{ name: 'image', dims: ['yspace', 'xspace'], type: 'short' }]),
        /2 spatial dimensions/,
      ],
      [
        'valid_range outside the stored type',
        () =>
          encodeNetcdf([['zspace', 1], ['yspace', 1], ['xspace', 2]], [
            { name: 'image', dims: ['zspace', 'yspace', 'xspace'], type: 'byte', attrs: { signtype: 'unsigned', valid_range: d([0, 4095]) } },
            { name: 'image-min', dims: [], type: 'double' },
            { name: 'image-max', dims: [], type: 'double', data: [1] },
          ]),
        /valid_range \[0, 4095\] is outside/,
      ],
    ];
    it.each(cases)('%s', async (name, build, problem) => {
      const file = await writeTemp(`${name.replace(/\W+/g, '_')}.mnc`, build());
      const error = await inputError(() => readVolume(file));
      expect(error.subject).toBe(file);
      expect(error.message).toContain(file);
      expect(error.problem).toMatch(problem);
    });

    it('truncated .mnc.gz', async () => {
      const gz = zlib.gzipSync(obliqueFile());
      const file = await writeTemp('truncated.mnc.gz', gz.subarray(0, gz.length >> 1));
      const error = await inputError(() => readVolume(file));
      expect(error.message).toContain(file);
      expect(error.problem).toMatch(/gzip stream is truncated/);
    });
  });
});
