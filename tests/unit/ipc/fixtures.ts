/**
 * Valid and invalid fixtures for every schema of the contract. contract.test.ts iterates METHODS and EVENTS, so a
 * schema added without fixtures here fails the test.
 */
import type { EventName, MethodName } from '../../../ipc/contract.ts';

export interface SchemaFixtures {
  valid: unknown[];
  invalid: unknown[];
}

const project = {
  dir: '/data/p1',
  name: 'p1',
  created: '2026-01-01T00:00:00.000Z',
  schemaVersion: 2,
  appVersion: '0.1.0',
  caseCount: 1,
  classes: [{ value: 0, name: 'background', color: [0, 0, 0], description: 'no class' }],
};

export const volumeMeta = {
  id: 'v1-brain.nii.gz',
  name: 'brain.nii.gz',
  role: 'image',
  shape: [4, 3, 2],
  components: 1,
  dtype: 'uint8',
  spacing: [1, 1, 2],
  origin: [0, 0, 0],
  direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
  min: 0,
  max: 255,
  levels: [{ level: 0, shape: [4, 3, 2], spacing: [1, 1, 2], origin: [0, 0, 0] }],
  source: { kind: 'file', path: '/data/brain.nii.gz' },
};

const labelMeta = {
  ...volumeMeta,
  id: 'v2-seg',
  role: 'label',
  labels: [{ value: 1, name: 'bone', color: [255, 0, 0] }],
  imageId: 'v1-brain.nii.gz',
};

const job = { jobId: 'j1-abc', kind: 'statistics', status: 'running', done: 1, total: 4, message: 'reading', started: '2026-01-01T00:00:00.000Z' };

const fileOk = { path: '/a.nii', role: 'image', ok: true, format: 'nifti', shape: [4, 3, 2], components: 1, dtype: 'uint8', spacing: [1, 1, 2] };
const fileBad = { path: '/l.nii', role: 'label', ok: false, problem: 'a label map must hold integers, this file holds float32' };
const domain = { name: 'default', description: '', normalization: 'auto', created: '2026-01-01T00:00:00.000Z', caseCount: 2 };
const split = {
  folds: 2,
  seed: 7,
  testFraction: 0,
  created: '2026-01-01T00:00:00.000Z',
  cases: [
    { caseId: 'c1', domain: 'default', pool: 'train', fold: 0 },
    { caseId: 'c2', domain: 'default', pool: 'test', fold: null },
  ],
};
const statistics = {
  domain: 'default', channel: 0, modality: null, mask: 'foreground', caseCount: 1, voxelCount: 10, mean: 1, std: 0.5, p0_5: 0, p99_5: 2,
  min: 0, max: 2, percentileMethod: 'exact', histogram: { bins: [0, 1, 2], counts: [4, 6] }, computed: '2026-01-01T00:00:00.000Z',
};
const run = {
  id: 'r1', fold: 0, status: 'running', backend: 'cpu', seed: 0, configHash: 'abc', datasetHash: 'def', folder: 'runs/r1',
  created: '2026-01-01T00:00:00.000Z', updated: '2026-01-01T00:00:00.000Z', message: '',
};
const prediction = {
  id: 'r1/c1', runId: 'r1', caseId: 'c1', modelPath: '/m.onnx', folder: '/p/runs/r1/predictions/c1',
  outputs: { label: '/p/runs/r1/predictions/c1/label.ome.zarr', entropy: '/p/runs/r1/predictions/c1/entropy.ome.zarr' },
  options: { overlap: 0.5 }, uncertaintyScore: null, created: '2026-01-01T00:00:00.000Z',
};
const evaluationInfo = { id: 'eval-r1-x', runId: 'r1', created: '2026-01-01T00:00:00.000Z', cases: 2 };
const evaluation = {
  ...evaluationInfo,
  classes: [{ value: 1, name: 'bone' }],
  rows: [{ caseId: 'c1', class: 1, metric: 'dice', value: 0.9 }, { caseId: 'c1', class: 1, metric: 'hausdorff', value: 'Infinity' }],
  summary: [{ class: 1, className: 'bone', metric: 'dice', n: 1, nan: 0, infinite: 0, mean: 0.9, median: 0.9, std: 'NaN', ciLow: 0.9, ciHigh: 0.9 }],
};

export const METHOD_FIXTURES: Record<MethodName, { params: SchemaFixtures; result: SchemaFixtures }> = {
  'engine.info': {
    params: { valid: [{}], invalid: [{ extra: 1 }, null, 'x'] },
    result: {
      valid: [{ name: 'segstation', version: '0.1.0', transport: 'web', project: null, jobKinds: [{ kind: 'statistics', description: 'x' }] }],
      invalid: [{ name: 'other', version: '0.1.0', transport: 'web', project: null, jobKinds: [] }, { name: 'segstation', version: '0.1.0', transport: 'ftp', project: null, jobKinds: [] }],
    },
  },
  'project.open': {
    params: { valid: [{ dir: '/data/p1' }], invalid: [{}, { dir: '' }, { dir: 3 }, { dir: '/p', other: true }] },
    result: { valid: [project], invalid: [{ ...project, caseCount: -1 }, { ...project, classes: [{ value: 0, name: 'b', color: [0, 0, 300], description: '' }] }] },
  },
  'project.list': {
    params: { valid: [{}], invalid: [{ limit: 3 }] },
    result: {
      valid: [{ projects: [] }, { projects: [{ dir: '/p', name: 'p', lastOpened: '2026-01-01T00:00:00.000Z' }] }],
      invalid: [{ projects: [{ dir: '/p' }] }, {}],
    },
  },
  'case.list': {
    params: { valid: [{ projectDir: '/p' }], invalid: [{ projectDir: 1 }, {}, { dir: '/p' }] },
    result: {
      valid: [
        { cases: [] },
        { cases: [{ id: 'c1', domain: 'default', note: '', imageIds: ['p1-c1_image0'], labelId: 'p1-c1_label', modalities: ['T1'], splits: [{ fold: 0, subset: 'train' }] }] },
      ],
      invalid: [
        { cases: [{ id: 'c1', domain: 'default', note: '', imageIds: ['has space'], labelId: null, modalities: [null], splits: [] }] },
        { cases: [{ id: 'c1', domain: 'default', note: '', imageIds: [], labelId: null, modalities: [], splits: [{ fold: 0, subset: 'holdout' }] }] },
      ],
    },
  },
  'volume.open': {
    params: {
      valid: [{ path: '/a.nii', role: 'image' }, { path: '/l.nii', role: 'label', imageId: 'v1-a' }, { path: '/a.nii', role: 'image', announce: false }],
      invalid: [{ path: '/a.nii' }, { path: '/a.nii', role: 'mask' }, { path: 7, role: 'image' }, { path: '/a', role: 'label', imageId: '../x' }, { path: '/a.nii', role: 'image', announce: 'no' }],
    },
    result: { valid: [volumeMeta, labelMeta], invalid: [{ ...volumeMeta, dtype: 'complex64' }, { ...volumeMeta, shape: [4, 3] }, { ...volumeMeta, levels: [] }, { ...volumeMeta, direction: [1, 0, 0] }] },
  },
  'volume.meta': {
    params: { valid: [{ volumeId: 'v1-a' }], invalid: [{ volumeId: '' }, { volumeId: 'a/b' }, { volumeId: 3 }] },
    result: { valid: [volumeMeta], invalid: [{ ...volumeMeta, min: 'low' }, { ...volumeMeta, spacing: [1, 1, Number.NaN] }] },
  },
  'volume.list': {
    params: { valid: [{}], invalid: [{ all: true }] },
    result: { valid: [{ volumes: [] }, { volumes: [volumeMeta, labelMeta] }], invalid: [{ volumes: [{ id: 'x' }] }] },
  },
  'volume.close': {
    params: { valid: [{ volumeId: 'v1-a' }], invalid: [{}, { volumeId: null }] },
    result: { valid: [{ closed: true }], invalid: [{ closed: 'yes' }, {}] },
  },
  'job.start': {
    params: {
      valid: [{ kind: 'statistics', params: { projectDir: '/p' } }, { kind: 'x', params: {} }],
      invalid: [{ kind: 'statistics' }, { kind: '', params: {} }, { kind: 'x', params: [1, 2] }, { kind: 1, params: {} }],
    },
    result: {
      valid: [job, { ...job, status: 'completed', finished: '2026-01-01T00:00:01.000Z', result: { n: 1 } }, { ...job, kind: 'train', status: 'paused', runId: 'r1' }],
      invalid: [{ ...job, status: 'sleeping' }, { ...job, done: -1 }, { ...job, runId: 5 }],
    },
  },
  'job.cancel': {
    params: { valid: [{ jobId: 'j1-abc' }], invalid: [{ jobId: 1 }, {}] },
    result: { valid: [{ ...job, status: 'cancelled' }], invalid: [{ jobId: 'j1' }] },
  },
  'job.get': {
    params: { valid: [{ jobId: 'j1-abc' }], invalid: [{ id: 'j1' }] },
    result: { valid: [job], invalid: [{ ...job, started: 5 }] },
  },
  'job.list': {
    params: { valid: [{}], invalid: [[]] },
    result: { valid: [{ jobs: [] }, { jobs: [job] }], invalid: [{ jobs: [{}] }, { jobs: 'none' }] },
  },
  'job.pause': {
    params: { valid: [{ jobId: 'j1-abc' }], invalid: [{}, { jobId: 'j 1' }, { jobId: 'j1', now: true }] },
    result: { valid: [{ ...job, status: 'paused' }], invalid: [{ ...job, status: 'halted' }] },
  },
  'job.resume': {
    params: { valid: [{ jobId: 'j1-abc' }], invalid: [{ jobId: '' }] },
    result: { valid: [{ ...job, status: 'running' }], invalid: [{ ...job, total: 'many' }] },
  },
  'project.create': {
    params: { valid: [{ dir: '/data/new' }, { dir: '/data/new', name: 'Electrodes' }], invalid: [{}, { dir: '' }, { dir: '/p', name: '   ' }, { dir: '/p', title: 'x' }] },
    result: { valid: [project], invalid: [{ ...project, schemaVersion: 'two' }] },
  },
  'case.validate': {
    params: { valid: [{ image: ['/a.nii'] }, { image: ['/a.nii', '/b.nii'], label: '/l.nii' }], invalid: [{ image: [] }, { image: '/a.nii' }, { image: ['/a'], label: '' }] },
    result: {
      valid: [{ ok: true, files: [fileOk] }, { ok: false, files: [fileOk, fileBad] }],
      invalid: [{ ok: true, files: [{ ...fileOk, role: 'mask' }] }, { ok: true, files: [{ ...fileOk, shape: [1, 2] }] }, { files: [] }],
    },
  },
  'case.import': {
    params: {
      valid: [{ projectDir: '/p', image: ['/a.nii'] }, { projectDir: '/p', image: ['/a.nii'], label: '/l.nii', caseId: 'c1', domain: 'scanner A', modality: ['CT'], note: '' }],
      invalid: [{ image: ['/a.nii'] }, { projectDir: '/p', image: [] }, { projectDir: '/p', image: ['/a'], case: 'c1' }],
    },
    result: {
      valid: [{ ok: true, files: [fileOk], job: { ...job, kind: 'import' } }, { ok: false, files: [fileBad], job: null }],
      invalid: [{ ok: true, files: [fileOk] }, { ok: false, files: [fileBad], job: { jobId: 'x' } }],
    },
  },
  'classes.set': {
    params: {
      valid: [{ projectDir: '/p', classes: [{ value: 1, name: 'graphite' }] }, { projectDir: '/p', classes: [{ value: 2, name: 'pore', color: [0, 0, 255], description: 'void' }] }],
      invalid: [{ projectDir: '/p', classes: [] }, { projectDir: '/p', classes: [{ value: -1, name: 'x' }] }, { projectDir: '/p', classes: [{ value: 1, name: '' }] }, { projectDir: '/p', classes: [{ value: 1, name: 'a', color: [0, 0, 256] }] }],
    },
    result: { valid: [{ classes: project.classes }], invalid: [{ classes: [{ value: 1, name: 'a' }] }] },
  },
  'domain.list': {
    params: { valid: [{ projectDir: '/p' }], invalid: [{}] },
    result: { valid: [{ domains: [domain] }, { domains: [] }], invalid: [{ domains: [{ ...domain, normalization: 'minmax' }] }, { domains: [{ ...domain, caseCount: -1 }] }] },
  },
  'domain.add': {
    params: {
      valid: [{ projectDir: '/p', name: 'scanner B' }, { projectDir: '/p', name: 'ct', description: 'CT', normalization: 'ct' }],
      invalid: [{ projectDir: '/p', name: ' ' }, { projectDir: '/p', name: 'x', normalization: 'minmax' }],
    },
    result: { valid: [{ domains: [domain] }], invalid: [{ domains: [{ name: 'x' }] }] },
  },
  'split.get': {
    params: { valid: [{ projectDir: '/p' }], invalid: [{ projectDir: '/p', folds: 2 }] },
    result: { valid: [{ split: null }, { split }], invalid: [{}, { split: { ...split, folds: 1 } }] },
  },
  'split.assign': {
    params: {
      valid: [{ projectDir: '/p', folds: 5, seed: 42 }, { projectDir: '/p', folds: 2, seed: -3, testFraction: 0.2 }],
      invalid: [{ projectDir: '/p', folds: 1, seed: 0 }, { projectDir: '/p', folds: 2.5, seed: 0 }, { projectDir: '/p', folds: 2, seed: 0, testFraction: 1 }, { projectDir: '/p', folds: 2 }],
    },
    result: { valid: [{ split }], invalid: [{ split: null }, { split: { ...split, cases: [{ caseId: 'c', domain: 'd', pool: 'val', fold: 0 }] } }] },
  },
  'split.move': {
    params: {
      valid: [{ projectDir: '/p', caseId: 'c', fold: 0 }, { projectDir: '/p', caseId: 'c', fold: 'test' }],
      invalid: [{ projectDir: '/p', caseId: 'c', fold: -1 }, { projectDir: '/p', caseId: 'c', fold: 1.5 }, { projectDir: '/p', caseId: '', fold: 0 }, { projectDir: '/p', caseId: 'c', fold: 'val' }],
    },
    result: { valid: [{ split }], invalid: [{ split: null }] },
  },
  'stats.get': {
    params: { valid: [{ projectDir: '/p' }], invalid: [{ projectDir: 3 }] },
    result: { valid: [{ statistics: [] }, { statistics: [statistics] }], invalid: [{ statistics: [{ ...statistics, mask: 'some' }] }, { statistics: [{ ...statistics, histogram: { bins: [0, 1], counts: [-1] } }] }] },
  },
  'run.list': {
    params: { valid: [{ projectDir: '/p' }], invalid: [{ projectDir: '' }] },
    result: { valid: [{ runs: [] }, { runs: [run] }], invalid: [{ runs: [{ ...run, status: 'done' }] }, { runs: [{ ...run, fold: -1 }] }] },
  },
  'run.get': {
    params: { valid: [{ projectDir: '/p', runId: 'r1' }], invalid: [{ projectDir: '/p' }, { projectDir: '/p', runId: '' }] },
    result: {
      valid: [{ run, config: { epochs: 2 }, metrics: [{ name: 'loss', points: [{ epoch: 0, step: 3, value: 0.5 }, { epoch: 1, step: 6, value: null }] }] }],
      invalid: [{ run, config: [], metrics: [] }, { run, config: {}, metrics: [{ name: 'loss', points: [{ epoch: 0, step: -1, value: 1 }] }] }],
    },
  },
  'training.configSchema': {
    params: { valid: [{}], invalid: [{ format: 'yaml' }] },
    result: { valid: [{ jsonSchema: { type: 'object' }, defaults: { epochs: 50 } }], invalid: [{ jsonSchema: 'object', defaults: {} }, { jsonSchema: {} }] },
  },
  'training.validateConfig': {
    params: { valid: [{ config: {} }, { config: { patchSize: [32, 32] } }], invalid: [{ config: [] }, {}, { config: 'epochs: 2' }] },
    result: {
      valid: [{ ok: true, config: { epochs: 2 }, issues: [] }, { ok: false, config: null, issues: [{ field: 'epochs', problem: 'must be >= 1' }] }],
      invalid: [{ ok: false, config: null, issues: [{ field: 'epochs' }] }, { ok: true, issues: [] }],
    },
  },
  // Training workspace (issue 7 point 2)
  'training.presets': {
    params: { valid: [{}, { name: 'tiny-2.5d' }], invalid: [{ name: '../x' }, { name: '' }, { other: 1 }] },
    result: {
      valid: [{ presets: [] }, { presets: [{ name: 'tiny-2.5d', file: '/r/tiny-2.5d.yaml', description: 'tiny', config: { seed: 1 } }] }],
      invalid: [{ presets: [{ name: 'x', file: '/x.yaml', description: '', config: [] }] }, {}],
    },
  },
  'prediction.list': {
    params: { valid: [{ projectDir: '/p' }, { projectDir: '/p', runId: 'r1' }], invalid: [{ runId: 'r1' }, { projectDir: '/p', runId: '' }] },
    result: { valid: [{ predictions: [] }, { predictions: [prediction] }], invalid: [{ predictions: [{ ...prediction, outputs: { logits: '/x' } }] }, { predictions: [{ ...prediction, caseId: 3 }] }] },
  },
  'evaluation.list': {
    params: { valid: [{ projectDir: '/p' }, { projectDir: '/p', runId: 'r1' }], invalid: [{}] },
    result: { valid: [{ evaluations: [evaluationInfo] }], invalid: [{ evaluations: [{ ...evaluationInfo, cases: 1.5 }] }] },
  },
  'evaluation.get': {
    params: { valid: [{ projectDir: '/p', runId: 'r1' }, { projectDir: '/p', runId: 'r1', evaluationId: 'e1' }], invalid: [{ projectDir: '/p' }, { projectDir: '/p', runId: 'r1', id: 'e1' }] },
    result: { valid: [evaluation], invalid: [{ ...evaluation, rows: [{ caseId: 'c1', class: 1, metric: 'dice', value: 'nan' }] }, { ...evaluation, summary: [{ class: 1 }] }] },
  },
  'report.export': {
    params: {
      valid: [
        { projectDir: '/p', runId: 'r1', out: '/tmp/r.html' },
        { projectDir: '/p', runId: 'r1', out: '/tmp/r.PDF', caseId: 'c1', snapshot: '/tmp/s.png', reevaluate: true },
        { projectDir: '/p', runId: 'r1', out: '/tmp/r.pdf', snapshotPng: 'iVBORw0KGgo=' },
      ],
      invalid: [
        { projectDir: '/p', runId: 'r1', out: '/tmp/r.docx' },
        { projectDir: '/p', runId: 'r 1', out: '/tmp/r.html' },
        { projectDir: '/p', out: '/tmp/r.html' },
        { projectDir: '/p', runId: 'r1', out: '/tmp/r.html', format: 'pdf' },
        { projectDir: '/p', runId: 'r1', out: '/tmp/r.html', snapshot: '/s.png', snapshotPng: 'iVBORw0KGgo=' },
        { projectDir: '/p', runId: 'r1', out: '/tmp/r.html', snapshotPng: 'not base64!' },
      ],
    },
    result: { valid: [{ ...job, kind: 'report' }], invalid: [{ ...job, status: 'done' }] },
  },
  // Project workspace (issue 7 point 1)
  'fs.list': {
    params: { valid: [{ dir: '/data' }, { dir: '/data', hidden: true }], invalid: [{ dir: '' }, {}, { dir: '/data', recursive: true }] },
    result: {
      valid: [{ dir: '/data', parent: '/', entries: [{ name: 'a.nii.gz', isDir: false, size: 12 }, { name: 'sub', isDir: true, size: 0 }], truncated: false }, { dir: '/', parent: null, entries: [], truncated: false }],
      invalid: [{ dir: '/data', parent: '/', entries: [{ name: 'a', isDir: 'no', size: 1 }], truncated: false }, { dir: '/data', parent: '/', entries: [{ name: 'a', isDir: false, size: -1 }], truncated: false }],
    },
  },
};

export const EVENT_FIXTURES: Record<EventName, SchemaFixtures> = {
  'job.progress': {
    valid: [{ jobId: 'j1-abc', kind: 'statistics', done: 1, total: 2, message: 'half' }, { jobId: 'j1-abc', kind: 'k', done: 0, total: 0, message: '', etaSeconds: 3.5 }],
    invalid: [{ jobId: 'j1-abc', kind: 'k', done: '1', total: 2, message: '' }, { jobId: 'j1-abc', kind: 'k', done: 1, total: 2, message: '', etaSeconds: -1 }],
  },
  'job.finished': {
    valid: [{ jobId: 'j1-abc', kind: 'k', status: 'completed', result: { a: 1 } }, { jobId: 'j1-abc', kind: 'k', status: 'failed', error: 'boom' }],
    invalid: [{ jobId: 'j1-abc', kind: 'k', status: 'running' }, { jobId: 'j1-abc', status: 'completed' }],
  },
  'job.state': { valid: [job, { ...job, status: 'paused', runId: 'r1' }], invalid: [{ ...job, status: 'asleep' }] },
  'training.progress': {
    valid: [
      { type: 'start', jobId: 'j1-abc', runId: 'r1', fold: 0, backend: 'cpu', batchSize: 2, parameters: 1000, trainCases: ['c1'], valCases: ['c2'], epochs: 2, stepsPerEpoch: 3, resumedFrom: null },
      {
        type: 'step', jobId: 'j1-abc', runId: 'r1', epoch: 0, step: 1, totalSteps: 6, stepInEpoch: 1, stepsPerEpoch: 3, loss: 1.2, terms: { ce: 0.7, dice: 0.5 },
        lr: 0.001, gradNorm: null, voxelsPerSecond: 1e5, etaSeconds: 4, memoryBytes: 2e8,
      },
      { type: 'epoch', jobId: 'j1-abc', runId: 'r1', epoch: 0, step: 3, metrics: { loss: 1, val_dice_mean: 0.4 }, valDice: { background: 0.9, ball: null }, valDiceMean: 0.4, best: true, seconds: 2 },
      { type: 'checkpoint', jobId: 'j1-abc', runId: 'r1', kind: 'last', epoch: 1, step: 3 },
      { type: 'samples', jobId: 'j1-abc', runId: 'r1', epoch: 0, step: 3, files: ['val-c2.png'], cases: ['c2'] },
      { type: 'paused', jobId: 'j1-abc', runId: 'r1', epoch: 1, step: 4 },
      { type: 'end', jobId: 'j1-abc', runId: 'r1', status: 'cancelled', epoch: 1, step: 4, bestDice: 0.4, bestEpoch: 0, seconds: 5 },
    ],
    invalid: [
      { type: 'step', jobId: 'j1-abc', runId: 'r1', epoch: 0, step: 1 },
      { type: 'epoch', jobId: 'j1-abc', runId: 'r1', epoch: 0, step: 3, metrics: { loss: 'high' }, valDice: null, valDiceMean: null, best: false, seconds: 1 },
      { type: 'explode', jobId: 'j1-abc', runId: 'r1' },
      { type: 'samples', jobId: 'j1-abc', runId: 'r1', epoch: 0, step: 3, files: 'val-c2.png', cases: [] },
      { type: 'end', jobId: 'j1-abc', runId: 'r1', status: 'done', epoch: 1, step: 4, bestDice: null, bestEpoch: null, seconds: 5 },
    ],
  },
  'project.opened': { valid: [project], invalid: [{ dir: '/p' }] },
  'volume.opened': { valid: [volumeMeta, labelMeta], invalid: [{ ...volumeMeta, role: 'mask' }] },
  'volume.closed': { valid: [{ volumeId: 'v1-a' }], invalid: [{ volumeId: 'a b' }, {}] },
};
