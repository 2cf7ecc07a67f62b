import { describe, expect, it } from 'vitest';
import { barHeights, checkHistogram, histogramBars, niceTicks, rebin } from '../../../../renderer/src/core/project/histogram.ts';

describe('rebin', () => {
  it('keeps a histogram that already fits', () => {
    expect(rebin({ bins: [0, 1, 2], counts: [3, 4] }, 4)).toEqual({ bins: [0, 1, 2], counts: [3, 4] });
  });
  it.each([
    // 5 bins into at most 2 bars: groups of 3, the last one shorter.
    [{ bins: [0, 1, 2, 3, 4, 5], counts: [1, 2, 3, 4, 5] }, 2, { bins: [0, 3, 5], counts: [6, 9] }],
    [{ bins: [0, 1, 2, 3, 4], counts: [1, 1, 1, 1] }, 2, { bins: [0, 2, 4], counts: [2, 2] }],
    [{ bins: [0, 1, 2, 3, 4], counts: [1, 2, 3, 4] }, 1, { bins: [0, 4], counts: [10] }],
  ])('merges %j into at most %i bars', (h, max, expected) => {
    const merged = rebin(h, max);
    expect(merged).toEqual(expected);
    expect(merged.counts.reduce((a, b) => a + b, 0)).toBe(h.counts.reduce((a, b) => a + b, 0));
  });
  it('refuses mismatched edges and a bad bar count', () => {
    expect(() => rebin({ bins: [0, 1], counts: [1, 2] }, 4)).toThrow(/2 edges for 2 counts/);
    expect(() => rebin({ bins: [0, 2, 1], counts: [1, 2] }, 4)).toThrow(/edge 2 \(1\) is below edge 1 \(2\)/);
    expect(() => rebin({ bins: [0, 1], counts: [1] }, 0)).toThrow(/maxBars/);
  });
});

describe('barHeights', () => {
  it('linear: the largest count fills the height', () => {
    expect(barHeights([0, 5, 10], 'linear', 100)).toEqual([0, 50, 100]);
  });
  it('log: log(1 + count), so 1 shows and 0 stays 0', () => {
    const h = barHeights([0, 1, 1000], 'log', 100);
    expect(h[0]).toBe(0);
    expect(h[1]).toBeCloseTo((Math.log(2) / Math.log(1001)) * 100, 10);
    expect(h[2]).toBe(100);
    // A small peak is far taller on the log scale than on the linear one.
    expect(h[1]).toBeGreaterThan(barHeights([0, 1, 1000], 'linear', 100)[1] * 50);
  });
  it('all zero gives all zero', () => {
    expect(barHeights([0, 0], 'log', 50)).toEqual([0, 0]);
    expect(barHeights([], 'linear', 50)).toEqual([]);
  });
});

describe('histogramBars', () => {
  it('places bars by value in the box, standing on the bottom edge', () => {
    const bars = histogramBars({ bins: [0, 10, 30, 40], counts: [2, 4, 0] }, { width: 80, height: 20, scale: 'linear', maxBars: 10 });
    expect(bars).toEqual([
      { x: 0, y: 10, width: 20, height: 10, count: 2, from: 0, to: 10 },
      { x: 20, y: 0, width: 40, height: 20, count: 4, from: 10, to: 30 },
      { x: 60, y: 20, width: 20, height: 0, count: 0, from: 30, to: 40 },
    ]);
  });
  it('spreads bars evenly when every edge is the same value', () => {
    const bars = histogramBars({ bins: [5, 5, 5], counts: [1, 1] }, { width: 10, height: 4, scale: 'linear', maxBars: 4 });
    expect(bars.map((b) => [b.x, b.width])).toEqual([[0, 5], [5, 5]]);
  });
  it('defaults to one bar per 2 px', () => {
    const counts = Array.from({ length: 100 }, () => 1);
    const bins = Array.from({ length: 101 }, (_, i) => i);
    expect(histogramBars({ bins, counts }, { width: 40, height: 10, scale: 'linear' })).toHaveLength(20);
  });
});

describe('niceTicks / checkHistogram', () => {
  it.each([
    [0, 100, 5, [0, 20, 40, 60, 80, 100]],
    [0.1, 0.9, 4, [0.2, 0.4, 0.6, 0.8]],
    [-3, 7, 2, [0, 5]],
    [4, 4, 5, [4]],
  ])('niceTicks(%d, %d, %d)', (min, max, count, expected) => {
    expect(niceTicks(min, max, count)).toEqual(expected);
  });
  it('accepts a well-formed histogram', () => {
    expect(() => checkHistogram({ bins: [0, 1, 1, 2], counts: [0, 0, 0] })).not.toThrow();
  });
});
