import '../../../main/io/formats.ts';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getCase, importCase, initProject, listCases, LOCK_FILE, setClass, type ImportCaseOptions } from '../../../main/dataset/index.ts';
import { faults, type FaultPoint } from '../../../main/dataset/faults.ts';
import { writeVolume } from '../../../main/io/registry.ts';
import { labelPhantom, phantom, snapshotTree, tempDir } from './helpers.ts';

let tmp: string;
let files: Record<string, string>;
let counter = 0;

beforeAll(async () => {
  tmp = await tempDir('atomic');
  const inputs = path.join(tmp, 'inputs');
  await fs.mkdir(inputs);
  files = {
    image: path.join(inputs, 'image.nii.gz'),
    image2: path.join(inputs, 'image2.nrrd'),
    label: path.join(inputs, 'label.nii.gz'),
    labelNew: path.join(inputs, 'label-new-values.nii.gz'),
    labelOtherGrid: path.join(inputs, 'label-other-grid.nii.gz'),
    floatLabel: path.join(inputs, 'float-label.nii.gz'),
    corrupt: path.join(inputs, 'corrupt.nii.gz'),
  };
  await writeVolume(phantom({ seed: 3 }), files.image);
  await writeVolume(phantom({ seed: 4 }), files.image2);
  await writeVolume(labelPhantom(), files.label);
  await writeVolume(labelPhantom({ values: [0, 3, 9] }), files.labelNew);
  await writeVolume(labelPhantom({ spacing: [1, 1, 1] }), files.labelOtherGrid);
  await writeVolume(labelPhantom({ dtype: 'float32' }), files.floatLabel);
  const good = await fs.readFile(files.image);
  await fs.writeFile(files.corrupt, good.subarray(0, Math.floor(good.length / 2)));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});
afterEach(() => {
  delete faults.hook;
});

/** A project that already has one case with a label and a renamed class, so there is something to damage. */
async function populatedProject(): Promise<string> {
  const dir = path.join(tmp, `p${++counter}`);
  await initProject(dir);
  await importCase(dir, { image: [files.image, files.image2], label: files.label, caseId: 'existing', domain: 'A' });
  await setClass(dir, { value: 1, name: 'cathode' });
  return dir;
}

const base = (): ImportCaseOptions => ({ image: [files.image, files.image2], label: files.labelNew, caseId: 'new', domain: 'B' });

type Failure = [string, () => ImportCaseOptions, FaultPoint | null, number];

const failures: Failure[] = [
  ['a missing image file', () => ({ ...base(), image: [files.image, path.join(tmp, 'nope.nii.gz')] }), null, 0],
  ['a truncated image file', () => ({ ...base(), image: [files.image, files.corrupt] }), null, 0],
  ['a label on another grid', () => ({ ...base(), label: files.labelOtherGrid }), null, 0],
  ['a float label', () => ({ ...base(), label: files.floatLabel }), null, 0],
  ['a duplicate case id', () => ({ ...base(), caseId: 'EXISTING' }), null, 0],
  ['an error after the first store is written', base, 'store-written', 1],
  ['an error after the last store is written', base, 'store-written', 3],
  ['an error just before the catalogue is saved', base, 'before-persist', 1],
  ['an error right after the catalogue is saved', base, 'after-persist', 1],
  ['an error after the first store is moved into place', base, 'store-moved', 1],
  ['an error after every store is moved into place', base, 'store-moved', 3],
];

describe('a failed import leaves the project byte-for-byte as it was', () => {
  it.each(failures)('%s', async (_what, options, point, nth) => {
    const dir = await populatedProject();
    const before = await snapshotTree(dir);
    expect(before.some((e) => e.includes('existing_label.ome.zarr/'))).toBe(true);
    const casesBefore = await listCases(dir);
    let hits = 0;
    if (point) {
      faults.hook = (p) => {
        if (p === point && ++hits === nth) throw new Error(`injected failure at ${p} #${nth}`);
      };
    }
    await expect(importCase(dir, options())).rejects.toThrow(point ? /injected failure/ : /./);
    if (point) expect(hits).toBe(nth);
    expect(await snapshotTree(dir)).toEqual(before);
    expect(await listCases(dir)).toEqual(casesBefore);
    await expect(fs.access(path.join(dir, LOCK_FILE))).rejects.toThrow();

    // And the project still works: the same import succeeds once nothing fails.
    delete faults.hook;
    if (!point) return;
    const result = await importCase(dir, options());
    expect(result.addedClasses.map((c) => c.value)).toEqual([3, 9]);
    expect((await getCase(dir, 'new')).volumes).toHaveLength(3);
    expect((await snapshotTree(dir)).filter((e) => e.startsWith('dir  volumes/') && !e.slice(13).includes('/'))).toEqual([
      'dir  volumes/existing_image0.ome.zarr',
      'dir  volumes/existing_image1.ome.zarr',
      'dir  volumes/existing_label.ome.zarr',
      'dir  volumes/new_image0.ome.zarr',
      'dir  volumes/new_image1.ome.zarr',
      'dir  volumes/new_label.ome.zarr',
    ]);
  });

  it('a successful import changes only the catalogue and adds its stores', async () => {
    const dir = await populatedProject();
    const before = await snapshotTree(dir);
    await importCase(dir, base());
    const after = await snapshotTree(dir);
    const changed = before.filter((e) => !after.includes(e));
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatch(/^file catalogue\.sqlite /);
    const added = after.filter((e) => !before.includes(e));
    expect(added.every((e) => /^(file catalogue\.sqlite |(dir|file) {1,2}volumes\/new_(image0|image1|label)\.ome\.zarr)/.test(e))).toBe(true);
  });
});
