// A worker thread of the cpu convolution pool (wasm-threads.ts): its own instance of conv.wasm on the shared
// memory, taking tasks from a mailbox of int32s in that memory (plain JavaScript, so it loads without a TypeScript
// loader). Mailbox: [0] state (0 idle, 1 task, 2 done, 3 quit), [1] error, [2] op, [3..21] geometry, [22..] args,
// [40] ready (set once instantiated: the pool only sends tasks to ready workers).
/* global WebAssembly */
import { workerData } from 'node:worker_threads';

const { module, memory, box: boxAt } = workerData;
const box = new Int32Array(memory.buffer, boxAt, 64);
const k = new WebAssembly.Instance(module, {
  env: {
    memory,
    abort: () => {
      throw new Error('conv.wasm aborted');
    },
  },
}).exports;

const GEOMETRY = 3;
const ARGS = 22;
const args = (n) => Array.from(box.subarray(ARGS, ARGS + n));

Atomics.store(box, 40, 1);
for (;;) {
  let state = Atomics.load(box, 0);
  while (state !== 1 && state !== 3) {
    Atomics.wait(box, 0, state);
    state = Atomics.load(box, 0);
  }
  if (state === 3) break;
  try {
    k.setGeometry(...box.subarray(GEOMETRY, GEOMETRY + 19));
    const op = box[2];
    if (op === 1) k.convRows(...args(12));
    else if (op === 2) k.filterRows(...args(11));
    else throw new Error(`unknown op ${op}`);
    box[1] = 0;
  } catch {
    box[1] = 1;
  }
  Atomics.store(box, 0, 2);
  Atomics.notify(box, 0);
}
