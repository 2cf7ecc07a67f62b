// Evaluation end to end through the real binary: a pair of files, a run over a project (predictions written here as
// perturbed copies of the imported labels), the catalogue rows, and bad input.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getCase, importCase, initProject } from '../../main/dataset/index.ts';
import { queryAll, readCatalogue } from '../../main/dataset/catalogue.ts';
import '../../main/io/formats.ts';
import { readVolume, writeVolume } from '../../main/io/registry.ts';
import { createVolume, type Vec3, type Volume } from '../../main/volume/volume.ts';
import { runCli } from '../helpers/cli.ts';
import { sharedPath } from '../helpers/shared-data.ts';

const SEG7 = sharedPath('debian_itk_examples/KmeansTest_T1KmeansPrelimSegmentation.nii.gz');
const SKULL = sharedPath('debian_itk_examples/KmeansTest_T1RawSkullStrip.nii.gz');

const shape: Vec3 = [20, 18, 14];
const spacing: Vec3 = [0.8, 0.8, 1.5];

/** Two blobs (classes 1 and 2) whose centres move with the case index. */
function caseLabels(k: number): Volume {
  const data = new Uint8Array(shape[0] * shape[1] * shape[2]);
  for (let z = 0; z < shape[2]; z++) {
    for (let y = 0; y < shape[1]; y++) {
      for (let x = 0; x < shape[0]; x++) {
        const i = (z * shape[1] + y) * shape[0] + x;
        if ((x - 7 - k) ** 2 + (y - 8) ** 2 + (z - 6) ** 2 <= 16) data[i] = 1;
        else if ((x - 14) ** 2 + (y - 9 - k) ** 2 + ((z - 7) * 1.5) ** 2 <= 9) data[i] = 2;
      }
    }
  }
  return createVolume({ shape, data, spacing });
}

/** Shift by one voxel along x: a known, non-trivial error. */
function shifted(v: Volume): Volume {
  const data = new Uint8Array(v.data.length);
  for (let i = 0; i < data.length; i++) data[i] = i % shape[0] === 0 ? 0 : v.data[i - 1];
  return createVolume({ ...v, dtype: 'uint8', data, labels: undefined, meta: undefined });
}

describe('segstation evaluate', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'segstation-eval-'));
  const project = path.join(tmp, 'project');
  const runId = 'unet-fold0';

  beforeAll(async () => {
    await initProject(project);
    for (let k = 0; k < 3; k++) {
      const image = path.join(tmp, `img${k}.nii.gz`);
      const label = path.join(tmp, `lab${k}.nii.gz`);
      const labels = caseLabels(k);
      await writeVolume(createVolume({ ...labels, dtype: 'float32', data: Float32Array.from(labels.data, (v) => v * 100 + 5) }), image);
      await writeVolume(labels, label);
      await importCase(project, { image, label, caseId: `case${k}` });
      const stored = await readVolume(path.join(project, (await getCase(project, `case${k}`)).volumes.find((v) => v.role === 'label')!.storePath));
      // case2 is predicted perfectly, the others shifted
      await writeVolume(k === 2 ? stored : shifted(stored), path.join(project, 'runs', runId, 'predictions', `case${k}`, 'label.ome.zarr'));
    }
  });

  it('evaluates two files and prints JSON', async () => {
    const r = await runCli(['evaluate', '--pred', SKULL, '--truth', SEG7, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.classes.map((c: { value: number }) => c.value)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(out.classes[0].metrics.hausdorff).toBe('Infinity'); // class 1 is absent from the prediction
    expect(out.spacing).toEqual([2, 2, 3]);
  });

  it('evaluates a run: per-case CSV, cohort summary, catalogue rows', async () => {
    const csv = path.join(tmp, 'out', 'cases.csv');
    const r = await runCli(['evaluate', project, '--run', runId, '--csv', csv, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0].split(',').slice(0, 6)).toEqual(['case', 'class', 'class_name', 'pred_voxels', 'truth_voxels', 'dice']);
    expect(lines).toHaveLength(1 + 3 * 2);
    const perfect = lines.filter((l) => l.startsWith('case2,'));
    for (const l of perfect) expect(l.split(',')[5]).toBe('1');
    const dice1 = out.summary.find((s: { class: number; metric: string }) => s.class === 1 && s.metric === 'dice');
    expect(dice1.n).toBe(3);
    expect(dice1.ciLow).toBeLessThanOrEqual(dice1.mean);
    expect(dice1.ciHigh).toBeGreaterThanOrEqual(dice1.mean);
    const hd1 = out.summary.find((s: { class: number; metric: string }) => s.class === 1 && s.metric === 'hausdorff');
    // two shifted cases at 0.8 mm, one perfect: median 0.8
    expect(hd1.median).toBeCloseTo(0.8, 6); // NIfTI stores the spacing as float32
    expect(existsSync(path.join(project, 'runs', runId, 'evaluation', 'summary.json'))).toBe(true);
    const rows = await readCatalogue(project, (db) => queryAll(db, 'SELECT case_id, class, metric, value, run_id FROM evaluations WHERE id = ?', [out.id]));
    expect(new Set(rows.map((x) => x.case_id))).toEqual(new Set(['case0', 'case1', 'case2']));
    const d = rows.find((x) => x.case_id === 'case2' && x.class === 1 && x.metric === 'dice');
    expect(d?.value).toBe(1);
    expect(d?.run_id).toBeNull(); // the run is not in the runs table

    // the same seed gives the same summary
    const again = JSON.parse((await runCli(['evaluate', project, '--run', runId, '--csv', csv, '--json'])).stdout);
    expect(again.summary).toEqual(out.summary);
  });
});
