import { describe, expect, it } from 'vitest';
import {
  defaultPreset,
  insertOpacityPoint,
  interpolateOpacity,
  moveOpacityPoint,
  presetColorNodes,
  presetOpacityPoints,
  removeOpacityPoint,
} from '../../../renderer/src/core/transferFunctions.ts';
import { colormapNodes, sampleColormap } from '../../../renderer/src/core/colormaps.ts';
import { defaultWindowLevel, dragWindowLevel } from '../../../renderer/src/core/windowLevel.ts';
import { clampIndex, coarsestLevel, pickLevel, sliceSize } from '../../../renderer/src/core/slices.ts';

describe('volume rendering presets', () => {
  it('places relative presets across the data range', () => {
    expect(presetColorNodes('MR', [0, 200]).map((n) => n.value)).toEqual([0, 50, 100, 200]);
    expect(presetOpacityPoints('MR', [0, 200])).toEqual([
      { x: 0, y: 0 },
      { x: 0.15, y: 0 },
      { x: 0.4, y: 0.15 },
      { x: 1, y: 0.6 },
    ]);
  });

  it('keeps CT in Hounsfield units and clips its curve to the data range', () => {
    expect(presetColorNodes('CT', [-1024, 3071])[1].value).toBe(-16);
    const points = presetOpacityPoints('CT', [-1000, 1000]);
    expect(points[0]).toEqual({ x: 0, y: 0 });
    // 641 HU -> (641 + 1000) / 2000 of the range, opacity 0.72; 1000 HU interpolated between 641 and 3071.
    expect(points.find((p) => Math.abs(p.x - 0.8205) < 1e-9)?.y).toBe(0.72);
    expect(points[points.length - 1].x).toBe(1);
    expect(points[points.length - 1].y).toBeCloseTo(0.72 - (0.01 * 359) / 2430, 12);
  });

  it('chooses CT for Hounsfield-like ranges', () => {
    expect(defaultPreset(-1024, 3071)).toBe('CT');
    expect(defaultPreset(0, 255)).toBe('MR');
  });
});

describe('opacity curve editing', () => {
  const curve = [
    { x: 0, y: 0 },
    { x: 0.5, y: 0.2 },
    { x: 1, y: 1 },
  ];

  it('interpolates linearly and holds the ends', () => {
    expect(interpolateOpacity(curve, 0.25)).toBeCloseTo(0.1, 12);
    expect(interpolateOpacity(curve, 0.75)).toBeCloseTo(0.6, 12);
    expect(interpolateOpacity(curve, 2)).toBe(1);
  });

  it('keeps end points pinned in x and interior points between their neighbours', () => {
    expect(moveOpacityPoint(curve, 0, 0.3, 0.4)[0]).toEqual({ x: 0, y: 0.4 });
    const moved = moveOpacityPoint(curve, 1, 1.5, -1)[1];
    expect(moved.x).toBeCloseTo(1 - 1e-4, 12);
    expect(moved.y).toBe(0);
  });

  it('inserts in order and removes only interior points', () => {
    const { points, index } = insertOpacityPoint(curve, 0.75, 0.5);
    expect(index).toBe(2);
    expect(points.map((p) => p.x)).toEqual([0, 0.5, 0.75, 1]);
    expect(removeOpacityPoint(points, 2).map((p) => p.x)).toEqual([0, 0.5, 1]);
    expect(removeOpacityPoint(points, 0)).toHaveLength(4);
  });
});

describe('colour maps and window/level', () => {
  it('spans the window', () => {
    expect(colormapNodes('grayscale', 10, 30)).toEqual([
      { value: 10, rgb: [0, 0, 0] },
      { value: 30, rgb: [1, 1, 1] },
    ]);
    expect(sampleColormap('hot', 0.1875)).toEqual([0.5, 0, 0]);
  });

  it('drags window and level by fractions of the range', () => {
    expect(defaultWindowLevel(0, 255)).toEqual({ window: 255, level: 127.5 });
    expect(dragWindowLevel({ window: 100, level: 50 }, 0.5, -0.25, [0, 200])).toEqual({ window: 200, level: 0 });
    expect(dragWindowLevel({ window: 100, level: 50 }, -2, 0, [0, 200]).window).toBeCloseTo(0.2, 12);
  });
});

describe('slices and levels', () => {
  const levels = [
    { level: 0, shape: [512, 512, 512] },
    { level: 1, shape: [256, 256, 256] },
    { level: 2, shape: [128, 128, 128] },
  ];

  it('picks the finest level within the voxel budget, else the coarsest', () => {
    expect(pickLevel(levels, 256 ** 3)).toBe(1);
    expect(pickLevel(levels, 512 ** 3)).toBe(0);
    expect(pickLevel(levels, 10)).toBe(2);
    expect(coarsestLevel(levels)).toBe(2);
  });

  it('sizes slices and clamps indices', () => {
    expect(sliceSize([128, 1, 62], 1)).toEqual([128, 62]);
    expect(sliceSize([1, 128, 62], 0)).toEqual([128, 62]);
    expect(clampIndex(-3, 10)).toBe(0);
    expect(clampIndex(9.6, 10)).toBe(9);
  });
});
