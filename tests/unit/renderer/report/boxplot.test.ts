// Cohort box plot: quartiles (numpy 'linear'), Tukey whiskers and outliers, ticks and pixel layout on exact small cases.
import { describe, expect, it } from 'vitest';
import { boxPlotLayout, boxStats, niceTicks, quantile } from '../../../../renderer/src/core/report/boxplot.ts';

describe('quantiles', () => {
  // Reference: numpy.percentile(v, [25, 50, 75]) (method='linear').
  it.each([
    [[1, 2, 3, 4], [1.75, 2.5, 3.25]],
    [[1, 2, 3, 4, 5], [2, 3, 4]],
    [[7], [7, 7, 7]],
    [[0, 10], [2.5, 5, 7.5]],
  ])('of %j are %j', (values, expected) => {
    expect([0.25, 0.5, 0.75].map((p) => quantile(values, p))).toEqual(expected);
  });
  it('of nothing is NaN', () => expect(quantile([], 0.5)).toBeNaN());
});

describe('box statistics', () => {
  it('whiskers stop at the last value inside 1.5 IQR; the rest are outliers', () => {
    expect(boxStats([100, 1, 2, 3, 4])).toEqual({ n: 5, q1: 2, median: 3, q3: 4, whiskerLow: 1, whiskerHigh: 4, outliers: [100] });
  });
  it('ignores NaN and infinities', () => {
    expect(boxStats([NaN, 3, Infinity, 1])).toMatchObject({ n: 2, q1: 1.5, median: 2, q3: 2.5, whiskerLow: 1, whiskerHigh: 3, outliers: [] });
  });
  it('is null without finite values', () => expect(boxStats([NaN, -Infinity])).toBeNull());
});

describe('ticks', () => {
  it.each([
    [0, 1, 5, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [0.52, 0.97, 5, [0.6, 0.7, 0.8, 0.9]],
    [0, 37, 4, [0, 10, 20, 30]],
    [2, 2, 5, [2]],
  ])('niceTicks(%s, %s, %s) = %j', (lo, hi, n, ticks) => expect(niceTicks(lo, hi, n)).toEqual(ticks));
});

describe('layout', () => {
  const layout = boxPlotLayout(
    [
      { name: 'a', color: [255, 0, 0], values: [0, 0.25, 0.5, 0.75, 1] },
      { name: 'b', color: [0, 255, 0], values: [NaN] },
    ],
    { width: 300, height: 200, margin: { top: 0, right: 0, bottom: 100, left: 100 } },
  );
  it('maps the domain onto the plot area, larger values higher', () => {
    expect(layout.domain).toEqual([0, 1]);
    expect(layout.ticks[0]).toEqual({ value: 0, y: 100 });
    expect(layout.ticks.at(-1)).toEqual({ value: 1, y: 0 });
  });
  it('puts each group in its band with its quartiles in pixels', () => {
    expect(layout.boxes[0].x).toBe(150);
    expect(layout.boxes[1].x).toBe(250);
    expect(layout.boxes[0].y).toEqual({ q1: 75, median: 50, q3: 25, whiskerLow: 100, whiskerHigh: 0 });
    expect(layout.boxes[0].points.map((p) => p.y)).toEqual([100, 75, 50, 25, 0]);
    expect(layout.boxes[1].stats).toBeNull();
    expect(layout.boxes[1].points).toEqual([]);
  });
  it('widens a constant range so the box has room', () => {
    const flat = boxPlotLayout([{ name: 'a', color: [0, 0, 0], values: [2, 2] }], { width: 100, height: 100 });
    expect(flat.domain[0]).toBeLessThan(2);
    expect(flat.domain[1]).toBeGreaterThan(2);
  });
});
