// Bad input to `segstation evaluate`: grids that differ (two files, and a run's prediction), a missing run, a missing
// option. Each exits with code 2 and one line naming the file and the problem.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importCase, initProject } from '../../main/dataset/index.ts';
import '../../main/io/formats.ts';
import { writeVolume } from '../../main/io/registry.ts';
import { createVolume, type Vec3 } from '../../main/volume/volume.ts';
import { runCli } from '../helpers/cli.ts';
import { sharedPath } from '../helpers/shared-data.ts';

const SKULL = sharedPath('debian_itk_examples/KmeansTest_T1RawSkullStrip.nii.gz');
const T1 = sharedPath('debian_itk_examples/KmeansTest_T1UCharRaw.nii.gz');
const spacing: Vec3 = [0.8, 0.8, 1.5];

describe('segstation evaluate, bad input', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'segstation-eval-bad-'));
  const project = path.join(tmp, 'project');

  beforeAll(async () => {
    await initProject(project);
    const shape: Vec3 = [20, 18, 14];
    const data = new Uint8Array(20 * 18 * 14);
    for (let i = 0; i < data.length; i++) data[i] = i % 20 < 8 ? 1 : 0;
    const labels = createVolume({ shape, data, spacing });
    await writeVolume(createVolume({ ...labels, dtype: 'float32', data: Float32Array.from(data) }), path.join(tmp, 'img.nii.gz'));
    await writeVolume(labels, path.join(tmp, 'lab.nii.gz'));
    await importCase(project, { image: path.join(tmp, 'img.nii.gz'), label: path.join(tmp, 'lab.nii.gz'), caseId: 'c1' });
  });

  it('refuses bad input with one line and exit code 2', async () => {
    const grid = await runCli(['evaluate', '--pred', T1, '--truth', path.join(tmp, 'lab.nii.gz')]);
    expect(grid.code).toBe(2);
    expect(grid.stderr).toMatch(/KmeansTest_T1UCharRaw\.nii\.gz: not on the grid of .*lab\.nii\.gz: shape differs/);
    expect(grid.stderr.trim().split('\n')).toHaveLength(1);
    const noRun = await runCli(['evaluate', project, '--run', 'nope']);
    expect(noRun.code).toBe(2);
    expect(noRun.stderr).toMatch(/no predictions for run 'nope'/);
    const wrongGrid = createVolume({ shape: [20, 18, 13], data: new Uint8Array(20 * 18 * 13), spacing });
    await writeVolume(wrongGrid, path.join(project, 'runs', 'bad-grid', 'predictions', 'c1', 'label.ome.zarr'));
    const grid2 = await runCli(['evaluate', project, '--run', 'bad-grid']);
    expect(grid2.code).toBe(2);
    expect(grid2.stderr).toMatch(/bad-grid\/predictions\/c1\/label\.ome\.zarr: not on the grid of .*: shape differs: \[20, 18, 13\] vs \[20, 18, 14\]/);
    const usage = await runCli(['evaluate', '--pred', SKULL]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--truth is required/);
  });
});
