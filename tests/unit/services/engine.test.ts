import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../ipc/contract.ts';
import { importCase, initProject } from '../../../main/dataset/index.ts';
import { readVolume, writeVolume } from '../../../main/io/registry.ts';
import { Engine } from '../../../main/services/engine.ts';
import type { Volume } from '../../../main/volume/volume.ts';
import { sharedPath } from '../../helpers/shared-data.ts';

const IMAGE = sharedPath('debian_itk_examples/KmeansTest_T1UCharRaw.nii.gz');
const LABEL = sharedPath('debian_itk_examples/KmeansTest_T1KmeansPrelimSegmentation.nii.gz');

let tmp: string;
let projectDir: string;
let engine: Engine;
let image: Volume;
const events: EngineEvent[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'segstation-engine-'));
  projectDir = path.join(tmp, 'project');
  await initProject(projectDir, { name: 'kmeans' });
  await importCase(projectDir, { image: [IMAGE], label: LABEL, caseId: 'kmeans01' });
  image = await readVolume(IMAGE);
  engine = new Engine({ transport: 'direct', recentFile: path.join(tmp, 'config', 'recent.json') });
  engine.onEvent((e) => events.push(e));
});

afterAll(() => {
  engine?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

describe('Engine with a project', () => {
  it('opens a project, remembers it and reports it', async () => {
    const project = await engine.call('project.open', { dir: projectDir });
    expect(project).toMatchObject({ name: 'kmeans', caseCount: 1 });
    expect(project.classes.map((c) => c.value)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(events.some((e) => e.event === 'project.opened')).toBe(true);
    const recent = await engine.call('project.list', {});
    expect(recent.projects.map((p) => p.dir)).toEqual([project.dir]);
    expect((await engine.call('engine.info', {})).project?.dir).toBe(project.dir);
  });

  it('lists cases with volume ids that read lazily from the OME-Zarr stores', async () => {
    const { cases } = await engine.call('case.list', { projectDir });
    expect(cases).toHaveLength(1);
    const [c] = cases;
    expect(c.imageIds).toHaveLength(1);
    expect(c.labelId).not.toBeNull();
    // Not opened yet: volume.list only holds volumes with data.
    expect((await engine.call('volume.list', {})).volumes).toEqual([]);
    const meta = await engine.call('volume.meta', { volumeId: c.imageIds[0] });
    expect(meta).toMatchObject({ shape: [128, 128, 62], spacing: [2, 2, 3], source: { kind: 'project', caseId: 'kmeans01' } });
    expect(meta.levels.length).toBeGreaterThan(1);
    const slice = await engine.slice(c.imageIds[0], 1, 40);
    const [nx, ny, nz] = image.shape;
    const expected: number[] = [];
    for (let z = 0; z < nz; z++) for (let x = 0; x < nx; x++) expected.push(image.data[(z * ny + 40) * nx + x]);
    expect(Array.from(slice.data)).toEqual(expected);
    const region = await engine.region(c.imageIds[0], 0, [60, 10, 5], [3, 2, 2]);
    const expectedRegion: number[] = [];
    for (let z = 5; z < 7; z++) for (let y = 10; y < 12; y++) for (let x = 60; x < 63; x++) expectedRegion.push(image.data[(z * ny + y) * nx + x]);
    expect(Array.from(region.data)).toEqual(expectedRegion);
    const label = await engine.call('volume.meta', { volumeId: c.labelId! });
    expect(label).toMatchObject({ role: 'label', imageId: c.imageIds[0] });
    expect(label.labels?.map((l) => l.value)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const coarse = await engine.level(c.labelId!, 1);
    expect(coarse.shape).toEqual(meta.levels[1].shape);
    expect((await engine.call('volume.list', {})).volumes.map((v) => v.id).sort()).toEqual([c.imageIds[0], c.labelId!].sort());
    // Ids are stable across case.list calls.
    expect((await engine.call('case.list', { projectDir })).cases[0].imageIds).toEqual(c.imageIds);
  });

  it('runs the statistics job kind on the project', async () => {
    const job = await engine.call('job.start', { kind: 'statistics', params: { projectDir } });
    while (!events.some((e) => e.event === 'job.finished' && e.payload.jobId === job.jobId)) await new Promise((r) => setTimeout(r, 50));
    const done = await engine.call('job.get', { jobId: job.jobId });
    expect(done.status).toBe('completed');
    const result = done.result as { statistics: { voxelCount: number; mask: string }[] };
    expect(result.statistics).toHaveLength(1);
    expect(result.statistics[0].mask).toBe('foreground');
    expect(events.some((e) => e.event === 'job.progress' && e.payload.jobId === job.jobId)).toBe(true);
  });

  it('imports a case with the import job kind and lists it afterwards', async () => {
    const job = await engine.call('job.start', { kind: 'import', params: { projectDir, image: [IMAGE], caseId: 'kmeans02', domain: 'mr' } });
    while (!events.some((e) => e.event === 'job.finished' && e.payload.jobId === job.jobId)) await new Promise((r) => setTimeout(r, 50));
    expect(await engine.call('job.get', { jobId: job.jobId })).toMatchObject({ status: 'completed', result: { caseId: 'kmeans02' } });
    const { cases } = await engine.call('case.list', { projectDir });
    expect(cases.map((c) => [c.id, c.domain, c.labelId === null])).toEqual([['kmeans01', 'default', false], ['kmeans02', 'mr', true]]);
  });

  it('fails an import of a missing file with the reason', async () => {
    const job = await engine.call('job.start', { kind: 'import', params: { projectDir, image: [path.join(tmp, 'missing.nii')] } });
    while (!events.some((e) => e.event === 'job.finished' && e.payload.jobId === job.jobId)) await new Promise((r) => setTimeout(r, 50));
    const done = await engine.call('job.get', { jobId: job.jobId });
    expect(done.status).toBe('failed');
    expect(done.error).toContain('missing.nii');
  });

  it('announces an opened volume unless asked not to', async () => {
    const shown = await engine.call('volume.open', { path: IMAGE, role: 'image' });
    const quiet = await engine.call('volume.open', { path: IMAGE, role: 'image', announce: false });
    const announced = events.filter((e) => e.event === 'volume.opened').map((e) => (e.payload as { id: string }).id);
    expect(announced).toContain(shown.id);
    expect(announced).not.toContain(quiet.id);
    for (const id of [shown.id, quiet.id]) await engine.call('volume.close', { volumeId: id });
  });

  it('closes a file volume for good and reports it', async () => {
    const meta = await engine.call('volume.open', { path: IMAGE, role: 'image' });
    expect(await engine.call('volume.close', { volumeId: meta.id })).toEqual({ closed: true });
    expect(events.some((e) => e.event === 'volume.closed' && e.payload.volumeId === meta.id)).toBe(true);
    expect(await engine.dispatch({ id: 1, method: 'volume.meta', params: { volumeId: meta.id } })).toMatchObject({ id: 1, error: { code: 'not_found' } });
  });

  it('opens an OME-Zarr store lazily, with its own pyramid, and forgets it on close', async () => {
    const store = path.join(tmp, 'kmeans.ome.zarr');
    const label = await readVolume(LABEL);
    await writeVolume(image, store);
    const labelStore = path.join(tmp, 'kmeans-seg.ome.zarr');
    await writeVolume({ ...label, labels: undefined, meta: { isLabel: true } }, labelStore);
    const meta = await engine.call('volume.open', { path: store, role: 'image' });
    expect(meta).toMatchObject({ shape: [128, 128, 62], source: { kind: 'file' } });
    expect(meta.levels.length).toBeGreaterThan(1);
    // The coarsest level's range lies within the true one.
    expect(meta.min).toBeGreaterThanOrEqual(0);
    expect(meta.max).toBeLessThanOrEqual(255);
    const slice = await engine.slice(meta.id, 2, 31);
    const plane = 128 * 128;
    expect(Array.from(slice.data)).toEqual(Array.from(image.data.subarray(31 * plane, 32 * plane)));
    const seg = await engine.call('volume.open', { path: labelStore, role: 'label', imageId: meta.id });
    expect(seg.labels?.map((l) => l.value)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(await engine.call('volume.close', { volumeId: meta.id })).toEqual({ closed: true });
    expect(await engine.dispatch({ id: 3, method: 'volume.meta', params: { volumeId: meta.id } })).toMatchObject({ error: { code: 'not_found' } });
  });

  it('answers a project that is not one with an input error', async () => {
    expect(await engine.dispatch({ id: 2, method: 'project.open', params: { dir: tmp } })).toMatchObject({ id: 2, error: { code: 'input_error' } });
  });
});
