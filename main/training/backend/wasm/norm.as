// AssemblyScript source of the cpu normalisation kernels (built with conv.as into kernels.wasm by build.ts).
// Instance / group / layer norm over channels-last activations [batch, space, channels], optionally fused with the
// leaky ReLU that follows it in a U-Net block. Every kernel splits its work in chunks of rows (within one sample)
// claimed from a shared atomic counter, so any number of threads can run one call together.
// Pointers are byte offsets into the shared memory.

@inline function claimChunk(counter: usize): i32 {
  return atomic.add<i32>(counter, 1);
}

/** The leaky ReLU's input gradient from its output y: dy where y > 0, alpha * dy elsewhere (alpha >= 0). */
@inline function reluMasked(dy: v128, y: v128, alpha: v128): v128 {
  return v128.bitselect(dy, f32x4.mul(dy, alpha), f32x4.gt(y, f32x4.splat(0)));
}

/**
 * This thread's partial per-(sample, channel) sums over the chunks it claims, added into its own f64 arrays:
 * s1 = out[0 .. batch*c), s2 = out[batch*c .. 2*batch*c). mode 0: s1 += x, s2 += x*x (the statistics); mode 1:
 * s1 += dy, s2 += dy*x; mode 2: as mode 1 with dy first masked by the leaky ReLU's slope at its output y.
 * Channels-outer inside a chunk, so the accumulators stay in registers; chunks are small enough to stay in cache.
 */
export function normSums(x: usize, dy: usize, y: usize, alphaBits: i32, mode: i32, batch: i32, space: i32, c: i32, chunk: i32, counter: usize, out: usize): void {
  const perSample = (space + chunk - 1) / chunk;
  const items = batch * perSample;
  const alpha = f32x4.splat(reinterpret<f32>(alphaBits));
  const alphaScalar = reinterpret<f32>(alphaBits);
  const rowBytes = <usize>c << 2;
  const vectorC = c & ~3;
  for (;;) {
    const item = claimChunk(counter);
    if (item >= items) break;
    const n = item / perSample;
    const r0 = (item - n * perSample) * chunk;
    const rows = min(chunk, space - r0);
    const first = (<usize>(n * space + r0) * <usize>c) << 2;
    const s1 = out + (<usize>(n * c) << 3);
    const s2 = out + (<usize>((batch + n) * c) << 3);
    for (let ch = 0; ch < vectorC; ch += 4) {
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0), b0 = f64x2.splat(0), b1 = f64x2.splat(0);
      let p = first + (<usize>ch << 2);
      for (let r = 0; r < rows; r++) {
        const xv = v128.load(x + p);
        let u = xv;
        if (mode == 1) u = v128.load(dy + p);
        else if (mode == 2) u = reluMasked(v128.load(dy + p), v128.load(y + p), alpha);
        const uLow = f64x2.promote_low_f32x4(u);
        const uHigh = f64x2.promote_low_f32x4(v128.shuffle<f32>(u, u, 2, 3, 0, 1));
        const xLow = f64x2.promote_low_f32x4(xv);
        const xHigh = f64x2.promote_low_f32x4(v128.shuffle<f32>(xv, xv, 2, 3, 0, 1));
        a0 = f64x2.add(a0, uLow);
        a1 = f64x2.add(a1, uHigh);
        b0 = f64x2.add(b0, f64x2.mul(uLow, xLow));
        b1 = f64x2.add(b1, f64x2.mul(uHigh, xHigh));
        p += rowBytes;
      }
      const o1 = s1 + (<usize>ch << 3);
      const o2 = s2 + (<usize>ch << 3);
      v128.store(o1, f64x2.add(v128.load(o1), a0));
      v128.store(o1, f64x2.add(v128.load(o1, 16), a1), 16);
      v128.store(o2, f64x2.add(v128.load(o2), b0));
      v128.store(o2, f64x2.add(v128.load(o2, 16), b1), 16);
    }
    for (let ch = vectorC; ch < c; ch++) {
      let a: f64 = 0, b: f64 = 0;
      let p = first + (<usize>ch << 2);
      for (let r = 0; r < rows; r++) {
        const xs = <f64>load<f32>(x + p);
        let u = xs;
        if (mode != 0) {
          const d = load<f32>(dy + p);
          u = mode == 2 && load<f32>(y + p) <= 0 ? <f64>(d * alphaScalar) : <f64>d;
        }
        a += u;
        b += u * xs;
        p += rowBytes;
      }
      store<f64>(s1 + (<usize>ch << 3), load<f64>(s1 + (<usize>ch << 3)) + a);
      store<f64>(s2 + (<usize>ch << 3), load<f64>(s2 + (<usize>ch << 3)) + b);
    }
  }
}

/**
 * out = x * scale[n, ch] + shift[n, ch] (coefficients: f32 arrays of batch*c at coef and coef + 4*batch*c), then the
 * leaky ReLU when act is 1. Rows-outer: each row is contiguous.
 */
export function normApply(x: usize, out: usize, coef: usize, alphaBits: i32, act: i32, batch: i32, space: i32, c: i32, chunk: i32, counter: usize): void {
  const perSample = (space + chunk - 1) / chunk;
  const items = batch * perSample;
  const alpha = f32x4.splat(reinterpret<f32>(alphaBits));
  const alphaScalar = reinterpret<f32>(alphaBits);
  const vectorC = c & ~3;
  const zero = f32x4.splat(0);
  for (;;) {
    const item = claimChunk(counter);
    if (item >= items) break;
    const n = item / perSample;
    const r0 = (item - n * perSample) * chunk;
    const rows = min(chunk, space - r0);
    const scale = coef + (<usize>(n * c) << 2);
    const shift = coef + (<usize>((batch + n) * c) << 2);
    let p = (<usize>(n * space + r0) * <usize>c) << 2;
    for (let r = 0; r < rows; r++) {
      let ch = 0;
      for (; ch < vectorC; ch += 4) {
        const q = p + (<usize>ch << 2);
        const k = <usize>ch << 2;
        let v = f32x4.add(f32x4.mul(v128.load(x + q), v128.load(scale + k)), v128.load(shift + k));
        if (act) v = v128.bitselect(v, f32x4.mul(v, alpha), f32x4.gt(v, zero));
        v128.store(out + q, v);
      }
      for (; ch < c; ch++) {
        const q = p + (<usize>ch << 2);
        const k = <usize>ch << 2;
        let v = load<f32>(x + q) * load<f32>(scale + k) + load<f32>(shift + k);
        if (act && v <= 0) v *= alphaScalar;
        store<f32>(out + q, v);
      }
      p += <usize>c << 2;
    }
  }
}

/**
 * The input gradient of a normalisation as three coefficient arrays per (sample, channel): dx = u*A + x*B + C, where
 * u = dy, or dy masked by the leaky ReLU's slope at its output y when act is 1. Coefficients: f32 arrays of batch*c at
 * coef, coef + 4*batch*c and coef + 8*batch*c.
 */
export function normBackward(x: usize, dy: usize, y: usize, dx: usize, coef: usize, alphaBits: i32, act: i32, batch: i32, space: i32, c: i32, chunk: i32, counter: usize): void {
  const perSample = (space + chunk - 1) / chunk;
  const items = batch * perSample;
  const alpha = f32x4.splat(reinterpret<f32>(alphaBits));
  const alphaScalar = reinterpret<f32>(alphaBits);
  const vectorC = c & ~3;
  for (;;) {
    const item = claimChunk(counter);
    if (item >= items) break;
    const n = item / perSample;
    const r0 = (item - n * perSample) * chunk;
    const rows = min(chunk, space - r0);
    const ca = coef + (<usize>(n * c) << 2);
    const cb = coef + (<usize>((batch + n) * c) << 2);
    const cc = coef + (<usize>((2 * batch + n) * c) << 2);
    let p = (<usize>(n * space + r0) * <usize>c) << 2;
    for (let r = 0; r < rows; r++) {
      let ch = 0;
      for (; ch < vectorC; ch += 4) {
        const q = p + (<usize>ch << 2);
        const k = <usize>ch << 2;
        let u = v128.load(dy + q);
        if (act) u = reluMasked(u, v128.load(y + q), alpha);
        const v = f32x4.add(f32x4.add(f32x4.mul(u, v128.load(ca + k)), f32x4.mul(v128.load(x + q), v128.load(cb + k))), v128.load(cc + k));
        v128.store(dx + q, v);
      }
      for (; ch < c; ch++) {
        const q = p + (<usize>ch << 2);
        const k = <usize>ch << 2;
        let u = load<f32>(dy + q);
        if (act && load<f32>(y + q) <= 0) u *= alphaScalar;
        store<f32>(dx + q, u * load<f32>(ca + k) + load<f32>(x + q) * load<f32>(cb + k) + load<f32>(cc + k));
      }
      p += <usize>c << 2;
    }
  }
}
