// Project workflow methods through the engine on a real temporary project: create, per-file validation and import,
// classes, domains, split, statistics, the training config schema, and runs read from the catalogue.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { METHODS } from '../../../ipc/contract.ts';
import '../../../main/io/formats.ts';
import { writeVolume } from '../../../main/io/registry.ts';
import { Engine } from '../../../main/services/engine.ts';
import { insertRun, syncMetrics } from '../../../main/training/runs/records.ts';
import { createVolume, type Vec3 } from '../../../main/volume/volume.ts';
import { tinyCase } from '../../fixtures/training/tiny-project.ts';
import { EventLog } from './helpers/events.ts';

const shape: Vec3 = [12, 10, 4];
let tmp: string;
let projectDir: string;
let engine: Engine;
let log: EventLog;
const file = (name: string) => path.join(tmp, 'files', name);

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'segstation-workflow-'));
  for (let c = 0; c < 3; c++) {
    const { image, label } = tinyCase(shape, 10 + c, 5);
    await writeVolume(createVolume({ shape, data: image }), file(`img${c}.nii.gz`));
    await writeVolume(createVolume({ shape, data: label }), file(`lab${c}.nii.gz`));
  }
  // Bad labels: floats, and one on another grid.
  await writeVolume(createVolume({ shape, data: new Float32Array(shape[0] * shape[1] * shape[2]) }), file('float-label.nii.gz'));
  await writeVolume(createVolume({ shape: [12, 10, 5], data: new Uint8Array(600) }), file('other-grid.nii.gz'));
  writeFileSync(file('notes.txt'), 'not a volume');
  projectDir = path.join(tmp, 'project');
  engine = new Engine({ transport: 'direct', recentFile: path.join(tmp, 'recent.json') });
  log = new EventLog(engine);
});

afterAll(() => {
  log?.close();
  engine?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

describe('project workflow', () => {
  it('creates a project, makes it current and remembers it; a second create is an input error', async () => {
    const project = await engine.call('project.create', { dir: projectDir, name: 'Electrodes' });
    expect(project).toMatchObject({ dir: projectDir, name: 'Electrodes', caseCount: 0, schemaVersion: 2 });
    expect(project.classes).toEqual([{ value: 0, name: 'background', color: [0, 0, 0], description: 'no class' }]);
    const info = await engine.call('engine.info', {});
    expect(info.project?.dir).toBe(projectDir);
    expect(info.jobKinds.map((k) => [k.kind, k.pausable])).toEqual([
      ['evaluate', false],
      ['import', false],
      ['predict', false],
      ['report', false],
      ['statistics', false],
      ['train', true],
    ]);
    expect((await engine.call('project.list', {})).projects.map((p) => p.dir)).toContain(projectDir);
    expect(log.of('project.opened').at(-1)?.name).toBe('Electrodes');
    const again = await engine.dispatch({ id: 1, method: 'project.create', params: { dir: projectDir } });
    expect(again).toMatchObject({ error: { code: 'input_error', message: expect.stringMatching(/already a Segstation project/) } });
  });

  it('validates each file of a case: format and header when fine, the reason when not', async () => {
    const good = await engine.call('case.validate', { image: [file('img0.nii.gz')], label: file('lab0.nii.gz') });
    expect(good.ok).toBe(true);
    expect(good.files).toEqual([
      { path: file('img0.nii.gz'), role: 'image', ok: true, format: 'nifti', shape, components: 1, dtype: 'float32', spacing: [1, 1, 1] },
      { path: file('lab0.nii.gz'), role: 'label', ok: true, format: 'nifti', shape, components: 1, dtype: 'uint8', spacing: [1, 1, 1] },
    ]);
    const cases: [string, string, RegExp][] = [
      ['float-label.nii.gz', 'label', /must hold integers, this file holds float32/],
      ['other-grid.nii.gz', 'label', /not on the first image's grid \(shape differs: \[12, 10, 5\] vs \[12, 10, 4\]\)/],
      ['missing.nii.gz', 'label', /^no such file or folder$/],
      ['notes.txt', 'label', /unrecognised format/],
    ];
    for (const [name, role, problem] of cases) {
      const result = await engine.call('case.validate', { image: [file('img0.nii.gz')], label: file(name) });
      expect(result.ok, name).toBe(false);
      expect(result.files[0].ok).toBe(true);
      expect(result.files[1]).toMatchObject({ path: file(name), role, ok: false, problem: expect.stringMatching(problem) });
    }
    const secondChannel = await engine.call('case.validate', { image: [file('img0.nii.gz'), file('other-grid.nii.gz')] });
    expect(secondChannel.files.map((f) => f.ok)).toEqual([true, false]);
  });

  it('case.import imports nothing when a file fails, and imports through a job when all pass', async () => {
    const refused = await engine.call('case.import', { projectDir, image: [file('img0.nii.gz')], label: file('float-label.nii.gz'), caseId: 'bad' });
    expect(refused).toMatchObject({ ok: false, job: null });
    expect((await engine.call('case.list', { projectDir })).cases).toEqual([]);

    for (let c = 0; c < 3; c++) {
      const started = await engine.call('case.import', { projectDir, image: [file(`img${c}.nii.gz`)], label: file(`lab${c}.nii.gz`), caseId: `case${c}`, domain: c < 2 ? 'scanner A' : 'scanner B' });
      expect(started.ok).toBe(true);
      expect(started.job).toMatchObject({ kind: 'import' });
      const end = await log.finished(started.job!.jobId);
      expect(end).toMatchObject({ status: 'completed', result: { caseId: `case${c}` } });
    }
    const cases = (await engine.call('case.list', { projectDir })).cases;
    expect(cases.map((c) => [c.id, c.domain, c.labelId !== null])).toEqual([
      ['case0', 'scanner A', true],
      ['case1', 'scanner A', true],
      ['case2', 'scanner B', true],
    ]);
  });

  it('edits the class table (name, colour, description) and keeps what is not given', async () => {
    const { classes } = await engine.call('classes.set', {
      projectDir,
      classes: [
        { value: 1, name: 'active material', color: [200, 50, 50] },
        { value: 2, name: 'pore', description: 'void space' },
      ],
    });
    expect(classes).toEqual([
      { value: 0, name: 'background', color: [0, 0, 0], description: 'no class' },
      { value: 1, name: 'active material', color: [200, 50, 50], description: '' },
      // Colour stays the one given at import (the default palette's second entry).
      { value: 2, name: 'pore', color: [0, 255, 0], description: 'void space' },
    ]);
    expect((await engine.call('project.open', { dir: projectDir })).classes).toEqual(classes);
    const bad = await engine.dispatch({ id: 2, method: 'classes.set', params: { projectDir, classes: [{ value: 1, name: '' }] } });
    expect(bad).toMatchObject({ error: { code: 'bad_request', field: 'params.classes.0.name' } });
  });

  it('lists domains with their case counts and adds one; a duplicate name is an input error', async () => {
    const before = (await engine.call('domain.list', { projectDir })).domains;
    expect(before.map((d) => [d.name, d.caseCount])).toEqual([
      ['default', 0],
      ['scanner A', 2],
      ['scanner B', 1],
    ]);
    const { domains } = await engine.call('domain.add', { projectDir, name: 'synchrotron', description: 'beamline 2', normalization: 'zscore' });
    expect(domains.find((d) => d.name === 'synchrotron')).toMatchObject({ description: 'beamline 2', normalization: 'zscore', caseCount: 0 });
    const dup = await engine.dispatch({ id: 3, method: 'domain.add', params: { projectDir, name: 'SCANNER a' } });
    expect(dup).toMatchObject({ error: { code: 'input_error', message: expect.stringMatching(/already exists/) } });
  });

  it('assigns a seeded split, stratified by domain, visible in case.list and split.get', async () => {
    expect((await engine.call('split.get', { projectDir })).split).toBeNull();
    const { split } = await engine.call('split.assign', { projectDir, folds: 3, seed: 5 });
    expect(split).toMatchObject({ folds: 3, seed: 5, testFraction: 0 });
    // Three cases over three folds: one validation case per fold.
    expect(split.cases.map((c) => c.fold).sort()).toEqual([0, 1, 2]);
    expect((await engine.call('split.get', { projectDir })).split).toEqual(split);
    const again = await engine.call('split.assign', { projectDir, folds: 3, seed: 5 });
    expect(again.split.cases).toEqual(split.cases);
    const cases = (await engine.call('case.list', { projectDir })).cases;
    for (const c of cases) {
      const fold = split.cases.find((s) => s.caseId === c.id)?.fold;
      expect(c.splits).toEqual([0, 1, 2].map((f) => ({ fold: f, subset: f === fold ? 'val' : 'train' })));
    }
    const tooMany = await engine.dispatch({ id: 4, method: 'split.assign', params: { projectDir, folds: 4, seed: 1 } });
    expect(tooMany).toMatchObject({ error: { code: 'input_error', field: 'folds' } });
  });

  it('reads statistics: none before the statistics job, per domain with a histogram after it', async () => {
    expect((await engine.call('stats.get', { projectDir })).statistics).toEqual([]);
    const job = await engine.call('job.start', { kind: 'statistics', params: { projectDir } });
    expect((await log.finished(job.jobId)).status).toBe('completed');
    const { statistics } = await engine.call('stats.get', { projectDir });
    expect(statistics.map((s) => [s.domain, s.channel, s.caseCount, s.mask])).toEqual([
      ['scanner A', 0, 2, 'foreground'],
      ['scanner B', 0, 1, 'foreground'],
    ]);
    for (const s of statistics) {
      expect(s.histogram.counts.reduce((a, b) => a + b, 0)).toBe(s.voxelCount);
      expect(s.histogram.bins).toHaveLength(s.histogram.counts.length + 1);
    }
  });
});

describe('training config for the UI form', () => {
  it('answers the JSON Schema of the same zod schema the CLI validates with, and its defaults', async () => {
    const { jsonSchema, defaults } = await engine.call('training.configSchema', {});
    expect(jsonSchema).toMatchObject({ type: 'object', required: ['patchSize'], additionalProperties: false });
    const properties = jsonSchema.properties as Record<string, { default?: unknown }>;
    expect(Object.keys(properties)).toEqual(expect.arrayContaining(['network', 'patchSize', 'batchSize', 'epochs', 'loss', 'optimizer', 'augmentation']));
    expect(properties.epochs.default).toBe(50);
    expect(defaults).toMatchObject({ epochs: 50, stepsPerEpoch: 250, batchSize: 'auto', seed: 0 });
    // The schema round-trips through JSON and can be read back as a zod schema that accepts the defaults.
    const back = z.fromJSONSchema(JSON.parse(JSON.stringify(jsonSchema)));
    expect(back.safeParse({ ...defaults, patchSize: [64, 64] }).success).toBe(true);
    expect(back.safeParse({ ...defaults, patchSize: [64, 64], epochs: 'many' }).success).toBe(false);
  });

  it.each([
    [{ patchSize: [32, 32], epochs: 0 }, 'epochs', /must be >= 1|too small|>=1/i],
    [{ patchSize: [36, 32], network: { levels: 4 } }, 'patchSize.0', /multiple of 8/],
    [{ patchSize: [32, 32], optimiser: {} }, 'optimiser', /unknown key/],
    [{ epochs: 2 }, 'patchSize', /is required/],
  ])('validateConfig %j -> issue on %s', async (config, field, problem) => {
    const result = await engine.call('training.validateConfig', { config });
    expect(result.ok).toBe(false);
    expect(result.config).toBeNull();
    expect(result.issues[0]).toMatchObject({ field, problem: expect.stringMatching(problem) });
  });

  it('validateConfig fills in the defaults of a valid config', async () => {
    const result = await engine.call('training.validateConfig', { config: { patchSize: [32, 32], epochs: 3 } });
    expect(result).toMatchObject({ ok: true, issues: [], config: { epochs: 3, stepsPerEpoch: 250, patchSize: [32, 32] } });
  });
});

describe('runs from the catalogue', () => {
  it('lists runs and groups a run metric history into series in step order', async () => {
    await insertRun(projectDir, { id: 'r-test', fold: 1, config: { epochs: 2 }, configHash: 'a'.repeat(64), datasetHash: 'b'.repeat(64), backend: 'cpu', seed: 4, status: 'completed', folder: 'runs/r-test', message: 'done' });
    await syncMetrics(
      projectDir,
      'r-test',
      [
        { epoch: 1, step: 20, name: 'loss', value: 0.5 },
        { epoch: 0, step: 10, name: 'loss', value: 0.9 },
        { epoch: 0, step: 10, name: 'val_dice_pore', value: 0.25 },
        { epoch: 1, step: 20, name: 'val_dice_pore', value: Number.NaN },
      ],
      20,
    );
    const { runs } = await engine.call('run.list', { projectDir });
    expect(runs).toEqual([expect.objectContaining({ id: 'r-test', fold: 1, status: 'completed', backend: 'cpu', seed: 4, folder: 'runs/r-test', message: 'done' })]);
    const detail = await engine.call('run.get', { projectDir, runId: 'R-TEST' });
    expect(detail.config).toEqual({ epochs: 2 });
    expect(detail.metrics).toEqual([
      { name: 'loss', points: [{ epoch: 0, step: 10, value: 0.9 }, { epoch: 1, step: 20, value: 0.5 }] },
      { name: 'val_dice_pore', points: [{ epoch: 0, step: 10, value: 0.25 }, { epoch: 1, step: 20, value: null }] },
    ]);
    expect(METHODS['run.get'].result.safeParse(detail).success).toBe(true);
    const missing = await engine.dispatch({ id: 5, method: 'run.get', params: { projectDir, runId: 'nope' } });
    expect(missing).toMatchObject({ error: { code: 'not_found', field: 'runId' } });
  });
});
