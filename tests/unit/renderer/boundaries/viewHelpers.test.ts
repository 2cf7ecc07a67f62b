import { describe, expect, it } from 'vitest';
import { NO_TRUTH_COLOR, PAIR_COLORS, errorColor, errorColors, formatArea, formatLength, pairColor } from '../../../../renderer/src/core/boundaries/colors.ts';
import { inSlab, slabPlanes } from '../../../../renderer/src/core/boundaries/slab.ts';
import { className, comparePairs, pairName } from '../../../../renderer/src/core/boundaries/legend.ts';

describe('boundary colours', () => {
  it('gives distinct pair colours, cycling past the palette', () => {
    const first = PAIR_COLORS.map((_, i) => pairColor(i).join(','));
    expect(new Set(first).size).toBe(PAIR_COLORS.length);
    expect(pairColor(PAIR_COLORS.length)).toEqual(pairColor(0));
  });

  it.each([
    { d: 0, max: 3, rgb: [68, 1, 84] },
    { d: 3, max: 3, rgb: [253, 231, 37] },
    { d: 30, max: 3, rgb: [253, 231, 37] }, // saturates above the top
    { d: 1.5, max: 3, rgb: [33, 145, 141] },
    { d: Infinity, max: 3, rgb: NO_TRUTH_COLOR },
  ])('maps distance $d on [0, $max] to viridis $rgb', ({ d, max, rgb }) => {
    expect(errorColor(d, max)).toEqual(rgb);
  });

  it('colours vertices through the same scale (to the 256-step table)', () => {
    const rgb = errorColors(Float32Array.from([0, 3, Infinity, 1.5]), 3);
    expect([...rgb.subarray(0, 3)]).toEqual([68, 1, 84]);
    expect([...rgb.subarray(3, 6)]).toEqual([253, 231, 37]);
    expect([...rgb.subarray(6, 9)]).toEqual(NO_TRUTH_COLOR);
    const mid = errorColor(1.5, 3);
    for (let c = 0; c < 3; c++) expect(Math.abs(rgb[9 + c] - mid[c])).toBeLessThanOrEqual(2);
  });

  it.each([
    { mm: 0.001, text: '1 µm' },
    { mm: 0.0125, text: '12.5 µm' },
    { mm: 2.5, text: '2.5 mm' },
    { mm: Infinity, text: '∞' },
  ])('writes $mm mm as $text', ({ mm, text }) => {
    expect(formatLength(mm)).toBe(text);
  });

  it('writes areas in µm² below 1 mm²', () => {
    expect(formatArea(0.0025)).toBe('2500 µm²');
    expect(formatArea(12)).toBe('12 mm²');
  });
});

describe('slab planes', () => {
  const grid = { shape: [10, 20, 30], spacing: [0.5, 1, 2], origin: [10, 20, 30], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };

  it('bounds the slab on both sides with normals pointing into it', () => {
    const [lo, hi] = slabPlanes(grid, { axis: 2, center: 10, thickness: 4 });
    expect(lo.origin).toEqual([10, 20, 30 + 2 * 8]);
    expect(hi.origin).toEqual([10, 20, 30 + 2 * 12]);
    expect(lo.normal).toEqual([0, 0, 1]);
    expect(hi.normal).toEqual([-0, -0, -1]);
  });

  it('follows a rotated direction matrix: index axis x along world -y', () => {
    const rotated = { ...grid, direction: [0, 1, 0, -1, 0, 0, 0, 0, 1] };
    const [lo, hi] = slabPlanes(rotated, { axis: 0, center: 4, thickness: 2 });
    expect(lo.normal).toEqual([0, -1, 0]);
    expect(lo.origin).toEqual([10, 20 - 0.5 * 3, 30]);
    expect(hi.origin).toEqual([10, 20 - 0.5 * 5, 30]);
    // A world point inside the slab is on the positive side of both planes.
    const inside = [10, 20 - 0.5 * 4, 30];
    for (const p of [lo, hi]) {
      const side = p.normal.reduce((s, n, i) => s + n * (inside[i] - p.origin[i]), 0);
      expect(side).toBeGreaterThan(0);
    }
  });

  it('tells which indices lie in the slab', () => {
    const slab = { axis: 1 as const, center: 5, thickness: 2 };
    expect([3, 4, 5, 6, 7].map((i) => inSlab(slab, i))).toEqual([false, true, true, true, false]);
  });
});

describe('legend names', () => {
  const project = [{ value: 0, name: 'pore' }, { value: 1, name: 'NMC' }];
  const volume = [{ value: 2, name: 'carbon-binder' }, { value: 1, name: 'ignored' }];

  it('names a pair from the first table that has each class', () => {
    expect(pairName(0, 1, project, volume)).toBe('pore | NMC');
    expect(pairName(1, 2, project, volume)).toBe('NMC | carbon-binder');
    expect(className(7, null, undefined, project)).toBe('label 7');
  });

  it('orders pairs by first class, then second', () => {
    const pairs = [{ a: 1, b: 2 }, { a: 0, b: 2 }, { a: 0, b: 1 }].sort(comparePairs);
    expect(pairs).toEqual([{ a: 0, b: 1 }, { a: 0, b: 2 }, { a: 1, b: 2 }]);
  });
});
