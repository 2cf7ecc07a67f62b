// report.export's viewer figures (report workspace): slicePngs beside snapshotPng, their limits, and the job's slices.
import { describe, expect, it } from 'vitest';
import { MAX_FIGURES_BASE64, MAX_SNAPSHOT_BASE64, METHODS, ReportJobParamsSchema, checkRequest } from '../../../ipc/contract.ts';

const base = { projectDir: '/p', runId: 'run-1', out: '/p/reports/r.pdf' };
const png = 'iVBORw0KGgo=';

function issue(params: unknown): { field: string | undefined; message: string } | null {
  const checked = checkRequest({ id: 1, method: 'report.export', params });
  return checked.ok ? null : { field: checked.error.field, message: checked.error.message };
}

describe('report.export slicePngs', () => {
  it('accepts up to six titled figures with a snapshot', () => {
    const slicePngs = Array.from({ length: 6 }, (_, i) => ({ title: `slice ${i}`, png }));
    expect(METHODS['report.export'].params.safeParse({ ...base, snapshotPng: png, slicePngs }).success).toBe(true);
  });
  it.each([
    ['not base64', { slicePngs: [{ title: 'a', png: 'not base64!' }] }, 'params.slicePngs.0.png', /base64/],
    ['an empty title', { slicePngs: [{ title: '', png }] }, 'params.slicePngs.0.title', /empty/],
    ['an unknown field', { slicePngs: [{ title: 'a', png, extra: 1 }] }, 'params.slicePngs.0', /extra|unrecognized/i],
    ['seven figures', { slicePngs: Array.from({ length: 7 }, () => ({ title: 'a', png })) }, 'params.slicePngs', /at most 6/],
    ['one figure over 700 KB', { slicePngs: [{ title: 'a', png: 'A'.repeat(MAX_SNAPSHOT_BASE64 + 4) }] }, 'params.slicePngs.0.png', /too large/],
    ['figures too large together', { snapshotPng: 'A'.repeat(600_000), slicePngs: [{ title: 'a', png: 'A'.repeat(MAX_FIGURES_BASE64 - 600_000 + 4) }] }, 'params.slicePngs', /too large together/],
    ['files and inline figures at once', { slices: [{ title: 'a', file: '/tmp/a.png' }], slicePngs: [{ title: 'a', png }] }, 'params.slicePngs', /not both/],
  ])('refuses %s, naming the field', (_, extra, field, message) => {
    const problem = issue({ ...base, ...extra });
    expect(problem).not.toBeNull();
    expect(problem!.field).toBe(field);
    expect(problem!.message).toMatch(message);
  });
  it('the total budget leaves room in one 1 MiB WebSocket message', () => {
    expect(MAX_FIGURES_BASE64).toBeLessThan(1024 * 1024 - 32 * 1024);
  });
});

describe('report job slices (files)', () => {
  it('accepts titled files and refuses a missing file path', () => {
    expect(ReportJobParamsSchema.safeParse({ ...base, slices: [{ title: 'axial', file: '/tmp/a.png' }] }).success).toBe(true);
    const bad = ReportJobParamsSchema.safeParse({ ...base, slices: [{ title: 'axial' }] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0].path).toEqual(['slices', 0, 'file']);
  });
});
