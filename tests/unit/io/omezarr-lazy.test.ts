import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { omeZarrReader, omeZarrWriter, openOmeZarr } from '../../../main/io/omezarr/index.ts';
import { registerReader, registerWriter, writeVolume } from '../../../main/io/registry.ts';
import { InputError } from '../../../main/util/errors.ts';
import type { TypedArray } from '../../../main/volume/dtype.ts';
import { createVolume, type Vec3, type Volume } from '../../../main/volume/volume.ts';

const SHAPE: Vec3 = [256, 256, 128];
const CHUNK_BYTES = 64 * 64 * 64 * 2;
let tmp: string;
let file: string;
let volume: Volume;

/** Window [start, start + size) cut from an in-memory volume (x fastest, interleaved components). */
function cut(v: Pick<Volume, 'data' | 'shape' | 'components'>, start: Vec3, size: Vec3): number[] {
  const [nx, ny] = v.shape;
  const C = v.components;
  const out: number[] = [];
  for (let z = start[2]; z < start[2] + size[2]; z++) {
    for (let y = start[1]; y < start[1] + size[1]; y++) {
      for (let x = start[0]; x < start[0] + size[0]; x++) {
        for (let c = 0; c < C; c++) out.push(v.data[((z * ny + y) * nx + x) * C + c]);
      }
    }
  }
  return out;
}

beforeAll(async () => {
  registerReader(omeZarrReader);
  registerWriter(omeZarrWriter);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'omezarr-lazy-'));
  const data = new Uint16Array(SHAPE[0] * SHAPE[1] * SHAPE[2]);
  for (let i = 0; i < data.length; i++) data[i] = 1 + ((i * 2654435761) % 60000);
  volume = createVolume({ shape: SHAPE, data, spacing: [0.5, 0.5, 1.25], origin: [-64, -64, 10] });
  file = path.join(tmp, 'lazy.ome.zarr');
  await writeVolume(volume, file);
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('lazy OME-Zarr reading', () => {
  it('describes every level without reading chunks', async () => {
    const lazy = await openOmeZarr(file, { cacheBytes: 64 * CHUNK_BYTES });
    expect(lazy.header.shape).toEqual(SHAPE);
    expect(lazy.header.dtype).toBe('uint16');
    expect(lazy.header.spacing).toEqual([0.5, 0.5, 1.25]);
    expect(lazy.levels.map((l) => l.shape)).toEqual([
      [256, 256, 128],
      [128, 128, 64],
      [64, 64, 32],
    ]);
    expect(lazy.levels.map((l) => l.chunkShape)).toEqual([
      [64, 64, 64],
      [64, 64, 64],
      [64, 64, 32],
    ]);
    expect(lazy.levels[1].spacing).toEqual([1, 1, 2.5]);
    expect(lazy.levels[1].origin).toEqual([-63.75, -63.75, 10.625]);
    expect(lazy.levelHeader(2).shape).toEqual([64, 64, 32]);
    expect(lazy.cacheStats()).toEqual({ hits: 0, misses: 0, bytes: 0, chunksRead: 0 });
  });

  it('reads an axial slice from exactly the 16 chunks crossing it, then from the cache', async () => {
    const lazy = await openOmeZarr(file, { cacheBytes: 64 * CHUNK_BYTES });
    const slice = await lazy.readSlice(2, 70);
    expect(lazy.cacheStats().chunksRead).toBe(16);
    expect(lazy.cacheStats().misses).toBe(16);
    expect(slice.width).toBe(256);
    expect(slice.height).toBe(256);
    expect(Array.from(slice.data)).toEqual(cut(volume, [0, 0, 70], [256, 256, 1]));
    const again = await lazy.readSlice(2, 70);
    expect(lazy.cacheStats().chunksRead).toBe(16);
    expect(lazy.cacheStats().hits).toBe(16);
    expect(Array.from(again.data)).toEqual(Array.from(slice.data));
    // another plane of the same chunk row costs nothing either
    await lazy.readSlice(2, 127);
    expect(lazy.cacheStats().chunksRead).toBe(16);
    expect(lazy.cacheStats().bytes).toBe(16 * CHUNK_BYTES);
  });

  it('reads sagittal and coronal slices with the in-plane axes in increasing order', async () => {
    const lazy = await openOmeZarr(file, { cacheBytes: 0 });
    const sagittal = await lazy.readSlice(0, 100);
    expect([sagittal.width, sagittal.height]).toEqual([256, 128]);
    expect(lazy.cacheStats().chunksRead).toBe(4 * 2);
    expect(Array.from(sagittal.data)).toEqual(cut(volume, [100, 0, 0], [1, 256, 128]));
    const coronal = await lazy.readSlice(1, 255);
    expect([coronal.width, coronal.height]).toEqual([256, 128]);
    expect(Array.from(coronal.data)).toEqual(cut(volume, [0, 255, 0], [256, 1, 128]));
    expect(lazy.cacheStats().bytes).toBe(0);
  });

  it('reads a window crossing chunk borders', async () => {
    const lazy = await openOmeZarr(file);
    const start: Vec3 = [50, 60, 55];
    const size: Vec3 = [40, 30, 20];
    const region = await lazy.readRegion(start, size);
    expect(region).toBeInstanceOf(Uint16Array);
    expect(lazy.cacheStats().chunksRead).toBe(2 * 2 * 2);
    expect(Array.from(region)).toEqual(cut(volume, start, size));
    const one = await lazy.readRegion([255, 255, 127], [1, 1, 1]);
    expect(one[0]).toBe(volume.data[volume.data.length - 1]);
  });

  it('keeps the cache within its byte budget, evicting the least recently used chunk', async () => {
    const budget = 3 * CHUNK_BYTES;
    const lazy = await openOmeZarr(file, { cacheBytes: budget });
    const chunkOrigins: Vec3[] = [];
    for (let z = 0; z < 2; z++) for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) chunkOrigins.push([x * 64, y * 64, z * 64]);
    const ten = chunkOrigins.slice(0, 10);
    for (const origin of ten) {
      const v = await lazy.readRegion(origin, [2, 2, 2]);
      expect(Array.from(v)).toEqual(cut(volume, origin, [2, 2, 2]));
      expect(lazy.cacheStats().bytes).toBeLessThanOrEqual(budget);
    }
    expect(lazy.cacheStats().chunksRead).toBe(10);
    expect(lazy.cacheStats().bytes).toBe(budget);
    // the last three are cached, the first was evicted
    await lazy.readRegion(ten[9], [1, 1, 1]);
    await lazy.readRegion(ten[7], [1, 1, 1]);
    expect(lazy.cacheStats().chunksRead).toBe(10);
    await lazy.readRegion(ten[0], [1, 1, 1]);
    expect(lazy.cacheStats().chunksRead).toBe(11);
    // ten[8] was the least recently used: it went when ten[0] came back
    await lazy.readRegion(ten[7], [1, 1, 1]);
    expect(lazy.cacheStats().chunksRead).toBe(11);
    await lazy.readRegion(ten[8], [1, 1, 1]);
    expect(lazy.cacheStats().chunksRead).toBe(12);
    // a read bigger than the budget still works and leaves the cache within it
    const big = await lazy.readRegion([0, 0, 0], [256, 256, 64]);
    expect(big.length).toBe(256 * 256 * 64);
    expect(lazy.cacheStats().bytes).toBeLessThanOrEqual(budget);
    lazy.clearCache();
    expect(lazy.cacheStats().bytes).toBe(0);
  });

  it('reads regions of coarse levels', async () => {
    const lazy = await openOmeZarr(file);
    const level1 = await omeZarrReader.read(file, { level: 1 });
    const level2 = await omeZarrReader.read(file, { level: 2 });
    const r1 = await lazy.readRegion([60, 10, 30], [10, 70, 20], 1);
    expect(Array.from(r1)).toEqual(cut(level1, [60, 10, 30], [10, 70, 20]));
    const r2 = await lazy.readRegion([0, 0, 0], [64, 64, 32], 2);
    expect(Array.from(r2)).toEqual(Array.from(level2.data));
    // level 1 voxel = rounded mean of its 2x2x2 block at level 0
    let sum = 0;
    for (let dz = 0; dz < 2; dz++) for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) sum += cut(volume, [20 + dx, 40 + dy, 8 + dz], [1, 1, 1])[0];
    expect((await lazy.readRegion([10, 20, 4], [1, 1, 1], 1))[0]).toBe(Math.round(sum / 8));
    const slice = await lazy.readSlice(2, 31, 2);
    expect([slice.width, slice.height]).toEqual([64, 64]);
    expect(Array.from(slice.data)).toEqual(cut(level2, [0, 0, 31], [64, 64, 1]));
  });

  it('reads interleaved components lazily', async () => {
    const data = new Float32Array(40 * 30 * 20 * 3).map((_, i) => i * 0.5);
    const rgb = createVolume({ shape: [40, 30, 20], components: 3, data });
    const rgbFile = path.join(tmp, 'rgb.ome.zarr');
    await writeVolume(rgb, rgbFile, { chunkShape: [16, 16, 16] });
    const lazy = await openOmeZarr(rgbFile);
    expect(lazy.header.components).toBe(3);
    const region: TypedArray = await lazy.readRegion([10, 5, 3], [20, 20, 15]);
    expect(Array.from(region)).toEqual(cut(rgb, [10, 5, 3], [20, 20, 15]));
    // 2 x 2 x 2 spatial chunks, one per component
    expect(lazy.cacheStats().chunksRead).toBe(8 * 3);
  });

  it('refuses regions outside the level', async () => {
    const lazy = await openOmeZarr(file);
    await expect(lazy.readRegion([250, 0, 0], [10, 1, 1])).rejects.toThrow(InputError);
    await expect(lazy.readRegion([0, 0, 0], [1, 1, 1], 3)).rejects.toThrow(/level 3/);
    await expect(lazy.readSlice(2, 128)).rejects.toThrow(InputError);
  });
});
