import '../../../main/io/formats.ts';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CaseDetailSchema,
  caseIdFromPath,
  getCase,
  importCase,
  initProject,
  listCases,
  listClasses,
  listDomains,
  setClass,
  sha256File,
  sha256Folder,
  sha256Source,
} from '../../../main/dataset/index.ts';
import { readVolume, writeVolume } from '../../../main/io/registry.ts';
import { distinctValues } from '../../../main/volume/statistics.ts';
import type { Mat3, Vec3, Volume } from '../../../main/volume/volume.ts';
import { sharedPath } from '../../helpers/shared-data.ts';
import { expectInputError, labelPhantom, phantom, tempDir } from './helpers.ts';

const KMEANS_IMAGE = sharedPath('debian_itk_examples/KmeansTest_T1UCharRaw.nii.gz');
const KMEANS_LABEL = sharedPath('debian_itk_examples/KmeansTest_T1KmeansPrelimSegmentation.nii.gz');
const STANDARD = sharedPath('nibabel/standard.nii.gz');

let tmp: string;
let inputs: string;
let counter = 0;

async function project(): Promise<string> {
  const dir = path.join(tmp, `p${++counter}`);
  await initProject(dir);
  return dir;
}

async function write(volume: Volume, name: string): Promise<string> {
  const file = path.join(inputs, name);
  await writeVolume(volume, file);
  return file;
}

beforeAll(async () => {
  tmp = await tempDir('import');
  inputs = path.join(tmp, 'inputs');
  await fs.mkdir(inputs);
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('importCase', () => {
  it.each([
    ['NIfTI', '.nii.gz'],
    ['NRRD', '.nrrd'],
    ['MetaImage', '.mha'],
  ])('imports an image with a label (%s), stores both, records everything', async (_format, ext) => {
    const dir = await project();
    const image = phantom({ seed: 7 });
    const label = labelPhantom();
    const imageFile = await write(image, `img-${counter}${ext}`);
    const labelFile = await write(label, `lab-${counter}${ext}`);
    const result = await importCase(dir, { image: imageFile, label: labelFile, caseId: 'case-01', modality: ['XCT'] });
    expect(CaseDetailSchema.parse(result.case)).toEqual(result.case);
    expect(result.case).toMatchObject({ id: 'case-01', domain: 'default', channels: 1, hasLabel: true, note: '' });
    expect(result.addedClasses.map((c) => [c.value, c.name])).toEqual([
      [1, 'class 1'],
      [2, 'class 2'],
    ]);

    const [img, lab] = result.case.volumes;
    expect(img).toMatchObject({
      id: 'case-01_image0',
      role: 'image',
      channel: 0,
      modality: 'XCT',
      sourcePath: imageFile,
      sourceComponent: 0,
      storePath: 'volumes/case-01_image0.ome.zarr',
      dtype: 'float32',
      components: 1,
    });
    expect(img.shape).toEqual(image.shape);
    for (const key of ['spacing', 'origin'] as const) img[key].forEach((v, i) => expect(v).toBeCloseTo(image[key][i], 5));
    img.direction.forEach((v, i) => expect(v).toBeCloseTo(image.direction[i], 6));
    expect(img.min).toBe(Math.min(...image.data));
    expect(img.max).toBe(Math.max(...image.data));
    expect(img.sourceSha256).toBe(createHash('sha256').update(await fs.readFile(imageFile)).digest('hex'));
    expect(lab).toMatchObject({ id: 'case-01_label', role: 'label', channel: null, modality: null, dtype: 'uint8', min: 0, max: 2 });
    expect(lab.sourceSha256).toBe(createHash('sha256').update(await fs.readFile(labelFile)).digest('hex'));

    // Stores hold the same voxels and grid.
    const storedImage = await readVolume(path.join(dir, img.storePath));
    expect(storedImage.meta.format).toBe('ome-zarr');
    expect(Array.from(storedImage.data)).toEqual(Array.from(image.data));
    const storedLabel = await readVolume(path.join(dir, lab.storePath));
    expect(Array.from(storedLabel.data)).toEqual(Array.from(label.data));
    expect(storedLabel.labels?.map((l) => l.name)).toEqual(['background', 'class 1', 'class 2']);

    const counts = distinctValues(label.data) ?? [];
    expect(result.case.labelCounts).toEqual(counts);
    expect(result.case.labelCounts.reduce((n, c) => n + c.count, 0)).toBe(8 * 7 * 6);
    expect(result.case.splits).toEqual([]);
    expect(await getCase(dir, 'case-01')).toEqual(result.case);
    expect(await getCase(dir, 'CASE-01')).toEqual(result.case);
    expect(await fs.readdir(path.join(dir, 'volumes'))).toEqual(['case-01_image0.ome.zarr', 'case-01_label.ome.zarr']);
  });

  it('imports an image without a label; derives the case id from the file name', async () => {
    const dir = await project();
    const file = await write(phantom({ dtype: 'int16', value: (i) => i - 100 }), 'Sample 3_0000.nii.gz');
    const result = await importCase(dir, { image: file });
    expect(result.case).toMatchObject({ id: 'Sample_3', hasLabel: false, channels: 1, labelCounts: [] });
    expect(result.addedClasses).toEqual([]);
    expect(result.case.volumes).toHaveLength(1);
    expect(result.case.volumes[0]).toMatchObject({ dtype: 'int16', min: -100, max: 8 * 7 * 6 - 101, modality: null });
    expect(await listCases(dir)).toEqual([
      { id: 'Sample_3', domain: 'default', created: result.case.created, note: '', channels: 1, hasLabel: false },
    ]);
  });

  it('imports several channels (files and components), keeps modality names, creates the domain', async () => {
    const dir = await project();
    const t1 = await write(phantom({ seed: 1 }), `t1-${counter}.nii.gz`);
    const rgb = await write(phantom({ seed: 2, components: 2, dtype: 'int16', value: (i, c) => i * 2 + c }), `two-${counter}.nrrd`);
    const label = await write(labelPhantom(), `l-${counter}.nii.gz`);
    const result = await importCase(dir, {
      image: [t1, rgb],
      label,
      caseId: 'mc',
      domain: 'Scanner B',
      modality: ['T1', 'DWI-a', 'DWI-b'],
      note: 'three channels',
    });
    expect(result.case).toMatchObject({ channels: 3, domain: 'Scanner B', note: 'three channels' });
    expect(result.case.volumes.map((v) => [v.id, v.channel, v.modality, v.sourceComponent, v.components])).toEqual([
      ['mc_image0', 0, 'T1', 0, 1],
      ['mc_image1', 1, 'DWI-a', 0, 1],
      ['mc_image2', 2, 'DWI-b', 1, 1],
      ['mc_label', null, null, 0, 1],
    ]);
    const c2 = await readVolume(path.join(dir, result.case.volumes[2].storePath));
    expect(c2.data[0]).toBe(1);
    expect(c2.data[5]).toBe(11);
    expect((await listDomains(dir)).map((d) => d.name)).toEqual(['Scanner B', 'default']);

    // Later cases inherit the modality names and must have as many channels.
    const second = await importCase(dir, { image: [t1, rgb], caseId: 'mc2', domain: 'scanner b' });
    expect(second.case.domain).toBe('Scanner B');
    expect(second.case.volumes.map((v) => v.modality)).toEqual(['T1', 'DWI-a', 'DWI-b']);
    expect((await expectInputError(importCase(dir, { image: t1, caseId: 'mc3' }))).message).toMatch(
      /has 1 image channel but the project's cases have 3/,
    );
    const wrong = await expectInputError(importCase(dir, { image: [t1, rgb], caseId: 'mc4', modality: ['T2', 'a', 'b'] }));
    expect(wrong.message).toMatch(/channel 0 is 'T2' but the project's cases have 'T1'/);
    expect((await expectInputError(importCase(dir, { image: [t1, rgb], caseId: 'mc5', modality: ['T1'] }))).message).toMatch(
      /gives 1 names for 3 image channels/,
    );
  });

  it('the catalogue survives reopening, also from a copy of the project folder', async () => {
    const dir = await project();
    const file = await write(phantom(), `re-${counter}.nii.gz`);
    const labelFile = await write(labelPhantom(), `rl-${counter}.nii.gz`);
    await importCase(dir, { image: file, label: labelFile, caseId: 'r1', domain: 'D' });
    await importCase(dir, { image: file, caseId: 'r2' });
    await setClass(dir, { value: 2, name: 'binder' });
    const cases = await listCases(dir);
    const detail = await getCase(dir, 'r1');
    const classes = await listClasses(dir);
    const copy = `${dir}-copy`;
    await fs.cp(dir, copy, { recursive: true });
    expect(await listCases(copy)).toEqual(cases);
    expect(await getCase(copy, 'r1')).toEqual(detail);
    expect(await listClasses(copy)).toEqual(classes);
    expect((await listDomains(copy)).map((d) => d.name)).toEqual(['D', 'default']);
    const stored = await readVolume(path.join(copy, detail.volumes[1].storePath));
    expect(Array.from(stored.data)).toEqual(Array.from(labelPhantom().data));
  });

  it('refuses a duplicate case id, also in another letter case', async () => {
    const dir = await project();
    const file = await write(phantom(), `dup-${counter}.nii.gz`);
    await importCase(dir, { image: file, caseId: 'Case1' });
    for (const id of ['Case1', 'CASE1', 'case1']) {
      const error = await expectInputError(importCase(dir, { image: file, caseId: id }));
      expect(error.subject).toBe(`case ${id}`);
      expect(error.message).toMatch(/already exists in project .* \(as 'Case1'\)/);
    }
    expect(await listCases(dir)).toHaveLength(1);
  });

  it.each([
    ['bad/id', 'import.caseId'],
    ['-lead', 'import.caseId'],
    ['dot.', 'import.caseId'],
    ['', 'import.caseId'],
  ])('refuses case id %j', async (caseId, subject) => {
    const dir = await project();
    const file = await write(phantom(), `id-${counter}.nii.gz`);
    expect((await expectInputError(importCase(dir, { image: file, caseId }))).subject).toBe(subject);
  });

  const grids: [string, Partial<{ spacing: Vec3; origin: Vec3; shape: Vec3; direction: Mat3 }>, RegExp[]][] = [
    ['spacing', { spacing: [0.5, 0.75, 2.5] }, [/^spacing differs: \[0\.5, 0\.75, 1\.25\] vs \[0\.5, 0\.75, 2\.5\]$/]],
    ['origin', { origin: [10, -20, 31] }, [/^origin differs: \[10, -20, 30\] vs \[10, -20, 31\]$/]],
    ['shape', { shape: [8, 7, 5] }, [/^shape differs: \[8, 7, 6\] vs \[8, 7, 5\]$/]],
    ['direction', { direction: [0, -1, 0, 1, 0, 0, 0, 0, 1] }, [/^direction differs: /]],
    ['spacing and origin', { spacing: [1, 1, 1], origin: [0, 0, 0] }, [/^spacing differs/, /^origin differs/]],
  ];

  it.each(grids)('refuses a label whose %s differs, naming both files and the fields', async (_what, grid, sentences) => {
    const dir = await project();
    const imageFile = await write(phantom(), `gi-${counter}.nii.gz`);
    const labelFile = await write(labelPhantom({ ...grid }), `gl-${counter}.nii.gz`);
    const error = await expectInputError(importCase(dir, { image: imageFile, label: labelFile, caseId: 'g' }));
    expect(error.message.startsWith(`label ${labelFile} does not match image ${imageFile}: `)).toBe(true);
    const parts = error.problem.split('; ');
    expect(parts).toHaveLength(sentences.length);
    sentences.forEach((re, i) => expect(parts[i]).toMatch(re));
    expect(await listCases(dir)).toEqual([]);
  });

  it('refuses channels on different grids', async () => {
    const dir = await project();
    const a = await write(phantom(), `ca-${counter}.nii.gz`);
    const b = await write(phantom({ spacing: [1, 1, 1] }), `cb-${counter}.nii.gz`);
    const error = await expectInputError(importCase(dir, { image: [a, b], caseId: 'c' }));
    expect(error.message).toBe(`image ${b} does not match image ${a}: spacing differs: [0.5, 0.75, 1.25] vs [1, 1, 1]`);
  });

  it.each([
    ['a float label', labelPhantom({ dtype: 'float32' }), /must be an integer volume with one component, got float32 with 1 component$/],
    ['a two-component label', phantom({ dtype: 'uint8', components: 2, value: () => 1 }), /got uint8 with 2 components$/],
    ['a label with negative values', labelPhantom({ dtype: 'int16', values: [0, -1, 2] }), /has negative value -1/],
    [
      'an image passed as label',
      phantom({ shape: [12, 12, 12], dtype: 'int16', value: (i) => i }),
      /has more than 1000 distinct values/,
    ],
  ])('refuses %s', async (_what, label, message) => {
    const dir = await project();
    const imageFile = await write(phantom({ shape: label.shape }), `bi-${counter}.nii.gz`);
    const labelFile = await write(label, `bl-${counter}.nii.gz`);
    const error = await expectInputError(importCase(dir, { image: imageFile, label: labelFile }));
    expect(error.subject).toBe(`label ${labelFile}`);
    expect(error.message).toMatch(message);
  });

  it('refuses missing and unreadable files, naming them', async () => {
    const dir = await project();
    const missing = path.join(inputs, 'missing.nii.gz');
    expect((await expectInputError(importCase(dir, { image: missing }))).subject).toBe(missing);
    const junk = path.join(inputs, 'junk.nii.gz');
    await fs.writeFile(junk, 'not a volume');
    expect((await expectInputError(importCase(dir, { image: junk }))).subject).toBe(junk);
    expect((await expectInputError(importCase(dir, { image: [] }))).subject).toBe('import.image');
  });

  it('registers new label values keeping existing class names, and takes names from the file when it has them', async () => {
    const dir = await project();
    await setClass(dir, { value: 2, name: 'binder', color: [9, 9, 9] });
    const imageFile = await write(phantom(), `ni-${counter}.nii.gz`);
    const labelFile = await write(labelPhantom({ values: [0, 1, 2] }), `nl-${counter}.nii.gz`);
    const first = await importCase(dir, { image: imageFile, label: labelFile, caseId: 'a' });
    expect(first.addedClasses.map((c) => c.value)).toEqual([1]);

    const named: Volume = {
      ...labelPhantom({ values: [0, 4, 5] }),
      labels: [
        { value: 4, name: 'carbon', color: [1, 2, 3] },
        { value: 5, name: 'pore', color: [4, 5, 6] },
      ],
    };
    const namedFile = await write(named, `named-${counter}.nrrd`);
    const second = await importCase(dir, { image: imageFile, label: namedFile, caseId: 'b' });
    expect(second.addedClasses.map((c) => c.value)).toEqual([4, 5]);
    const classes = await listClasses(dir);
    expect(classes.map((c) => [c.value, c.name])).toEqual([
      [0, 'background'],
      [1, 'class 1'],
      [2, 'binder'],
      [4, 'carbon'],
      [5, 'pore'],
    ]);
    expect(classes[2].color).toEqual([9, 9, 9]);
    expect(classes[1].color).toEqual([255, 0, 0]);
    expect(classes[3].color).toEqual([1, 2, 3]);
  });

  it("names class 0 from the first label table that names it (a material's 'pore'), never over an edited one", async () => {
    const pore: Volume = {
      ...labelPhantom({ values: [0, 1] }),
      labels: [
        { value: 0, name: 'pore', color: [40, 40, 40] },
        { value: 1, name: 'NMC', color: [230, 160, 40] },
      ],
    };
    const imageFile = await write(phantom(), `pi-${counter}.nii.gz`);
    const poreFile = await write(pore, `pore-${counter}.nrrd`);
    const dir = await project();
    const first = await importCase(dir, { image: imageFile, label: poreFile, caseId: 'a' });
    expect(first.addedClasses.map((c) => [c.value, c.name])).toEqual([
      [0, 'pore'],
      [1, 'NMC'],
    ]);
    expect((await listClasses(dir))[0]).toEqual({ value: 0, name: 'pore', color: [40, 40, 40], description: '' });
    // Named once, it stays: a later table calling 0 something else does not rename it.
    const voidFile = await write({ ...pore, labels: [{ value: 0, name: 'void', color: [1, 1, 1] }] }, `void-${counter}.nrrd`);
    await importCase(dir, { image: imageFile, label: voidFile, caseId: 'b' });
    expect((await listClasses(dir))[0].name).toBe('pore');
    // A class 0 edited by hand is kept too, even when it is still called 'background'.
    const edited = await project();
    await setClass(edited, { value: 0, name: 'background', color: [5, 5, 5] });
    await importCase(edited, { image: imageFile, label: poreFile, caseId: 'a' });
    expect((await listClasses(edited))[0]).toMatchObject({ name: 'background', color: [5, 5, 5] });
  });

  it('refuses to overwrite a store left in volumes/ without a catalogue row', async () => {
    const dir = await project();
    await fs.mkdir(path.join(dir, 'volumes', 'orphan_image0.ome.zarr'));
    const file = await write(phantom(), `or-${counter}.nii.gz`);
    const error = await expectInputError(importCase(dir, { image: file, caseId: 'orphan' }));
    expect(error.message).toMatch(/already exists but is not recorded/);
  });

  it('imports the real KmeansTest pair (7 classes) and refuses a label on another grid', async () => {
    const dir = await project();
    const result = await importCase(dir, { image: KMEANS_IMAGE, label: KMEANS_LABEL, domain: 'itk', modality: ['T1'] });
    expect(result.case.id).toBe('KmeansTest_T1UCharRaw');
    expect(result.case.labelCounts.map((c) => c.value)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(result.case.labelCounts.reduce((n, c) => n + c.count, 0)).toBe(128 * 128 * 62);
    expect((await listClasses(dir)).length).toBe(7);
    const [img, lab] = result.case.volumes;
    expect(img).toMatchObject({ shape: [128, 128, 62], dtype: 'int16', min: 0, max: 255, sourceFormat: 'nifti' });
    expect(img.spacing).toEqual([2, 2, 3]);
    expect(img.sourceSha256).toBe('e0e5975587f3f7916804bdd317c493cdb99cdb3703bf2671d458528f62510327');
    expect(lab.sourceSha256).toBe('8f48a7ced6d27644489b8a2fc8084bf6594560d05f8997ad4327b6353d11f342');

    const error = await expectInputError(importCase(dir, { image: KMEANS_IMAGE, label: STANDARD, caseId: 'wrong' }));
    expect(error.message.startsWith(`label ${STANDARD} does not match image ${KMEANS_IMAGE}: `)).toBe(true);
    expect(error.problem).toMatch(/^shape differs: \[128, 128, 62\] vs \[4, 5, 7\]; spacing differs: \[2, 2, 3\] vs \[1, 3, 2\]; origin differs: .*; direction differs: /);
  });
});

describe('hashing', () => {
  it('sha256File equals node:crypto of the bytes', async () => {
    const file = path.join(inputs, 'bytes.bin');
    const bytes = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) & 255);
    await fs.writeFile(file, bytes);
    const expected = createHash('sha256').update(bytes).digest('hex');
    expect(await sha256File(file)).toBe(expected);
    expect(await sha256Source(file)).toBe(expected);
    if (existsSync(KMEANS_IMAGE)) {
      expect(await sha256File(KMEANS_IMAGE)).toBe('e0e5975587f3f7916804bdd317c493cdb99cdb3703bf2671d458528f62510327');
    }
  });

  it('sha256Folder hashes sorted relative paths and contents, as documented', async () => {
    const dir = path.join(inputs, 'series');
    await fs.mkdir(path.join(dir, 'sub'), { recursive: true });
    await fs.writeFile(path.join(dir, 'b.dcm'), 'BBB');
    await fs.writeFile(path.join(dir, 'a.dcm'), 'AA');
    await fs.writeFile(path.join(dir, 'sub', 'c.dcm'), '');
    const h = createHash('sha256');
    for (const [rel, content] of [
      ['a.dcm', 'AA'],
      ['b.dcm', 'BBB'],
      ['sub/c.dcm', ''],
    ]) {
      const size = Buffer.alloc(8);
      size.writeBigUInt64LE(BigInt(content.length));
      h.update(Buffer.concat([Buffer.from(rel), Buffer.from([0]), size, Buffer.from(content)]));
    }
    const expected = h.digest('hex');
    expect(await sha256Folder(dir)).toBe(expected);
    expect(await sha256Source(dir)).toBe(expected);
    await fs.rename(path.join(dir, 'b.dcm'), path.join(dir, 'bb.dcm'));
    expect(await sha256Folder(dir)).not.toBe(expected);
  });
});

describe('caseIdFromPath', () => {
  it.each([
    ['/x/case_001_0000.nii.gz', 'case_001'],
    ['/x/scan.ome.zarr/', 'scan'],
    ['/x/My Scan (2).nrrd', 'My_Scan__2_'],
    ['/x/_hidden.mha', 'hidden'],
    ['/x/series', 'series'],
    ['/x/.nii.gz', 'nii'],
  ])('%s -> %s', (file, id) => {
    expect(caseIdFromPath(file)).toBe(id);
  });
});
