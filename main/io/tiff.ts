/**
 * TIFF stacks: multi-page .tif/.tiff files (one page per z slice) and folders of single-slice TIFFs.
 *
 * Reader: an own baseline IFD parser (classic TIFF and BigTIFF, little- and big-endian) rather than utif, because a
 * volume needs exact control over BitsPerSample/SampleFormat (signed and float samples, 8..64 bit), strips vs tiles,
 * planar configuration and predictors, which utif reduces to RGBA or raw bytes.
 *   - compression: none, LZW (5), Deflate (8, 32946), PackBits (32773); predictors 2 (horizontal) and 3 (float).
 *     Anything else is an InputError naming the scheme ('JPEG compression (7) is not supported').
 *   - samples: 1-bit (-> uint8 0/1), 8/16/32-bit unsigned and signed integers, 16-bit floats (-> float32), 32/64-bit
 *     floats. 64-bit integers are refused. SamplesPerPixel > 1 becomes interleaved components.
 *   - pages flagged as reduced-resolution or transparency masks (NewSubfileType bits 0 and 2) are skipped; every other
 *     page is one z slice and must have the first page's size and sample type.
 *   - ImageJ files (ImageDescription starting 'ImageJ='): x/y spacing = 1/XResolution, 1/YResolution; z spacing from
 *     'spacing='; the unit goes to meta.unit (values are not converted). Hyperstacks with channels/frames become
 *     components (component = frame * channels + channel). ImageJ's > 4 GB trick (only the first IFD written, `images=N`,
 *     the data contiguous) is followed. 16-bit images that ImageJ stored as unsigned + calibration 'cf=20 c0=-32768
 *     c1=1' (its signed 16-bit) come back as int16. 'min=/max=' display ranges are ignored.
 *   - non-ImageJ files have spacing 1 (DPI resolutions are print sizes, not voxel sizes).
 *
 * Writer: little-endian classic TIFF, one IFD per page, uncompressed (default) or Deflate (`compress: true`), all pixel
 * data first and contiguous (what ImageJ expects), the IFDs after it. The ImageDescription is ImageJ's, so Fiji and
 * tifffile read the spacing back; SampleFormat marks signed and float samples. Multi-component volumes are written as
 * RGB pages when they are 3-component uint8 (ImageJ RGB), otherwise as an ImageJ hyperstack with one page per channel.
 * TIFF has no notion of origin or direction: the writer keeps them, and the exact spacing, in private
 * 'segstation_origin=', 'segstation_direction=' and 'segstation_spacing=' lines of the description (ImageJ and tifffile
 * ignore unknown keys), and this reader restores them, so a TIFF written here round-trips losslessly. Other programs
 * drop them. Volumes whose file would exceed 4 GiB are refused (classic TIFF offsets are 32-bit).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { writeFileAtomic } from '../util/atomic.ts';
import { InputError } from '../util/errors.ts';
import { allocate, asBytes, bytesPerElement, viewBytes, type DType, type TypedArray } from '../volume/dtype.ts';
import { det3, type Mat3, type Vec3, type Volume } from '../volume/volume.ts';
import type { FileHead, VolumeReader, VolumeWriter, WriteOptions } from './registry.ts';

// ---------------------------------------------------------------------------------------------------------------------
// Tags and codes

const TAG = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  ImageDescription: 270,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  XResolution: 282,
  YResolution: 283,
  PlanarConfiguration: 284,
  ResolutionUnit: 296,
  Software: 305,
  Predictor: 317,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  ExtraSamples: 338,
  SampleFormat: 339,
} as const;

const WANTED_TAGS = new Set<number>(Object.values(TAG));

/** Bytes per value of each TIFF field type; absent types are skipped. */
const TYPE_SIZE: Record<number, number> = {
  1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8,
};

const COMPRESSION_NAMES: Record<number, string> = {
  1: 'no',
  2: 'CCITT RLE',
  3: 'CCITT Group 3 fax',
  4: 'CCITT Group 4 fax',
  5: 'LZW',
  6: 'old-style JPEG',
  7: 'JPEG',
  8: 'Deflate',
  9: 'JBIG (T.85)',
  10: 'JBIG (T.43)',
  32766: 'NeXT 2-bit RLE',
  32771: 'CCITT RLEW',
  32773: 'PackBits',
  32809: 'ThunderScan',
  32946: 'Deflate',
  33003: 'JPEG 2000 (Aperio)',
  33005: 'JPEG 2000 (Aperio)',
  34661: 'JBIG',
  34676: 'SGI LogLuv',
  34677: 'SGI LogLuv 24',
  34712: 'JPEG 2000',
  34887: 'LERC',
  34892: 'lossy JPEG',
  34925: 'LZMA',
  34926: 'Zstandard',
  34927: 'WebP',
  50000: 'Zstandard',
  50001: 'WebP',
  50002: 'JPEG XL',
};

const SUPPORTED_COMPRESSION = new Set([1, 5, 8, 32773, 32946]);

/** Largest single read served through the block cache; bigger ones go straight to the file. */
const CACHE_BLOCK = 1 << 20;
const MAX_PAGES = 1_000_000;

// ---------------------------------------------------------------------------------------------------------------------
// Byte sources: a file read through a small block cache, or bytes already in memory

interface ByteSource {
  readonly name: string;
  readonly size: number;
  /** Exactly `length` bytes at `offset` (a view that must not be modified), or an InputError naming `what`. */
  read(offset: number, length: number, what: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

function truncated(name: string, what: string, offset: number, length: number, size: number): InputError {
  return new InputError(
    name,
    `${what} lies beyond the end of the file (bytes ${offset}..${offset + length} of ${size}): the file is truncated`,
  );
}

class MemorySource implements ByteSource {
  readonly name: string;
  readonly size: number;
  private readonly bytes: Uint8Array;
  constructor(name: string, bytes: Uint8Array) {
    this.name = name;
    this.bytes = bytes;
    this.size = bytes.length;
  }
  async read(offset: number, length: number, what: string): Promise<Uint8Array> {
    if (offset < 0 || offset + length > this.size) throw truncated(this.name, what, offset, length, this.size);
    return this.bytes.subarray(offset, offset + length);
  }
  async close(): Promise<void> {}
}

class FileSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  private readonly handle: fs.FileHandle;
  private block: Uint8Array = new Uint8Array(0);
  private blockStart = 0;
  private constructor(name: string, handle: fs.FileHandle, size: number) {
    this.name = name;
    this.handle = handle;
    this.size = size;
  }
  static async open(file: string): Promise<FileSource> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (error) {
      throw new InputError(file, `cannot open: ${(error as Error).message}`, { cause: error });
    }
    const { size } = await handle.stat();
    return new FileSource(file, handle, size);
  }
  async read(offset: number, length: number, what: string): Promise<Uint8Array> {
    if (offset < 0 || offset + length > this.size) throw truncated(this.name, what, offset, length, this.size);
    if (length > CACHE_BLOCK / 4) return this.readDirect(offset, length);
    const end = offset + length;
    if (offset < this.blockStart || end > this.blockStart + this.block.length) {
      const blockLength = Math.min(CACHE_BLOCK, this.size - offset);
      this.block = await this.readDirect(offset, blockLength);
      this.blockStart = offset;
    }
    return this.block.subarray(offset - this.blockStart, end - this.blockStart);
  }
  private async readDirect(offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(out, done, length - done, offset + done);
      if (bytesRead === 0) throw truncated(this.name, 'data', offset, length, this.size);
      done += bytesRead;
    }
    return out;
  }
  async close(): Promise<void> {
    await this.handle.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// IFD parsing

type TagValue = number[] | string;

interface Ifd {
  /** 0-based position in the IFD chain. */
  index: number;
  tags: Map<number, TagValue>;
}

interface Header {
  littleEndian: boolean;
  bigTiff: boolean;
  firstIfd: number;
}

async function readHeader(src: ByteSource): Promise<Header> {
  if (src.size < 8) throw new InputError(src.name, `not a TIFF file: only ${src.size} bytes`);
  const head = await src.read(0, Math.min(16, src.size), 'header');
  const order = String.fromCharCode(head[0], head[1]);
  if (order !== 'II' && order !== 'MM') throw new InputError(src.name, 'not a TIFF file: missing II/MM byte-order mark');
  const littleEndian = order === 'II';
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const magic = view.getUint16(2, littleEndian);
  if (magic === 42) return { littleEndian, bigTiff: false, firstIfd: view.getUint32(4, littleEndian) };
  if (magic === 43) {
    if (head.length < 16) throw new InputError(src.name, 'BigTIFF header is truncated');
    const offsetSize = view.getUint16(4, littleEndian);
    if (offsetSize !== 8) throw new InputError(src.name, `BigTIFF with ${offsetSize}-byte offsets is not supported`);
    return { littleEndian, bigTiff: true, firstIfd: Number(view.getBigUint64(8, littleEndian)) };
  }
  throw new InputError(src.name, `not a TIFF file: version ${magic} (expected 42, or 43 for BigTIFF)`);
}

function readValues(view: DataView, at: number, type: number, count: number, le: boolean): TagValue {
  if (type === 2) {
    const bytes = new Uint8Array(view.buffer, view.byteOffset + at, count);
    const nul = bytes.indexOf(0);
    return Buffer.from(bytes.subarray(0, nul >= 0 ? nul : count)).toString('utf8');
  }
  const out: number[] = [];
  const size = TYPE_SIZE[type];
  for (let i = 0; i < count; i++) {
    const p = at + i * size;
    switch (type) {
      case 1: case 7: out.push(view.getUint8(p)); break;
      case 6: out.push(view.getInt8(p)); break;
      case 3: out.push(view.getUint16(p, le)); break;
      case 8: out.push(view.getInt16(p, le)); break;
      case 4: case 13: out.push(view.getUint32(p, le)); break;
      case 9: out.push(view.getInt32(p, le)); break;
      case 5: out.push(view.getUint32(p, le), view.getUint32(p + 4, le)); break;
      case 10: out.push(view.getInt32(p, le), view.getInt32(p + 4, le)); break;
      case 11: out.push(view.getFloat32(p, le)); break;
      case 12: out.push(view.getFloat64(p, le)); break;
      case 16: case 18: out.push(Number(view.getBigUint64(p, le))); break;
      case 17: out.push(Number(view.getBigInt64(p, le))); break;
    }
  }
  return out;
}

async function readIfd(src: ByteSource, header: Header, offset: number, index: number): Promise<{ ifd: Ifd; next: number }> {
  const le = header.littleEndian;
  const what = `IFD of page ${index + 1}`;
  const countSize = header.bigTiff ? 8 : 2;
  const entrySize = header.bigTiff ? 20 : 12;
  const fieldSize = header.bigTiff ? 8 : 4;
  const countBytes = await src.read(offset, countSize, what);
  const cv = new DataView(countBytes.buffer, countBytes.byteOffset, countBytes.byteLength);
  const count = header.bigTiff ? Number(cv.getBigUint64(0, le)) : cv.getUint16(0, le);
  if (count === 0 || count > 100_000) throw new InputError(src.name, `${what} is corrupt: it claims ${count} entries`);
  const body = await src.read(offset + countSize, count * entrySize + fieldSize, what);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const tags = new Map<number, TagValue>();
  for (let i = 0; i < count; i++) {
    const e = i * entrySize;
    const tag = view.getUint16(e, le);
    const type = view.getUint16(e + 2, le);
    const n = header.bigTiff ? Number(view.getBigUint64(e + 4, le)) : view.getUint32(e + 4, le);
    const size = TYPE_SIZE[type];
    if (!WANTED_TAGS.has(tag) || size === undefined || n === 0) continue;
    // Descriptions of later pages are never used; skipping them avoids reads.
    if (tag === TAG.ImageDescription && index > 0) continue;
    const total = size * n;
    const fieldAt = e + (header.bigTiff ? 12 : 8);
    if (total <= fieldSize) {
      tags.set(tag, readValues(view, fieldAt, type, n, le));
    } else {
      const at = header.bigTiff ? Number(view.getBigUint64(fieldAt, le)) : view.getUint32(fieldAt, le);
      const bytes = await src.read(at, total, `tag ${tag} of page ${index + 1}`);
      tags.set(tag, readValues(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, type, n, le));
    }
  }
  const nextAt = count * entrySize;
  const next = header.bigTiff ? Number(view.getBigUint64(nextAt, le)) : view.getUint32(nextAt, le);
  return { ifd: { index, tags }, next };
}

async function readIfds(src: ByteSource, header: Header): Promise<Ifd[]> {
  const ifds: Ifd[] = [];
  const seen = new Set<number>();
  let offset = header.firstIfd;
  while (offset !== 0) {
    if (seen.has(offset)) break; // a loop in the IFD chain: stop where it closes
    if (ifds.length >= MAX_PAGES) throw new InputError(src.name, `more than ${MAX_PAGES} pages`);
    seen.add(offset);
    const { ifd, next } = await readIfd(src, header, offset, ifds.length);
    ifds.push(ifd);
    offset = next;
  }
  if (ifds.length === 0) throw new InputError(src.name, 'TIFF holds no image (no IFD)');
  return ifds;
}

// ---------------------------------------------------------------------------------------------------------------------
// Pages

interface Page {
  /** 1-based page number for messages. */
  number: number;
  width: number;
  height: number;
  spp: number;
  bits: number;
  sampleFormat: number;
  compression: number;
  predictor: number;
  planar: number;
  chunkWidth: number;
  chunkHeight: number;
  tiled: boolean;
  offsets: number[];
  counts: number[] | undefined;
  description?: string;
  xres?: number;
  yres?: number;
}

function numbers(ifd: Ifd, tag: number): number[] | undefined {
  const v = ifd.tags.get(tag);
  return Array.isArray(v) ? v : undefined;
}

function scalar(ifd: Ifd, tag: number, fallback?: number): number | undefined {
  return numbers(ifd, tag)?.[0] ?? fallback;
}

function rational(ifd: Ifd, tag: number): number | undefined {
  const v = numbers(ifd, tag);
  if (!v || v.length < 2 || v[1] === 0) return undefined;
  return v[0] / v[1];
}

function allEqual(values: number[], what: string, name: string, page: number): number {
  for (const v of values) {
    if (v !== values[0]) {
      throw new InputError(name, `page ${page} has differing ${what} per sample (${values.join(', ')}), which is not supported`);
    }
  }
  return values[0];
}

function pageOf(ifd: Ifd, name: string): Page {
  const number = ifd.index + 1;
  const width = scalar(ifd, TAG.ImageWidth);
  const height = scalar(ifd, TAG.ImageLength);
  if (!width || !height) throw new InputError(name, `page ${number} has no image size (ImageWidth/ImageLength missing or 0)`);
  const spp = scalar(ifd, TAG.SamplesPerPixel, 1) ?? 1;
  if (spp < 1) throw new InputError(name, `page ${number} has ${spp} samples per pixel`);
  const bits = allEqual(numbers(ifd, TAG.BitsPerSample) ?? [1], 'bits', name, number);
  const sampleFormat = allEqual(numbers(ifd, TAG.SampleFormat) ?? [1], 'sample formats', name, number);
  const compression = scalar(ifd, TAG.Compression, 1) ?? 1;
  const predictor = scalar(ifd, TAG.Predictor, 1) ?? 1;
  const planar = spp > 1 ? (scalar(ifd, TAG.PlanarConfiguration, 1) ?? 1) : 1;
  const tileOffsets = numbers(ifd, TAG.TileOffsets);
  const tiled = tileOffsets !== undefined && ifd.tags.has(TAG.TileWidth);
  const chunkWidth = tiled ? (scalar(ifd, TAG.TileWidth) ?? 0) : width;
  const chunkHeight = tiled
    ? (scalar(ifd, TAG.TileLength) ?? 0)
    : Math.min(height, scalar(ifd, TAG.RowsPerStrip, height) ?? height) || height;
  const offsets = tiled ? tileOffsets : numbers(ifd, TAG.StripOffsets);
  if (!offsets) throw new InputError(name, `page ${number} has no StripOffsets or TileOffsets`);
  if (!(chunkWidth > 0) || !(chunkHeight > 0)) throw new InputError(name, `page ${number} has a zero tile size`);
  const counts = numbers(ifd, tiled ? TAG.TileByteCounts : TAG.StripByteCounts);
  const description = ifd.tags.get(TAG.ImageDescription);
  return {
    number,
    width,
    height,
    spp,
    bits,
    sampleFormat,
    compression,
    predictor,
    planar,
    chunkWidth,
    chunkHeight,
    tiled,
    offsets,
    counts,
    ...(typeof description === 'string' ? { description } : {}),
    ...(rational(ifd, TAG.XResolution) !== undefined ? { xres: rational(ifd, TAG.XResolution) } : {}),
    ...(rational(ifd, TAG.YResolution) !== undefined ? { yres: rational(ifd, TAG.YResolution) } : {}),
  };
}

/** Engine dtype of the samples as stored ('float16' is widened to float32 on decode). */
type StoredType = DType | 'float16' | 'bit';

function storedType(page: Page, name: string): StoredType {
  const { bits, sampleFormat: f } = page;
  const kind = f === 2 ? 'signed integer' : f === 3 ? 'floating-point' : f === 1 || f === 4 ? 'unsigned integer' : '';
  if (!kind) throw new InputError(name, `page ${page.number}: SampleFormat ${f} (complex or unknown) is not supported`);
  if (bits === 1 && f !== 3) return 'bit';
  if (f === 3) {
    if (bits === 16) return 'float16';
    if (bits === 32) return 'float32';
    if (bits === 64) return 'float64';
  } else if (f === 2) {
    if (bits === 8) return 'int8';
    if (bits === 16) return 'int16';
    if (bits === 32) return 'int32';
  } else {
    if (bits === 8) return 'uint8';
    if (bits === 16) return 'uint16';
    if (bits === 32) return 'uint32';
  }
  throw new InputError(name, `page ${page.number}: ${bits}-bit ${kind} samples are not supported`);
}

function engineType(stored: StoredType): DType {
  return stored === 'float16' ? 'float32' : stored === 'bit' ? 'uint8' : stored;
}

function storedBytes(stored: StoredType): number {
  return stored === 'float16' ? 2 : stored === 'bit' ? 1 : bytesPerElement(stored);
}

function checkCompression(page: Page, name: string): void {
  if (SUPPORTED_COMPRESSION.has(page.compression)) return;
  const label = COMPRESSION_NAMES[page.compression] ?? 'unknown';
  throw new InputError(name, `${label} compression (${page.compression}) is not supported`);
}

// ---------------------------------------------------------------------------------------------------------------------
// Decompression

function decodeLzw(input: Uint8Array, expected: number): Uint8Array {
  const out = new Uint8Array(expected);
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const length = new Uint16Array(4096);
  for (let i = 0; i < 256; i++) {
    prefix[i] = -1;
    suffix[i] = i;
    first[i] = i;
    length[i] = 1;
  }
  let nextCode = 258;
  let width = 9;
  let bitPos = 0;
  let outPos = 0;
  let prev = -1;
  const totalBits = input.length * 8;
  const emit = (code: number): void => {
    const len = length[code];
    let p = outPos + len - 1;
    let c = code;
    while (c >= 0) {
      if (p < expected) out[p] = suffix[c];
      p--;
      c = prefix[c];
    }
    outPos += len;
  };
  while (outPos < expected && bitPos + width <= totalBits) {
    // read `width` bits, most significant first
    let code = 0;
    for (let remaining = width; remaining > 0; ) {
      const byte = input[bitPos >>> 3];
      const avail = 8 - (bitPos & 7);
      const take = Math.min(avail, remaining);
      code = (code << take) | ((byte >>> (avail - take)) & ((1 << take) - 1));
      remaining -= take;
      bitPos += take;
    }
    if (code === 257) break;
    if (code === 256) {
      nextCode = 258;
      width = 9;
      prev = -1;
      continue;
    }
    if (prev === -1) {
      if (code > 255) throw new Error(`LZW data is corrupt: code ${code} after a clear code`);
      emit(code);
      prev = code;
      continue;
    }
    if (code < nextCode) {
      if (nextCode < 4096) {
        prefix[nextCode] = prev;
        suffix[nextCode] = first[code];
        first[nextCode] = first[prev];
        length[nextCode] = length[prev] + 1;
        nextCode++;
      }
      emit(code);
    } else if (code === nextCode && nextCode < 4096) {
      prefix[nextCode] = prev;
      suffix[nextCode] = first[prev];
      first[nextCode] = first[prev];
      length[nextCode] = length[prev] + 1;
      nextCode++;
      emit(code);
    } else {
      throw new Error(`LZW data is corrupt: code ${code} is not yet defined`);
    }
    prev = code;
    if (nextCode + 1 >= 1 << width && width < 12) width++;
  }
  if (outPos < expected) throw new Error(`LZW data ends after ${outPos} of ${expected} bytes`);
  return out;
}

function decodePackBits(input: Uint8Array, expected: number): Uint8Array {
  const out = new Uint8Array(expected);
  let ip = 0;
  let op = 0;
  while (ip < input.length && op < expected) {
    const n = (input[ip++] << 24) >> 24;
    if (n >= 0) {
      const len = Math.min(n + 1, expected - op, input.length - ip);
      out.set(input.subarray(ip, ip + len), op);
      ip += n + 1;
      op += len;
    } else if (n !== -128) {
      const len = Math.min(1 - n, expected - op);
      out.fill(input[ip++], op, op + len);
      op += len;
    }
  }
  if (op < expected) throw new Error(`PackBits data ends after ${op} of ${expected} bytes`);
  return out;
}

/** Undoes horizontal differencing in place on native little-endian values. */
function undoHorizontalPredictor(bytes: Uint8Array, rows: number, rowSamples: number, spp: number, bps: number): void {
  const view =
    bps === 1
      ? bytes
      : bps === 2
        ? new Uint16Array(bytes.buffer, bytes.byteOffset, rows * rowSamples)
        : bps === 4
          ? new Uint32Array(bytes.buffer, bytes.byteOffset, rows * rowSamples)
          : undefined;
  if (!view) throw new Error(`horizontal predictor on ${bps * 8}-bit samples is not supported`);
  for (let r = 0; r < rows; r++) {
    const base = r * rowSamples;
    for (let i = spp; i < rowSamples; i++) view[base + i] += view[base + i - spp];
  }
}

/** Undoes the floating-point predictor (3): byte-plane shuffled, differenced rows -> native little-endian values. */
function undoFloatPredictor(bytes: Uint8Array, rows: number, rowSamples: number, spp: number, bps: number): Uint8Array {
  const rowBytes = rowSamples * bps;
  const out = new Uint8Array(rows * rowBytes);
  const tmp = new Uint8Array(rowBytes);
  for (let r = 0; r < rows; r++) {
    tmp.set(bytes.subarray(r * rowBytes, (r + 1) * rowBytes));
    for (let i = spp; i < rowBytes; i++) tmp[i] = (tmp[i] + tmp[i - spp]) & 0xff;
    const o = r * rowBytes;
    for (let k = 0; k < rowSamples; k++) {
      for (let b = 0; b < bps; b++) out[o + k * bps + (bps - 1 - b)] = tmp[b * rowSamples + k];
    }
  }
  return out;
}

function swapInPlace(bytes: Uint8Array, size: number): void {
  if (size === 2) {
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      const t = bytes[i];
      bytes[i] = bytes[i + 1];
      bytes[i + 1] = t;
    }
  } else if (size === 4) {
    for (let i = 0; i + 3 < bytes.length; i += 4) {
      let t = bytes[i];
      bytes[i] = bytes[i + 3];
      bytes[i + 3] = t;
      t = bytes[i + 1];
      bytes[i + 1] = bytes[i + 2];
      bytes[i + 2] = t;
    }
  } else if (size === 8) {
    for (let i = 0; i + 7 < bytes.length; i += 8) {
      for (let a = i, b = i + 7; a < b; a++, b--) {
        const t = bytes[a];
        bytes[a] = bytes[b];
        bytes[b] = t;
      }
    }
  }
}

let halfTable: Float32Array | undefined;

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function halfLookup(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) halfTable[i] = halfToFloat(i);
  }
  return halfTable;
}

// ---------------------------------------------------------------------------------------------------------------------
// Page decoding

interface DecodeContext {
  src: ByteSource;
  littleEndian: boolean;
  stored: StoredType;
}

/** Decodes one page into `target`: width*height*spp samples, native little-endian, samples interleaved. */
async function decodePage(ctx: DecodeContext, page: Page, target: Uint8Array, pageLabel: string): Promise<void> {
  const { src, littleEndian, stored } = ctx;
  const { width, height, spp, chunkWidth, chunkHeight, planar, compression, predictor } = page;
  const bps = storedBytes(stored);
  const isBit = stored === 'bit';
  if (isBit && (spp !== 1 || planar !== 1)) throw new InputError(src.name, `${pageLabel}: multi-sample 1-bit images are not supported`);
  const across = Math.ceil(width / chunkWidth);
  const down = Math.ceil(height / chunkHeight);
  const perPlane = across * down;
  const planes = planar === 2 ? spp : 1;
  const chunkSpp = planar === 2 ? 1 : spp;
  if (page.offsets.length < perPlane * planes) {
    throw new InputError(src.name, `${pageLabel} lists ${page.offsets.length} strips/tiles, its size needs ${perPlane * planes}`);
  }
  if (predictor !== 1 && predictor !== 2 && predictor !== 3) {
    throw new InputError(src.name, `${pageLabel}: predictor ${predictor} is not supported`);
  }
  const pixelBytes = spp * bps;
  const kind = page.tiled ? 'tile' : 'strip';
  for (let p = 0; p < planes; p++) {
    for (let cy = 0; cy < down; cy++) {
      for (let cx = 0; cx < across; cx++) {
        const i = p * perPlane + cy * across + cx;
        const y0 = cy * chunkHeight;
        const x0 = cx * chunkWidth;
        const rows = page.tiled ? chunkHeight : Math.min(chunkHeight, height - y0);
        const cols = chunkWidth;
        const rowBytes = isBit ? Math.ceil(cols / 8) : cols * chunkSpp * bps;
        const expected = rowBytes * rows;
        const offset = page.offsets[i];
        const count = page.counts?.[i];
        const what = `${pageLabel} ${kind} ${i + 1}`;
        let chunk: Uint8Array;
        let owned = false;
        if (count === 0 || (offset === 0 && count === undefined)) {
          chunk = new Uint8Array(expected); // sparse chunk: zeros
          owned = true;
        } else if (compression === 1) {
          chunk = await src.read(offset, expected, what);
        } else {
          if (count === undefined) throw new InputError(src.name, `${pageLabel} has compressed data but no byte counts`);
          const raw = await src.read(offset, count, what);
          try {
            if (compression === 5) chunk = decodeLzw(raw, expected);
            else if (compression === 32773) chunk = decodePackBits(raw, expected);
            else {
              const inflated = zlib.inflateSync(raw);
              if (inflated.length < expected) throw new Error(`inflates to ${inflated.length} bytes, expected ${expected}`);
              chunk = new Uint8Array(inflated.buffer, inflated.byteOffset, expected);
            }
          } catch (error) {
            if (error instanceof InputError) throw error;
            const scheme = COMPRESSION_NAMES[compression];
            throw new InputError(src.name, `${what}: ${scheme} data is corrupt (${(error as Error).message})`, { cause: error });
          }
          owned = true;
        }
        // To native little-endian values.
        if (predictor === 3) {
          if (stored !== 'float16' && stored !== 'float32' && stored !== 'float64') {
            throw new InputError(src.name, `${pageLabel}: floating-point predictor on integer samples`);
          }
          chunk = undoFloatPredictor(chunk, rows, cols * chunkSpp, chunkSpp, bps);
        } else if ((!littleEndian && bps > 1) || predictor === 2) {
          if (!owned || chunk.byteOffset % bps !== 0) chunk = chunk.slice();
          if (!littleEndian) swapInPlace(chunk, bps);
          if (predictor === 2) {
            if (stored.startsWith('float') || isBit) throw new InputError(src.name, `${pageLabel}: horizontal predictor on ${stored} samples`);
            undoHorizontalPredictor(chunk, rows, cols * chunkSpp, chunkSpp, bps);
          }
        }
        // Place into the page.
        const validRows = Math.min(rows, height - y0);
        const validCols = Math.min(cols, width - x0);
        if (isBit) {
          for (let r = 0; r < validRows; r++) {
            const src0 = r * rowBytes;
            const dst0 = (y0 + r) * width + x0;
            for (let c = 0; c < validCols; c++) target[dst0 + c] = (chunk[src0 + (c >> 3)] >> (7 - (c & 7))) & 1;
          }
        } else if (planes === 1) {
          if (x0 === 0 && cols === width) {
            target.set(chunk.subarray(0, validRows * rowBytes), y0 * width * pixelBytes);
          } else {
            for (let r = 0; r < validRows; r++) {
              const s = r * rowBytes;
              target.set(chunk.subarray(s, s + validCols * pixelBytes), ((y0 + r) * width + x0) * pixelBytes);
            }
          }
        } else {
          for (let r = 0; r < validRows; r++) {
            for (let c = 0; c < validCols; c++) {
              const s = r * rowBytes + c * bps;
              const d = ((y0 + r) * width + x0 + c) * pixelBytes + p * bps;
              for (let b = 0; b < bps; b++) target[d + b] = chunk[s + b];
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// ImageJ description and private keys

interface ImageJInfo {
  images: number;
  channels: number;
  slices: number;
  frames: number;
  spacing?: number;
  unit?: string;
  signed16: boolean;
}

function parseKeyValues(description: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of description.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

function positiveInt(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function parseImageJ(description: string | undefined): ImageJInfo | undefined {
  if (!description || !description.startsWith('ImageJ=')) return undefined;
  const kv = parseKeyValues(description);
  const images = positiveInt(kv.get('images')) ?? 1;
  let channels = positiveInt(kv.get('channels')) ?? 1;
  let frames = positiveInt(kv.get('frames')) ?? 1;
  let slices = positiveInt(kv.get('slices')) ?? 1;
  if (channels * slices * frames !== images) {
    if (images % (channels * frames) === 0) slices = images / (channels * frames);
    else {
      channels = 1;
      frames = 1;
      slices = images;
    }
  }
  const spacing = Number(kv.get('spacing'));
  const unit = kv.get('unit')?.replace(/\\u00B5/gi, 'µ');
  const signed16 = kv.get('cf') === '20' && Number(kv.get('c0')) === -32768 && Number(kv.get('c1')) === 1;
  return {
    images,
    channels,
    slices,
    frames,
    ...(Number.isFinite(spacing) && spacing > 0 ? { spacing } : {}),
    ...(unit ? { unit } : {}),
    signed16,
  };
}

function parseNumberList(value: string | undefined, n: number): number[] | undefined {
  if (!value) return undefined;
  const parts = value.split(',').map((s) => Number(s.trim()));
  return parts.length === n && parts.every(Number.isFinite) ? parts : undefined;
}

interface PrivateGeometry {
  spacing?: Vec3;
  origin?: Vec3;
  direction?: Mat3;
}

function parsePrivate(description: string | undefined): PrivateGeometry {
  if (!description) return {};
  const kv = parseKeyValues(description);
  const spacing = parseNumberList(kv.get('segstation_spacing'), 3);
  const origin = parseNumberList(kv.get('segstation_origin'), 3);
  const direction = parseNumberList(kv.get('segstation_direction'), 9);
  return {
    ...(spacing && spacing.every((s) => s > 0) ? { spacing: spacing as Vec3 } : {}),
    ...(origin ? { origin: origin as Vec3 } : {}),
    ...(direction && Math.abs(det3(direction as Mat3)) > 1e-6 ? { direction: direction as Mat3 } : {}),
  };
}

function close(a: number, b: number, rel = 1e-6): boolean {
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));
}

// ---------------------------------------------------------------------------------------------------------------------
// Opening a TIFF: layout without pixels

interface TiffLayout {
  file: string;
  littleEndian: boolean;
  /** Pages in file order (ImageJ virtual pages included), each decoded to width*height*spp samples. */
  pages: Page[];
  width: number;
  height: number;
  spp: number;
  stored: StoredType;
  dtype: DType;
  /** Pages per z slice (ImageJ channels x frames), 1 otherwise. */
  pagesPerSlice: number;
  channels: number;
  depth: number;
  components: number;
  spacing: Vec3;
  origin?: Vec3;
  direction?: Mat3;
  unit?: string;
  imagej: boolean;
  signed16: boolean;
}

async function openLayout(src: ByteSource): Promise<TiffLayout> {
  const name = src.name;
  const header = await readHeader(src);
  const ifds = await readIfds(src, header);
  let pages: Page[] = [];
  for (const ifd of ifds) {
    const subfile = scalar(ifd, TAG.NewSubfileType, 0) ?? 0;
    if (ifd.index > 0 && subfile & 0b101) continue; // reduced-resolution copy or transparency mask
    pages.push(pageOf(ifd, name));
  }
  const first = pages[0];
  checkCompression(first, name);
  const stored = storedType(first, name);
  const imagej = parseImageJ(first.description);
  for (const page of pages) {
    if (page.width !== first.width || page.height !== first.height) {
      throw new InputError(
        name,
        `page ${page.number} is ${page.width}x${page.height} but page ${first.number} is ${first.width}x${first.height}: ` +
          'every page of a stack must have the same size',
      );
    }
    if (page.spp !== first.spp || page.bits !== first.bits || page.sampleFormat !== first.sampleFormat) {
      const t = (p: Page) => `${p.bits}-bit SampleFormat ${p.sampleFormat} x ${p.spp}`;
      throw new InputError(name, `page ${page.number} holds ${t(page)} samples but page ${first.number} ${t(first)}: every page must have the same sample type`);
    }
    checkCompression(page, name);
  }
  if (imagej) {
    if (pages.length < imagej.images) {
      // ImageJ's > 4 GB files: one IFD, the rest of the images follow the first one's data contiguously.
      const contiguous =
        first.compression === 1 &&
        !first.tiled &&
        first.planar === 1 &&
        first.offsets.every((o, i) => i === 0 || o === first.offsets[i - 1] + (first.counts?.[i - 1] ?? -1));
      if (!contiguous) {
        throw new InputError(
          name,
          `ImageJ description says ${imagej.images} images but the file holds ${pages.length} pages, and its data is not contiguous`,
        );
      }
      const pageBytes = stored === 'bit' ? Math.ceil(first.width / 8) * first.height : first.width * first.height * first.spp * storedBytes(stored);
      const start = first.offsets[0];
      const virtual: Page[] = [];
      for (let k = 0; k < imagej.images; k++) {
        virtual.push({
          ...first,
          number: k + 1,
          chunkHeight: first.height,
          offsets: [start + k * pageBytes],
          counts: [pageBytes],
        });
      }
      pages = virtual;
    } else if (pages.length > imagej.images) {
      pages = pages.slice(0, imagej.images);
    }
  }
  const channels = imagej ? imagej.channels * imagej.frames : 1;
  const depth = imagej ? imagej.slices : pages.length;
  let spacing: Vec3 = [1, 1, 1];
  if (imagej) {
    const sx = first.xres && first.xres > 0 && Number.isFinite(first.xres) ? 1 / first.xres : 1;
    const sy = first.yres && first.yres > 0 && Number.isFinite(first.yres) ? 1 / first.yres : 1;
    spacing = [sx, sy, imagej.spacing ?? 1];
  }
  const priv = parsePrivate(first.description);
  // Exact values written by us, as long as they still agree with what ImageJ tags say (an edit elsewhere wins).
  if (priv.spacing && (!imagej || priv.spacing.every((s, i) => close(s, spacing[i], 1e-3)))) spacing = priv.spacing;
  const dtype = imagej?.signed16 && stored === 'uint16' ? 'int16' : engineType(stored);
  return {
    file: name,
    littleEndian: header.littleEndian,
    pages,
    width: first.width,
    height: first.height,
    spp: first.spp,
    stored,
    dtype,
    pagesPerSlice: channels,
    channels,
    depth,
    components: channels * first.spp,
    spacing,
    ...(priv.origin ? { origin: priv.origin } : {}),
    ...(priv.direction ? { direction: priv.direction } : {}),
    ...(imagej?.unit ? { unit: imagej.unit } : {}),
    imagej: imagej !== undefined,
    signed16: dtype === 'int16' && stored === 'uint16',
  };
}

/**
 * Decodes every page of `layout` into `out` (engine dtype, x fastest, components interleaved), starting at slice `z0`.
 */
async function decodeLayout(src: ByteSource, layout: TiffLayout, out: TypedArray, z0: number): Promise<void> {
  const { width, height, spp, stored, components, pagesPerSlice } = layout;
  const ctx: DecodeContext = { src, littleEndian: layout.littleEndian, stored };
  const planeSamples = width * height * spp;
  const direct = pagesPerSlice === 1 && stored !== 'float16' && !layout.signed16;
  const outBytes = asBytes(out);
  const bpe = out.BYTES_PER_ELEMENT;
  const temp = direct ? undefined : new Uint8Array(planeSamples * storedBytes(stored));
  for (let k = 0; k < layout.pages.length; k++) {
    const page = layout.pages[k];
    const label = `page ${page.number}`;
    const z = z0 + Math.floor(k / pagesPerSlice);
    if (temp === undefined) {
      const start = z * planeSamples * bpe;
      await decodePage(ctx, page, outBytes.subarray(start, start + planeSamples * bpe), label);
      continue;
    }
    await decodePage(ctx, page, temp, label);
    const channel = k % pagesPerSlice;
    const base = z * width * height * components + channel * spp;
    const pixels = width * height;
    if (stored === 'float16') {
      const table = halfLookup();
      const half = new Uint16Array(temp.buffer, temp.byteOffset, planeSamples);
      for (let i = 0; i < pixels; i++) {
        for (let s = 0; s < spp; s++) out[base + i * components + s] = table[half[i * spp + s]];
      }
    } else if (layout.signed16) {
      const u = new Uint16Array(temp.buffer, temp.byteOffset, planeSamples);
      for (let i = 0; i < pixels; i++) {
        for (let s = 0; s < spp; s++) out[base + i * components + s] = u[i * spp + s] - 32768;
      }
    } else {
      const values = viewBytes(layout.dtype, temp, planeSamples);
      for (let i = 0; i < pixels; i++) {
        for (let s = 0; s < spp; s++) out[base + i * components + s] = values[i * spp + s];
      }
    }
  }
}

function volumeMeta(layout: TiffLayout, pages: number): Record<string, string | number | boolean> {
  return {
    tiffPages: pages,
    imagej: layout.imagej,
    ...(layout.unit ? { unit: layout.unit } : {}),
    ...(layout.stored === 'float16' ? { note: 'float16 samples widened to float32' } : {}),
    ...(layout.signed16 ? { note: 'ImageJ signed 16-bit calibration applied' } : {}),
  };
}

async function withSource<T>(src: ByteSource, body: (src: ByteSource) => Promise<T>): Promise<T> {
  try {
    return await body(src);
  } finally {
    await src.close();
  }
}

/** Decodes a TIFF held in memory (tests, embedded data). `name` is used in error messages. */
export async function decodeTiff(bytes: Uint8Array, name = 'TIFF'): Promise<Volume> {
  return readFromSource(new MemorySource(name, bytes));
}

async function readFromSource(src: ByteSource): Promise<Volume> {
  return withSource(src, async () => {
    const layout = await openLayout(src);
    const n = layout.width * layout.height * layout.depth * layout.components;
    const data = allocate(layout.dtype, n);
    await decodeLayout(src, layout, data, 0);
    return {
      shape: [layout.width, layout.height, layout.depth],
      spacing: layout.spacing,
      origin: layout.origin ?? [0, 0, 0],
      direction: layout.direction ?? [1, 0, 0, 0, 1, 0, 0, 0, 1],
      dtype: layout.dtype,
      components: layout.components,
      data,
      meta: volumeMeta(layout, layout.pages.length),
    };
  });
}

/** Reads one multi-page TIFF file. */
export async function readTiffFile(file: string): Promise<Volume> {
  return readFromSource(await FileSource.open(file));
}

// ---------------------------------------------------------------------------------------------------------------------
// Folders of slices

const TIFF_NAME = /\.tiff?$/i;
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Natural order: 'slice_2' before 'slice_10'; ties broken by plain code-point order. */
export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Reads a folder of TIFF slices (each file one or more z slices), in natural order of the file names. */
export async function readTiffFolder(dir: string): Promise<Volume> {
  let entries: string[];
  try {
    entries = (await fs.readdir(dir)).filter((e) => !e.startsWith('.'));
  } catch (error) {
    throw new InputError(dir, `cannot list folder: ${(error as Error).message}`, { cause: error });
  }
  if (entries.length === 0) throw new InputError(dir, 'folder is empty: no TIFF slices to read');
  const others = entries.filter((e) => !TIFF_NAME.test(e));
  if (others.length > 0) {
    const shown = others.slice(0, 5).join(', ') + (others.length > 5 ? `, ... (${others.length} in all)` : '');
    throw new InputError(dir, `folder holds files that are not .tif/.tiff slices: ${shown}`);
  }
  const files = entries.sort(naturalCompare).map((e) => path.join(dir, e));
  // Pass 1: headers only, so that a bad slice is reported before anything large is allocated.
  const layouts: TiffLayout[] = [];
  for (const file of files) {
    const layout = await withSource(await FileSource.open(file), (src) => openLayout(src));
    const ref = layouts[0];
    if (ref) {
      const firstName = path.basename(ref.file);
      if (layout.width !== ref.width || layout.height !== ref.height) {
        throw new InputError(
          file,
          `slice is ${layout.width}x${layout.height} pixels but ${firstName} (the first slice) is ${ref.width}x${ref.height}: ` +
            'every slice in a folder must have the same size',
        );
      }
      if (layout.dtype !== ref.dtype || layout.components !== ref.components) {
        throw new InputError(
          file,
          `slice holds ${layout.dtype} x ${layout.components} but ${firstName} (the first slice) holds ${ref.dtype} x ${ref.components}: ` +
            'every slice in a folder must have the same sample type',
        );
      }
    }
    layouts.push(layout);
  }
  const ref = layouts[0];
  const depth = layouts.reduce((n, l) => n + l.depth, 0);
  const data = allocate(ref.dtype, ref.width * ref.height * depth * ref.components);
  let z = 0;
  for (const layout of layouts) {
    await withSource(await FileSource.open(layout.file), (src) => decodeLayout(src, layout, data, z));
    z += layout.depth;
  }
  return {
    shape: [ref.width, ref.height, depth],
    spacing: ref.spacing,
    origin: ref.origin ?? [0, 0, 0],
    direction: ref.direction ?? [1, 0, 0, 0, 1, 0, 0, 0, 1],
    dtype: ref.dtype,
    components: ref.components,
    data,
    meta: { ...volumeMeta(ref, depth), tiffFiles: files.length },
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Writer

interface Entry {
  tag: number;
  type: 2 | 3 | 4 | 5;
  values: number[] | string;
}

/** Best rational approximation p/q of x with p, q < 2^32 (continued fractions). */
export function toRational(x: number): [number, number] {
  const LIMIT = 0xffffffff;
  if (!(x > 0) || !Number.isFinite(x)) return [1, 1];
  let [p0, q0, p1, q1] = [0, 1, 1, 0];
  let v = x;
  for (let i = 0; i < 64; i++) {
    const a = Math.floor(v);
    const p2 = a * p1 + p0;
    const q2 = a * q1 + q0;
    if (p2 > LIMIT || q2 > LIMIT) break;
    [p0, q0, p1, q1] = [p1, q1, p2, q2];
    const frac = v - a;
    if (frac < 1e-15 || p1 / q1 === x) break;
    v = 1 / frac;
  }
  if (q1 === 0) return [Math.min(LIMIT, Math.round(x)), 1];
  if (p1 === 0) return [1, LIMIT];
  return [p1, q1];
}

function sampleFormatOf(dtype: DType): number {
  return dtype.startsWith('float') ? 3 : dtype.startsWith('int') ? 2 : 1;
}

function safeUnit(volume: Volume): string {
  const unit = volume.meta?.unit;
  if (typeof unit === 'string') {
    const ascii = unit.replace(/µ/g, '\\u00B5');
    if (/^[\x20-\x7e]{1,32}$/.test(ascii) && !ascii.includes('=')) return ascii;
  }
  return 'mm';
}

function imagejDescription(volume: Volume, images: number, channels: number): string {
  const nz = volume.shape[2];
  const lines = ['ImageJ=1.11a', `images=${images}`];
  if (channels > 1) lines.push(`channels=${channels}`);
  if (nz > 1) lines.push(`slices=${nz}`);
  if (channels > 1) lines.push('hyperstack=true', 'mode=grayscale');
  lines.push(`unit=${safeUnit(volume)}`);
  lines.push(`spacing=${volume.spacing[2]}`);
  lines.push('loop=false');
  lines.push(`segstation_spacing=${volume.spacing.join(',')}`);
  lines.push(`segstation_origin=${volume.origin.join(',')}`);
  lines.push(`segstation_direction=${volume.direction.join(',')}`);
  return lines.join('\n') + '\n';
}

/**
 * Encodes a volume as a little-endian ImageJ-style TIFF stack (see the module comment for the layout). `compress` uses
 * Deflate per page.
 */
export function encodeTiff(volume: Volume, options: { compress?: boolean } = {}): Uint8Array {
  const [nx, ny, nz] = volume.shape;
  const K = volume.components;
  const bpe = bytesPerElement(volume.dtype);
  const rgb = K === 3 && volume.dtype === 'uint8';
  const spp = rgb ? 3 : 1;
  const channels = rgb ? 1 : K;
  const pageCount = nz * channels;
  const planeBytes = nx * ny * spp * bpe;
  const bytes = asBytes(volume.data);
  const compress = options.compress === true;

  // Page data, in the order ImageJ expects: channel fastest, then z.
  const pageData = (k: number): Uint8Array => {
    const z = Math.floor(k / channels);
    if (channels === 1) return bytes.subarray(z * planeBytes, (z + 1) * planeBytes);
    const c = k % channels;
    const plane = allocate(volume.dtype, nx * ny);
    const base = z * nx * ny * K + c;
    for (let i = 0, n = nx * ny; i < n; i++) plane[i] = volume.data[base + i * K];
    return asBytes(plane);
  };
  const compressed: Uint8Array[] = [];
  if (compress) for (let k = 0; k < pageCount; k++) compressed.push(zlib.deflateSync(pageData(k), { level: 6 }));
  const sizes = compress ? compressed.map((c) => c.length) : new Array<number>(pageCount).fill(planeBytes);

  const xres = toRational(1 / volume.spacing[0]);
  const yres = toRational(1 / volume.spacing[1]);
  const description = imagejDescription(volume, pageCount, channels);
  const sf = sampleFormatOf(volume.dtype);
  const entriesOf = (k: number, dataOffset: number): Entry[] => {
    const entries: Entry[] = [
      { tag: TAG.NewSubfileType, type: 4, values: [0] },
      { tag: TAG.ImageWidth, type: 4, values: [nx] },
      { tag: TAG.ImageLength, type: 4, values: [ny] },
      { tag: TAG.BitsPerSample, type: 3, values: new Array<number>(spp).fill(bpe * 8) },
      { tag: TAG.Compression, type: 3, values: [compress ? 8 : 1] },
      { tag: TAG.Photometric, type: 3, values: [rgb ? 2 : 1] },
    ];
    if (k === 0) entries.push({ tag: TAG.ImageDescription, type: 2, values: description });
    entries.push(
      { tag: TAG.StripOffsets, type: 4, values: [dataOffset] },
      { tag: TAG.SamplesPerPixel, type: 3, values: [spp] },
      { tag: TAG.RowsPerStrip, type: 4, values: [ny] },
      { tag: TAG.StripByteCounts, type: 4, values: [sizes[k]] },
      { tag: TAG.XResolution, type: 5, values: xres },
      { tag: TAG.YResolution, type: 5, values: yres },
      { tag: TAG.PlanarConfiguration, type: 3, values: [1] },
      { tag: TAG.ResolutionUnit, type: 3, values: [1] },
    );
    if (k === 0) entries.push({ tag: TAG.Software, type: 2, values: 'segstation' });
    entries.push({ tag: TAG.SampleFormat, type: 3, values: new Array<number>(spp).fill(sf) });
    return entries;
  };
  const valueBytes = (e: Entry): number =>
    typeof e.values === 'string' ? Buffer.byteLength(e.values, 'latin1') + 1 : e.values.length * (e.type === 3 ? 2 : 4);
  const extraBytes = (entries: Entry[]): number =>
    entries.reduce((n, e) => {
      const b = valueBytes(e);
      return n + (b > 4 ? b + (b & 1) : 0);
    }, 0);

  // Layout: header, all page data, then IFDs (word aligned), each followed by its out-of-line values.
  const dataStart = 8;
  const dataOffsets: number[] = [];
  let cursor = dataStart;
  for (let k = 0; k < pageCount; k++) {
    dataOffsets.push(cursor);
    cursor += sizes[k];
  }
  const ifdOffsets: number[] = [];
  for (let k = 0; k < pageCount; k++) {
    cursor += cursor & 1;
    ifdOffsets.push(cursor);
    const entries = entriesOf(k, dataOffsets[k]);
    cursor += 2 + entries.length * 12 + 4 + extraBytes(entries);
  }
  const total = cursor;
  if (total > 0xffffffff) {
    throw new InputError(
      'tiff',
      `volume needs ${total} bytes, more than a classic TIFF can address (4 GiB): write OME-Zarr, NIfTI or HDF5 instead`,
    );
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out[0] = 0x49;
  out[1] = 0x49;
  view.setUint16(2, 42, true);
  view.setUint32(4, ifdOffsets[0], true);
  for (let k = 0; k < pageCount; k++) out.set(compress ? compressed[k] : pageData(k), dataOffsets[k]);
  for (let k = 0; k < pageCount; k++) {
    const entries = entriesOf(k, dataOffsets[k]);
    const at = ifdOffsets[k];
    view.setUint16(at, entries.length, true);
    let extra = at + 2 + entries.length * 12 + 4;
    entries.forEach((e, i) => {
      const p = at + 2 + i * 12;
      view.setUint16(p, e.tag, true);
      view.setUint16(p + 2, e.type, true);
      const count = typeof e.values === 'string' ? valueBytes(e) : e.type === 5 ? e.values.length / 2 : e.values.length;
      view.setUint32(p + 4, count, true);
      const size = valueBytes(e);
      const where = size > 4 ? extra : p + 8;
      if (size > 4) {
        view.setUint32(p + 8, extra, true);
        extra += size + (size & 1);
      }
      if (typeof e.values === 'string') {
        out.set(Buffer.from(e.values, 'latin1'), where);
        out[where + size - 1] = 0;
      } else {
        e.values.forEach((v, j) => {
          if (e.type === 3) view.setUint16(where + j * 2, v, true);
          else view.setUint32(where + j * 4, v, true);
        });
      }
    });
    view.setUint32(at + 2 + entries.length * 12, k + 1 < pageCount ? ifdOffsets[k + 1] : 0, true);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// Registry entries

function isTiffMagic(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const ii = b[0] === 0x49 && b[1] === 0x49 && b[3] === 0x00 && (b[2] === 42 || b[2] === 43);
  const mm = b[0] === 0x4d && b[1] === 0x4d && b[2] === 0x00 && (b[3] === 42 || b[3] === 43);
  return ii || mm;
}

export const tiffReader: VolumeReader = {
  format: 'tiff',
  extensions: ['.tif', '.tiff'],
  sniff(head: FileHead): boolean {
    return !head.gzipped && isTiffMagic(head.bytes);
  },
  sniffDirectory(_dir: string, entries: readonly string[]): boolean {
    const visible = entries.filter((e) => !e.startsWith('.'));
    return visible.length > 0 && visible.every((e) => TIFF_NAME.test(e));
  },
  async read(file: string) {
    let stat;
    try {
      stat = await fs.stat(file);
    } catch (error) {
      throw new InputError(file, 'no such file or folder', { cause: error });
    }
    return stat.isDirectory() ? readTiffFolder(file) : readTiffFile(file);
  },
};

export const tiffWriter: VolumeWriter = {
  format: 'tiff',
  extensions: ['.tif', '.tiff'],
  async write(volume: Volume, file: string, options?: WriteOptions): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = encodeTiff(volume, { compress: options?.compress === true });
    } catch (error) {
      if (error instanceof InputError) throw new InputError(file, error.problem);
      throw error;
    }
    await writeFileAtomic(file, bytes);
  },
};
