// Channels-last convolution (forward, input gradient, filter gradient) on the WebAssembly SIMD kernels of
// wasm/conv.wasm: the patch matrix (im2col) of a chunk of output voxels times the filter matrix, chunk by chunk so the
// patch matrix stays in cache. 2D convolutions are 3D ones of depth 1. Synchronous, as tfjs cpu kernels must be.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';

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

interface ConvExports {
  heapBase(): number;
  setGeometry(...args: number[]): void;
  im2col(x: number, dst: number, ld: number, row0: number, rows: number): void;
  col2im(dx: number, src: number, ld: number, row0: number, rows: number): void;
  copyRows(src: number, ldSrc: number, dst: number, ldDst: number, rows: number, cols: number, padTo: number): void;
  zero(dst: number, n: number): void;
  gemm(a: number, lda: number, bp: number, c: number, ldc: number, m: number, n: number, k: number): void;
  packPanels(b: number, ldb: number, dst: number, k: number, n: number, transposed: number): void;
  gemmAtB(a: number, lda: number, b: number, ldb: number, c: number, ldc: number, m: number, k: number, n: number): void;
  accumulate(dst: number, src: number, n: number): void;
  convRows(x: number, y: number, bp: number, a: number, c: number, kc: number, np: number, outC: number, row0: number, rows: number, chunk: number, direct: number): void;
  filterRows(x: number, dy: number, a: number, b: number, acc: number, ka: number, np: number, outC: number, row0: number, rows: number, chunk: number): void;
}

// The project's TypeScript libs (ES2023, no DOM) carry no WebAssembly types: the little used here, typed locally.
interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
interface WasmModule {
  readonly kind?: 'module';
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const WASM_URL = new URL('./wasm/conv.wasm', import.meta.url);
const WORKER_URL = new URL('./wasm-worker.mjs', import.meta.url);
// Mailbox layout shared with wasm-worker.mjs (int32 indices).
const BOX_BYTES = 256;
const BOX = { state: 0, error: 1, op: 2, geometry: 3, args: 22, ready: 40 } as const;
const STATE = { idle: 0, task: 1, done: 2, quit: 3 } as const;
const OP = { convRows: 1, filterRows: 2 } as const;
/** A worker that takes longer than this over one share of a convolution is taken for dead. */
const WORKER_TIMEOUT_MS = 120_000;

/** Threads for the convolutions: SEGSTATION_CPU_THREADS, else the cores this process may use (at most 4). */
export function defaultConvThreads(): number {
  const fromEnv = Number(process.env.SEGSTATION_CPU_THREADS);
  if (Number.isInteger(fromEnv) && fromEnv >= 1) return Math.min(fromEnv, 16);
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

interface PoolWorker {
  worker: Worker;
  box: Int32Array;
}
const PAGE = 65536;
/** Must match the module's declared maximum (wasm/build.ts MAX_PAGES). */
const MAX_PAGES = 32768;
/** Floats in one chunk's patch matrix: 512 KiB, about what an L2 cache holds next to the filter panels. */
const CHUNK_FLOATS = 131072;

const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** A bump allocator over the module's memory, reset per operation. */
class Arena {
  private top: number;
  constructor(private readonly base: number) {
    this.top = base;
  }
  floats(n: number): number {
    const at = this.top;
    this.top = roundUp(this.top + n * 4, 64); // 64-byte aligned: whole cache lines, aligned v128 loads
    return at;
  }
  get end(): number {
    return this.top;
  }
  reset(): void {
    this.top = this.base;
  }
}

export class WasmConv {
  readonly memory: WasmMemory;
  private readonly k: ConvExports;
  private readonly arena: Arena;
  private f32: Float32Array;

  private readonly workers: PoolWorker[] = [];
  private readonly geometry = new Int32Array(19);

  constructor(module: WasmModule, threads = 1) {
    this.memory = new WA.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
    const instance = new WA.Instance(module, { env: { memory: this.memory, abort: () => { throw new Error('conv.wasm aborted'); } } });
    this.k = instance.exports as unknown as ConvExports;
    const boxes = roundUp(this.k.heapBase(), 64);
    this.arena = new Arena(boxes + BOX_BYTES * Math.max(0, threads - 1));
    this.f32 = new Float32Array(this.memory.buffer);
    for (let t = 1; t < threads; t++) {
      const boxAt = boxes + BOX_BYTES * (t - 1);
      // execArgv []: the worker is plain JavaScript and needs no TypeScript loader.
      const worker = new Worker(WORKER_URL, { workerData: { module, memory: this.memory, box: boxAt }, execArgv: [] });
      worker.unref(); // an idle pool never keeps the process alive
      // A worker that fails to start never sets its ready flag, so it never gets work: log it, do not crash.
      worker.on('error', (error) => process.emitWarning(`segstation: a convolution worker thread failed (${error.message}); convolutions use fewer threads`));
      this.workers.push({ worker, box: new Int32Array(this.memory.buffer, boxAt, BOX_BYTES / 4) });
    }
  }

  /** Threads that would share a convolution now: this one plus the workers that have started. */
  get threads(): number {
    return 1 + this.readyWorkers().length;
  }

  private readyWorkers(): PoolWorker[] {
    return this.workers.filter((w) => Atomics.load(w.box, BOX.ready) === 1 && Atomics.load(w.box, BOX.state) === STATE.idle);
  }

  /** Stops the workers (tests, and processes that want to exit while a pool is idle). */
  async shutdown(): Promise<void> {
    const exits = this.workers.map((w) => {
      Atomics.store(w.box, BOX.state, STATE.quit);
      Atomics.notify(w.box, BOX.state);
      return new Promise<void>((resolve) => {
        w.worker.once('exit', () => resolve());
        void w.worker.terminate();
      });
    });
    this.workers.length = 0;
    await Promise.all(exits);
  }

  /**
   * Splits rows [0, rows) between this thread and the ready workers (multiples of 4 rows each), runs `op` on every
   * share with args from argsFor(thread, row0, count), and waits for all. The geometry must be set already.
   */
  private parallel(ready: PoolWorker[], op: number, rows: number, argsFor: (thread: number, row0: number, count: number) => number[]): void {
    const share = roundUp(Math.ceil(rows / (ready.length + 1)), 4);
    const sent: PoolWorker[] = [];
    ready.forEach((w, i) => {
      const row0 = (i + 1) * share;
      if (row0 >= rows) return;
      w.box.set(this.geometry, BOX.geometry);
      w.box.set(argsFor(i + 1, row0, Math.min(share, rows - row0)), BOX.args);
      w.box[BOX.op] = op;
      w.box[BOX.error] = 0;
      Atomics.store(w.box, BOX.state, STATE.task);
      Atomics.notify(w.box, BOX.state);
      sent.push(w);
    });
    const own = argsFor(0, 0, Math.min(share, rows));
    if (op === OP.convRows) this.k.convRows(...(own as Parameters<ConvExports['convRows']>));
    else this.k.filterRows(...(own as Parameters<ConvExports['filterRows']>));
    let failed = false;
    for (const w of sent) {
      const started = Date.now();
      while (Atomics.load(w.box, BOX.state) === STATE.task) {
        Atomics.wait(w.box, BOX.state, STATE.task, 1000);
        if (Date.now() - started > WORKER_TIMEOUT_MS) throw new Error('a convolution worker thread stopped responding');
      }
      failed ||= w.box[BOX.error] !== 0;
      Atomics.store(w.box, BOX.state, STATE.idle);
    }
    if (failed) throw new Error('a convolution worker thread failed');
  }

  /** Largest operation, in bytes of buffers, this engine accepts (the rest falls back to tfjs' own kernels). */
  static readonly MAX_BYTES = (MAX_PAGES - 64) * PAGE;

  private ensure(): void {
    const needed = Math.ceil(this.arena.end / PAGE);
    const have = this.memory.buffer.byteLength / PAGE;
    if (needed > have) this.memory.grow(needed - have);
    if (this.f32.buffer.byteLength !== this.memory.buffer.byteLength) this.f32 = new Float32Array(this.memory.buffer);
  }

  private put(at: number, values: Float32Array): void {
    this.f32.set(values, at >> 2);
  }

  private take(at: number, n: number): Float32Array {
    return this.f32.slice(at >> 2, (at >> 2) + n);
  }

  private setGeometry(g: ConvGeometry): void {
    this.geometry.set([g.inD, g.inH, g.inW, g.inC, g.outD, g.outH, g.outW, g.kD, g.kH, g.kW, g.strideD, g.strideH, g.strideW, g.dilationD, g.dilationH, g.dilationW, g.padFront, g.padTop, g.padLeft]);
    this.k.setGeometry(...this.geometry);
  }

  /** Bytes of buffers conv/backprop would allocate for `g` (to decide on falling back). */
  static bytesFor(g: ConvGeometry): number {
    const kc = g.kD * g.kH * g.kW * g.inC;
    const inputs = g.batch * g.inD * g.inH * g.inW * g.inC;
    const outputs = g.batch * g.outD * g.outH * g.outW * g.outC;
    return 4 * (inputs + outputs + 2 * kc * roundUp(g.outC, 8) + 3 * CHUNK_FLOATS + 8 * roundUp(kc, 8) + 8 * roundUp(g.outC, 8)) + 1024;
  }

  private chunkRows(width: number, total: number): number {
    return Math.min(total, Math.max(16, roundUp(Math.floor(CHUNK_FLOATS / Math.max(width, 1)), 4)));
  }

  /** y[b, od, oh, ow, co] = sum over kernel offsets and ci of x[b, in(o, k), ci] * w[k, ci, co]. */
  conv(g: ConvGeometry, x: Float32Array, w: Float32Array): Float32Array {
    const kc = g.kD * g.kH * g.kW * g.inC;
    const np = roundUp(g.outC, 8);
    const rows = g.batch * g.outD * g.outH * g.outW;
    const direct = kc === g.inC && g.strideD * g.strideH * g.strideW === 1 && g.padFront + g.padTop + g.padLeft === 0 && g.outH === g.inH && g.outW === g.inW && g.outD === g.inD;
    const chunk = this.chunkRows(Math.max(kc, np), rows);
    const pool = this.readyWorkers();
    const threads = pool.length + 1;
    this.arena.reset();
    const xAt = this.arena.floats(x.length);
    const yAt = this.arena.floats(rows * g.outC);
    const wAt = this.arena.floats(w.length);
    const bAt = this.arena.floats(kc * np);
    const scratch = Array.from({ length: threads }, () => ({ a: direct ? 0 : this.arena.floats(chunk * kc), c: np === g.outC ? 0 : this.arena.floats(chunk * np) }));
    this.ensure();
    this.put(xAt, x);
    this.put(wAt, w);
    this.setGeometry(g);
    this.k.packPanels(wAt, g.outC, bAt, kc, g.outC, 0);
    this.parallel(pool, OP.convRows, rows, (t, row0, count) => [xAt, yAt, bAt, scratch[t].a, scratch[t].c, kc, np, g.outC, row0, count, chunk, direct ? 1 : 0]);
    return this.take(yAt, rows * g.outC);
  }

  /** dx = the adjoint of conv applied to dy (the input gradient; also the transposed convolution). */
  backpropInput(g: ConvGeometry, dy: Float32Array, w: Float32Array): Float32Array {
    if (g.strideD * g.strideH * g.strideW === 1 && g.dilationD * g.dilationH * g.dilationW === 1) return this.backpropInputAsConv(g, dy, w);
    const kc = g.kD * g.kH * g.kW * g.inC;
    const kp = roundUp(kc, 8);
    const rows = g.batch * g.outD * g.outH * g.outW;
    const inSize = g.batch * g.inD * g.inH * g.inW * g.inC;
    const chunk = this.chunkRows(kp, rows);
    this.arena.reset();
    const dyAt = this.arena.floats(dy.length);
    const dxAt = this.arena.floats(inSize);
    const wAt = this.arena.floats(w.length);
    const bAt = this.arena.floats(g.outC * kp);
    const cAt = this.arena.floats(chunk * kp);
    this.ensure();
    this.put(dyAt, dy);
    this.put(wAt, w);
    this.setGeometry(g);
    // B = W^T ([outC x kc]): W is [kc x outC] row-major, i.e. B given transposed with ldb = outC.
    this.k.packPanels(wAt, g.outC, bAt, g.outC, kc, 1);
    this.k.zero(dxAt, inSize);
    for (let row0 = 0; row0 < rows; row0 += chunk) {
      const m = Math.min(chunk, rows - row0);
      this.k.zero(cAt, m * kp);
      this.k.gemm(dyAt + row0 * g.outC * 4, g.outC, bAt, cAt, kp, m, kp, g.outC);
      this.k.col2im(dxAt, cAt, kp, row0, m);
    }
    return this.take(dxAt, inSize);
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
    const kc = g.kD * g.kH * g.kW * g.inC;
    const ka = roundUp(kc, 4);
    const np = roundUp(g.outC, 8);
    const rows = g.batch * g.outD * g.outH * g.outW;
    const chunk = this.chunkRows(ka, rows);
    const pool = this.readyWorkers();
    const threads = pool.length + 1;
    this.arena.reset();
    const xAt = this.arena.floats(x.length);
    const dyAt = this.arena.floats(dy.length);
    // Each thread sums its rows into its own accumulator; the partials are added at the end.
    const scratch = Array.from({ length: threads }, () => ({ a: this.arena.floats(chunk * ka), b: np === g.outC ? 0 : this.arena.floats(chunk * np), acc: this.arena.floats(ka * np) }));
    const dwAt = this.arena.floats(kc * g.outC);
    this.ensure();
    this.put(xAt, x);
    this.put(dyAt, dy);
    this.setGeometry(g);
    for (const s of scratch) this.k.zero(s.acc, ka * np);
    this.parallel(pool, OP.filterRows, rows, (t, row0, count) => [xAt, dyAt, scratch[t].a, scratch[t].b, scratch[t].acc, ka, np, g.outC, row0, count, chunk]);
    for (let t = 1; t < threads; t++) this.k.accumulate(scratch[0].acc, scratch[t].acc, ka * np);
    this.k.copyRows(scratch[0].acc, np, dwAt, g.outC, kc, g.outC, 0);
    return this.take(dwAt, kc * g.outC);
  }
}

let shared: WasmConv | null = null;

/** Compiles conv.wasm (synchronously: it is a few KiB). */
export function loadConvModule(): WasmModule {
  return new WA.Module(readFileSync(WASM_URL));
}

/** The process-wide engine (compiled on first use) with defaultConvThreads(). */
export function wasmConv(): WasmConv {
  shared ??= new WasmConv(loadConvModule(), defaultConvThreads());
  return shared;
}

/** Stops the process-wide engine's worker threads; the next convolution starts a fresh engine. */
export async function shutdownWasmConv(): Promise<void> {
  const engine = shared;
  shared = null;
  if (engine) await engine.shutdown();
}
