// Surface metrics (HD95 + ASSD, MONAI conventions) on two 256^3 masks against scipy's distance_transform_edt doing the
// same job in the same run (spawned /usr/bin/python3), and a 10-case cohort evaluated end to end against the bare
// cost of reading the same volumes.
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getCase, importCase, initProject } from '../../main/dataset/index.ts';
import { evaluateRun } from '../../main/evaluation/run.ts';
import '../../main/io/formats.ts';
import { readVolume, writeVolume } from '../../main/io/registry.ts';
import { averageSurfaceDistanceFromDistances, computeSurfaceDistances, hausdorffFromDistances } from '../../main/metrics/index.ts';
import { createVolume, type Vec3 } from '../../main/volume/volume.ts';
import { emit, median, timeMs } from '../lib/result.ts';

const N = 256;
const SPACING: Vec3 = [0.8, 0.8, 1.2];

/** Truth: a ball of radius 80 and one of 20; prediction: both moved and resized (the Python script builds the same). */
function masks(): { pred: Uint8Array; truth: Uint8Array } {
  const truth = new Uint8Array(N ** 3);
  const pred = new Uint8Array(N ** 3);
  for (let z = 0; z < N; z++) {
    for (let y = 0; y < N; y++) {
      for (let x = 0; x < N; x++) {
        const i = (z * N + y) * N + x;
        truth[i] = (x - 128) ** 2 + (y - 128) ** 2 + (z - 128) ** 2 <= 6400 || (x - 40) ** 2 + (y - 40) ** 2 + (z - 40) ** 2 <= 400 ? 1 : 0;
        pred[i] = (x - 122) ** 2 + (y - 131) ** 2 + (z - 126) ** 2 <= 5776 || (x - 44) ** 2 + (y - 38) ** 2 + (z - 41) ** 2 <= 324 ? 1 : 0;
      }
    }
  }
  return { pred, truth };
}

const PYTHON = String.raw`
import json, sys, time
import numpy as np
from scipy import ndimage as ndi
N = 256
x, y, z = np.meshgrid(np.arange(N), np.arange(N), np.arange(N), indexing='ij')
truth = ((x-128)**2 + (y-128)**2 + (z-128)**2 <= 6400) | ((x-40)**2 + (y-40)**2 + (z-40)**2 <= 400)
pred = ((x-122)**2 + (y-131)**2 + (z-126)**2 <= 5776) | ((x-44)**2 + (y-38)**2 + (z-41)**2 <= 324)
spacing = (0.8, 0.8, 1.2)
cross = ndi.generate_binary_structure(3, 1)
t0 = time.perf_counter()
ep = pred ^ ndi.binary_erosion(pred, structure=cross, border_value=0)
et = truth ^ ndi.binary_erosion(truth, structure=cross, border_value=0)
a = ndi.distance_transform_edt(~et, sampling=spacing)[ep]
b = ndi.distance_transform_edt(~ep, sampling=spacing)[et]
hd95 = max(np.percentile(a, 95), np.percentile(b, 95))
assd = float(np.mean(np.concatenate([a, b])))
ms = (time.perf_counter() - t0) * 1000
print(json.dumps({'ms': ms, 'hd95': float(hd95), 'assd': assd}))
`;

function scipyReference(): { ms: number; hd95: number; assd: number } | { error: string } {
  const r = spawnSync('/usr/bin/python3', ['-c', PYTHON], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.error) return { error: `cannot run /usr/bin/python3: ${r.error.message}` };
  if (r.status !== 0) return { error: /No module named/.test(r.stderr) ? 'scipy/numpy missing in /usr/bin/python3' : r.stderr.trim().split('\n').pop() ?? 'failed' };
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
}

// 1. HD95 + ASSD on 256^3
{
  const { pred, truth } = masks();
  const shape: Vec3 = [N, N, N];
  let hd95 = NaN, assd = NaN;
  const ours = await timeMs(() => {
    const d = computeSurfaceDistances({ data: pred, shape, spacing: SPACING }, { data: truth, shape, spacing: SPACING });
    hd95 = hausdorffFromDistances(d, 95);
    assd = averageSurfaceDistanceFromDistances(d);
  }, 3);
  const ref = scipyReference();
  if ('error' in ref) {
    emit({ name: 'HD95 + ASSD, two 256^3 masks', value: ours, unit: 'ms', better: 'lower', target: 'faster than scipy', note: `no scipy reference: ${ref.error}` });
  } else {
    const agree = Math.abs(ref.hd95 - hd95) < 1e-6 && Math.abs(ref.assd - assd) < 1e-6;
    emit({
      name: 'HD95 + ASSD, two 256^3 masks',
      value: ours,
      unit: 'ms',
      reference: { name: 'scipy distance_transform_edt (same steps)', value: ref.ms },
      ratio: ref.ms / ours,
      better: 'lower',
      target: 'faster than scipy',
      pass: ref.ms > ours,
      note: `HD95 ${hd95.toFixed(4)} vs ${ref.hd95.toFixed(4)}, ASSD ${assd.toFixed(4)} vs ${ref.assd.toFixed(4)} (${agree ? 'agree' : 'DIFFER'}); ours median of 3, scipy 1 run; spacing 0.8x0.8x1.2`,
    });
  }
}

// 2. A 10-case cohort end to end
{
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-bench-eval-'));
  try {
    const project = path.join(dir, 'project');
    await initProject(project);
    const shape: Vec3 = [128, 128, 96];
    const files: string[] = [];
    for (let k = 0; k < 10; k++) {
      const labels = new Uint8Array(shape[0] * shape[1] * shape[2]);
      const pred = new Uint8Array(labels.length);
      for (let z = 0; z < shape[2]; z++) {
        for (let y = 0; y < shape[1]; y++) {
          for (let x = 0; x < shape[0]; x++) {
            const i = (z * shape[1] + y) * shape[0] + x;
            const r1 = (x - 60 - k) ** 2 + (y - 64) ** 2 + (z - 48) ** 2;
            const r2 = (x - 100) ** 2 + (y - 70 + k) ** 2 + (z - 40) ** 2;
            labels[i] = r1 <= 900 ? 1 : r2 <= 225 ? 2 : 0;
            pred[i] = (x - 62 - k) ** 2 + (y - 63) ** 2 + (z - 48) ** 2 <= 840 ? 1 : r2 <= 250 ? 2 : 0;
          }
        }
      }
      const geometry = { shape, spacing: [1, 1, 1.5] as Vec3 };
      const image = path.join(dir, `img${k}.nii.gz`);
      const label = path.join(dir, `lab${k}.nii.gz`);
      await writeVolume(createVolume({ ...geometry, dtype: 'float32', data: Float32Array.from(labels, (v) => v * 100) }), image);
      await writeVolume(createVolume({ ...geometry, data: labels }), label);
      await importCase(project, { image, label, caseId: `case${k}` });
      const predStore = path.join(project, 'runs', 'bench', 'predictions', `case${k}`, 'label.ome.zarr');
      await writeVolume(createVolume({ ...geometry, data: pred }), predStore);
      files.push(predStore, path.join(project, (await getCase(project, `case${k}`)).volumes.find((v) => v.role === 'label')!.storePath));
    }
    const times: number[] = [];
    for (let r = 0; r < 2; r++) {
      const t0 = performance.now();
      await evaluateRun(project, 'bench');
      times.push(performance.now() - t0);
    }
    const readOnly = await timeMs(async () => {
      for (const f of files) await readVolume(f);
    }, 2, 0);
    const ours = median(times);
    emit({
      name: 'evaluate a 10-case cohort (128x128x96, 2 classes)',
      value: ours,
      unit: 'ms',
      reference: { name: 'reading the 20 label stores only', value: readOnly },
      ratio: readOnly / ours,
      better: 'lower',
      note: 'all metrics, CSV, summary with bootstrap, catalogue rows; median of 2',
    });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
