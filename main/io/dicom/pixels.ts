/**
 * Pixel data: the image pixel module (rows, columns, bits, signedness, samples), decoding of native, big-endian,
 * 1-bit packed and RLE pixel data into native typed arrays, and the choice of the stored dtype once the modality
 * rescale (slope/intercept) is applied.
 */
import { InputError } from '../../util/errors.ts';
import { allocate, bytesPerElement, integerRange, isIntegerDType, swapBytesInPlace, type DType, type TypedArray } from '../../volume/dtype.ts';
import { TAG, TRANSFER_SYNTAX, type DicomFile } from './parse.ts';
import { decodeRleFrame } from './rle.ts';

export interface PixelFormat {
  rows: number;
  columns: number;
  /** NumberOfFrames, 1 when absent. */
  frames: number;
  samplesPerPixel: number;
  /** 0: samples interleaved per pixel, 1: one plane per sample. */
  planarConfiguration: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  signed: boolean;
  /** FloatPixelData / DoubleFloatPixelData. */
  float: boolean;
  photometric: string;
}

/** Reads the image pixel module. Throws InputError naming the file when it is missing or unsupported. */
export function readPixelFormat(dicom: DicomFile): PixelFormat {
  const ds = dicom.dataset;
  const file = dicom.file;
  const rows = ds.number(TAG.Rows);
  const columns = ds.number(TAG.Columns);
  if (!rows || !columns) throw new InputError(file, 'has no Rows/Columns: not an image');
  const float = ds.has(TAG.FloatPixelData) || ds.has(TAG.DoubleFloatPixelData);
  const bitsAllocated = ds.number(TAG.BitsAllocated) ?? (ds.has(TAG.DoubleFloatPixelData) ? 64 : float ? 32 : undefined);
  if (bitsAllocated === undefined) throw new InputError(file, 'has no BitsAllocated');
  const allowed = float ? [32, 64] : [1, 8, 16, 32];
  if (!allowed.includes(bitsAllocated)) {
    throw new InputError(file, `BitsAllocated ${bitsAllocated} is not supported (expected ${allowed.join(', ')})`);
  }
  const bitsStored = Math.min(ds.number(TAG.BitsStored) ?? bitsAllocated, bitsAllocated);
  const highBit = ds.number(TAG.HighBit) ?? bitsStored - 1;
  const samplesPerPixel = ds.number(TAG.SamplesPerPixel) ?? 1;
  if (samplesPerPixel !== 1 && samplesPerPixel !== 3) {
    throw new InputError(file, `SamplesPerPixel ${samplesPerPixel} is not supported (expected 1 or 3)`);
  }
  if (bitsAllocated === 1 && samplesPerPixel !== 1) {
    throw new InputError(file, '1-bit pixel data with several samples per pixel is not supported');
  }
  const frames = Math.max(1, Math.round(ds.number(TAG.NumberOfFrames) ?? 1));
  return {
    rows,
    columns,
    frames,
    samplesPerPixel,
    planarConfiguration: samplesPerPixel > 1 ? (ds.number(TAG.PlanarConfiguration) ?? 0) : 0,
    bitsAllocated,
    bitsStored,
    highBit: highBit >= bitsStored - 1 && highBit < bitsAllocated ? highBit : bitsStored - 1,
    signed: !float && (ds.number(TAG.PixelRepresentation) ?? 0) === 1,
    float,
    photometric: ds.string(TAG.PhotometricInterpretation) ?? 'MONOCHROME2',
  };
}

/** Values per frame (pixels x samples). */
export function frameLength(fmt: PixelFormat): number {
  return fmt.rows * fmt.columns * fmt.samplesPerPixel;
}

/** The dtype pixel values are decoded to (before rescale). 1-bit data is unpacked to uint8. */
export function rawDType(fmt: PixelFormat): DType {
  if (fmt.float) return fmt.bitsAllocated === 64 ? 'float64' : 'float32';
  switch (fmt.bitsAllocated) {
    case 1: return 'uint8';
    case 8: return fmt.signed ? 'int8' : 'uint8';
    case 16: return fmt.signed ? 'int16' : 'uint16';
    default: return fmt.signed ? 'int32' : 'uint32';
  }
}

/** Same layout and bits, unsigned, so that raw bit patterns can be read from a signed array. */
function unsignedView(array: TypedArray): Uint8Array | Uint16Array | Uint32Array {
  if (array instanceof Int8Array || array instanceof Uint8Array) return new Uint8Array(array.buffer, array.byteOffset, array.length);
  if (array instanceof Int16Array || array instanceof Uint16Array) return new Uint16Array(array.buffer, array.byteOffset, array.length);
  return new Uint32Array(array.buffer, array.byteOffset, array.length);
}

/** Keeps only the BitsStored bits (below HighBit) and sign-extends them for signed data, as PS3.5 8.1.1 says. */
function applyBitsStored(array: TypedArray, fmt: PixelFormat): void {
  if (fmt.float || fmt.bitsAllocated === 1 || (fmt.bitsStored >= fmt.bitsAllocated && fmt.highBit === fmt.bitsAllocated - 1)) return;
  const shift = fmt.highBit + 1 - fmt.bitsStored;
  const mask = 2 ** fmt.bitsStored - 1;
  const signBit = 2 ** (fmt.bitsStored - 1);
  const full = 2 ** fmt.bitsStored;
  const u = unsignedView(array);
  for (let i = 0; i < u.length; i++) {
    let x = (u[i] >>> shift) & mask;
    if (fmt.signed && x >= signBit) x -= full;
    array[i] = x;
  }
}

/** Interleaves colour planes (PlanarConfiguration 1) frame by frame. */
function interleavePlanes(array: TypedArray, fmt: PixelFormat): TypedArray {
  const pixels = fmt.rows * fmt.columns;
  const spp = fmt.samplesPerPixel;
  const out = allocate(rawDType(fmt), array.length);
  for (let f = 0; f < fmt.frames; f++) {
    const base = f * pixels * spp;
    for (let s = 0; s < spp; s++) {
      const plane = base + s * pixels;
      for (let p = 0; p < pixels; p++) out[base + p * spp + s] = array[plane + p];
    }
  }
  return out;
}

function unpackBitsLsbFirst(bytes: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = (bytes[i >>> 3] >>> (i & 7)) & 1;
  return out;
}

/**
 * Decodes all frames of a file into one typed array in native byte order, samples interleaved, frame after frame,
 * columns fastest within a row (so x is the fastest axis, as the engine stores volumes).
 */
export function decodePixels(dicom: DicomFile, fmt: PixelFormat): TypedArray {
  const file = dicom.file;
  const element = dicom.dataset.pixelElement(file);
  if (!element) throw new InputError(file, 'has no PixelData');
  const perFrame = frameLength(fmt);
  const total = perFrame * fmt.frames;
  const dtype = rawDType(fmt);

  if (element.fragments) {
    if (dicom.transferSyntaxUID !== TRANSFER_SYNTAX.RLELossless) {
      throw new InputError(file, `encapsulated pixel data in transfer syntax ${dicom.transferSyntaxUID} is not supported`);
    }
    if (fmt.bitsAllocated === 1) throw new InputError(file, 'RLE-compressed 1-bit pixel data is not supported');
    const fragments = element.fragments.filter((f) => f.length > 0);
    if (fragments.length < fmt.frames) {
      throw new InputError(file, `RLE pixel data holds ${fragments.length} fragments for ${fmt.frames} frames`);
    }
    const bpe = bytesPerElement(dtype);
    const bytes = new Uint8Array(total * bpe);
    for (let f = 0; f < fmt.frames; f++) {
      bytes.set(decodeRleFrame(file, fragments[f], fmt, f), f * perFrame * bpe);
    }
    const array = allocate(dtype, total);
    new Uint8Array(array.buffer).set(bytes);
    applyBitsStored(array, fmt);
    return array; // RLE decodes to interleaved samples whatever PlanarConfiguration says
  }

  const bytes = element.bytes ?? new Uint8Array(0);
  const neededBits = total * fmt.bitsAllocated;
  const needed = Math.ceil(neededBits / 8);
  if (bytes.length < needed) {
    throw new InputError(
      file,
      `PixelData holds ${bytes.length} bytes, ${needed} expected for ${fmt.frames} frame(s) of ` +
        `${fmt.columns}x${fmt.rows}x${fmt.samplesPerPixel} at ${fmt.bitsAllocated} bits (truncated file?)`,
    );
  }
  if (fmt.bitsAllocated === 1) return unpackBitsLsbFirst(bytes, total);

  const bpe = bytesPerElement(dtype);
  const array = allocate(dtype, total);
  const target = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  target.set(bytes.subarray(0, total * bpe));
  if (!dicom.littleEndian) {
    if (bpe > 1) {
      swapBytesInPlace(target, bpe);
    } else if (element.vr === 'OW') {
      // OW is a stream of 16-bit words: 8-bit samples in an OW element are swapped in pairs
      const words = new Uint8Array(target.length + (target.length % 2));
      words.set(bytes.subarray(0, Math.min(words.length, bytes.length)));
      swapBytesInPlace(words, 2);
      target.set(words.subarray(0, target.length));
    }
  }
  applyBitsStored(array, fmt);
  return fmt.planarConfiguration === 1 && fmt.samplesPerPixel > 1 ? interleavePlanes(array, fmt) : array;
}

export interface Rescale {
  slope: number;
  intercept: number;
}

export const IDENTITY_RESCALE: Rescale = { slope: 1, intercept: 0 };

export function isIdentity(r: Rescale): boolean {
  return r.slope === 1 && r.intercept === 0;
}

export interface StorageChoice {
  dtype: DType;
  /** No rescale to apply: the raw values are stored as they are. */
  identity: boolean;
  /** One line for meta: what was applied and why the dtype. */
  description: string;
}

const INTEGER_ORDER: DType[] = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32'];

function fits(dtype: DType, min: number, max: number): boolean {
  const [lo, hi] = integerRange(dtype);
  return min >= lo && max <= hi;
}

/**
 * Decides the stored dtype for raw values of `raw` with per-frame rescales and raw value ranges. Identity rescale keeps
 * the raw dtype. Integer slopes and intercepts keep an integer dtype: the raw one when the rescaled range fits, else
 * the smallest at least as wide that holds it (uint16 + intercept -1024 -> int16 when the values allow, else int32).
 * Non-integer rescale gives float32 (float64 for float64 data).
 */
export function chooseStorage(raw: DType, frames: readonly { rescale: Rescale; min: number; max: number }[]): StorageChoice {
  if (frames.every((f) => isIdentity(f.rescale))) {
    return { dtype: raw, identity: true, description: `none (stored values kept as ${raw})` };
  }
  const slopes = [...new Set(frames.map((f) => f.rescale.slope))];
  const intercepts = [...new Set(frames.map((f) => f.rescale.intercept))];
  const what =
    slopes.length === 1 && intercepts.length === 1
      ? `slope ${slopes[0]}, intercept ${intercepts[0]}`
      : `per-frame slope (${Math.min(...slopes)}..${Math.max(...slopes)}) and intercept (${Math.min(...intercepts)}..${Math.max(...intercepts)})`;
  let min = Infinity;
  let max = -Infinity;
  for (const f of frames) {
    const a = f.min * f.rescale.slope + f.rescale.intercept;
    const b = f.max * f.rescale.slope + f.rescale.intercept;
    min = Math.min(min, a, b);
    max = Math.max(max, a, b);
  }
  if (!Number.isFinite(min)) {
    min = 0;
    max = 0;
  }
  const range = `values ${+min.toPrecision(8)}..${+max.toPrecision(8)}`;
  const integral = isIntegerDType(raw) && frames.every((f) => Number.isInteger(f.rescale.slope) && Number.isInteger(f.rescale.intercept));
  if (integral) {
    const rawSize = bytesPerElement(raw);
    const candidates = [raw, ...INTEGER_ORDER.filter((d) => d !== raw && bytesPerElement(d) >= rawSize)];
    const dtype = candidates.find((d) => fits(d, min, max));
    if (dtype) {
      return { dtype, identity: false, description: `${what} applied: ${raw} -> ${dtype} (integer rescale, ${range})` };
    }
    return { dtype: 'float64', identity: false, description: `${what} applied: ${raw} -> float64 (integer rescale, ${range} exceed int32)` };
  }
  const dtype: DType = raw === 'float64' ? 'float64' : 'float32';
  return { dtype, identity: false, description: `${what} applied: ${raw} -> ${dtype} (non-integer rescale, ${range})` };
}

/** Minimum and maximum of part of an array (0, 0 when empty). */
export function rangeOf(array: TypedArray, start: number, end: number): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = start; i < end; i++) {
    const v = array[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return Number.isFinite(min) ? { min, max } : { min: 0, max: 0 };
}
