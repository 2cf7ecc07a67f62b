import { describe, expect, it } from 'vitest';
import {
  BlockHeaderSchema,
  DTYPES,
  EVENTS,
  EVENT_NAMES,
  EngineErrorSchema,
  LevelRequestSchema,
  METHODS,
  METHOD_NAMES,
  RegionRequestSchema,
  SliceRequestSchema,
  checkRequest,
} from '../../../ipc/contract.ts';
import { DTYPES as ENGINE_DTYPES } from '../../../main/volume/dtype.ts';
import { EVENT_FIXTURES, METHOD_FIXTURES } from './fixtures.ts';

describe('contract tables have fixtures for every schema', () => {
  it('every method has params and result fixtures, with at least one valid and one invalid each', () => {
    expect(Object.keys(METHOD_FIXTURES).sort()).toEqual([...METHOD_NAMES].sort());
    for (const name of METHOD_NAMES) {
      for (const part of ['params', 'result'] as const) {
        expect(METHOD_FIXTURES[name][part].valid.length, `${name} ${part} valid`).toBeGreaterThan(0);
        expect(METHOD_FIXTURES[name][part].invalid.length, `${name} ${part} invalid`).toBeGreaterThan(0);
      }
    }
  });

  it('every event has fixtures', () => {
    expect(Object.keys(EVENT_FIXTURES).sort()).toEqual([...EVENT_NAMES].sort());
    for (const name of EVENT_NAMES) {
      expect(EVENT_FIXTURES[name].valid.length).toBeGreaterThan(0);
      expect(EVENT_FIXTURES[name].invalid.length).toBeGreaterThan(0);
    }
  });

  it('required method and event names are present', () => {
    for (const m of ['engine.info', 'project.open', 'project.list', 'case.list', 'volume.open', 'volume.meta', 'volume.close', 'job.start', 'job.cancel', 'job.list']) {
      expect(METHOD_NAMES).toContain(m);
    }
    expect(EVENT_NAMES).toEqual(expect.arrayContaining(['job.progress', 'job.finished']));
  });
});

describe.each(METHOD_NAMES.map((name) => [name]))('method %s', (name) => {
  const fixtures = METHOD_FIXTURES[name];
  it.each(fixtures.params.valid.map((v, i) => [i, v]))('params valid #%i passes', (_i, value) => {
    expect(METHODS[name].params.safeParse(value).success).toBe(true);
  });
  it.each(fixtures.params.invalid.map((v, i) => [i, v]))('params invalid #%i fails', (_i, value) => {
    expect(METHODS[name].params.safeParse(value).success).toBe(false);
  });
  it.each(fixtures.result.valid.map((v, i) => [i, v]))('result valid #%i passes', (_i, value) => {
    expect(METHODS[name].result.safeParse(value).success).toBe(true);
  });
  it.each(fixtures.result.invalid.map((v, i) => [i, v]))('result invalid #%i fails', (_i, value) => {
    expect(METHODS[name].result.safeParse(value).success).toBe(false);
  });
});

describe.each(EVENT_NAMES.map((name) => [name]))('event %s', (name) => {
  it.each(EVENT_FIXTURES[name].valid.map((v, i) => [i, v]))('valid #%i passes', (_i, value) => {
    expect(EVENTS[name].safeParse(value).success).toBe(true);
  });
  it.each(EVENT_FIXTURES[name].invalid.map((v, i) => [i, v]))('invalid #%i fails', (_i, value) => {
    expect(EVENTS[name].safeParse(value).success).toBe(false);
  });
});

describe('data-plane and error schemas', () => {
  it('slice requests coerce query strings and reject bad axes and indices', () => {
    expect(SliceRequestSchema.parse({ volumeId: 'v1', axis: '2', index: '7' })).toEqual({ volumeId: 'v1', axis: 2, index: 7 });
    for (const bad of [{ volumeId: 'v1', axis: '3', index: '0' }, { volumeId: 'v1', axis: '1', index: '-1' }, { volumeId: 'v1', axis: '0', index: '1.5' }, { volumeId: 'v 1', axis: '0', index: '0' }]) {
      expect(SliceRequestSchema.safeParse(bad).success).toBe(false);
    }
  });

  it('region requests', () => {
    expect(RegionRequestSchema.safeParse({ volumeId: 'v1', level: 0, start: [0, 1, 2], size: [1, 1, 1] }).success).toBe(true);
    for (const bad of [{ volumeId: 'v1', level: 0, start: [0, 1], size: [1, 1, 1] }, { volumeId: 'v1', level: 0, start: [0, 1, 2], size: [1, 0, 1] }, { volumeId: 'v1', level: -1, start: [0, 0, 0], size: [1, 1, 1] }]) {
      expect(RegionRequestSchema.safeParse(bad).success).toBe(false);
    }
  });

  it('level requests', () => {
    expect(LevelRequestSchema.parse({ volumeId: 'v1', level: '2' })).toEqual({ volumeId: 'v1', level: 2 });
    expect(LevelRequestSchema.safeParse({ volumeId: 'v1', level: 'x' }).success).toBe(false);
  });

  it('block headers', () => {
    const header = { dtype: 'int16', shape: [2, 2, 1], components: 1, spacing: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], byteLength: 8 };
    expect(BlockHeaderSchema.safeParse(header).success).toBe(true);
    expect(BlockHeaderSchema.safeParse({ ...header, dtype: 'int64' }).success).toBe(false);
    expect(BlockHeaderSchema.safeParse({ ...header, shape: [0, 2, 1] }).success).toBe(false);
  });

  it('errors', () => {
    expect(EngineErrorSchema.safeParse({ code: 'not_found', message: 'x', field: 'volumeId' }).success).toBe(true);
    expect(EngineErrorSchema.safeParse({ code: 'teapot', message: 'x' }).success).toBe(false);
  });

  it('the dtype list matches the engine', () => {
    expect([...DTYPES]).toEqual([...ENGINE_DTYPES]);
  });
});

describe('checkRequest', () => {
  it.each([
    ['not an object', 'hello', 'bad_request', null, undefined],
    ['missing method', { id: 1 }, 'bad_request', 1, 'method'],
    ['unknown method', { id: 2, method: 'volume.explode', params: {} }, 'not_found', 2, 'method'],
    ['wrong field type', { id: 3, method: 'volume.meta', params: { volumeId: 42 } }, 'bad_request', 3, 'params.volumeId'],
    ['unknown field', { id: 'a', method: 'project.open', params: { dir: '/p', x: 1 } }, 'bad_request', 'a', 'params'],
  ])('%s -> typed error', (_name, raw, code, id, field) => {
    const checked = checkRequest(raw);
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.error.code).toBe(code);
    expect(checked.id).toBe(id);
    if (field !== undefined) expect(checked.error.field).toBe(field);
    expect(EngineErrorSchema.safeParse(checked.error).success).toBe(true);
  });

  it('accepts a valid request and defaults missing params to {}', () => {
    expect(checkRequest({ id: 9, method: 'engine.info' })).toEqual({ ok: true, id: 9, method: 'engine.info', params: {} });
    expect(checkRequest({ id: 9, method: 'volume.meta', params: { volumeId: 'v1' } })).toMatchObject({ ok: true, params: { volumeId: 'v1' } });
  });
});
