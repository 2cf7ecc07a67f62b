// Strided loops for broadcasting, reductions and slices on flat typed arrays. tfjs cpu computes a broadcast element's
// source indices with indexToLoc/locToIndex per element (tens of ns each); here the shape is first collapsed to
// the fewest dimensions that keep every operand's strides regular, and the two innermost dimensions run as plain loops.

/** A loop nest: `dims` (outermost first) and, per operand, the stride (in elements) of each dim; 0 = broadcast. */
export interface LoopNest {
  dims: number[];
  strides: number[][];
}

/** Row-major strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Strides of `shape` (right-aligned to `outShape`, as numpy broadcasting does) with 0 where it broadcasts. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = contiguousStrides(shape);
  const offset = outShape.length - shape.length;
  return outShape.map((d, i) => {
    const j = i - offset;
    if (j < 0 || shape[j] === 1) return 0;
    if (shape[j] !== d) throw new Error(`shape [${shape.join(', ')}] does not broadcast to [${outShape.join(', ')}]`);
    return own[j];
  });
}

/** Drops size-1 dims and merges neighbours that every operand walks contiguously; always at least one dim. */
export function collapse(nest: LoopNest): LoopNest {
  const dims: number[] = [];
  const strides: number[][] = nest.strides.map(() => []);
  for (let i = 0; i < nest.dims.length; i++) {
    const d = nest.dims[i];
    if (d === 1) continue;
    const last = dims.length - 1;
    const mergeable = last >= 0 && nest.strides.every((s, k) => strides[k][last] === s[i] * d);
    if (mergeable) {
      dims[last] *= d;
      nest.strides.forEach((s, k) => (strides[k][last] = s[i]));
    } else {
      dims.push(d);
      nest.strides.forEach((s, k) => strides[k].push(s[i]));
    }
  }
  if (dims.length === 0) return { dims: [1], strides: nest.strides.map(() => [0]) };
  return { dims, strides };
}

/**
 * Calls `inner(offsets, rows, cols, rowStrides, colStrides)` for every position of the dims before the last two
 * (one call when there are at most two dims), with each operand's element offset. `inner` runs the two innermost
 * dims itself, so small innermost dims (channels) cost no per-element bookkeeping.
 */
export function forEachBlock(nest: LoopNest, inner: (offsets: number[], rows: number, cols: number, rowStrides: number[], colStrides: number[]) => void): void {
  const n = nest.dims.length;
  const ops = nest.strides.length;
  const cols = nest.dims[n - 1];
  const colStrides = nest.strides.map((s) => s[n - 1]);
  const rows = n >= 2 ? nest.dims[n - 2] : 1;
  const rowStrides = nest.strides.map((s) => (n >= 2 ? s[n - 2] : 0));
  const outer = nest.dims.slice(0, Math.max(0, n - 2));
  const offsets = new Array<number>(ops).fill(0);
  const index = new Array<number>(outer.length).fill(0);
  let count = outer.reduce((a, b) => a * b, 1);
  while (count-- > 0) {
    inner(offsets, rows, cols, rowStrides, colStrides);
    // Odometer over the outer dims: bump the last one, carrying into the ones before.
    for (let d = outer.length - 1; d >= 0; d--) {
      for (let k = 0; k < ops; k++) offsets[k] += nest.strides[k][d];
      if (++index[d] < outer[d]) break;
      for (let k = 0; k < ops; k++) offsets[k] -= nest.strides[k][d] * outer[d];
      index[d] = 0;
    }
  }
}
