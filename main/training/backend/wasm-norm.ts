// Normalisation passes (instance / group / layer norm, optionally fused with the following leaky ReLU) on the
// WebAssembly SIMD kernels of wasm/kernels.wasm (norm.as), shared by the kernel pool's threads. Each call copies its
// tensors into the module's memory once and runs both of its passes there: per-channel sums, then the output, with
// the per-channel coefficients in between computed by the caller (they are tiny).
import { floatBits, WasmPool, wasmPool } from './wasm-pool.ts';

/** Channels-last activations seen as [batch, space, channels]. */
export interface NormShape {
  batch: number;
  space: number;
  channels: number;
}

/** Per (sample, channel) sums, index n * channels + c. */
export interface ChannelSums {
  s1: Float64Array;
  s2: Float64Array;
}

/** Per (sample, channel) coefficients of the forward pass: out = x * scale + shift (then the leaky ReLU). */
export interface ForwardCoefficients {
  scale: Float32Array;
  shift: Float32Array;
}

/** Per (sample, channel) coefficients of the input gradient: dx = u * A + x * B + C. */
export interface BackwardCoefficients {
  A: Float32Array;
  B: Float32Array;
  C: Float32Array;
}

/** Bytes of one chunk of rows: small enough that the channel-by-channel sums re-read it from L1/L2. */
const CHUNK_BYTES = 32768;

const SUMS_MODE = { statistics: 0, gradient: 1, maskedGradient: 2 } as const;

export class WasmNorm {
  constructor(readonly pool: WasmPool) {}

  /** Bytes of the module's memory a backward pass of this shape needs (the larger of the two). */
  static bytesFor(shape: NormShape): number {
    return 4 * 4 * shape.batch * shape.space * shape.channels + 64 * shape.batch * shape.channels * 8 + 65536;
  }

  private chunkRows(shape: NormShape): number {
    return Math.max(16, Math.floor(CHUNK_BYTES / (4 * shape.channels)));
  }

  /** Zeroed per-thread f64 accumulators for normSums, and a function that adds them up. */
  private partialSums(shape: NormShape, threads: number): { at: number[]; total: () => ChannelSums } {
    const n = shape.batch * shape.channels;
    const at = Array.from({ length: threads }, () => this.pool.alloc(4 * n)); // 2n doubles
    return {
      at,
      total: () => {
        const s1 = new Float64Array(n);
        const s2 = new Float64Array(n);
        for (const p of at) {
          const part = this.pool.takeF64(p, 2 * n);
          for (let i = 0; i < n; i++) {
            s1[i] += part[i];
            s2[i] += part[n + i];
          }
        }
        return { s1, s2 };
      },
    };
  }

  /**
   * The forward pass: sums of x and x^2 per (sample, channel), coefficients from `coefficients`, then
   * out = x * scale + shift, followed by a leaky ReLU of slope `alpha` unless alpha is null.
   */
  forward(shape: NormShape, x: Float32Array, alpha: number | null, coefficients: (sums: ChannelSums) => ForwardCoefficients): Float32Array {
    const pool = this.pool;
    const { batch, space, channels } = shape;
    const chunk = this.chunkRows(shape);
    const threads = pool.threads;
    pool.begin();
    const xAt = pool.alloc(x.length);
    const yAt = pool.alloc(x.length);
    const coefAt = pool.alloc(2 * batch * channels);
    const counters = pool.alloc(32); // two counters, each on its own cache line
    const sums = this.partialSums(shape, threads);
    pool.commit();
    pool.put(xAt, x);
    pool.clear(counters, 32);
    for (const p of sums.at) pool.clear(p, 4 * batch * channels);
    pool.run('normSums', threads, (t) => [xAt, 0, 0, 0, SUMS_MODE.statistics, batch, space, channels, chunk, counters, sums.at[t]]);
    const { scale, shift } = coefficients(sums.total());
    pool.put(coefAt, scale);
    pool.put(coefAt + 4 * batch * channels, shift);
    const act = alpha === null ? 0 : 1;
    pool.run('normApply', threads, () => [xAt, yAt, coefAt, floatBits(alpha ?? 0), act, batch, space, channels, chunk, counters + 64]);
    return pool.take(yAt, x.length);
  }

  /**
   * The input gradient: sums of u and u*x per (sample, channel), where u is dy, or dy masked by the leaky ReLU's slope
   * at its output y (when alpha is not null); coefficients from `coefficients`; then dx = u * A + x * B + C.
   */
  backward(shape: NormShape, x: Float32Array, dy: Float32Array, y: Float32Array | null, alpha: number | null, coefficients: (sums: ChannelSums) => BackwardCoefficients): Float32Array {
    const pool = this.pool;
    const { batch, space, channels } = shape;
    const masked = alpha !== null && y !== null;
    const chunk = this.chunkRows(shape);
    const threads = pool.threads;
    pool.begin();
    const xAt = pool.alloc(x.length);
    const dyAt = pool.alloc(x.length);
    const yAt = masked ? pool.alloc(x.length) : 0;
    const dxAt = pool.alloc(x.length);
    const coefAt = pool.alloc(3 * batch * channels);
    const counters = pool.alloc(32);
    const sums = this.partialSums(shape, threads);
    pool.commit();
    pool.put(xAt, x);
    pool.put(dyAt, dy);
    if (masked) pool.put(yAt, y);
    pool.clear(counters, 32);
    for (const p of sums.at) pool.clear(p, 4 * batch * channels);
    const bits = floatBits(alpha ?? 0);
    const mode = masked ? SUMS_MODE.maskedGradient : SUMS_MODE.gradient;
    pool.run('normSums', threads, (t) => [xAt, dyAt, yAt, bits, mode, batch, space, channels, chunk, counters, sums.at[t]]);
    const { A, B, C } = coefficients(sums.total());
    const n = batch * channels;
    pool.put(coefAt, A);
    pool.put(coefAt + 4 * n, B);
    pool.put(coefAt + 8 * n, C);
    pool.run('normBackward', threads, () => [xAt, dyAt, yAt, dxAt, coefAt, bits, masked ? 1 : 0, batch, space, channels, chunk, counters + 64]);
    return pool.take(dxAt, x.length);
  }
}

let shared: WasmNorm | null = null;

/** The process-wide engine on the process-wide kernel pool; null where the pool does not load. */
export function wasmNorm(): WasmNorm | null {
  const pool = wasmPool();
  if (pool !== null) shared ??= new WasmNorm(pool);
  return pool && shared;
}
