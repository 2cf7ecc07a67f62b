// Unary float32 maths for the fast cpu kernels (registered in fast-elementwise-kernels.ts). tfjs runs every unary
// kernel through one shared loop that calls the op as a closure: a megamorphic call per element. Here each op has a
// loop of its own, and exp, the costliest (twice per step in the log-softmax of the loss), is computed from a table
// instead of Math.exp. Sqrt runs in Adam's update of every weight, every step.

/** 2^(j/64) for j < 64 and 2^m for m in [-EXP_MIN_POWER, 130): the two factors of e^x = 2^m 2^(j/64) e^r. */
const EXP_FRACTIONS = Float64Array.from({ length: 64 }, (_, j) => Math.pow(2, j / 64));
const EXP_MIN_POWER = 160;
const EXP_POWERS = Float64Array.from({ length: EXP_MIN_POWER + 130 }, (_, i) => Math.pow(2, i - EXP_MIN_POWER));

/**
 * e^x rounded to float32. x = (64 m + j) ln2/64 + r with |r| <= ln2/128, and e^r by its degree-4 Taylor polynomial
 * (error < 4e-14), all in float64: the float32 result is Math.exp's rounded to float32 but for (rare) values that fall
 * within 1e-13 of a rounding boundary, where it may be 1 ulp off. 2-3x faster than Math.exp in V8.
 */
export function expValues(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  const scale = 64 / Math.LN2;
  const step = Math.LN2 / 64;
  const shift = 6755399441055744;
  const powers = EXP_POWERS;
  const fractions = EXP_FRACTIONS;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    // Outside (-104, 89) float32 e^x is 0 or Infinity (the table would end); NaN fails both tests and stays NaN.
    if (v > -104 && v < 89) {
      // Round to the nearest integer by adding and removing 1.5 * 2^52 (Math.round is a slow call in V8).
      const k = v * scale + shift - shift;
      const n = k | 0;
      const r = v - k * step;
      const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24))));
      y[i] = powers[(n >> 6) + EXP_MIN_POWER] * fractions[n & 63] * p;
    } else y[i] = v >= 89 ? Infinity : v <= -104 ? 0 : NaN;
  }
  return y;
}

/** Math.log of every element. */
export function logValues(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = Math.log(x[i]);
  return y;
}

/** Math.sqrt of every element. */
export function sqrtValues(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = Math.sqrt(x[i]);
  return y;
}
