// `segstation microstructure` through the real binary on the 3-phase electrode, and its bad input.
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { sharedPath } from '../helpers/shared-data.ts';

describe('segstation microstructure', () => {
  it('reports phase fractions of the electrode', async () => {
    const r = await runCli(['microstructure', sharedPath('taufactor/electrode.tiff'), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.phases.map((p: { volumeFraction: number }) => +(p.volumeFraction * 100).toFixed(1))).toEqual([45.0, 40.0, 15.0]);
    expect(out.areaMethod).toBe('voxel-faces');
    expect(out.interfaces).toHaveLength(3);
  });

  it('refuses a bad connectivity and a missing file', async () => {
    const bad = await runCli(['microstructure', sharedPath('taufactor/electrode.tiff'), '--connectivity', '8']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--connectivity must be 6, 18 or 26, got '8'/);
    const missing = await runCli(['microstructure', '/nonexistent/labels.nii.gz']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });
});
