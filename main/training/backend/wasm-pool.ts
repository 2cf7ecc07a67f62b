// The WebAssembly SIMD kernels of wasm/kernels.wasm (convolutions, normalisation, max pooling) on one shared memory,
// with a pool of worker threads that each run their own instance of the module on that memory. A pooled call runs
// one kernel on every thread at once; the kernels split their work through an atomic counter in the memory, so a
// thread that is slowed down (the OS, the garbage collector) simply takes fewer chunks. Calls are synchronous, as
// tfjs cpu kernels must be: this thread works its own share, then waits on the others.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';

/** The module's exports (byte offsets into the shared memory; see conv.as and norm.as). */
export interface KernelExports {
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
  convRows(x: number, y: number, bp: number, a: number, c: number, kc: number, np: number, outC: number, rows: number, chunk: number, direct: number, counter: number): void;
  filterRows(x: number, dy: number, a: number, b: number, acc: number, ka: number, np: number, outC: number, rows: number, chunk: number, counter: number): void;
  convImplicit(x: number, y: number, bp: number, scratch: number, kc: number, np: number, outC: number, lines: number, linesPerClaim: number, counter: number): void;
  filterImplicit(x: number, dy: number, scratch: number, acc: number, np: number, outC: number, lines: number, linesPerClaim: number, counter: number): void;
  normSums(x: number, dy: number, y: number, alphaBits: number, mode: number, batch: number, space: number, c: number, chunk: number, counter: number, out: number): void;
  normApply(x: number, out: number, coef: number, alphaBits: number, act: number, batch: number, space: number, c: number, chunk: number, counter: number): void;
  normBackward(x: number, dy: number, y: number, dx: number, coef: number, alphaBits: number, act: number, batch: number, space: number, c: number, chunk: number, counter: number): void;
  maxPoolHalving(x: number, y: number, inD: number, inH: number, inW: number, c: number, kD: number, lines: number, linesPerClaim: number, counter: number): void;
  maxPoolHalvingGrad(x: number, dy: number, dx: number, inD: number, inH: number, inW: number, c: number, kD: number, lastOnTies: number, lines: number, linesPerClaim: number, counter: number): void;
}

/** Kernels a pooled call may run: their index is the op code the worker reads (wasm-worker.mjs holds the same list). */
export const POOLED_KERNELS = ['convRows', 'filterRows', 'convImplicit', 'filterImplicit', 'normSums', 'normApply', 'normBackward', 'maxPoolHalving', 'maxPoolHalvingGrad'] as const;
export type PooledKernel = (typeof POOLED_KERNELS)[number];

// The project's TypeScript libs (ES2023, no DOM) carry no WebAssembly types: the little used here, typed locally.
interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
export interface WasmModule {
  readonly kind?: 'module';
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const WASM_URL = new URL('./wasm/kernels.wasm', import.meta.url);
const RELAXED_WASM_URL = new URL('./wasm/kernels-relaxed.wasm', import.meta.url);
const WORKER_URL = new URL('./wasm-worker.mjs', import.meta.url);
// Mailbox layout shared with wasm-worker.mjs (int32 indices).
const BOX_BYTES = 256;
export const BOX = { state: 0, error: 1, op: 2, argCount: 3, hasGeometry: 4, geometry: 5, args: 24, ready: 60 } as const;
const GEOMETRY_INTS = 19;
const MAX_ARGS = BOX.ready - BOX.args;
const STATE = { idle: 0, task: 1, done: 2, quit: 3 } as const;
/** A worker that takes longer than this over one pooled call is taken for dead. */
const WORKER_TIMEOUT_MS = 120_000;
const PAGE = 65536;
/** Must match the module's declared maximum (wasm/build.ts MAX_PAGES). */
const MAX_PAGES = 32768;

/** Threads for the kernels: SEGSTATION_CPU_THREADS, else the cores this process may use (at most 4). */
export function defaultKernelThreads(): number {
  const fromEnv = Number(process.env.SEGSTATION_CPU_THREADS);
  if (Number.isInteger(fromEnv) && fromEnv >= 1) return Math.min(fromEnv, 16);
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

export const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** A bump allocator over the module's memory, reset per operation. */
class Arena {
  private top: number;
  constructor(private readonly base: number) {
    this.top = base;
  }
  /** Bytes for n 4-byte values (or n/2 doubles), 64-byte aligned: whole cache lines, aligned v128 loads. */
  floats(n: number): number {
    const at = this.top;
    this.top = roundUp(this.top + n * 4, 64);
    return at;
  }
  get end(): number {
    return this.top;
  }
  reset(): void {
    this.top = this.base;
  }
}

interface PoolWorker {
  worker: Worker;
  box: Int32Array;
}

export class WasmPool {
  /** Largest operation, in bytes of buffers, the pool accepts (callers fall back to other code above it). */
  static readonly MAX_BYTES = (MAX_PAGES - 64) * PAGE;

  readonly memory: WasmMemory;
  readonly k: KernelExports;
  private readonly arena: Arena;
  private f32: Float32Array;
  private f64: Float64Array;
  private i32: Int32Array;
  private readonly workers: PoolWorker[] = [];

  constructor(module: WasmModule, threads = 1) {
    this.memory = new WA.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
    const instance = new WA.Instance(module, { env: { memory: this.memory, abort: () => { throw new Error('kernels.wasm aborted'); } } });
    this.k = instance.exports as unknown as KernelExports;
    const boxes = roundUp(this.k.heapBase(), 64);
    this.arena = new Arena(boxes + BOX_BYTES * Math.max(0, threads - 1));
    this.f32 = new Float32Array(this.memory.buffer);
    this.f64 = new Float64Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
    for (let t = 1; t < threads; t++) {
      const boxAt = boxes + BOX_BYTES * (t - 1);
      // execArgv []: the worker is plain JavaScript and needs no TypeScript loader.
      const worker = new Worker(WORKER_URL, { workerData: { module, memory: this.memory, box: boxAt }, execArgv: [] });
      worker.unref(); // an idle pool never keeps the process alive
      // A worker that fails to start never sets its ready flag, so it never gets work: log it, do not crash.
      worker.on('error', (error) => process.emitWarning(`segstation: a kernel worker thread failed (${error.message}); kernels use fewer threads`));
      this.workers.push({ worker, box: new Int32Array(this.memory.buffer, boxAt, BOX_BYTES / 4) });
    }
  }

  /** Threads that would share a pooled call now: this one plus the workers that have started. */
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

  /** Starts an operation: everything allocated by the previous one is free again. */
  begin(): void {
    this.arena.reset();
  }

  /** Byte offset of room for n floats (or n/2 doubles) in this operation. */
  alloc(n: number): number {
    return this.arena.floats(n);
  }

  /** Grows the memory to hold everything allocated so far; call before writing. */
  commit(): void {
    const needed = Math.ceil(this.arena.end / PAGE);
    const have = this.memory.buffer.byteLength / PAGE;
    if (needed > have) this.memory.grow(needed - have);
    if (this.f32.buffer.byteLength !== this.memory.buffer.byteLength) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.f64 = new Float64Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
    }
  }

  put(at: number, values: Float32Array): void {
    this.f32.set(values, at >> 2);
  }

  putF64(at: number, values: Float64Array): void {
    this.f64.set(values, at >> 3);
  }

  /**
   * A fresh array with n floats from `at`. Its memory comes uninitialised (Buffer.allocUnsafeSlow: an ArrayBuffer of
   * its own, never a pooled slice), as the copy overwrites all of it: a zero-filled one costs one more pass.
   */
  take(at: number, n: number): Float32Array {
    const bytes = Buffer.allocUnsafeSlow(n * 4);
    const out = new Float32Array(bytes.buffer, bytes.byteOffset, n);
    out.set(this.f32.subarray(at >> 2, (at >> 2) + n));
    return out;
  }

  takeF64(at: number, n: number): Float64Array {
    return this.f64.slice(at >> 3, (at >> 3) + n);
  }

  /** Sets n int32 slots at `at` to zero (work counters, accumulators). */
  clear(at: number, n: number): void {
    this.i32.fill(0, at >> 2, (at >> 2) + n);
  }

  /**
   * Runs `kernel` on this thread and up to threads - 1 ready workers at once, with args from argsFor(thread) (thread 0
   * is this one), and returns when all are done. Pass the `threads` read before allocating per-thread scratch: more
   * workers may have started since. `geometry` (19 ints) is set in every instance first, for the convolution kernels.
   */
  run(kernel: PooledKernel, threads: number, argsFor: (thread: number) => number[], geometry?: Int32Array): void {
    const ready = this.readyWorkers().slice(0, Math.max(0, threads - 1));
    const op = POOLED_KERNELS.indexOf(kernel);
    ready.forEach((w, i) => {
      const args = argsFor(i + 1);
      if (args.length > MAX_ARGS) throw new Error(`${kernel}: ${args.length} arguments, the mailbox holds ${MAX_ARGS}`);
      if (geometry) w.box.set(geometry.subarray(0, GEOMETRY_INTS), BOX.geometry);
      w.box.set(args, BOX.args);
      w.box[BOX.argCount] = args.length;
      w.box[BOX.op] = op;
      w.box[BOX.hasGeometry] = geometry ? 1 : 0;
      w.box[BOX.error] = 0;
      Atomics.store(w.box, BOX.state, STATE.task);
      Atomics.notify(w.box, BOX.state);
    });
    if (geometry) this.k.setGeometry(...geometry);
    let ownError: unknown = null;
    try {
      (this.k[kernel] as (...a: number[]) => void)(...argsFor(0));
    } catch (error) {
      // Still wait for the workers: the next call reuses the memory they may be writing.
      ownError = error;
    }
    let failed = false;
    for (const w of ready) {
      const started = Date.now();
      while (Atomics.load(w.box, BOX.state) === STATE.task) {
        Atomics.wait(w.box, BOX.state, STATE.task, 1000);
        if (Date.now() - started > WORKER_TIMEOUT_MS) throw new Error('a kernel worker thread stopped responding');
      }
      failed ||= w.box[BOX.error] !== 0;
      Atomics.store(w.box, BOX.state, STATE.idle);
    }
    if (ownError !== null) throw ownError;
    if (failed) throw new Error(`a kernel worker thread failed in ${kernel}`);
  }
}

/** Which build of the kernels runs: with relaxed SIMD (fused multiply-add) or plain SIMD. */
export type KernelVariant = 'relaxed-simd' | 'simd';

let relaxedSupport: boolean | null = null;

/**
 * Whether this runtime compiles the relaxed-SIMD build: V8 11.4+ (Node 22, Electron) does by default; on Node 20 after
 * switching on V8's (complete, flagged) implementation, a validation-time feature flag.
 */
function relaxedSimdAvailable(): boolean {
  if (relaxedSupport !== null) return relaxedSupport;
  const relaxed = readFileSync(RELAXED_WASM_URL);
  relaxedSupport = WA.validate(relaxed);
  if (!relaxedSupport && Number(process.versions.node.split('.')[0]) === 20) {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    relaxedSupport = WA.validate(relaxed);
  }
  return relaxedSupport;
}

/**
 * The relaxed-SIMD build where the runtime has it, else the plain one; SEGSTATION_WASM_RELAXED=0 forces the plain
 * one. Relaxed multiply-add is fused or not depending on the CPU: results are deterministic on one machine.
 */
export function kernelVariant(): KernelVariant {
  if (process.env.SEGSTATION_WASM_RELAXED === '0') return 'simd';
  return relaxedSimdAvailable() ? 'relaxed-simd' : 'simd';
}

/** Compiles the kernels (synchronously: a few KiB), in the given build or kernelVariant()'s. */
export function loadKernelModule(variant: KernelVariant = kernelVariant()): WasmModule {
  if (variant === 'relaxed-simd' && !relaxedSimdAvailable()) throw new Error('this runtime has no relaxed SIMD for kernels-relaxed.wasm');
  return new WA.Module(readFileSync(variant === 'relaxed-simd' ? RELAXED_WASM_URL : WASM_URL));
}

let shared: WasmPool | null = null;
let failure: string | null = null;

/**
 * The process-wide pool (compiled on first use) with defaultKernelThreads(), or null where the module does not load:
 * said once, and every kernel that would use the pool keeps its fallback (tfjs' kernels, JavaScript loops).
 */
export function wasmPool(): WasmPool | null {
  if (shared !== null || failure !== null) return shared;
  try {
    shared = new WasmPool(loadKernelModule(), defaultKernelThreads());
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    process.emitWarning(`segstation: WebAssembly kernels unavailable, using tfjs' kernels and JavaScript loops (${failure})`);
  }
  return shared;
}

/** A float32's bits as an int32, to pass a float through the int32 mailbox (the kernels reinterpret it). */
export function floatBits(value: number): number {
  return new Int32Array(Float32Array.of(value).buffer)[0];
}
