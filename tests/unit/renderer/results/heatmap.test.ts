import { describe, expect, it } from 'vitest';
import { compositeOver, heatmapRgba } from '../../../../renderer/src/core/results/heatmap.ts';

describe('heatmapRgba', () => {
  it('colours values at or above the threshold through the colour map, the rest transparent', () => {
    const rgba = heatmapRgba([0, 0.25, 0.5, 1, Number.NaN], { colormap: 'grayscale', low: 0, high: 1, threshold: 0.5, opacity: 1 });
    expect([...rgba]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 128, 128, 128, 255, 255, 255, 255, 255, 0, 0, 0, 0]);
  });

  it('clamps outside [low, high] and applies the opacity', () => {
    const rgba = heatmapRgba([-5, 5], { colormap: 'grayscale', low: 0, high: 1, threshold: -10, opacity: 0.2 });
    expect([...rgba]).toEqual([0, 0, 0, 51, 255, 255, 255, 51]);
  });
});

describe('compositeOver', () => {
  it.each([
    // top, bottom, result
    [[255, 0, 0, 255], [0, 0, 255, 255], [255, 0, 0, 255]],
    [[0, 0, 0, 0], [0, 0, 255, 128], [0, 0, 255, 128]],
    [[255, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
    // Half red over opaque blue: purple, opaque.
    [[255, 0, 0, 128], [0, 0, 255, 255], [128, 0, 127, 255]],
    // Half red over half blue: alpha 0.75 (0.502 + 0.502 · 0.498 = 0.752), red 2/3.
    [[255, 0, 0, 128], [0, 0, 255, 128], [170, 0, 85, 192]],
  ])('%j over %j', (top, bottom, expected) => {
    expect([...compositeOver(Uint8Array.from(top), Uint8Array.from(bottom))]).toEqual(expected);
  });
});
