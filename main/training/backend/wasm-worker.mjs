// A worker thread of the kernel pool (wasm-pool.ts): its own instance of kernels.wasm on the shared memory, taking
// tasks from a mailbox of int32s in that memory (plain JavaScript, so it loads without a TypeScript loader).
// Mailbox (wasm-pool.ts BOX): [0] state (0 idle, 1 task, 2 done, 3 quit), [1] error, [2] op (index in KERNELS),
// [3] argument count, [4] geometry present, [5..23] geometry, [24..59] arguments, [60] ready (set once
// instantiated: the pool only sends tasks to ready workers).
/* global WebAssembly */
import { workerData } from 'node:worker_threads';

/** The same list, in the same order, as POOLED_KERNELS in wasm-pool.ts. */
const KERNELS = ['convRows', 'filterRows', 'convImplicit', 'filterImplicit', 'normSums', 'normApply', 'normBackward', 'maxPoolHalving', 'maxPoolHalvingGrad'];
const BOX = { state: 0, error: 1, op: 2, argCount: 3, hasGeometry: 4, geometry: 5, args: 24, ready: 60 };

const { module, memory, box: boxAt } = workerData;
const box = new Int32Array(memory.buffer, boxAt, 64);
const k = new WebAssembly.Instance(module, {
  env: {
    memory,
    abort: () => {
      throw new Error('kernels.wasm aborted');
    },
  },
}).exports;

Atomics.store(box, BOX.ready, 1);
for (;;) {
  let state = Atomics.load(box, BOX.state);
  while (state !== 1 && state !== 3) {
    Atomics.wait(box, BOX.state, state);
    state = Atomics.load(box, BOX.state);
  }
  if (state === 3) break;
  try {
    if (box[BOX.hasGeometry] === 1) k.setGeometry(...box.subarray(BOX.geometry, BOX.geometry + 19));
    const kernel = k[KERNELS[box[BOX.op]]];
    if (typeof kernel !== 'function') throw new Error(`unknown op ${box[BOX.op]}`);
    kernel(...box.subarray(BOX.args, BOX.args + box[BOX.argCount]));
    box[BOX.error] = 0;
  } catch {
    box[BOX.error] = 1;
  }
  Atomics.store(box, BOX.state, 2);
  Atomics.notify(box, BOX.state);
}
