// The U-Net's max pooling (2x2 or 2x2x2 windows, stride 2, no padding) and its gradient on the WebAssembly SIMD
// kernels of wasm/kernels.wasm (pool.as), output lines shared by the kernel pool's threads. Same results as
// fast-pool-kernels.ts' halving loops: NaN never wins, ties go to the first (2D) or last (3D) maximum.
import type { PoolGeometry } from './fast-pool-kernels.ts';
import { WasmPool, wasmPool } from './wasm-pool.ts';

/** Output voxels per work claim: enough work to make a claim's atomic add negligible. */
const VOXELS_PER_CLAIM = 512;

export class WasmMaxPool {
  constructor(readonly pool: WasmPool) {}

  /** Whether `g` is a halving pooling these kernels compute (sizes follow from the input) and fits the memory. */
  static handles(g: PoolGeometry): boolean {
    const depth = g.kD === 1 ? g.strideD === 1 && g.outD === g.inD : g.kD === 2 && g.strideD === 2 && g.outD === g.inD >> 1;
    const plane = g.kH === 2 && g.kW === 2 && g.strideH === 2 && g.strideW === 2 && g.outH === g.inH >> 1 && g.outW === g.inW >> 1;
    const padding = g.padFront === 0 && g.padTop === 0 && g.padLeft === 0;
    const bytes = 4 * 3 * g.batch * g.inD * g.inH * g.inW * g.channels + 65536;
    return depth && plane && padding && g.outD * g.outH * g.outW > 0 && bytes <= WasmPool.MAX_BYTES;
  }

  private linesOf(g: PoolGeometry): { lines: number; perClaim: number } {
    return { lines: g.batch * g.outD * g.outH, perClaim: Math.max(1, Math.floor(VOXELS_PER_CLAIM / g.outW)) };
  }

  forward(g: PoolGeometry, x: Float32Array): Float32Array {
    const pool = this.pool;
    const { lines, perClaim } = this.linesOf(g);
    const outSize = lines * g.outW * g.channels;
    const threads = pool.threads;
    pool.begin();
    const xAt = pool.alloc(x.length);
    const yAt = pool.alloc(outSize);
    const counter = pool.alloc(16);
    pool.commit();
    pool.put(xAt, x);
    pool.clear(counter, 1);
    pool.run('maxPoolHalving', threads, () => [xAt, yAt, g.inD, g.inH, g.inW, g.channels, g.kD, lines, perClaim, counter]);
    return pool.take(yAt, outSize);
  }

  /** dx: dy routed to each window's winning voxel of x (the last one on ties with lastOnTies, else the first). */
  gradient(g: PoolGeometry, x: Float32Array, dy: Float32Array, lastOnTies: boolean): Float32Array {
    const pool = this.pool;
    const { lines, perClaim } = this.linesOf(g);
    const threads = pool.threads;
    pool.begin();
    const xAt = pool.alloc(x.length);
    const dyAt = pool.alloc(dy.length);
    const dxAt = pool.alloc(x.length);
    const counter = pool.alloc(16);
    pool.commit();
    pool.put(xAt, x);
    pool.put(dyAt, dy);
    pool.clear(counter, 1);
    // Voxels outside every window (odd sizes) get no gradient: the kernels only write the windows.
    const covered = g.outH * 2 === g.inH && g.outW * 2 === g.inW && (g.kD === 1 || g.outD * 2 === g.inD);
    if (!covered) pool.k.zero(dxAt, x.length);
    pool.run('maxPoolHalvingGrad', threads, () => [xAt, dyAt, dxAt, g.inD, g.inH, g.inW, g.channels, g.kD, lastOnTies ? 1 : 0, lines, perClaim, counter]);
    return pool.take(dxAt, x.length);
  }
}

let shared: WasmMaxPool | null = null;

/** The process-wide engine on the process-wide kernel pool; null where the pool does not load. */
export function wasmMaxPool(): WasmMaxPool | null {
  const pool = wasmPool();
  if (pool !== null) shared ??= new WasmMaxPool(pool);
  return pool && shared;
}
