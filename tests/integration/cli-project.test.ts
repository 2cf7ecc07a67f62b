// The project commands end to end through the real binary: init, import, split, stats, and a refused import.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { sharedPath } from '../helpers/shared-data.ts';

const T1 = sharedPath('debian_itk_examples/KmeansTest_T1UCharRaw.nii.gz');
const SEG7 = sharedPath('debian_itk_examples/KmeansTest_T1KmeansPrelimSegmentation.nii.gz');
const SKULL = sharedPath('debian_itk_examples/KmeansTest_T1RawSkullStrip.nii.gz');

function treeDigest(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      hash.update(path.relative(dir, p));
      if (statSync(p).isDirectory()) walk(p);
      else hash.update(readFileSync(p));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

describe('segstation project commands', () => {
  const project = path.join(mkdtempSync(path.join(os.tmpdir(), 'segstation-proj-')), 'brain');

  it('initialises, imports, splits and computes statistics', async () => {
    const init = await runCli(['project', 'init', project, '--name', 'brain MR']);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);

    const first = await runCli(['import', project, '--image', T1, '--label', SEG7, '--case', 'mr1', '--domain', 'scanner-a', '--json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const imported = JSON.parse(first.stdout);
    expect(imported.case.id).toBe('mr1');
    expect(imported.addedClasses.map((c: { value: number }) => c.value)).toEqual([1, 2, 3, 4, 5, 6]);

    for (const [id, label] of [['mr2', SKULL], ['mr3', SEG7], ['mr4', SKULL]]) {
      const r = await runCli(['import', project, '--image', T1, '--label', label, '--case', id, '--domain', 'scanner-a']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Imported case '${id}'`);
    }

    const split = await runCli(['split', project, '--folds', '2', '--seed', '42', '--json']);
    expect(split.code).toBe(0);
    const assignment = JSON.parse(split.stdout);
    expect(assignment.cases).toHaveLength(4);
    expect(assignment.cases.filter((c: { fold: number }) => c.fold === 0)).toHaveLength(2);
    const again = await runCli(['split', project, '--folds', '2', '--seed', '42', '--json']);
    expect(JSON.parse(again.stdout).cases).toEqual(assignment.cases);

    const stats = await runCli(['stats', project, '--json']);
    expect(stats.code).toBe(0);
    const [s] = JSON.parse(stats.stdout);
    expect(s.domain).toBe('scanner-a');
    expect(s.mask).toBe('foreground');
    expect(s.caseCount).toBe(4);
    expect(s.mean).toBeGreaterThan(0);
    expect(s.p99_5).toBeGreaterThanOrEqual(s.p0_5);
  });

  it.each([
    ['a label on another grid', ['--image', T1, '--label', sharedPath('nibabel/standard.nii.gz'), '--case', 'bad1'], /does not match.*shape differs/],
    ['a missing image', ['--image', path.join(os.tmpdir(), 'no-such-volume.nii.gz'), '--case', 'bad2'], /no such file/],
    ['a duplicate case id', ['--image', T1, '--case', 'mr1'], /mr1/],
  ])('refuses %s with exit code 2 and leaves the project as it was', async (_what, args, message) => {
    const before = treeDigest(project);
    const result = await runCli(['import', project, ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(treeDigest(project)).toBe(before);
  });

  it.each([
    [['split', 'DIR', '--folds', '1', '--seed', '1'], /--folds must be an integer >= 2/],
    [['split', 'DIR', '--folds', 'two', '--seed', '1'], /--folds must be an integer/],
    [['project', 'init'], /usage: segstation project init DIR/],
  ])('rejects bad options: %j', async (args, message) => {
    const result = await runCli(args.map((a) => (a === 'DIR' ? project : a)));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
