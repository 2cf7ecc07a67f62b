// Slice reads from a 512^3 uint8 OME-Zarr store (lazy, through the chunk cache) against reading the whole volume.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import '../../main/io/formats.ts';
import { createOmeZarrStore, openOmeZarr } from '../../main/io/omezarr/index.ts';
import { readVolume } from '../../main/io/registry.ts';
import { IDENTITY3, type VolumeHeader } from '../../main/volume/volume.ts';
import { mulberry32 } from '../../main/util/random.ts';
import { emit, median, percentile, timeMs } from '../lib/result.ts';

const N = 512;
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-bench-'));
try {
  const store = path.join(dir, 'grains512.ome.zarr');
  const header: VolumeHeader = { shape: [N, N, N], spacing: [1, 1, 1], origin: [0, 0, 0], direction: IDENTITY3, dtype: 'uint8', components: 1 };
  const builder = await createOmeZarrStore(store, header);
  const rand = mulberry32(3);
  for (let z0 = 0; z0 < N; z0 += builder.slabDepth) {
    const depth = Math.min(builder.slabDepth, N - z0);
    const slab = new Uint8Array(N * N * depth);
    for (let z = 0; z < depth; z++) {
      for (let y = 0; y < N; y++) {
        const row = (z * N + y) * N;
        for (let x = 0; x < N; x++) slab[row + x] = 128 + 60 * Math.sin(x / 11 + (z0 + z) / 17) * Math.cos(y / 7) + rand() * 30;
      }
    }
    await builder.writeSlab(z0, slab);
  }
  await builder.finalize();

  const picks = [17, 100, 200, 333, 450, 511, 64, 257];
  for (const [axis, label] of [[2, 'axial'], [0, 'sagittal']] as const) {
    const cold: number[] = [];
    const warm: number[] = [];
    for (const index of picks) {
      const lazy = await openOmeZarr(store, { cacheBytes: 256 << 20 });
      let t0 = performance.now();
      await lazy.readSlice(axis, index);
      cold.push(performance.now() - t0);
      t0 = performance.now();
      await lazy.readSlice(axis, index);
      warm.push(performance.now() - t0);
    }
    const whole = await timeMs(() => readVolume(store), 2, 0);
    emit({
      name: `512^3 uint8 OME-Zarr ${label} slice, cold cache (median)`,
      value: median(cold),
      unit: 'ms',
      reference: { name: 'whole-volume read', value: whole },
      ratio: whole / median(cold),
      better: 'lower',
      // A slice crosses 64 of the 512 chunks (64^3), so 8x is the ceiling for a cold read.
      target: '>= 6x faster than the whole read',
      pass: median(cold) * 6 <= whole,
      note: `${label}: cold p95 ${percentile(cold, 0.95).toFixed(1)} ms, warm median ${median(warm).toFixed(2)} ms, p95 ${percentile(warm, 0.95).toFixed(2)} ms over ${picks.length} slices`,
    });
  }
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
