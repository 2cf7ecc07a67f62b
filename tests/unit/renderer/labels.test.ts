import { describe, expect, it } from 'vitest';
import { DEFAULT_LABEL_COLORS, buildLabelLut, labelClasses, labelSliceToRgba, presentValues } from '../../../renderer/src/core/labels.ts';

describe('labelClasses', () => {
  it('fills values 1..max with default colours and keeps the volume own entries', () => {
    const classes = labelClasses([{ value: 2, name: 'NMC', color: [10, 20, 30] }], 3);
    expect(classes).toEqual([
      { value: 1, name: 'label 1', color: DEFAULT_LABEL_COLORS[0] },
      { value: 2, name: 'NMC', color: [10, 20, 30] },
      { value: 3, name: 'label 3', color: DEFAULT_LABEL_COLORS[2] },
    ]);
  });

  it('skips the background and values beyond the dense limit', () => {
    expect(labelClasses([{ value: 0, name: 'bg', color: [0, 0, 0] }], 70000, 2).map((c) => c.value)).toEqual([1, 2]);
  });
});

// A 4x3 slice: two regions (1 on the left, 2 on the right) and background in the top-right corner.
const SLICE = [1, 1, 2, 0, 1, 1, 2, 2, 1, 1, 2, 2];
const CLASSES = [
  { value: 1, name: 'a', color: [255, 0, 0] as [number, number, number] },
  { value: 2, name: 'b', color: [0, 0, 255] as [number, number, number] },
];

describe('labelSliceToRgba', () => {
  const rgbaAt = (rgba: Uint8Array, i: number) => [...rgba.subarray(i * 4, i * 4 + 4)];

  it('colours each value with its class colour at the fill opacity; background stays clear', () => {
    const rgba = labelSliceToRgba(SLICE, 4, 3, buildLabelLut(CLASSES, new Set(), 2), { opacity: 0.5, outline: false });
    expect(rgbaAt(rgba, 0)).toEqual([255, 0, 0, 128]);
    expect(rgbaAt(rgba, 2)).toEqual([0, 0, 255, 128]);
    expect(rgbaAt(rgba, 3)).toEqual([0, 0, 0, 0]);
  });

  it('leaves a hidden label clear and the others as they were', () => {
    const shown = labelSliceToRgba(SLICE, 4, 3, buildLabelLut(CLASSES, new Set(), 2), { opacity: 1, outline: false });
    const hidden = labelSliceToRgba(SLICE, 4, 3, buildLabelLut(CLASSES, new Set([2]), 2), { opacity: 1, outline: false });
    SLICE.forEach((v, i) => {
      if (v === 2) expect(rgbaAt(hidden, i)).toEqual([0, 0, 0, 0]);
      else expect(rgbaAt(hidden, i)).toEqual(rgbaAt(shown, i));
    });
  });

  it('draws only borders in outline mode (4-neighbours inside the slice)', () => {
    const rgba = labelSliceToRgba(SLICE, 4, 3, buildLabelLut(CLASSES, new Set(), 2), { opacity: 0.3, outline: true });
    const alpha = SLICE.map((_, i) => rgba[i * 4 + 3]);
    // Regions meet between columns 1 and 2; (3, 1) touches the background above it; column 0 and (3, 2) are
    // inside (the slice edge is not a border).
    expect(alpha).toEqual([0, 255, 255, 0, 0, 255, 255, 255, 0, 255, 255, 0]);
  });

  it('treats values without a class as background', () => {
    const rgba = labelSliceToRgba([7, 1], 2, 1, buildLabelLut(CLASSES, new Set(), 2), { opacity: 1, outline: false });
    expect(rgbaAt(rgba, 0)).toEqual([0, 0, 0, 0]);
    expect(rgbaAt(rgba, 1)).toEqual([255, 0, 0, 255]);
  });

  it('lists the values present', () => {
    expect(presentValues(new Uint8Array(SLICE))).toEqual([0, 1, 2]);
  });
});
