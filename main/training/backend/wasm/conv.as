// AssemblyScript source of the cpu convolution kernels (built into kernels.wasm by build.ts; `npm run build:wasm`).
// Channels-last 3D convolution as patch matrix (im2col) x filter matrix, with a register-blocked SIMD SGEMM.
// A 2D convolution is a 3D one of depth 1. All pointers are byte offsets into the shared memory; matrices are
// row-major f32. Built twice (build.ts): plain SIMD, and with relaxed SIMD, where madd is one fused multiply-add.

// Geometry of the current convolution (set once per kernel call by setGeometry, read by im2col/col2im).
let inD: i32 = 0, inH: i32 = 0, inW: i32 = 0, inC: i32 = 0;
let outD: i32 = 0, outH: i32 = 0, outW: i32 = 0;
let kD: i32 = 0, kH: i32 = 0, kW: i32 = 0;
let sD: i32 = 0, sH: i32 = 0, sW: i32 = 0;
let dD: i32 = 0, dH: i32 = 0, dW: i32 = 0;
let pD: i32 = 0, pH: i32 = 0, pW: i32 = 0;

/** acc + a * b: one relaxed fused multiply-add where the build has relaxed SIMD (fewer instructions per flop), else two ops. */
@inline function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** First free byte after the module's own static data. */
export function heapBase(): usize {
  return __heap_base;
}

export function setGeometry(
  inDepth: i32, inHeight: i32, inWidth: i32, inChannels: i32,
  outDepth: i32, outHeight: i32, outWidth: i32,
  kDepth: i32, kHeight: i32, kWidth: i32,
  strideD: i32, strideH: i32, strideW: i32,
  dilationD: i32, dilationH: i32, dilationW: i32,
  padFront: i32, padTop: i32, padLeft: i32,
): void {
  inD = inDepth; inH = inHeight; inW = inWidth; inC = inChannels;
  outD = outDepth; outH = outHeight; outW = outWidth;
  kD = kDepth; kH = kHeight; kW = kWidth;
  sD = strideD; sH = strideH; sW = strideW;
  dD = dilationD; dH = dilationH; dW = dilationW;
  pD = padFront; pH = padTop; pW = padLeft;
}

@inline function copyFloats(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

@inline function zeroFloats(dst: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}

@inline function addFloats(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = dst + (<usize>i << 2);
    v128.store(p, f32x4.add(v128.load(p), v128.load(src + (<usize>i << 2))));
  }
  for (; i < n; i++) {
    const p = dst + (<usize>i << 2);
    store<f32>(p, load<f32>(p) + load<f32>(src + (<usize>i << 2)));
  }
}

/**
 * Rows [row0, row0 + rows) of the patch matrix of x ([batch, inD, inH, inW, inC]): one row per output voxel (batch
 * major), kD*kH*kW*inC columns in filter order, zeros outside the padded input; `ld` floats per row, the columns past
 * the patch are zeroed. mode 0 copies x into dst; mode 1 adds the matrix in dst back into x (col2im, the adjoint).
 */
function patches(x: usize, dst: usize, ld: i32, row0: i32, rows: i32, mode: i32): void {
  const outHW = outH * outW;
  const outVol = outD * outHW;
  const inVol = inD * inH * inW;
  const c = inC;
  const kc = kD * kH * kW * c;
  const rowRun = sW == 1 ? kW * c : 0; // a full kernel row is contiguous in x when stride and dilation are 1
  for (let r = 0; r < rows; r++) {
    const row = row0 + r;
    const b = row / outVol;
    let rem = row - b * outVol;
    const od = rem / outHW;
    rem -= od * outHW;
    const oh = rem / outW;
    const ow = rem - oh * outW;
    const base = x + ((<usize>b * <usize>inVol * <usize>c) << 2);
    let p = dst + ((<usize>r * <usize>ld) << 2);
    const iw0 = ow * sW - pW;
    const fullRow = rowRun > 0 && dW == 1 && iw0 >= 0 && iw0 + kW <= inW;
    for (let kd = 0; kd < kD; kd++) {
      const id = od * sD - pD + kd * dD;
      const okD = id >= 0 && id < inD;
      for (let kh = 0; kh < kH; kh++) {
        const ih = oh * sH - pH + kh * dH;
        if (!okD || ih < 0 || ih >= inH) {
          if (mode == 0) zeroFloats(p, kW * c);
          p += <usize>(kW * c) << 2;
          continue;
        }
        const line = base + ((<usize>((id * inH + ih) * inW) * <usize>c) << 2);
        if (fullRow) {
          const src = line + ((<usize>iw0 * <usize>c) << 2);
          if (mode == 0) copyFloats(p, src, rowRun);
          else addFloats(src, p, rowRun);
          p += <usize>rowRun << 2;
          continue;
        }
        for (let kw = 0; kw < kW; kw++) {
          const iw = iw0 + kw * dW;
          if (iw >= 0 && iw < inW) {
            const src = line + ((<usize>iw * <usize>c) << 2);
            if (mode == 0) copyFloats(p, src, c);
            else addFloats(src, p, c);
          } else if (mode == 0) {
            zeroFloats(p, c);
          }
          p += <usize>c << 2;
        }
      }
    }
    if (mode == 0 && ld > kc) zeroFloats(p, ld - kc);
  }
}

export function im2col(x: usize, dst: usize, ld: i32, row0: i32, rows: i32): void {
  patches(x, dst, ld, row0, rows, 0);
}

export function col2im(dx: usize, src: usize, ld: i32, row0: i32, rows: i32): void {
  patches(dx, src, ld, row0, rows, 1);
}

/** Copies `rows` rows of `cols` floats between matrices of leading dimensions ldSrc and ldDst; pads dst with zeros up to ldDst. */
export function copyRows(src: usize, ldSrc: i32, dst: usize, ldDst: i32, rows: i32, cols: i32, padTo: i32): void {
  for (let r = 0; r < rows; r++) {
    const d = dst + ((<usize>r * <usize>ldDst) << 2);
    copyFloats(d, src + ((<usize>r * <usize>ldSrc) << 2), cols);
    if (padTo > cols) zeroFloats(d + (<usize>cols << 2), padTo - cols);
  }
}

export function zero(dst: usize, n: i32): void {
  zeroFloats(dst, n);
}

// C[4 x 8] += A[4 x k] * Bpanel[k x 8]; A rows lda floats apart, the panel is k rows of 8 contiguous floats.
@inline function kernel4x8(a: usize, lda: usize, b: usize, c: usize, ldc: usize, k: i32): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  let x00 = v128.load(c), x01 = v128.load(c, 16);
  let x10 = v128.load(c1), x11 = v128.load(c1, 16);
  let x20 = v128.load(c2), x21 = v128.load(c2, 16);
  let x30 = v128.load(c3), x31 = v128.load(c3, 16);
  let pa = a, pb = b;
  const a1 = lda, a2 = lda + lda, a3 = a2 + lda;
  for (let kk = 0; kk < k; kk++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let s = v128.load32_splat(pa);
    x00 = madd(s, b0, x00);
    x01 = madd(s, b1, x01);
    s = v128.load32_splat(pa + a1);
    x10 = madd(s, b0, x10);
    x11 = madd(s, b1, x11);
    s = v128.load32_splat(pa + a2);
    x20 = madd(s, b0, x20);
    x21 = madd(s, b1, x21);
    s = v128.load32_splat(pa + a3);
    x30 = madd(s, b0, x30);
    x31 = madd(s, b1, x31);
    pa += 4;
    pb += 32;
  }
  v128.store(c, x00); v128.store(c, x01, 16);
  v128.store(c1, x10); v128.store(c1, x11, 16);
  v128.store(c2, x20); v128.store(c2, x21, 16);
  v128.store(c3, x30); v128.store(c3, x31, 16);
}

@inline function kernel1x8(a: usize, b: usize, c: usize, k: i32): void {
  let x0 = v128.load(c), x1 = v128.load(c, 16);
  let pa = a, pb = b;
  for (let kk = 0; kk < k; kk++) {
    const s = v128.load32_splat(pa);
    x0 = madd(s, v128.load(pb), x0);
    x1 = madd(s, v128.load(pb, 16), x1);
    pa += 4;
    pb += 32;
  }
  v128.store(c, x0); v128.store(c, x1, 16);
}

const KBLOCK: i32 = 256;

/**
 * C[m x n] += A[m x k] * B[k x n]. B is packed in panels of 8 columns (panel j holds B[0..k, 8j..8j+8] row by row,
 * see packPanels); n is a multiple of 8. lda/ldc in floats.
 */
export function gemm(a: usize, lda: i32, bp: usize, c: usize, ldc: i32, m: i32, n: i32, k: i32): void {
  const ldaB = <usize>lda << 2, ldcB = <usize>ldc << 2;
  for (let k0 = 0; k0 < k; k0 += KBLOCK) {
    const kb = min(KBLOCK, k - k0);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const ai = a + <usize>i * ldaB + (<usize>k0 << 2);
      const ci = c + <usize>i * ldcB;
      for (let j = 0; j < n; j += 8) {
        kernel4x8(ai, ldaB, bp + ((<usize>j * <usize>k + (<usize>k0 << 3)) << 2), ci + (<usize>j << 2), ldcB, kb);
      }
    }
    for (; i < m; i++) {
      const ai = a + <usize>i * ldaB + (<usize>k0 << 2);
      const ci = c + <usize>i * ldcB;
      for (let j = 0; j < n; j += 8) {
        kernel1x8(ai, bp + ((<usize>j * <usize>k + (<usize>k0 << 3)) << 2), ci + (<usize>j << 2), kb);
      }
    }
  }
}

/**
 * Packs B[k x n] (row-major, ldb floats; columns n..roundUp(n, 8) read as zero) into panels of 8 columns for gemm.
 * With `transposed`, B is given as its transpose Bt[n x k] (ldb floats per row of Bt).
 */
export function packPanels(b: usize, ldb: i32, dst: usize, k: i32, n: i32, transposed: i32): void {
  const panels = (n + 7) >> 3;
  for (let jp = 0; jp < panels; jp++) {
    const base = dst + ((<usize>jp * <usize>k) << 5);
    for (let kk = 0; kk < k; kk++) {
      const out = base + (<usize>kk << 5);
      for (let jj = 0; jj < 8; jj++) {
        const j = (jp << 3) + jj;
        let v: f32 = 0;
        if (j < n) v = transposed ? load<f32>(b + ((<usize>j * <usize>ldb + <usize>kk) << 2)) : load<f32>(b + ((<usize>kk * <usize>ldb + <usize>j) << 2));
        store<f32>(out + (<usize>jj << 2), v);
      }
    }
  }
}

/**
 * C[k x n] += A[m x k]^T * B[m x n] (the filter gradient: patches^T * dy). n is a multiple of 8; lda, ldb, ldc in
 * floats. Rows of C in blocks of 4, then one at a time.
 */
export function gemmAtB(a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, m: i32, k: i32, n: i32): void {
  const ldaB = <usize>lda << 2, ldbB = <usize>ldb << 2, ldcB = <usize>ldc << 2;
  const k4 = k & ~3;
  for (let i = k4; i < k; i++) {
    for (let j = 0; j < n; j += 8) {
      const c0 = c + <usize>i * ldcB + (<usize>j << 2);
      let x0 = v128.load(c0), x1 = v128.load(c0, 16);
      let pa = a + (<usize>i << 2);
      let pb = b + (<usize>j << 2);
      for (let r = 0; r < m; r++) {
        const s = v128.load32_splat(pa);
        x0 = madd(s, v128.load(pb), x0);
        x1 = madd(s, v128.load(pb, 16), x1);
        pa += ldaB;
        pb += ldbB;
      }
      v128.store(c0, x0); v128.store(c0, x1, 16);
    }
  }
  for (let i = 0; i < k4; i += 4) {
    for (let j = 0; j < n; j += 8) {
      const c0 = c + <usize>i * ldcB + (<usize>j << 2);
      const c1 = c0 + ldcB, c2 = c1 + ldcB, c3 = c2 + ldcB;
      let x00 = v128.load(c0), x01 = v128.load(c0, 16);
      let x10 = v128.load(c1), x11 = v128.load(c1, 16);
      let x20 = v128.load(c2), x21 = v128.load(c2, 16);
      let x30 = v128.load(c3), x31 = v128.load(c3, 16);
      let pa = a + (<usize>i << 2);
      let pb = b + (<usize>j << 2);
      for (let r = 0; r < m; r++) {
        const av = v128.load(pa);
        const b0 = v128.load(pb), b1 = v128.load(pb, 16);
        let s = f32x4.splat(f32x4.extract_lane(av, 0));
        x00 = madd(s, b0, x00);
        x01 = madd(s, b1, x01);
        s = f32x4.splat(f32x4.extract_lane(av, 1));
        x10 = madd(s, b0, x10);
        x11 = madd(s, b1, x11);
        s = f32x4.splat(f32x4.extract_lane(av, 2));
        x20 = madd(s, b0, x20);
        x21 = madd(s, b1, x21);
        s = f32x4.splat(f32x4.extract_lane(av, 3));
        x30 = madd(s, b0, x30);
        x31 = madd(s, b1, x31);
        pa += ldaB;
        pb += ldbB;
      }
      v128.store(c0, x00); v128.store(c0, x01, 16);
      v128.store(c1, x10); v128.store(c1, x11, 16);
      v128.store(c2, x20); v128.store(c2, x21, 16);
      v128.store(c3, x30); v128.store(c3, x31, 16);
    }
  }
}

/** dst[0..n) += src[0..n) (summing the filter-gradient partials of several threads). */
export function accumulate(dst: usize, src: usize, n: i32): void {
  addFloats(dst, src, n);
}

/** The next chunk index for this thread: chunks are claimed from a shared counter, so fast threads take more. */
@inline function claim(counter: usize): i32 {
  return atomic.add<i32>(counter, 1);
}

/**
 * Forward convolution of output rows [0, rows), shared by every thread that runs it on the same counter: chunks of
 * `chunk` rows, each patches into `a` (or, with direct, x's rows themselves: 1x1 kernels), times the packed filter
 * `bp` into y (through the scratch `c` when the padded width np differs from outC). Geometry from setGeometry.
 */
export function convRows(x: usize, y: usize, bp: usize, a: usize, c: usize, kc: i32, np: i32, outC: i32, rows: i32, chunk: i32, direct: i32, counter: usize): void {
  for (;;) {
    const r = claim(counter) * chunk;
    if (r >= rows) break;
    const m = min(chunk, rows - r);
    let pa = a;
    if (direct) pa = x + ((<usize>r * <usize>kc) << 2);
    else im2col(x, a, kc, r, m);
    const target = np == outC ? y + ((<usize>r * <usize>outC) << 2) : c;
    zeroFloats(target, m * np);
    gemm(pa, kc, bp, target, np, m, np, kc);
    if (np != outC) copyRows(c, np, y + ((<usize>r * <usize>outC) << 2), outC, m, outC, 0);
  }
}

/**
 * Filter gradient over output rows [0, rows), shared like convRows: acc[ka x np] (this thread's own) += patches^T *
 * dy over the chunks this thread claims (dy rows padded to np columns through `b` when outC is not a multiple of 8).
 */
export function filterRows(x: usize, dy: usize, a: usize, b: usize, acc: usize, ka: i32, np: i32, outC: i32, rows: i32, chunk: i32, counter: usize): void {
  for (;;) {
    const r = claim(counter) * chunk;
    if (r >= rows) break;
    const m = min(chunk, rows - r);
    im2col(x, a, ka, r, m);
    let pb = dy + ((<usize>r * <usize>outC) << 2);
    if (np != outC) {
      copyRows(pb, outC, b, np, m, outC, np);
      pb = b;
    }
    gemmAtB(a, ka, pb, np, acc, np, m, ka, np);
  }
}

// ---- Implicit GEMM: the convolution straight from x, without a patch matrix ----------------------------------------
// For few channels the patch matrix costs as much as the multiplication (each patch value is used outC times only).
// Here the output is computed line by line (one (batch, od, oh) output row of outW voxels); for each line the taps
// (kd, kh, kw) that land inside the input are listed once, and a tile of 4 output voxels x 8 output channels keeps its
// sums in registers over every tap and input channel. Voxels near the line's ends, whose taps may fall outside the
// input, take a 1-voxel kernel that skips those taps.

const TAP_BYTES: usize = 12; // per tap: byte address of the input line (i32), kw (i32), byte offset of the tap's rows in a panel (i32)

/** Lists the taps of output line `line` whose input line exists; returns their count. */
function lineTaps(x: usize, taps: usize, line: i32, c: i32): i32 {
  const outDH = outD * outH;
  const b = line / outDH;
  let rem = line - b * outDH;
  const od = rem / outH;
  const oh = rem - od * outH;
  let count = 0;
  for (let kd = 0; kd < kD; kd++) {
    const id = od * sD - pD + kd * dD;
    if (id < 0 || id >= inD) continue;
    for (let kh = 0; kh < kH; kh++) {
      const ih = oh * sH - pH + kh * dH;
      if (ih < 0 || ih >= inH) continue;
      const lineAt = x + ((<usize>(((b * inD + id) * inH + ih) * inW) * <usize>c) << 2);
      for (let kw = 0; kw < kW; kw++) {
        const rec = taps + <usize>count * TAP_BYTES;
        store<u32>(rec, <u32>lineAt);
        store<i32>(rec, kw, 4);
        store<i32>(rec, ((kd * kH + kh) * kW + kw) * c * 32, 8);
        count++;
      }
    }
  }
  return count;
}

/** out[4 x 8] = sum over taps and channels, for output voxels ow..ow+3 (all taps inside the input). */
@inline function directTile4x8(taps: usize, count: i32, ow: i32, c: i32, panel: usize, out: usize, ldo: usize): void {
  let x00 = f32x4.splat(0), x01 = f32x4.splat(0), x10 = f32x4.splat(0), x11 = f32x4.splat(0);
  let x20 = f32x4.splat(0), x21 = f32x4.splat(0), x30 = f32x4.splat(0), x31 = f32x4.splat(0);
  const rowStep = <usize>(sW * c) << 2;
  const r2 = rowStep + rowStep, r3 = r2 + rowStep;
  for (let t = 0; t < count; t++) {
    const rec = taps + <usize>t * TAP_BYTES;
    let pa = <usize>load<u32>(rec) + (<usize>((ow * sW - pW + load<i32>(rec, 4) * dW) * c) << 2);
    let pb = panel + <usize>load<i32>(rec, 8);
    for (let kk = 0; kk < c; kk++) {
      const b0 = v128.load(pb), b1 = v128.load(pb, 16);
      let s = v128.load32_splat(pa);
      x00 = madd(s, b0, x00);
      x01 = madd(s, b1, x01);
      s = v128.load32_splat(pa + rowStep);
      x10 = madd(s, b0, x10);
      x11 = madd(s, b1, x11);
      s = v128.load32_splat(pa + r2);
      x20 = madd(s, b0, x20);
      x21 = madd(s, b1, x21);
      s = v128.load32_splat(pa + r3);
      x30 = madd(s, b0, x30);
      x31 = madd(s, b1, x31);
      pa += 4;
      pb += 32;
    }
  }
  const o1 = out + ldo, o2 = o1 + ldo, o3 = o2 + ldo;
  v128.store(out, x00); v128.store(out, x01, 16);
  v128.store(o1, x10); v128.store(o1, x11, 16);
  v128.store(o2, x20); v128.store(o2, x21, 16);
  v128.store(o3, x30); v128.store(o3, x31, 16);
}

/** out[1 x 8] for output voxel ow, skipping the taps whose input column falls outside the input. */
@inline function directRow8(taps: usize, count: i32, ow: i32, c: i32, panel: usize, out: usize): void {
  let x0 = f32x4.splat(0), x1 = f32x4.splat(0);
  for (let t = 0; t < count; t++) {
    const rec = taps + <usize>t * TAP_BYTES;
    const iw = ow * sW - pW + load<i32>(rec, 4) * dW;
    if (iw < 0 || iw >= inW) continue;
    let pa = <usize>load<u32>(rec) + (<usize>(iw * c) << 2);
    let pb = panel + <usize>load<i32>(rec, 8);
    for (let kk = 0; kk < c; kk++) {
      const s = v128.load32_splat(pa);
      x0 = madd(s, v128.load(pb), x0);
      x1 = madd(s, v128.load(pb, 16), x1);
      pa += 4;
      pb += 32;
    }
  }
  v128.store(out, x0); v128.store(out, x1, 16);
}

/**
 * Forward convolution as implicit GEMM over output lines [0, lines) (lines = batch * outD * outH), shared by every
 * thread on the same counter, `linesPerClaim` at a time. bp: the filter packed in panels of 8 output channels (kc =
 * kD*kH*kW*c rows each); scratch: this thread's room for the tap list and, when np != outC, one line of np floats
 * per voxel. Geometry from setGeometry.
 */
export function convImplicit(x: usize, y: usize, bp: usize, scratch: usize, kc: i32, np: i32, outC: i32, lines: i32, linesPerClaim: i32, counter: usize): void {
  const c = inC;
  const taps = scratch;
  const lineBuffer = scratch + ((<usize>(kD * kH * kW) * TAP_BYTES + 63) & ~(<usize>63));
  // Output columns whose taps are all inside the input: [owLo, owHi).
  const owLo = min(outW, (pW + sW - 1) / sW);
  const last = inW - 1 + pW - (kW - 1) * dW;
  const owHi = max(owLo, last < 0 ? 0 : min(outW, last / sW + 1));
  const ldo = <usize>np << 2;
  for (;;) {
    const first = claim(counter) * linesPerClaim;
    if (first >= lines) break;
    const end = min(lines, first + linesPerClaim);
    for (let line = first; line < end; line++) {
      const count = lineTaps(x, taps, line, c);
      const target = np == outC ? y + ((<usize>line * <usize>outW * <usize>outC) << 2) : lineBuffer;
      for (let j = 0; j < np; j += 8) {
        const panel = bp + ((<usize>j * <usize>kc) << 2);
        const out = target + (<usize>j << 2);
        let ow = 0;
        for (; ow < owLo; ow++) directRow8(taps, count, ow, c, panel, out + <usize>ow * ldo);
        for (; ow + 4 <= owHi; ow += 4) directTile4x8(taps, count, ow, c, panel, out + <usize>ow * ldo, ldo);
        for (; ow < outW; ow++) directRow8(taps, count, ow, c, panel, out + <usize>ow * ldo);
      }
      if (np != outC) copyRows(lineBuffer, np, y + ((<usize>line * <usize>outW * <usize>outC) << 2), outC, outW, outC, 0);
    }
  }
}

/**
 * Filter gradient as implicit GEMM over output lines [0, lines), shared like convImplicit: for each line and tap,
 * acc[tap rows, np] += x(tap-shifted input row)^T * dy(line) over the output columns whose input column exists.
 * dy rows are padded to np columns through `scratch` when outC != np.
 */
export function filterImplicit(x: usize, dy: usize, scratch: usize, acc: usize, np: i32, outC: i32, lines: i32, linesPerClaim: i32, counter: usize): void {
  const c = inC;
  const taps = scratch;
  const dyBuffer = scratch + ((<usize>(kD * kH * kW) * TAP_BYTES + 63) & ~(<usize>63));
  const lda = sW * c;
  for (;;) {
    const first = claim(counter) * linesPerClaim;
    if (first >= lines) break;
    const end = min(lines, first + linesPerClaim);
    for (let line = first; line < end; line++) {
      const count = lineTaps(x, taps, line, c);
      let pb = dy + ((<usize>line * <usize>outW * <usize>outC) << 2);
      if (np != outC) {
        copyRows(pb, outC, dyBuffer, np, outW, outC, np);
        pb = dyBuffer;
      }
      for (let t = 0; t < count; t++) {
        const rec = taps + <usize>t * TAP_BYTES;
        const shift = load<i32>(rec, 4) * dW - pW; // iw = ow * sW + shift
        // ow range with 0 <= iw < inW
        let lo = shift >= 0 ? 0 : (-shift + sW - 1) / sW;
        const top = inW - 1 - shift;
        const hi = top < 0 ? 0 : min(outW, top / sW + 1);
        if (lo >= hi) continue;
        const pa = <usize>load<u32>(rec) + (<usize>((lo * sW + shift) * c) << 2);
        const rows = acc + <usize>load<i32>(rec, 8) * (<usize>np >> 3); // the tap's c rows of np floats
        gemmAtB(pa, lda, pb + ((<usize>lo * <usize>np) << 2), np, rows, np, hi - lo, c, np);
      }
    }
  }
}
