// AssemblyScript source of the cpu convolution kernels (built into conv.wasm by build.ts; `npm run build:wasm`).
// Channels-last 3D convolution as patch matrix (im2col) x filter matrix, with a register-blocked SIMD SGEMM.
// A 2D convolution is a 3D one of depth 1. All pointers are byte offsets into the shared memory; matrices are
// row-major f32. Plain wasm SIMD only (no relaxed-simd FMA: Node 20 needs a flag for it).

// Geometry of the current convolution (set once per kernel call by setGeometry, read by im2col/col2im).
let inD: i32 = 0, inH: i32 = 0, inW: i32 = 0, inC: i32 = 0;
let outD: i32 = 0, outH: i32 = 0, outW: i32 = 0;
let kD: i32 = 0, kH: i32 = 0, kW: i32 = 0;
let sD: i32 = 0, sH: i32 = 0, sW: i32 = 0;
let dD: i32 = 0, dH: i32 = 0, dW: i32 = 0;
let pD: i32 = 0, pH: i32 = 0, pW: i32 = 0;

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
    x00 = f32x4.add(x00, f32x4.mul(s, b0));
    x01 = f32x4.add(x01, f32x4.mul(s, b1));
    s = v128.load32_splat(pa + a1);
    x10 = f32x4.add(x10, f32x4.mul(s, b0));
    x11 = f32x4.add(x11, f32x4.mul(s, b1));
    s = v128.load32_splat(pa + a2);
    x20 = f32x4.add(x20, f32x4.mul(s, b0));
    x21 = f32x4.add(x21, f32x4.mul(s, b1));
    s = v128.load32_splat(pa + a3);
    x30 = f32x4.add(x30, f32x4.mul(s, b0));
    x31 = f32x4.add(x31, f32x4.mul(s, b1));
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
    x0 = f32x4.add(x0, f32x4.mul(s, v128.load(pb)));
    x1 = f32x4.add(x1, f32x4.mul(s, v128.load(pb, 16)));
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
 * C[k x n] += A[m x k]^T * B[m x n] (the filter gradient: patches^T * dy). k is a multiple of 4, n of 8; lda, ldb,
 * ldc in floats.
 */
export function gemmAtB(a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, m: i32, k: i32, n: i32): void {
  const ldaB = <usize>lda << 2, ldbB = <usize>ldb << 2, ldcB = <usize>ldc << 2;
  for (let i = 0; i < k; i += 4) {
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
        x00 = f32x4.add(x00, f32x4.mul(s, b0));
        x01 = f32x4.add(x01, f32x4.mul(s, b1));
        s = f32x4.splat(f32x4.extract_lane(av, 1));
        x10 = f32x4.add(x10, f32x4.mul(s, b0));
        x11 = f32x4.add(x11, f32x4.mul(s, b1));
        s = f32x4.splat(f32x4.extract_lane(av, 2));
        x20 = f32x4.add(x20, f32x4.mul(s, b0));
        x21 = f32x4.add(x21, f32x4.mul(s, b1));
        s = f32x4.splat(f32x4.extract_lane(av, 3));
        x30 = f32x4.add(x30, f32x4.mul(s, b0));
        x31 = f32x4.add(x31, f32x4.mul(s, b1));
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

/**
 * Forward convolution of output rows [row0, row0 + rows) in chunks of `chunk` rows: patches into `a` (or, with
 * direct, x's rows themselves: 1x1 kernels), times the packed filter `bp` into y (through the scratch `c` when the
 * padded width np differs from outC). One thread's share of conv(); geometry from setGeometry.
 */
export function convRows(x: usize, y: usize, bp: usize, a: usize, c: usize, kc: i32, np: i32, outC: i32, row0: i32, rows: i32, chunk: i32, direct: i32): void {
  const end = row0 + rows;
  for (let r = row0; r < end; r += chunk) {
    const m = min(chunk, end - r);
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
 * Filter gradient over output rows [row0, row0 + rows): acc[ka x np] += patches^T * dy, in chunks (dy rows padded to
 * np columns through `b` when outC is not a multiple of 8). One thread's share of backpropFilter().
 */
export function filterRows(x: usize, dy: usize, a: usize, b: usize, acc: usize, ka: i32, np: i32, outC: i32, row0: i32, rows: i32, chunk: i32): void {
  const end = row0 + rows;
  for (let r = row0; r < end; r += chunk) {
    const m = min(chunk, end - r);
    im2col(x, a, ka, r, m);
    let pb = dy + ((<usize>r * <usize>outC) << 2);
    if (np != outC) {
      copyRows(pb, outC, b, np, m, outC, np);
      pb = b;
    }
    gemmAtB(a, ka, pb, np, acc, np, m, ka, np);
  }
}
