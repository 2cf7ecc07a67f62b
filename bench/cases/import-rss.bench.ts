// Peak memory of importing a volume twice the size of the chunk-cache budget: the import streams the file slab by
// slab into the project's OME-Zarr store, so its peak RSS must stay under budget + 512 MB (issue 2). The file is
// written by a child process (this file run with --make FILE), so that making it does not count in the peak.
import { execFileSync } from 'node:child_process';
import { createWriteStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import '../../main/io/formats.ts';
import { importCase, initProject } from '../../main/dataset/index.ts';
import { encodeNifti } from '../../main/io/nifti.ts';
import { DEFAULT_CACHE_BYTES } from '../../main/io/omezarr/index.ts';
import { createVolume } from '../../main/volume/volume.ts';
import { emit, peakRssMb } from '../lib/result.ts';

const MB = 1024 * 1024;
const N = 512;
const volumeBytes = N * N * N * 4; // float32

/** Writes a smooth N^3 float32 NIfTI plane by plane. */
async function makeVolumeFile(file: string): Promise<void> {
  // Header of a one-plane float32 volume with dim[3] patched to N; the planes follow at vox_offset 352.
  const onePlane = createVolume({ shape: [N, N, 1], dtype: 'float32', spacing: [0.5, 0.5, 0.5] });
  const header = Buffer.from((await encodeNifti(onePlane)).subarray(0, 352));
  header.writeInt16LE(N, 46);
  const out = createWriteStream(file);
  out.write(header);
  const plane = new Float32Array(N * N);
  for (let z = 0; z < N; z++) {
    for (let y = 0; y < N; y++) {
      for (let x = 0; x < N; x++) plane[y * N + x] = 100 * Math.sin(x / 13 + z / 29) * Math.cos(y / 17) + ((x * 7 + y * 13 + z * 3) % 11);
    }
    if (!out.write(Buffer.from(plane.buffer.slice(0)))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const makeAt = process.argv.indexOf('--make');
if (makeAt >= 0) {
  await makeVolumeFile(process.argv[makeAt + 1]);
  process.exit(0);
}

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-bench-import-'));
try {
  const file = path.join(dir, 'big.nii');
  execFileSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--make', file], { stdio: 'inherit' });
  const rssBefore = process.memoryUsage().rss / MB;

  const project = path.join(dir, 'project');
  await initProject(project);
  const t0 = performance.now();
  await importCase(project, { image: file, caseId: 'big' });
  const seconds = (performance.now() - t0) / 1000;

  const peak = peakRssMb();
  const limit = DEFAULT_CACHE_BYTES / MB + 512;
  emit({
    name: `import peak RSS, ${N}^3 float32 .nii (${volumeBytes / MB} MB = 2x cache budget)`,
    value: peak,
    unit: 'MB',
    reference: { name: 'chunk-cache budget + 512 MB', value: limit },
    ratio: peak / limit,
    better: 'lower',
    target: '< budget + 512 MB',
    pass: peak < limit,
    note: `import took ${seconds.toFixed(1)} s (${(volumeBytes / MB / seconds).toFixed(0)} MB/s incl. sha256 and pyramid); RSS before import ${rssBefore.toFixed(0)} MB`,
  });
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
