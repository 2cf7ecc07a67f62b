import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import * as zarr from 'zarrita';
import FileSystemStore from '@zarrita/storage/fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOmeZarrStore,
  omeZarrReader,
  omeZarrWriter,
  openOmeZarr,
  planOmeZarrLevels,
} from '../../../main/io/omezarr/index.ts';
import { readVolume, registerReader, registerWriter, writeVolume } from '../../../main/io/registry.ts';
import { InputError } from '../../../main/util/errors.ts';
import { DTYPES, allocate, asBytes, isIntegerDType, type DType, type TypedArray } from '../../../main/volume/dtype.ts';
import { createVolume, type LabelEntry, type Mat3, type Vec3, type Volume } from '../../../main/volume/volume.ts';

let tmp: string;

beforeAll(async () => {
  registerReader(omeZarrReader);
  registerWriter(omeZarrWriter);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'omezarr-test-'));
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RANGES: Record<DType, [number, number]> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
  float32: [-1e6, 1e6],
  float64: [-1e12, 1e12],
};

function randomData(dtype: DType, n: number, seed: number): TypedArray {
  const r = rng(seed);
  const out = allocate(dtype, n);
  const [lo, hi] = RANGES[dtype];
  for (let i = 0; i < n; i++) {
    out[i] = isIntegerDType(dtype) ? Math.floor(lo + r() * (hi - lo + 1)) : lo + r() * (hi - lo);
  }
  if (!isIntegerDType(dtype) && n > 4) {
    out[0] = NaN;
    out[1] = -0;
    out[2] = Infinity;
    out[3] = -Infinity;
  }
  return out;
}

function rotation(): Mat3 {
  const a = (30 * Math.PI) / 180;
  const b = (20 * Math.PI) / 180;
  const rz = [Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0, 0, 0, 1];
  const rx = [1, 0, 0, 0, Math.cos(b), -Math.sin(b), 0, Math.sin(b), Math.cos(b)];
  const m = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) m[r * 3 + c] += rz[r * 3 + k] * rx[k * 3 + c];
  return m as Mat3;
}

function bytesEqual(a: TypedArray, b: TypedArray): boolean {
  return Buffer.compare(Buffer.from(asBytes(a)), Buffer.from(asBytes(b))) === 0;
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
}

const LABELS: LabelEntry[] = [
  { value: 1, name: 'liver', color: [220, 20, 60] },
  { value: 2, name: 'spleen', color: [0, 128, 255] },
  { value: 7, name: 'tumour', color: [255, 255, 0] },
];

describe('OME-Zarr round trip', () => {
  for (const dtype of DTYPES) {
    for (const components of [1, 3]) {
      it(`is lossless for ${dtype} x ${components}`, async () => {
        const shape: Vec3 = [23, 17, 11];
        const volume = createVolume({
          shape,
          dtype,
          components,
          data: randomData(dtype, 23 * 17 * 11 * components, DTYPES.indexOf(dtype) * 10 + components),
          spacing: [0.7, 1.3, 2.5],
          origin: [-101.25, 37.5, 12.125],
          direction: rotation(),
          meta: { source: 'test', seriesNumber: 4, anonymised: true },
        });
        const file = path.join(tmp, `rt-${dtype}-${components}.ome.zarr`);
        await writeVolume(volume, file, { chunkShape: [8, 8, 4] });
        const back = await readVolume(file);
        expect(back.shape).toEqual(shape);
        expect(back.dtype).toBe(dtype);
        expect(back.components).toBe(components);
        expect(back.spacing).toEqual(volume.spacing);
        expect(back.origin).toEqual(volume.origin);
        expect(back.direction).toEqual(volume.direction);
        expect(back.meta).toEqual({ ...volume.meta, format: 'ome-zarr' });
        expect(bytesEqual(back.data, volume.data)).toBe(true);
        const direct = await omeZarrReader.read(file);
        expect(direct.meta).toEqual(volume.meta);
      });
    }
  }

  it('keeps the label table and writes NGFF image-label colours', async () => {
    const shape: Vec3 = [30, 20, 10];
    const data = new Uint16Array(30 * 20 * 10);
    const r = rng(5);
    for (let i = 0; i < data.length; i++) data[i] = [0, 1, 2, 7][Math.floor(r() * 4)];
    const volume = createVolume({ shape, data, labels: LABELS, spacing: [1, 1, 3] });
    const file = path.join(tmp, 'labels.ome.zarr');
    await writeVolume(volume, file);
    const back = await omeZarrReader.read(file);
    expect(back.labels).toEqual(LABELS);
    expect(Array.from(back.data)).toEqual(Array.from(data));
    const root = await readJson(path.join(file, 'zarr.json'));
    const ome = (root.attributes as Record<string, Record<string, unknown>>).ome;
    const imageLabel = ome['image-label'] as { colors: { 'label-value': number; rgba: number[] }[] };
    expect(imageLabel.colors).toEqual(LABELS.map((l) => ({ 'label-value': l.value, rgba: [...l.color, 255] })));
  });

  it('writes a valid OME-Zarr v0.5 store (Zarr v3) with consistent scales', async () => {
    const volume = createVolume({
      shape: [150, 90, 40],
      dtype: 'uint8',
      components: 2,
      data: randomData('uint8', 150 * 90 * 40 * 2, 9),
      spacing: [0.5, 0.6, 2],
      origin: [10, 20, 30],
    });
    const file = path.join(tmp, 'valid.ome.zarr');
    await writeVolume(volume, file);
    const root = await readJson(path.join(file, 'zarr.json'));
    expect(root.zarr_format).toBe(3);
    expect(root.node_type).toBe('group');
    const attrs = root.attributes as Record<string, Record<string, unknown>>;
    expect(attrs.ome.version).toBe('0.5');
    const multiscales = attrs.ome.multiscales as {
      axes: { name: string; type: string; unit?: string }[];
      datasets: { path: string; coordinateTransformations: { type: string; scale?: number[]; translation?: number[] }[] }[];
    }[];
    expect(multiscales).toHaveLength(1);
    const ms = multiscales[0];
    expect(ms.axes.map((a) => a.name)).toEqual(['c', 'z', 'y', 'x']);
    expect(ms.axes.map((a) => a.type)).toEqual(['channel', 'space', 'space', 'space']);
    expect(ms.axes.slice(1).every((a) => a.unit === 'millimeter')).toBe(true);
    const levels = planOmeZarrLevels(volume);
    expect(levels.map((l) => l.shape)).toEqual([
      [150, 90, 40],
      [75, 45, 20],
      [38, 23, 10],
    ]);
    expect(ms.datasets.map((d) => d.path)).toEqual(['0', '1', '2']);
    const store = new FileSystemStore(file);
    for (let i = 0; i < ms.datasets.length; i++) {
      const d = ms.datasets[i];
      expect(d.coordinateTransformations.map((t) => t.type)).toEqual(['scale', 'translation']);
      const scale = d.coordinateTransformations[0].scale!;
      const translation = d.coordinateTransformations[1].translation!;
      const f = 2 ** i;
      expect(scale).toEqual([1, 2 * f, 0.6 * f, 0.5 * f]);
      // half-voxel shift: origin + (f - 1) / 2 * spacing0
      expect(translation[0]).toBe(0);
      expect(translation[1]).toBeCloseTo(30 + ((f - 1) / 2) * 2, 12);
      expect(translation[2]).toBeCloseTo(20 + ((f - 1) / 2) * 0.6, 12);
      expect(translation[3]).toBeCloseTo(10 + ((f - 1) / 2) * 0.5, 12);
      const meta = await readJson(path.join(file, d.path, 'zarr.json'));
      expect(meta.zarr_format).toBe(3);
      expect(meta.node_type).toBe('array');
      expect(meta.data_type).toBe('uint8');
      const [nx, ny, nz] = levels[i].shape;
      expect(meta.shape).toEqual([2, nz, ny, nx]);
      expect(meta.dimension_names).toEqual(['c', 'z', 'y', 'x']);
      // zarrita itself reads what we wrote
      const arr = await zarr.open.v3(zarr.root(store).resolve(d.path), { kind: 'array' });
      expect(arr.shape).toEqual([2, nz, ny, nx]);
      if (i === 0) {
        const got = await zarr.get(arr, [1, 33, 44, 55]);
        expect(got).toBe(volume.data[((33 * 90 + 44) * 150 + 55) * 2 + 1]);
      }
    }
  });

  it('replaces an existing store as a whole', async () => {
    const file = path.join(tmp, 'replace.ome.zarr');
    await writeVolume(createVolume({ shape: [80, 80, 80], dtype: 'uint8' }), file);
    await writeVolume(createVolume({ shape: [10, 10, 10], dtype: 'int16' }), file);
    const back = await readVolume(file);
    expect(back.shape).toEqual([10, 10, 10]);
    expect(await fs.readdir(file)).toEqual(['0', 'zarr.json']);
  });
});

// ---------------------------------------------------------------------------------------------------------------

/** Writes a Zarr v2 array by hand: .zarray and chunk files (raw or zlib), C order, '.' separated keys. */
async function writeV2Array(
  dir: string,
  data: Uint16Array,
  shape: number[],
  chunks: number[],
  compressor: 'zlib' | null,
): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(
    path.join(dir, '.zarray'),
    JSON.stringify({
      zarr_format: 2,
      shape,
      chunks,
      dtype: '<u2',
      compressor: compressor ? { id: 'zlib', level: 1 } : null,
      fill_value: 0,
      order: 'C',
      filters: null,
    }),
  );
  const n = shape.length;
  const grid = shape.map((s, d) => Math.ceil(s / chunks[d]));
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const cstrides = chunks.map((_, d) => chunks.slice(d + 1).reduce((a, b) => a * b, 1));
  const total = grid.reduce((a, b) => a * b, 1);
  for (let k = 0; k < total; k++) {
    const idx: number[] = [];
    let rest = k;
    for (let d = n - 1; d >= 0; d--) {
      idx[d] = rest % grid[d];
      rest = Math.floor(rest / grid[d]);
    }
    const chunk = new Uint16Array(chunks.reduce((a, b) => a * b, 1));
    for (let j = 0; j < chunk.length; j++) {
      let src = 0;
      let inside = true;
      for (let d = 0; d < n; d++) {
        const pos = idx[d] * chunks[d] + (Math.floor(j / cstrides[d]) % chunks[d]);
        if (pos >= shape[d]) inside = false;
        src += pos * strides[d];
      }
      if (inside) chunk[j] = data[src];
    }
    const bytes = new Uint8Array(chunk.buffer);
    await fs.writeFile(path.join(dir, idx.join('.')), compressor ? zlib.deflateSync(bytes) : bytes);
  }
}

describe('OME-Zarr v0.4 (Zarr v2) stores', () => {
  it('reads a hand-written v0.4 store with a channel axis and zlib chunks', async () => {
    const file = path.join(tmp, 'v04.ome.zarr');
    await fs.mkdir(file, { recursive: true });
    await fs.writeFile(path.join(file, '.zgroup'), JSON.stringify({ zarr_format: 2 }));
    const [C, nz, ny, nx] = [2, 5, 7, 9];
    const data0 = new Uint16Array(C * nz * ny * nx).map((_, i) => (i * 37) % 60000);
    const data1 = new Uint16Array(C * 3 * 4 * 5).map((_, i) => i + 1);
    await fs.writeFile(
      path.join(file, '.zattrs'),
      JSON.stringify({
        multiscales: [
          {
            version: '0.4',
            name: 'fixture',
            axes: [
              { name: 'c', type: 'channel' },
              { name: 'z', type: 'space', unit: 'millimeter' },
              { name: 'y', type: 'space', unit: 'millimeter' },
              { name: 'x', type: 'space', unit: 'millimeter' },
            ],
            datasets: [
              {
                path: '0',
                coordinateTransformations: [
                  { type: 'scale', scale: [1, 3, 0.75, 0.5] },
                  { type: 'translation', translation: [0, -4, 5, 6] },
                ],
              },
              {
                path: '1',
                coordinateTransformations: [
                  { type: 'scale', scale: [1, 6, 1.5, 1] },
                  { type: 'translation', translation: [0, -2.5, 5.375, 6.25] },
                ],
              },
            ],
          },
        ],
      }),
    );
    await writeV2Array(path.join(file, '0'), data0, [C, nz, ny, nx], [1, 2, 4, 4], 'zlib');
    await writeV2Array(path.join(file, '1'), data1, [C, 3, 4, 5], [1, 3, 4, 5], null);

    const volume = await readVolume(file);
    expect(volume.meta.format).toBe('ome-zarr');
    expect(volume.meta.ngffVersion).toBe('0.4');
    expect(volume.shape).toEqual([nx, ny, nz]);
    expect(volume.components).toBe(C);
    expect(volume.dtype).toBe('uint16');
    expect(volume.spacing).toEqual([0.5, 0.75, 3]);
    expect(volume.origin).toEqual([6, 5, -4]);
    expect(volume.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++) {
          for (let c = 0; c < C; c++) {
            expect(volume.data[((z * ny + y) * nx + x) * C + c]).toBe(data0[((c * nz + z) * ny + y) * nx + x]);
          }
        }
      }
    }
    const level1 = await omeZarrReader.read(file, { level: 1 });
    expect(level1.shape).toEqual([5, 4, 3]);
    expect(level1.spacing).toEqual([1, 1.5, 6]);
    expect(level1.origin).toEqual([6.25, 5.375, -2.5]);
    expect(level1.data[((2 * 4 + 3) * 5 + 4) * 2 + 1]).toBe(data1[((1 * 3 + 2) * 4 + 3) * 5 + 4]);

    const lazy = await openOmeZarr(file);
    expect(lazy.version).toBe('0.4');
    const region = await lazy.readRegion([3, 2, 1], [5, 4, 3]);
    for (let z = 0; z < 3; z++) {
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 5; x++) {
          for (let c = 0; c < C; c++) {
            expect(region[((z * 4 + y) * 5 + x) * C + c]).toBe(data0[((c * nz + z + 1) * ny + y + 2) * nx + x + 3]);
          }
        }
      }
    }
  });

  it('reads a v0.4 store without a channel axis, in micrometres, converting to millimetres', async () => {
    const file = path.join(tmp, 'v04-um.zarr');
    await fs.mkdir(file, { recursive: true });
    await fs.writeFile(path.join(file, '.zgroup'), JSON.stringify({ zarr_format: 2 }));
    await fs.writeFile(
      path.join(file, '.zattrs'),
      JSON.stringify({
        multiscales: [
          {
            version: '0.4',
            axes: ['z', 'y', 'x'].map((name) => ({ name, type: 'space', unit: 'micrometer' })),
            datasets: [{ path: 's0', coordinateTransformations: [{ type: 'scale', scale: [2, 0.5, 0.25] }] }],
            coordinateTransformations: [{ type: 'scale', scale: [2, 2, 2] }],
          },
        ],
        'image-label': { version: '0.4', colors: [{ 'label-value': 3, rgba: [1, 2, 3, 255] }] },
      }),
    );
    const data = new Uint16Array(4 * 6 * 8).map((_, i) => (i % 5 === 0 ? 3 : 0));
    await writeV2Array(path.join(file, 's0'), data, [4, 6, 8], [4, 6, 8], null);
    const volume = await omeZarrReader.read(file);
    expect(volume.shape).toEqual([8, 6, 4]);
    expect(volume.spacing[0]).toBeCloseTo(0.0005, 15);
    expect(volume.spacing[1]).toBeCloseTo(0.001, 15);
    expect(volume.spacing[2]).toBeCloseTo(0.004, 15);
    expect(volume.origin).toEqual([0, 0, 0]);
    expect(volume.meta).toEqual({ ngffVersion: '0.4', ngffUnit: 'micrometer', isLabel: true });
    expect(volume.labels).toEqual([{ value: 3, name: 'label 3', color: [1, 2, 3] }]);
    expect(Array.from(volume.data)).toEqual(Array.from(data));
  });
});

// ---------------------------------------------------------------------------------------------------------------

function blockMean(data: TypedArray, shape: Vec3, round: boolean): number[] {
  const [nx, ny, nz] = shape;
  const out: number[] = [];
  for (let z = 0; z < nz; z += 2) {
    for (let y = 0; y < ny; y += 2) {
      for (let x = 0; x < nx; x += 2) {
        let sum = 0;
        let n = 0;
        for (let dz = 0; dz < 2 && z + dz < nz; dz++) {
          for (let dy = 0; dy < 2 && y + dy < ny; dy++) {
            for (let dx = 0; dx < 2 && x + dx < nx; dx++) {
              sum += data[((z + dz) * ny + y + dy) * nx + x + dx];
              n++;
            }
          }
        }
        out.push(round ? Math.round(sum / n) + 0 : sum / n);
      }
    }
  }
  return out;
}

function blockModeRef(data: TypedArray, shape: Vec3): number[] {
  const [nx, ny, nz] = shape;
  const out: number[] = [];
  for (let z = 0; z < nz; z += 2) {
    for (let y = 0; y < ny; y += 2) {
      for (let x = 0; x < nx; x += 2) {
        const counts = new Map<number, number>();
        for (let dz = 0; dz < 2 && z + dz < nz; dz++) {
          for (let dy = 0; dy < 2 && y + dy < ny; dy++) {
            for (let dx = 0; dx < 2 && x + dx < nx; dx++) {
              const v = data[((z + dz) * ny + y + dy) * nx + x + dx];
              counts.set(v, (counts.get(v) ?? 0) + 1);
            }
          }
        }
        const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
        out.push(sorted[0][0]);
      }
    }
  }
  return out;
}

describe('OME-Zarr pyramid', () => {
  it('halves each axis (ceil) and stops at 64 voxels a side by default', () => {
    expect(planOmeZarrLevels({ shape: [100, 60, 33] }).map((l) => l.shape)).toEqual([
      [100, 60, 33],
      [50, 30, 17],
    ]);
    expect(planOmeZarrLevels({ shape: [100, 60, 33] }, { levels: 4 }).map((l) => l.shape)).toEqual([
      [100, 60, 33],
      [50, 30, 17],
      [25, 15, 9],
      [13, 8, 5],
    ]);
    const flat = planOmeZarrLevels({ shape: [300, 200, 1] });
    expect(flat.map((l) => l.shape)).toEqual([
      [300, 200, 1],
      [150, 100, 1],
      [75, 50, 1],
      [38, 25, 1],
    ]);
    expect(flat[3].factor).toEqual([8, 8, 1]);
    expect(planOmeZarrLevels({ shape: [300, 200, 1] }, { levels: 1 })).toHaveLength(1);
  });

  it('averages image blocks (rounded for integers, partial blocks at odd edges)', async () => {
    const shape: Vec3 = [100, 60, 33];
    for (const dtype of ['int16', 'float32'] as const) {
      const volume = createVolume({ shape, dtype, data: randomData(dtype, 100 * 60 * 33, 77).map((v) => (Number.isFinite(v) ? v : 1)) });
      const file = path.join(tmp, `pyr-${dtype}.ome.zarr`);
      await writeVolume(volume, file, { levels: 3 });
      const l1 = await omeZarrReader.read(file, { level: 1 });
      expect(l1.shape).toEqual([50, 30, 17]);
      const expected = blockMean(volume.data, shape, dtype === 'int16');
      if (dtype === 'int16') {
        expect(Array.from(l1.data)).toEqual(expected);
      } else {
        expected.forEach((v, i) => expect(l1.data[i]).toBeCloseTo(v, 0));
        expect(Array.from(l1.data)).toEqual(Array.from(Float32Array.from(expected)));
      }
      const l2 = await omeZarrReader.read(file, { level: 2 });
      expect(l2.shape).toEqual([25, 15, 9]);
      const expected2 = blockMean(l1.data, l1.shape, dtype === 'int16');
      expect(Array.from(l2.data)).toEqual(dtype === 'int16' ? expected2 : Array.from(Float32Array.from(expected2)));
      expect(l2.spacing).toEqual([4, 4, 4]);
      expect(l2.origin).toEqual([1.5, 1.5, 1.5]);
    }
  });

  it('takes the mode of label blocks, ties to the smallest value, never inventing values', async () => {
    const shape: Vec3 = [41, 30, 19];
    const data = new Uint8Array(41 * 30 * 19);
    const r = rng(11);
    const values = [0, 3, 5, 200];
    for (let i = 0; i < data.length; i++) data[i] = values[Math.floor(r() * values.length)];
    const volume = createVolume({ shape, data, labels: [{ value: 3, name: 'a', color: [1, 1, 1] }] });
    const file = path.join(tmp, 'pyr-labels.ome.zarr');
    await writeVolume(volume, file, { levels: 4 });
    const l1 = await omeZarrReader.read(file, { level: 1 });
    expect(Array.from(l1.data)).toEqual(blockModeRef(data, shape));
    for (let level = 1; level < 4; level++) {
      const l = await omeZarrReader.read(file, { level });
      for (const v of new Set(l.data)) expect(values).toContain(v);
      expect(l.labels).toEqual(volume.labels);
    }
    // meta.isLabel alone also selects the mode
    const viaMeta = createVolume({ shape, data, meta: { isLabel: true } });
    const file2 = path.join(tmp, 'pyr-islabel.ome.zarr');
    await writeVolume(viaMeta, file2, { levels: 2 });
    expect(Array.from((await omeZarrReader.read(file2, { level: 1 })).data)).toEqual(blockModeRef(data, shape));
  });

  it('shifts the origin of coarse levels by half a voxel in index space under a rotated direction', async () => {
    const direction = rotation();
    const volume = createVolume({ shape: [20, 20, 20], dtype: 'uint8', spacing: [1, 2, 3], origin: [5, 6, 7], direction });
    const file = path.join(tmp, 'rot-pyr.ome.zarr');
    await writeVolume(volume, file, { levels: 2 });
    const l1 = await omeZarrReader.read(file, { level: 1 });
    const shift = [0.5 * 1, 0.5 * 2, 0.5 * 3];
    for (let r = 0; r < 3; r++) {
      const expected = volume.origin[r] + direction[r * 3] * shift[0] + direction[r * 3 + 1] * shift[1] + direction[r * 3 + 2] * shift[2];
      expect(l1.origin[r]).toBeCloseTo(expected, 12);
    }
    expect(l1.spacing).toEqual([2, 4, 6]);
    expect(l1.direction).toEqual(direction);
  });
});

// ---------------------------------------------------------------------------------------------------------------

async function readAllLevels(file: string): Promise<Volume[]> {
  const lazy = await openOmeZarr(file);
  const out: Volume[] = [];
  for (let level = 0; level < lazy.levels.length; level++) out.push(await omeZarrReader.read(file, { level }));
  return out;
}

describe('streaming OME-Zarr writer', () => {
  for (const labels of [false, true]) {
    it(`matches the in-memory writer at every level (${labels ? 'labels' : 'image'})`, async () => {
      const shape: Vec3 = [70, 50, 45];
      const components = labels ? 1 : 2;
      const data = labels
        ? new Int32Array(70 * 50 * 45).map((_, i) => [0, 4, 9][(i * 2654435761) % 3])
        : randomData('int16', 70 * 50 * 45 * 2, 3);
      const volume = createVolume({
        shape,
        data,
        components,
        spacing: [0.8, 0.8, 1.5],
        origin: [1, 2, 3],
        direction: rotation(),
        ...(labels ? { labels: LABELS } : {}),
      });
      const options = { chunkShape: [16, 16, 8] as Vec3, levels: 4 };
      const memFile = path.join(tmp, `mem-${labels}.ome.zarr`);
      await writeVolume(volume, memFile, options);

      const file = path.join(tmp, `stream-${labels}.ome.zarr`);
      const { data: _data, ...header } = volume;
      const builder = await createOmeZarrStore(file, header, options);
      expect(builder.slabDepth).toBe(8);
      const plane = 70 * 50 * components;
      // slabs out of order, 16 planes each, last one partial (45 = 2 * 16 + 13)
      for (const z of [16, 0, 32]) {
        await builder.writeSlab(z, volume.data.subarray(z * plane, Math.min(z + 16, 45) * plane));
      }
      await expect(fs.access(file)).rejects.toThrow();
      await builder.finalize();

      const a = await readAllLevels(memFile);
      const b = await readAllLevels(file);
      expect(b).toHaveLength(4);
      for (let level = 0; level < 4; level++) {
        expect(b[level].shape).toEqual(a[level].shape);
        expect(b[level].spacing).toEqual(a[level].spacing);
        expect(b[level].origin).toEqual(a[level].origin);
        expect(bytesEqual(b[level].data, a[level].data)).toBe(true);
      }
      expect(bytesEqual(b[0].data, volume.data)).toBe(true);
      expect(await readJson(path.join(file, 'zarr.json'))).toEqual(await readJson(path.join(memFile, 'zarr.json')).then((j) => {
        // the multiscale name follows the file name
        const ome = (j.attributes as { ome: { multiscales: { name: string }[] } }).ome;
        ome.multiscales[0].name = `stream-${labels}`;
        return j;
      }));
      const leftovers = (await fs.readdir(tmp)).filter((e) => e.includes('stream-') && e.startsWith('.'));
      expect(leftovers).toEqual([]);
    });
  }

  it('leaves no store at the target when the build fails, and an old store untouched', async () => {
    const header = { shape: [40, 40, 40] as Vec3, spacing: [1, 1, 1] as Vec3, origin: [0, 0, 0] as Vec3, direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as Mat3, dtype: 'uint8' as const, components: 1 };
    const file = path.join(tmp, 'failed.ome.zarr');
    const builder = await createOmeZarrStore(file, header, { chunkShape: [16, 16, 16] });
    await builder.writeSlab(0, new Uint8Array(40 * 40 * 16).fill(3));
    await expect(builder.writeSlab(8, new Uint8Array(40 * 40 * 16))).rejects.toThrow(InputError);
    await expect(builder.writeSlab(16, new Uint16Array(40 * 40 * 16))).rejects.toThrow(/uint16/);
    await expect(builder.finalize()).rejects.toThrow(/never written/);
    await expect(fs.access(file)).rejects.toThrow();
    expect((await fs.readdir(tmp)).filter((e) => e.startsWith('.failed.ome.zarr'))).toEqual([]);

    // a throw in the middle of a build, with an old store at the target
    await writeVolume(createVolume({ shape: [5, 5, 5], dtype: 'uint8', data: new Uint8Array(125).fill(9) }), file);
    const second = await createOmeZarrStore(file, header, { chunkShape: [16, 16, 16] });
    await second.writeSlab(0, new Uint8Array(40 * 40 * 32).fill(1));
    const failing = async () => {
      await second.writeSlab(32, new Uint8Array(40 * 40 * 8).fill(2));
      throw new Error('source went away');
    };
    await expect(failing()).rejects.toThrow('source went away');
    await second.abort();
    const old = await readVolume(file);
    expect(old.shape).toEqual([5, 5, 5]);
    expect(old.data[0]).toBe(9);
    expect((await fs.readdir(tmp)).filter((e) => e.startsWith('.failed.ome.zarr'))).toEqual([]);
    await expect(second.writeSlab(0, new Uint8Array(40 * 40 * 16))).rejects.toThrow(/aborted/);
  });

  it('cannot be finalized after a slab failed half way through its chunks', async () => {
    const header = { shape: [40, 40, 40] as Vec3, spacing: [1, 1, 1] as Vec3, origin: [0, 0, 0] as Vec3, direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as Mat3, dtype: 'uint8' as const, components: 1 };
    const file = path.join(tmp, 'broken.ome.zarr');
    const builder = await createOmeZarrStore(file, header, { chunkShape: [16, 16, 16] });
    await builder.writeSlab(0, new Uint8Array(40 * 40 * 16).fill(1));
    const staging = (await fs.readdir(tmp)).filter((e) => e.startsWith('.broken.ome.zarr.staging'));
    expect(staging).toHaveLength(1);
    // a file where the next chunk row's folder must go makes the write fail in the middle
    await fs.writeFile(path.join(tmp, staging[0], '0', 'c', '1'), 'in the way');
    await expect(builder.writeSlab(16, new Uint8Array(40 * 40 * 16).fill(2))).rejects.toThrow();
    await expect(builder.writeSlab(32, new Uint8Array(40 * 40 * 8).fill(2))).rejects.toThrow(/failed/);
    await expect(builder.finalize()).rejects.toThrow(/failed to write/);
    await expect(fs.access(file)).rejects.toThrow();
    expect((await fs.readdir(tmp)).filter((e) => e.startsWith('.broken.ome.zarr'))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('OME-Zarr bad input', () => {
  it('refuses a Zarr group without multiscales', async () => {
    const file = path.join(tmp, 'plain.zarr');
    await fs.mkdir(file, { recursive: true });
    await fs.writeFile(path.join(file, 'zarr.json'), JSON.stringify({ zarr_format: 3, node_type: 'group', attributes: {} }));
    await expect(omeZarrReader.read(file)).rejects.toThrow(InputError);
    await expect(omeZarrReader.read(file)).rejects.toThrow(/multiscales/);
    await expect(openOmeZarr(file)).rejects.toThrow(InputError);
    expect(await omeZarrReader.sniffDirectory!(file, ['zarr.json'])).toBe(false);
  });

  it('sniffs v0.5 and v0.4 stores', async () => {
    const v5 = path.join(tmp, 'sniff.ome.zarr');
    await writeVolume(createVolume({ shape: [4, 4, 4], dtype: 'uint8' }), v5);
    expect(await omeZarrReader.sniffDirectory!(v5, await fs.readdir(v5))).toBe(true);
    const v4 = path.join(tmp, 'v04.ome.zarr');
    expect(await omeZarrReader.sniffDirectory!(v4, await fs.readdir(v4))).toBe(true);
  });

  it('reads a missing chunk as the fill value but refuses a truncated or corrupt one', async () => {
    const volume = createVolume({ shape: [32, 32, 32], dtype: 'uint16', data: new Uint16Array(32 ** 3).fill(500) });
    const file = path.join(tmp, 'chunks.ome.zarr');
    await writeVolume(volume, file, { chunkShape: [16, 16, 16], levels: 1 });
    const chunk = path.join(file, '0', 'c', '1', '0', '1');
    const bytes = await fs.readFile(chunk);

    await fs.rm(chunk);
    const missing = await omeZarrReader.read(file);
    expect(missing.data[(16 * 32 + 0) * 32 + 16]).toBe(0);
    expect(missing.data[(31 * 32 + 15) * 32 + 31]).toBe(0);
    expect(missing.data[0]).toBe(500);
    expect(missing.data[(16 * 32 + 16) * 32 + 16]).toBe(500);

    await fs.writeFile(chunk, bytes.subarray(0, bytes.length >> 1));
    const truncated = omeZarrReader.read(file);
    await expect(truncated).rejects.toThrow(InputError);
    await expect(omeZarrReader.read(file)).rejects.toThrow(/c\/1\/0\/1/);
    await expect(omeZarrReader.read(file)).rejects.toThrow(file);

    await fs.writeFile(chunk, Buffer.from('definitely not gzip'));
    await expect(omeZarrReader.read(file)).rejects.toThrow(InputError);
    const lazy = await openOmeZarr(file);
    await expect(lazy.readRegion([16, 0, 16], [1, 1, 1])).rejects.toThrow(/corrupt or truncated/);
    await expect(lazy.readRegion([0, 0, 0], [1, 1, 1])).resolves.toEqual(new Uint16Array([500]));
  });

  it('refuses a truncated chunk of an uncompressed v2 store', async () => {
    const file = path.join(tmp, 'v04-raw.zarr');
    await fs.mkdir(file, { recursive: true });
    await fs.writeFile(path.join(file, '.zgroup'), JSON.stringify({ zarr_format: 2 }));
    await fs.writeFile(
      path.join(file, '.zattrs'),
      JSON.stringify({ multiscales: [{ version: '0.4', axes: ['z', 'y', 'x'].map((name) => ({ name, type: 'space' })), datasets: [{ path: '0' }] }] }),
    );
    await writeV2Array(path.join(file, '0'), new Uint16Array(64).fill(7), [4, 4, 4], [2, 4, 4], null);
    expect(Array.from((await omeZarrReader.read(file)).data)).toEqual(new Array(64).fill(7));
    await fs.writeFile(path.join(file, '0', '1.0.0'), new Uint8Array(10));
    await expect(omeZarrReader.read(file)).rejects.toThrow(/truncated/);
    await expect(omeZarrReader.read(file)).rejects.toThrow(InputError);
  });

  it('refuses bad write options and reads of levels that do not exist', async () => {
    const volume = createVolume({ shape: [4, 4, 4], dtype: 'uint8' });
    await expect(writeVolume(volume, path.join(tmp, 'bad.ome.zarr'), { chunkShape: [0, 4, 4] })).rejects.toThrow(InputError);
    await expect(writeVolume(volume, path.join(tmp, 'bad.ome.zarr'), { levels: 0 })).rejects.toThrow(InputError);
    const file = path.join(tmp, 'sniff.ome.zarr');
    await expect(omeZarrReader.read(file, { level: 3 })).rejects.toThrow(/level 3/);
  });
});
