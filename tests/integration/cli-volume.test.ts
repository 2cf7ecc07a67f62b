// `segstation info` and `segstation convert`, run as a user would run them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { sharedPath } from '../helpers/shared-data.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'segstation-cli-'));

describe('segstation info', () => {
  it('prints format, geometry, range and label counts as JSON', async () => {
    const result = await runCli(['info', '--json', sharedPath('debian_itk_examples/KmeansTest_T1KmeansPrelimSegmentation.nii.gz')]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [info] = JSON.parse(result.stdout);
    expect(info.format).toBe('nifti');
    expect(info.shape).toEqual([128, 128, 62]);
    expect(info.spacing.map((s: number) => +s.toFixed(4))).toEqual([2, 2, 3]);
    expect(info.axisCodes).toBe('LSA');
    expect(info.dtype).toBe('uint8');
    expect([info.min, info.max]).toEqual([0, 6]);
    expect(info.isLabel).toBe(true);
    expect(info.labelCounts.map((c: { value: number }) => c.value)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const total = info.labelCounts.reduce((s: number, c: { count: number }) => s + c.count, 0);
    expect(total).toBe(128 * 128 * 62);
  });

  it('prints a readable block for several files', async () => {
    const result = await runCli(['info', sharedPath('pynrrd/BallBinary30x30x30.nrrd'), sharedPath('taufactor/electrode.tiff')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('nrrd');
    expect(result.stdout).toContain('tiff');
    expect(result.stdout).toMatch(/labels\s+0: \d+, 85: \d+, 170: \d+/);
  });

  it.each([
    ['a missing file', ['info', path.join(tmp, 'nope.nii')], /nope\.nii: no such file/],
    ['an unknown format', ['info', path.join(tmp, 'junk.xyz')], /junk\.xyz: unrecognised format/],
    ['no file at all', ['info'], /give at least one FILE/],
    ['an unknown flag', ['info', '--bogus', 'x'], /Unknown option '--bogus'/],
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
  ])('exits 2 with one line on stderr for %s', async (_what, args, message) => {
    writeFileSync(path.join(tmp, 'junk.xyz'), 'not a volume at all');
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });
});

describe('segstation convert', () => {
  it.each(['ball.nii.gz', 'ball.nrrd', 'ball.mha', 'ball.tif', 'ball.h5', 'ball.ome.zarr'])('converts NRRD to %s losslessly', async (name) => {
    const out = path.join(tmp, name);
    const converted = await runCli(['convert', sharedPath('pynrrd/BallBinary30x30x30.nrrd'), out]);
    expect(converted.stderr).toBe('');
    expect(converted.code).toBe(0);
    const [a, b] = await Promise.all([
      runCli(['info', '--json', sharedPath('pynrrd/BallBinary30x30x30.nrrd')]),
      runCli(['info', '--json', out]),
    ]);
    const [ia] = JSON.parse(a.stdout);
    const [ib] = JSON.parse(b.stdout);
    expect(ib.shape).toEqual(ia.shape);
    expect(ib.dtype).toBe(ia.dtype);
    expect(ib.labelCounts).toEqual(ia.labelCounts);
    expect(ib.spacing).toEqual(ia.spacing);
  });

  it('refuses an output extension nobody writes', async () => {
    const result = await runCli(['convert', sharedPath('pynrrd/BallBinary30x30x30.nrrd'), path.join(tmp, 'out.xyz')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/out\.xyz: no writer for this extension/);
  });
});
