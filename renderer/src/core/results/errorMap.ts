/**
 * The error map of a prediction against the ground truth, voxel by voxel: correct, false positive (predicted
 * foreground where the truth is background), false negative (truth foreground predicted as background) and confused
 * (foreground in both, another class). With `classValue` the map is binary for that one class (a voxel of another
 * class counts as background), so confusions become a false positive of one class and a false negative of another.
 */

export const ERROR_CODE = { background: 0, correct: 1, falsePositive: 2, falseNegative: 3, confused: 4 } as const;
export type ErrorCode = (typeof ERROR_CODE)[keyof typeof ERROR_CODE];

export type RGB = [number, number, number];
/** Two clearly different colours for the two kinds of error (red-blue, readable by most colour-blind viewers). */
export const ERROR_COLORS: Record<'falsePositive' | 'falseNegative' | 'confused', RGB> = {
  falsePositive: [255, 60, 60],
  falseNegative: [60, 150, 255],
  confused: [255, 210, 0],
};

export interface ErrorCounts {
  correct: number;
  falsePositive: number;
  falseNegative: number;
  confused: number;
}

export function classifyErrors(
  truth: ArrayLike<number>,
  pred: ArrayLike<number>,
  classValue?: number,
  out: Uint8Array = new Uint8Array(truth.length),
): Uint8Array {
  if (truth.length !== pred.length) throw new RangeError(`truth has ${truth.length} voxels, prediction ${pred.length}`);
  if (out.length < truth.length) throw new RangeError(`output holds ${out.length} voxels, ${truth.length} needed`);
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    const p = pred[i];
    const tf = classValue === undefined ? t > 0 : t === classValue;
    const pf = classValue === undefined ? p > 0 : p === classValue;
    if (tf && pf) out[i] = t === p ? ERROR_CODE.correct : ERROR_CODE.confused;
    else if (pf) out[i] = ERROR_CODE.falsePositive;
    else if (tf) out[i] = ERROR_CODE.falseNegative;
    else out[i] = ERROR_CODE.background;
  }
  return out;
}

export function errorCounts(codes: ArrayLike<number>): ErrorCounts {
  const n = [0, 0, 0, 0, 0];
  for (let i = 0; i < codes.length; i++) n[codes[i]]++;
  return { correct: n[ERROR_CODE.correct], falsePositive: n[ERROR_CODE.falsePositive], falseNegative: n[ERROR_CODE.falseNegative], confused: n[ERROR_CODE.confused] };
}

/** RGBA of an error map: errors in their colours at `opacity`, correct and background voxels transparent. */
export function errorMapToRgba(codes: ArrayLike<number>, opacity: number, out: Uint8Array = new Uint8Array(codes.length * 4)): Uint8Array {
  const alpha = Math.round(Math.min(1, Math.max(0, opacity)) * 255);
  const colors: (RGB | null)[] = [null, null, ERROR_COLORS.falsePositive, ERROR_COLORS.falseNegative, ERROR_COLORS.confused];
  for (let i = 0; i < codes.length; i++) {
    const c = colors[codes[i]] ?? null;
    const o = i * 4;
    if (!c) {
      out[o] = out[o + 1] = out[o + 2] = out[o + 3] = 0;
    } else {
      out[o] = c[0];
      out[o + 1] = c[1];
      out[o + 2] = c[2];
      out[o + 3] = alpha;
    }
  }
  return out;
}
