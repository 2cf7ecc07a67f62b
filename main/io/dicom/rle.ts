/**
 * DICOM RLE Lossless (PS3.5 Annex G): each frame is one fragment holding a 64-byte header (segment count and offsets)
 * and one PackBits-coded segment per byte plane, most significant byte plane of each sample first.
 */
import { InputError } from '../../util/errors.ts';

export interface RleFrameLayout {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
}

/** Decodes one PackBits segment into `out` (exactly out.length bytes are expected). Returns the count written. */
function unpackBits(src: Uint8Array, start: number, end: number, out: Uint8Array): number {
  let i = start;
  let o = 0;
  while (i < end && o < out.length) {
    const n = src[i++];
    if (n < 128) {
      const count = n + 1;
      const take = Math.min(count, end - i, out.length - o);
      out.set(src.subarray(i, i + take), o);
      i += count;
      o += take;
    } else if (n > 128) {
      const count = 257 - n;
      if (i >= end) break;
      const value = src[i++];
      const take = Math.min(count, out.length - o);
      out.fill(value, o, o + take);
      o += take;
    }
    // n === 128: no-op
  }
  return o;
}

/**
 * Decodes one RLE frame into native little-endian bytes, samples interleaved (pixel-major), i.e. the layout of an
 * uncompressed frame with PlanarConfiguration 0.
 */
export function decodeRleFrame(file: string, fragment: Uint8Array, layout: RleFrameLayout, frameIndex: number): Uint8Array {
  const { rows, columns, samplesPerPixel: spp, bitsAllocated } = layout;
  if (bitsAllocated % 8 !== 0) {
    throw new InputError(file, `RLE with BitsAllocated ${bitsAllocated} is not supported`);
  }
  const bps = bitsAllocated / 8;
  const pixels = rows * columns;
  if (fragment.length < 64) throw new InputError(file, `RLE frame ${frameIndex + 1} is shorter than its 64-byte header`);
  const view = new DataView(fragment.buffer, fragment.byteOffset, fragment.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== spp * bps) {
    throw new InputError(
      file,
      `RLE frame ${frameIndex + 1} has ${segments} segments, expected ${spp * bps} (samples per pixel x bytes per sample)`,
    );
  }
  const out = new Uint8Array(pixels * spp * bps);
  const plane = new Uint8Array(pixels);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : fragment.length;
    if (start < 64 || start > fragment.length || end < start || end > fragment.length) {
      throw new InputError(file, `RLE frame ${frameIndex + 1}: segment ${s + 1} offsets are out of range`);
    }
    plane.fill(0);
    const written = unpackBits(fragment, start, end, plane);
    if (written < pixels) {
      throw new InputError(file, `RLE frame ${frameIndex + 1}: segment ${s + 1} decodes to ${written} bytes, expected ${pixels}`);
    }
    const sample = Math.floor(s / bps);
    const byteInSample = bps - 1 - (s % bps); // segments run most significant byte first
    const stride = spp * bps;
    let o = sample * bps + byteInSample;
    for (let p = 0; p < pixels; p++, o += stride) out[o] = plane[p];
  }
  return out;
}
