// Report building blocks: the PNG encoder (round trip, CRC), SVG charts and the figure renderers.
import { describe, expect, it } from 'vitest';
import { lineChartSvg } from '../../../main/report/charts.ts';
import { boundarySlice, busiestSlice, depthProjection, errorSlice, ERROR_COLORS, heatSlice, labelSlice } from '../../../main/report/figures.ts';
import { crc32, createRaster, encodePng } from '../../../main/report/png.ts';
import type { Vec3 } from '../../../main/volume/volume.ts';
import { decodePng, regionStd } from './decodePng.ts';

describe('PNG encoder', () => {
  it('CRC-32 of "IEND" is the value every PNG ends with', () => {
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082);
  });
  it.each([3, 4] as const)('round-trips %i-channel pixels', (channels) => {
    const img = createRaster(7, 5, channels);
    for (let i = 0; i < img.pixels.length; i++) img.pixels[i] = (i * 37) % 256;
    const back = decodePng(encodePng(img));
    expect([back.width, back.height, back.channels]).toEqual([7, 5, channels]);
    expect(back.pixels).toEqual(img.pixels);
  });
  it('rejects a buffer of the wrong size', () => {
    expect(() => encodePng({ width: 2, height: 2, channels: 3, pixels: new Uint8Array(5) })).toThrow(/does not match/);
  });
});

describe('line chart', () => {
  it('draws one polyline per series with a legend and escapes names', () => {
    const svg = lineChartSvg([
      { name: 'loss <ce>', points: [{ x: 0, y: 1 }, { x: 10, y: 0.5 }, { x: 20, y: 0.2 }] },
      { name: 'val_dice', points: [{ x: 10, y: 0.6 }, { x: 20, y: 0.8 }] },
    ]);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('loss &lt;ce&gt;');
    expect(svg.startsWith('<svg')).toBe(true);
  });
  it('refuses a chart without finite points', () => {
    expect(() => lineChartSvg([{ name: 'x', points: [{ x: 0, y: NaN }] }])).toThrow(/finite point/);
  });
});

describe('figures', () => {
  const shape: Vec3 = [16, 12, 10];
  const truth = new Uint8Array(16 * 12 * 10);
  const pred = new Uint8Array(truth.length);
  for (let z = 0; z < 10; z++) for (let y = 0; y < 12; y++) for (let x = 0; x < 16; x++) {
    const i = (z * 12 + y) * 16 + x;
    if ((x - 8) ** 2 + (y - 6) ** 2 + (z - 6) ** 2 <= 16) truth[i] = 1;
    if ((x - 9) ** 2 + (y - 6) ** 2 + (z - 6) ** 2 <= 16) pred[i] = x < 8 ? 1 : 2;
  }
  const grid = { shape, spacing: [1, 2, 1] as Vec3 };
  const palette = (v: number): [number, number, number] => (v === 1 ? [255, 0, 0] : [0, 255, 0]);

  it('picks the slice with most foreground', () => {
    expect(busiestSlice(truth, shape)).toBe(6);
  });
  it('keeps the physical aspect ratio', () => {
    const img = labelSlice(truth, grid, 6, palette, undefined, 1, 160);
    // 16 x 1 mm wide, 12 x 2 mm high
    expect([img.width, img.height]).toEqual([160, 240]);
  });
  it('colours the error classes', () => {
    const img = errorSlice(pred, truth, grid, 6, 16);
    const colours = new Set<string>();
    for (let i = 0; i < img.pixels.length; i += 3) colours.add(img.pixels.subarray(i, i + 3).join(','));
    for (const c of [ERROR_COLORS.correct, ERROR_COLORS.falsePositive, ERROR_COLORS.falseNegative, ERROR_COLORS.wrongClass, ERROR_COLORS.background]) {
      expect(colours.has(c.join(','))).toBe(true);
    }
  });
  it('heat map, boundaries and depth projection are not flat', () => {
    const entropy = Float32Array.from(truth, (v, i) => (v ? 0.2 : 0) + (i % 7) / 10);
    for (const img of [heatSlice(entropy, grid, 6), boundarySlice(pred, grid, 6, palette), depthProjection(truth, grid, palette)]) {
      const decoded = decodePng(encodePng(img));
      expect(regionStd(decoded, 0, 0, decoded.width, decoded.height)).toBeGreaterThan(10);
    }
  });
});
