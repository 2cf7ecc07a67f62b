// The viewer's data plane in web mode: slice fetch latency for a 512^3 uint8 volume stored like a project volume
// (OME-Zarr, read lazily through the engine), and data-plane throughput against a raw loopback socket copy of the
// same bytes. Every reference is measured in the same run.
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { createWebClient, type SocketConstructor } from '../../ipc/webClient.ts';
import type { VolumeRow } from '../../main/dataset/types.ts';
import '../../main/io/formats.ts';
import { createOmeZarrStore, openOmeZarr } from '../../main/io/omezarr/index.ts';
import { writeVolume } from '../../main/io/registry.ts';
import { Engine } from '../../main/services/engine.ts';
import { startWebServer } from '../../main/server/webServer.ts';
import { mulberry32 } from '../../main/util/random.ts';
import { IDENTITY3, createVolume, type VolumeHeader } from '../../main/volume/volume.ts';
import { emit, median, percentile } from '../lib/result.ts';

const N = 512;
const CACHE = 256 << 20;
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-bench-dp-'));

/** Sends `bytes` over a fresh loopback TCP connection and resolves when the reader has all of them. */
async function rawSocketCopyMs(bytes: Uint8Array): Promise<number> {
  const server = net.createServer((socket) => socket.end(bytes));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const client = net.connect(port, '127.0.0.1');
    client.on('data', (d: Buffer) => {
      chunks.push(d);
      received += d.length;
    });
    client.on('end', () => {
      // Assemble one buffer, as the data-plane client does with arrayBuffer().
      const all = Buffer.concat(chunks, received);
      if (all.length !== bytes.length) reject(new Error(`raw copy got ${all.length} of ${bytes.length} bytes`));
      else resolve();
    });
    client.on('error', reject);
  });
  const ms = performance.now() - t0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return ms;
}

try {
  const projectDir = path.join(dir, 'project');
  const storePath = 'volumes/bench_image0.ome.zarr';
  const header: VolumeHeader = { shape: [N, N, N], spacing: [0.5, 0.5, 0.5], origin: [0, 0, 0], direction: IDENTITY3, dtype: 'uint8', components: 1 };
  const builder = await createOmeZarrStore(path.join(projectDir, storePath), header);
  const rand = mulberry32(5);
  const wave = Float64Array.from({ length: 2 * N }, (_, i) => Math.sin(i / 11));
  const cosY = Float64Array.from({ length: N }, (_, y) => Math.cos(y / 7));
  const voxels = new Uint8Array(N * N * N);
  for (let z = 0; z < N; z++) {
    for (let y = 0; y < N; y++) {
      const row = (z * N + y) * N;
      for (let x = 0; x < N; x++) voxels[row + x] = 128 + 60 * wave[x + (z >> 1)] * cosY[y] + rand() * 30;
    }
  }
  for (let z0 = 0; z0 < N; z0 += builder.slabDepth) {
    const depth = Math.min(builder.slabDepth, N - z0);
    await builder.writeSlab(z0, voxels.subarray(z0 * N * N, (z0 + depth) * N * N));
  }
  await builder.finalize();
  // The same voxels as a plain NIfTI file, which the engine holds in memory once opened: fetching its level 0 costs
  // only framing, HTTP and decoding, so it measures the transport itself.
  const niftiFile = path.join(dir, 'same.nii');
  await writeVolume(createVolume({ ...header, data: voxels }), niftiFile, { compress: false });

  // The engine sees it exactly as a catalogued project volume: a row naming the store, read lazily on demand.
  const row: VolumeRow = {
    id: 'bench_image0', caseId: 'bench', role: 'image', channel: 0, modality: 'XCT', sourcePath: '/synthetic', sourceFormat: 'synthetic',
    sourceComponent: 0, sourceSha256: '0'.repeat(64), storePath, shape: [N, N, N], spacing: [0.5, 0.5, 0.5], origin: [0, 0, 0],
    direction: IDENTITY3, dtype: 'uint8', components: 1, min: 0, max: 255, imported: new Date().toISOString(),
  };
  const engine = new Engine({ transport: 'web', recentFile: path.join(dir, 'recent.json'), volumes: { cacheBytes: CACHE } });
  const server = await startWebServer({ engine, staticDir: path.join(dir, 'none') });
  const client = createWebClient({ baseUrl: server.url, token: server.token, WebSocket: WebSocket as unknown as SocketConstructor });
  await client.ready();
  try {
    const picks = [17, 100, 200, 333, 450, 511, 130, 290, 400, 40];
    for (const [axis, label] of [[2, 'axial'], [1, 'coronal'], [0, 'sagittal']] as const) {
      // Fresh caches on both sides, same slice sequence: the ratio is the cost of the transport.
      const volumeId = engine.volumes.registerProjectVolume({ dir: projectDir, row: { ...row, id: `bench_${label}` } });
      const direct = await openOmeZarr(path.join(projectDir, storePath), { cacheBytes: CACHE });
      const viaPlane: number[] = [];
      const inProcess: number[] = [];
      const warm: number[] = [];
      for (const index of picks) {
        let t0 = performance.now();
        await direct.readSlice(axis, index);
        inProcess.push(performance.now() - t0);
        t0 = performance.now();
        const block = await client.fetchSlice(volumeId, axis, index);
        viaPlane.push(performance.now() - t0);
        if (block.data.length !== N * N) throw new Error(`slice has ${block.data.length} voxels`);
        t0 = performance.now();
        await client.fetchSlice(volumeId, axis, index);
        warm.push(performance.now() - t0);
      }
      emit({
        name: `512^3 uint8 project volume, ${label} slice over the data plane (median)`,
        value: median(viaPlane),
        unit: 'ms',
        reference: { name: 'same slices read in-process (lazy OME-Zarr)', value: median(inProcess) },
        ratio: median(inProcess) / median(viaPlane),
        better: 'lower',
        note: `p95 ${percentile(viaPlane, 0.95).toFixed(1)} ms (in-process p95 ${percentile(inProcess, 0.95).toFixed(1)} ms); repeated slice median ${median(warm).toFixed(2)} ms, p95 ${percentile(warm, 0.95).toFixed(2)} ms; ${picks.length} slices, first touch of each`,
      });
      engine.volumes.close(volumeId);
    }

    // Throughput: the in-memory volume (transport only), then the project volume's levels once its chunks are cached
    // (the store's decompression is out of the measurement, assembling the level from chunks is in).
    const memoryId = (await client.request('volume.open', { path: niftiFile, role: 'image' })).id;
    const projectId = engine.volumes.registerProjectVolume({ dir: projectDir, row });
    for (const [volumeId, level, what] of [[memoryId, 0, 'volume in memory'], [projectId, 1, 'project volume, cached chunks'], [projectId, 0, 'project volume, cached chunks']] as const) {
      const first = await client.fetchLevel(volumeId, level);
      const bytes = first.data.byteLength;
      const planeMs: number[] = [];
      const rawMs: number[] = [];
      const copy = new Uint8Array(first.data.buffer, first.data.byteOffset, bytes).slice();
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        await client.fetchLevel(volumeId, level);
        planeMs.push(performance.now() - t0);
        rawMs.push(await rawSocketCopyMs(copy));
      }
      const planeRate = bytes / (median(planeMs) / 1000) / 2 ** 20;
      const rawRate = bytes / (median(rawMs) / 1000) / 2 ** 20;
      emit({
        name: `data plane throughput, level ${level} (${(bytes / 2 ** 20).toFixed(0)} MiB, ${what})`,
        value: planeRate,
        unit: 'MiB/s',
        reference: { name: 'raw loopback TCP copy of the same bytes', value: rawRate },
        ratio: planeRate / rawRate,
        better: 'higher',
        note: `median of 3; framing, HTTP (Node's fetch) and decoding to a typed array${what === 'volume in memory' ? '' : ', plus assembling the level from cached chunks'}`,
      });
    }
  } finally {
    client.close();
    await server.close();
    engine.dispose();
  }
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
