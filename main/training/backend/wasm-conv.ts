// Channels-last convolution (forward, input gradient, filter gradient) on the WebAssembly SIMD kernels of
// wasm/kernels.wasm (conv.as): the patch matrix (im2col) of a chunk of output voxels times the filter matrix, chunk by
// chunk so the patch matrix stays in cache, the chunks shared by the pool's threads. 2D convolutions are 3D ones of
// depth 1. Synchronous, as tfjs cpu kernels must be.
import { roundUp, WasmPool, wasmPool } from './wasm-pool.ts';

/** Everything a convolution's loops need; 2D convolutions have depth 1 and a depth kernel/stride/dilation of 1. */
export interface ConvGeometry {
  batch: number;
  inD: number;
  inH: number;
  inW: number;
  inC: number;
  outD: number;
  outH: number;
  outW: number;
  outC: number;
  kD: number;
  kH: number;
  kW: number;
  strideD: number;
  strideH: number;
  strideW: number;
  dilationD: number;
  dilationH: number;
  dilationW: number;
  padFront: number;
  padTop: number;
  padLeft: number;
}

/** Floats in one chunk's patch matrix: 512 KiB, about what an L2 cache holds next to the filter panels. */
const CHUNK_FLOATS = 131072;

export interface WasmConvOptions {
  /**
   * Implicit GEMM (straight from the input, no patch matrix) for kernels larger than 1 voxel; false always builds
   * the patch matrix (im2col). Default true: the patch matrix costs as much as the multiplication for few channels.
   */
  implicit?: boolean;
}

/**
 * Forward convolutions with fewer input channels than this go implicit. With more, each patch value is reused by
 * enough output channels that the patch matrix's blocked GEMM is as fast or faster (measured: 1.1-3.5x faster below
 * 32 channels, 0.9-1.0x at 64 and 128). Filter gradients always go implicit (1.0-1.9x faster).
 */
const IMPLICIT_FORWARD_MAX_CHANNELS = 64;

/** Output voxels per work claim of the implicit kernels: enough work to make a claim's atomic add negligible. */
const VOXELS_PER_CLAIM = 256;
/** Sizes every kernel needs: patch width kc, outC padded to whole 8-wide panels (np), output lines and voxels. */
function sizesOf(g: ConvGeometry): { kc: number; np: number; lines: number; rows: number } {
  const lines = g.batch * g.outD * g.outH;
  return { kc: g.kD * g.kH * g.kW * g.inC, np: roundUp(g.outC, 8), lines, rows: lines * g.outW };
}

/** Bytes of a thread's tap list (kernel volume x 12 bytes), rounded to whole cache lines. */
const tapListBytes = (g: ConvGeometry): number => roundUp(g.kD * g.kH * g.kW * 12, 64);

export class WasmConv {
  private readonly geometry = new Int32Array(19);
  private readonly implicit: boolean;

  constructor(
    readonly pool: WasmPool,
    options: WasmConvOptions = {},
  ) {
    this.implicit = options.implicit ?? true;
  }

  /** Threads that would share a convolution now. */
  get threads(): number {
    return this.pool.threads;
  }

  /** Largest operation, in bytes of buffers, this engine accepts (the rest falls back to tfjs' own kernels). */
  static readonly MAX_BYTES = WasmPool.MAX_BYTES;

  /** The 19 ints the module's setGeometry takes (pool.run sets them in every instance). */
  private geometryOf(g: ConvGeometry): Int32Array {
    this.geometry.set([g.inD, g.inH, g.inW, g.inC, g.outD, g.outH, g.outW, g.kD, g.kH, g.kW, g.strideD, g.strideH, g.strideW, g.dilationD, g.dilationH, g.dilationW, g.padFront, g.padTop, g.padLeft]);
    return this.geometry;
  }

  /**
   * Bytes of buffers conv/backprop would allocate for `g` with up to `threads` threads (to decide on falling back):
   * input, output, filter and packed filter, and per thread a patch chunk, a padded output line or chunk, and a
   * filter-gradient accumulator.
   */
  static bytesFor(g: ConvGeometry, threads = 16): number {
    const { kc, np } = sizesOf(g);
    const inputs = g.batch * g.inD * g.inH * g.inW * g.inC;
    const outputs = g.batch * g.outD * g.outH * g.outW * g.outC;
    const perThread = roundUp(kc, 8) * np + Math.max(2 * CHUNK_FLOATS, 32 * (roundUp(kc, 8) + np)) + (g.outW + 16) * np + tapListBytes(g) / 4;
    return 4 * (inputs + outputs + 2 * roundUp(kc, 8) * np + threads * perThread) + 65536;
  }

  private chunkRows(width: number, total: number): number {
    return Math.min(total, Math.max(16, roundUp(Math.floor(CHUNK_FLOATS / Math.max(width, 1)), 4)));
  }

  /** y[b, od, oh, ow, co] = sum over kernel offsets and ci of x[b, in(o, k), ci] * w[k, ci, co]. */
  conv(g: ConvGeometry, x: Float32Array, w: Float32Array): Float32Array {
    if (this.implicit && g.kD * g.kH * g.kW > 1 && g.inC < IMPLICIT_FORWARD_MAX_CHANNELS) return this.convImplicit(g, x, w);
    const { kc, np, rows } = sizesOf(g);
    const direct = kc === g.inC && g.strideD * g.strideH * g.strideW === 1 && g.padFront + g.padTop + g.padLeft === 0 && g.outH === g.inH && g.outW === g.inW && g.outD === g.inD;
    const chunk = this.chunkRows(Math.max(kc, np), rows);
    const pool = this.pool;
    const threads = pool.threads;
    pool.begin();
    const xAt = pool.alloc(x.length);
    const yAt = pool.alloc(rows * g.outC);
    const wAt = pool.alloc(w.length);
    const bAt = pool.alloc(kc * np);
    const counter = pool.alloc(16);
    const scratch = Array.from({ length: threads }, () => ({ a: direct ? 0 : pool.alloc(chunk * kc), c: np === g.outC ? 0 : pool.alloc(chunk * np) }));
    pool.commit();
    pool.put(xAt, x);
    pool.put(wAt, w);
    pool.clear(counter, 1);
    const geometry = this.geometryOf(g);
    pool.k.packPanels(wAt, g.outC, bAt, kc, g.outC, 0);
    pool.run('convRows', threads, (t) => [xAt, yAt, bAt, scratch[t].a, scratch[t].c, kc, np, g.outC, rows, chunk, direct ? 1 : 0, counter], geometry);
    return pool.take(yAt, rows * g.outC);
  }

  /** Adds the threads' filter-gradient partials ([rows x np] each) and returns the first kc rows, outC wide. */
  private sumPartials(partials: number[], rows: number, np: number, kc: number, outC: number, dwAt: number): Float32Array {
    const k = this.pool.k;
    for (const p of partials.slice(1)) k.accumulate(partials[0], p, rows * np);
    k.copyRows(partials[0], np, dwAt, outC, kc, outC, 0);
    return this.pool.take(dwAt, kc * outC);
  }

  private linesPerClaim(g: ConvGeometry): number {
    return Math.max(1, Math.floor(VOXELS_PER_CLAIM / g.outW));
  }

  /** conv() as implicit GEMM: output lines shared by the pool's threads, each tile summed in registers. */
  private convImplicit(g: ConvGeometry, x: Float32Array, w: Float32Array): Float32Array {
    const { kc, np, lines } = sizesOf(g);
    const pool = this.pool;
    const threads = pool.threads;
    pool.begin();
    const xAt = pool.alloc(x.length);
    const yAt = pool.alloc(lines * g.outW * g.outC);
    const wAt = pool.alloc(w.length);
    const bAt = pool.alloc(kc * np);
    const counter = pool.alloc(16);
    const scratch = Array.from({ length: threads }, () => pool.alloc(tapListBytes(g) / 4 + (np === g.outC ? 0 : g.outW * np)));
    pool.commit();
    pool.put(xAt, x);
    pool.put(wAt, w);
    pool.clear(counter, 1);
    const geometry = this.geometryOf(g);
    pool.k.packPanels(wAt, g.outC, bAt, kc, g.outC, 0);
    pool.run('convImplicit', threads, (t) => [xAt, yAt, bAt, scratch[t], kc, np, g.outC, lines, this.linesPerClaim(g), counter], geometry);
    return pool.take(yAt, lines * g.outW * g.outC);
  }

  /** dx = the adjoint of conv applied to dy (the input gradient; also the transposed convolution). */
  backpropInput(g: ConvGeometry, dy: Float32Array, w: Float32Array): Float32Array {
    if (g.strideD * g.strideH * g.strideW === 1 && g.dilationD * g.dilationH * g.dilationW === 1) return this.backpropInputAsConv(g, dy, w);
    const { kc, rows } = sizesOf(g);
    const kp = roundUp(kc, 8);
    const inSize = g.batch * g.inD * g.inH * g.inW * g.inC;
    const chunk = this.chunkRows(kp, rows);
    const pool = this.pool;
    const k = pool.k;
    pool.begin();
    const dyAt = pool.alloc(dy.length);
    const dxAt = pool.alloc(inSize);
    const wAt = pool.alloc(w.length);
    const bAt = pool.alloc(g.outC * kp);
    const cAt = pool.alloc(chunk * kp);
    pool.commit();
    pool.put(dyAt, dy);
    pool.put(wAt, w);
    k.setGeometry(...this.geometryOf(g)); // not pooled: set here
    // B = W^T ([outC x kc]): W is [kc x outC] row-major, i.e. B given transposed with ldb = outC.
    k.packPanels(wAt, g.outC, bAt, g.outC, kc, 1);
    k.zero(dxAt, inSize);
    // One thread: col2im scatter-adds into overlapping input voxels (only strided kernels come here, which are small).
    for (let row0 = 0; row0 < rows; row0 += chunk) {
      const m = Math.min(chunk, rows - row0);
      k.zero(cAt, m * kp);
      k.gemm(dyAt + row0 * g.outC * 4, g.outC, bAt, cAt, kp, m, kp, g.outC);
      k.col2im(dxAt, cAt, kp, row0, m);
    }
    return pool.take(dxAt, inSize);
  }

  /**
   * With stride and dilation 1 the adjoint is itself a convolution: of dy with the kernel flipped in space and its
   * channel axes swapped, padded by k - 1 - pad. That runs at the forward GEMM's speed (the patch width is
   * kernel volume x outC) and needs no scatter-add.
   */
  private backpropInputAsConv(g: ConvGeometry, dy: Float32Array, w: Float32Array): Float32Array {
    const kvol = g.kD * g.kH * g.kW;
    const flipped = new Float32Array(w.length);
    for (let k = 0; k < kvol; k++) {
      const src = (kvol - 1 - k) * g.inC * g.outC;
      const dst = k * g.outC * g.inC;
      for (let ci = 0; ci < g.inC; ci++) for (let co = 0; co < g.outC; co++) flipped[dst + co * g.inC + ci] = w[src + ci * g.outC + co];
    }
    const adjoint: ConvGeometry = {
      ...g,
      inD: g.outD,
      inH: g.outH,
      inW: g.outW,
      inC: g.outC,
      outD: g.inD,
      outH: g.inH,
      outW: g.inW,
      outC: g.inC,
      padFront: g.kD - 1 - g.padFront,
      padTop: g.kH - 1 - g.padTop,
      padLeft: g.kW - 1 - g.padLeft,
    };
    return this.conv(adjoint, dy, flipped);
  }

  /** dw[k, ci, co] = sum over output voxels of patch(x)[k, ci] * dy[co] (the filter gradient). */
  backpropFilter(g: ConvGeometry, x: Float32Array, dy: Float32Array): Float32Array {
    const { kc, np, rows, lines } = sizesOf(g);
    if (this.implicit) {
      // Implicit GEMM: per output line and tap, x rows^T * dy rows; scratch holds the tap list and a padded dy line.
      return this.filterGradient(g, x, dy, kc, tapListBytes(g) / 4 + (np === g.outC ? 0 : g.outW * np), (at) => [
        'filterImplicit',
        [at.x, at.dy, at.scratch, at.acc, np, g.outC, lines, this.linesPerClaim(g), at.counter],
      ]);
    }
    // Patch matrix: chunks of rows, patches^T * dy; scratch holds a chunk's patches and its dy rows padded to np.
    const ka = roundUp(kc, 4);
    const chunk = this.chunkRows(ka, rows);
    return this.filterGradient(g, x, dy, ka, chunk * ka + (np === g.outC ? 0 : chunk * np), (at) => [
      'filterRows',
      [at.x, at.dy, at.scratch, np === g.outC ? 0 : at.scratch + 4 * chunk * ka, at.acc, ka, np, g.outC, rows, chunk, at.counter],
    ]);
  }

  /**
   * Runs a filter-gradient kernel on the pool: each thread sums into its own [accRows x np] accumulator (zeroed here)
   * with `scratchFloats` of scratch; the partials are added at the end. `call` names the kernel and its arguments
   * from the buffers' addresses.
   */
  private filterGradient(
    g: ConvGeometry,
    x: Float32Array,
    dy: Float32Array,
    accRows: number,
    scratchFloats: number,
    call: (at: { x: number; dy: number; scratch: number; acc: number; counter: number }) => ['filterRows' | 'filterImplicit', number[]],
  ): Float32Array {
    const { kc, np } = sizesOf(g);
    const pool = this.pool;
    const threads = pool.threads;
    pool.begin();
    const xAt = pool.alloc(x.length);
    const dyAt = pool.alloc(dy.length);
    const counter = pool.alloc(16);
    const perThread = Array.from({ length: threads }, () => ({ scratch: pool.alloc(scratchFloats), acc: pool.alloc(accRows * np) }));
    const dwAt = pool.alloc(kc * g.outC);
    pool.commit();
    pool.put(xAt, x);
    pool.put(dyAt, dy);
    pool.clear(counter, 1);
    for (const t of perThread) pool.k.zero(t.acc, accRows * np);
    const calls = perThread.map((t) => call({ x: xAt, dy: dyAt, scratch: t.scratch, acc: t.acc, counter }));
    pool.run(calls[0][0], threads, (t) => calls[t][1], this.geometryOf(g));
    return this.sumPartials(perThread.map((t) => t.acc), accRows, np, kc, g.outC, dwAt);
  }
}

let shared: WasmConv | null = null;

/** The process-wide engine on the process-wide kernel pool; null where the pool does not load. */
export function wasmConv(): WasmConv | null {
  const pool = wasmPool();
  if (pool !== null) shared ??= new WasmConv(pool);
  return pool && shared;
}
