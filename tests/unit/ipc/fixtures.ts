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
      valid: [{ path: '/a.nii', role: 'image' }, { path: '/l.nii', role: 'label', imageId: 'v1-a' }],
      invalid: [{ path: '/a.nii' }, { path: '/a.nii', role: 'mask' }, { path: 7, role: 'image' }, { path: '/a', role: 'label', imageId: '../x' }],
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
    result: { valid: [job, { ...job, status: 'completed', finished: '2026-01-01T00:00:01.000Z', result: { n: 1 } }], invalid: [{ ...job, status: 'paused' }, { ...job, done: -1 }] },
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
  'project.opened': { valid: [project], invalid: [{ dir: '/p' }] },
  'volume.opened': { valid: [volumeMeta, labelMeta], invalid: [{ ...volumeMeta, role: 'mask' }] },
  'volume.closed': { valid: [{ volumeId: 'v1-a' }], invalid: [{ volumeId: 'a b' }, {}] },
};
