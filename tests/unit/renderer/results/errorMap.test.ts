import { describe, expect, it } from 'vitest';
import { ERROR_CODE, ERROR_COLORS, classifyErrors, errorCounts, errorMapToRgba } from '../../../../renderer/src/core/results/errorMap.ts';

const { background: B, correct: C, falsePositive: FP, falseNegative: FN, confused: X } = ERROR_CODE;

describe('classifyErrors', () => {
  it.each([
    // truth, pred, class, expected codes
    [[0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 1, 2], undefined, [B, FP, FN, C, X, C]],
    [[0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 1, 2], 1, [B, FP, FN, C, FP, B]],
    [[0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 1, 2], 2, [B, B, B, B, FN, C]],
  ])('truth %j vs pred %j (class %s)', (truth, pred, classValue, expected) => {
    expect([...classifyErrors(truth, pred, classValue)]).toEqual(expected);
  });

  it('refuses arrays of different lengths', () => {
    expect(() => classifyErrors([0, 1], [0])).toThrow(/truth has 2 voxels, prediction 1/);
  });

  it('counts each kind', () => {
    expect(errorCounts([B, C, C, FP, FN, FN, FN, X])).toEqual({ correct: 2, falsePositive: 1, falseNegative: 3, confused: 1 });
  });
});

describe('errorMapToRgba', () => {
  it('draws false positives and false negatives in two colours, the rest transparent', () => {
    const rgba = errorMapToRgba([B, C, FP, FN, X], 0.5);
    expect([...rgba]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, ...ERROR_COLORS.falsePositive, 128, ...ERROR_COLORS.falseNegative, 128, ...ERROR_COLORS.confused, 128]);
    expect(ERROR_COLORS.falsePositive).not.toEqual(ERROR_COLORS.falseNegative);
  });
});
