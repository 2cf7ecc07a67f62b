// Concatenation and its inverse, the split in concat's gradient (a U-Net decoder concatenates the skip connection with
// the upsampled features on the channel axis). Either is a copy of rows: outer positions x (the elements from the
// axis on). On channels-last tensors a row is a few channels long, where one TypedArray.set per row costs more than
// the copy (it makes a subarray view each time), and tfjs' Concat goes element by element through a generic loop.
// Here short rows are copied with loops unrolled by 4 (twice as fast as a plain loop in V8) and long ones with
// TypedArray.set. The kernels themselves are registered with the other fast kernels (fast-elementwise-kernels.ts).

/** Arrays the copies handle: float32 and int32 tensors (bool and strings go to tfjs' kernels). */
export type CopyArray = Float32Array | Int32Array;

/** Row length (elements) from which TypedArray.set beats an unrolled loop (it pays a subarray per call). */
const SET_FROM = 512;

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** Copies `rows` rows of `cols` elements from src (rows `srcStride` apart) to dst (rows `dstStride` apart). */
export function copyRows(src: CopyArray, srcStart: number, srcStride: number, dst: CopyArray, dstStart: number, dstStride: number, rows: number, cols: number): void {
  if (cols >= SET_FROM) {
    for (let r = 0, s = srcStart, d = dstStart; r < rows; r++, s += srcStride, d += dstStride) dst.set(src.subarray(s, s + cols), d);
    return;
  }
  if (srcStride === cols && dstStride === cols) {
    // Both sides contiguous: one long copy.
    dst.set(src.subarray(srcStart, srcStart + rows * cols), dstStart);
    return;
  }
  const body = cols - (cols % 4);
  for (let r = 0, s = srcStart, d = dstStart; r < rows; r++, s += srcStride, d += dstStride) {
    let i = 0;
    for (; i < body; i += 4) {
      dst[d + i] = src[s + i];
      dst[d + i + 1] = src[s + i + 1];
      dst[d + i + 2] = src[s + i + 2];
      dst[d + i + 3] = src[s + i + 3];
    }
    for (; i < cols; i++) dst[d + i] = src[s + i];
  }
}

/** Concatenates row-major arrays along `axis`; `shapes` agree on every other axis (checked by the caller). */
export function concatValues(shapes: readonly (readonly number[])[], values: readonly CopyArray[], axis: number): CopyArray {
  const outer = product(shapes[0].slice(0, axis));
  const inners = shapes.map((s) => product(s.slice(axis)));
  const outInner = inners.reduce((a, b) => a + b, 0);
  const out = new (values[0].constructor as new (n: number) => CopyArray)(outer * outInner);
  let column = 0;
  values.forEach((v, k) => {
    copyRows(v, 0, inners[k], out, column, outInner, outer, inners[k]);
    column += inners[k];
  });
  return out;
}

/** Splits a row-major array along `axis` into parts of `sizes` elements on that axis (summing to its length). */
export function splitValues(shape: readonly number[], x: CopyArray, axis: number, sizes: readonly number[]): CopyArray[] {
  const outer = product(shape.slice(0, axis));
  const inner = product(shape.slice(axis + 1));
  const rowLength = shape[axis] * inner;
  let column = 0;
  return sizes.map((size) => {
    const cols = size * inner;
    const part = new (x.constructor as new (n: number) => CopyArray)(outer * cols);
    if (cols > 0) copyRows(x, column, rowLength, part, 0, cols, outer, cols);
    column += cols;
    return part;
  });
}
