// Fitting captured figures into one report.export request, and the jobs panel's progress, ETA and file names.
import { describe, expect, it } from 'vitest';
import { fitFigures, scaledSize, type FigureSource } from '../../../../renderer/src/core/report/figures.ts';
import { etaSeconds, formatDuration, progressFraction, reportFileName } from '../../../../renderer/src/core/report/jobs.ts';

/** A fake encoder whose PNG length is proportional to the scaled pixel count (as a PNG roughly is). */
const encoder = (bytesPerPixel: number) => async (s: FigureSource, scale: number) => {
  const [w, h] = scaledSize(s.width, s.height, scale);
  return 'A'.repeat(Math.ceil(w * h * bytesPerPixel));
};

describe('fitFigures', () => {
  const sources = [
    { title: '3D view', width: 400, height: 300 },
    { title: 'axial', width: 400, height: 300 },
  ];
  it('keeps full size when everything fits', async () => {
    const out = await fitFigures(sources, encoder(1), { total: 300_000, each: 200_000 });
    expect(out.map((f) => [f.title, f.png.length, f.scale])).toEqual([
      ['3D view', 120_000, 1],
      ['axial', 120_000, 1],
    ]);
  });
  it('shrinks all figures together until the total fits', async () => {
    const out = await fitFigures(sources, encoder(1), { total: 100_000, each: 100_000 });
    expect(out[0].scale).toBeLessThan(1);
    expect(out.reduce((a, f) => a + f.png.length, 0)).toBeLessThanOrEqual(100_000);
    // not needlessly small: within a factor ~2 of the budget
    expect(out.reduce((a, f) => a + f.png.length, 0)).toBeGreaterThan(40_000);
  });
  it('also honours the limit of one figure', async () => {
    const out = await fitFigures([{ title: 'big', width: 1000, height: 1000 }], encoder(1), { total: 10_000_000, each: 250_000 });
    expect(out[0].png.length).toBeLessThanOrEqual(250_000);
  });
  it('gives up with a message when even the smallest scale is too large', async () => {
    await expect(fitFigures(sources, encoder(1), { total: 10, each: 10, minScale: 0.5 })).rejects.toThrow(/do not fit/);
  });
  it('scaled sizes never reach zero', () => expect(scaledSize(3, 1000, 0.01)).toEqual([1, 10]));
});

describe('job progress and ETA', () => {
  const started = '2026-01-01T00:00:00.000Z';
  const t0 = Date.parse(started);
  it.each([
    [{ status: 'running', done: 1, total: 4 }, 0.25],
    [{ status: 'running', done: 0, total: 0 }, null],
    [{ status: 'completed', done: 0, total: 0 }, 1],
    [{ status: 'running', done: 9, total: 4 }, 1],
  ] as const)('fraction of %o is %s', (job, f) => expect(progressFraction(job)).toBe(f));
  it('extrapolates from elapsed time without an engine estimate', () => {
    expect(etaSeconds({ status: 'running', done: 1, total: 4, started }, t0 + 10_000)).toBe(30);
  });
  it('counts the engine estimate down', () => {
    expect(etaSeconds({ status: 'running', done: 1, total: 4, started }, t0 + 10_000, { etaSeconds: 20, at: t0 + 5_000 })).toBe(15);
    expect(etaSeconds({ status: 'running', done: 1, total: 4, started }, t0 + 60_000, { etaSeconds: 20, at: t0 })).toBe(0);
  });
  it('has none for paused, finished or not yet progressing jobs', () => {
    expect(etaSeconds({ status: 'paused', done: 1, total: 4, started }, t0 + 1000)).toBeNull();
    expect(etaSeconds({ status: 'completed', done: 4, total: 4, started }, t0 + 1000)).toBeNull();
    expect(etaSeconds({ status: 'running', done: 0, total: 4, started }, t0 + 1000)).toBeNull();
  });
  it.each([
    [45.4, '45 s'],
    [185, '3 min 05 s'],
    [7620, '2 h 07 min'],
  ])('formats %s s as %s', (s, text) => expect(formatDuration(s)).toBe(text));
  it('names report files by run and UTC time, with only URL-safe characters', () => {
    expect(reportFileName('run a/b', 'pdf', new Date('2026-11-26T12:34:56.789Z'))).toBe('report-run_a_b-20261126-123456.pdf');
  });
});
