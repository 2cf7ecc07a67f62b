import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectReader, readVolume, registerReader, registerWriter, writeVolume } from '../../../main/io/registry.ts';
import {
  decodeTiff,
  encodeTiff,
  naturalCompare,
  tiffReader,
  tiffWriter,
  toRational,
} from '../../../main/io/tiff.ts';
import { InputError } from '../../../main/util/errors.ts';
import { allocate, asBytes, DTYPES, type DType, type TypedArray } from '../../../main/volume/dtype.ts';
import { createVolume, type Mat3, type Vec3, type Volume } from '../../../main/volume/volume.ts';
import {
  engineShape,
  hasSharedData,
  loadManifest,
  manifestShapeXYZ,
  normalizeManifestDType,
  sharedPath,
} from '../../helpers/shared-data.ts';

let tmp = '';

beforeAll(async () => {
  registerReader(tiffReader);
  registerWriter(tiffWriter);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-tiff-'));
});

afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------------------
// Helpers

function range(data: TypedArray): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    if (data[i] < min) min = data[i];
    if (data[i] > max) max = data[i];
  }
  return [min, max];
}

function expectClose(actual: readonly number[], expected: readonly number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i]))));
}

function sameBytes(a: TypedArray, b: TypedArray): boolean {
  return Buffer.compare(asBytes(a), asBytes(b)) === 0;
}

/** Deterministic test values that exercise the sign and the full width of each dtype. */
function pattern(dtype: DType, n: number): TypedArray {
  const data = allocate(dtype, n);
  const spread: Record<DType, number> = {
    uint8: 255, int8: 255, uint16: 65535, int16: 65535, uint32: 4e9, int32: 4e9, float32: 1e6, float64: 1e12,
  };
  const offset: Record<DType, number> = {
    uint8: 0, int8: -128, uint16: 0, int16: -32768, uint32: 0, int32: -2e9, float32: -5e5, float64: -5e11,
  };
  for (let i = 0; i < n; i++) {
    const t = ((i * 2654435761) % 1000003) / 1000003;
    const v = offset[dtype] + t * spread[dtype];
    data[i] = dtype.startsWith('float') ? v + 0.125 : Math.round(v);
  }
  return data;
}

function volumeOf(dtype: DType, shape: Vec3, components = 1, geometry: Partial<Pick<Volume, 'spacing' | 'origin' | 'direction'>> = {}): Volume {
  return createVolume({ shape, data: pattern(dtype, shape[0] * shape[1] * shape[2] * components), components, ...geometry });
}

async function expectInputError(promise: Promise<unknown>, subject: string | RegExp, problem: RegExp): Promise<InputError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InputError);
  const error = caught as InputError;
  if (typeof subject === 'string') expect(error.subject).toBe(subject);
  else expect(error.subject).toMatch(subject);
  expect(error.problem).toMatch(problem);
  return error;
}

// ---------------------------------------------------------------------------------------------------------------------
// A small TIFF builder for odd inputs (big-endian, BigTIFF, LZW, PackBits, tiles, planar, predictors, ImageJ tricks)

interface PageSpec {
  width: number;
  height: number;
  bits: number;
  sampleFormat?: number;
  spp?: number;
  planar?: 1 | 2;
  compression?: number;
  predictor?: 1 | 2 | 3;
  tile?: [number, number];
  rowsPerStrip?: number;
  /** Native little-endian samples, interleaved (1-bit: packed rows, MSB first). */
  data: Uint8Array;
  description?: string;
  xres?: [number, number];
  yres?: [number, number];
  /** Added to every strip/tile offset (a lie that points past the end of the file). */
  offsetBias?: number;
}

class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private nbits = 0;
  write(code: number, width: number): void {
    this.acc = (this.acc << width) | code;
    this.nbits += width;
    while (this.nbits >= 8) {
      this.bytes.push((this.acc >>> (this.nbits - 8)) & 0xff);
      this.nbits -= 8;
      this.acc &= (1 << this.nbits) - 1;
    }
  }
  finish(): Uint8Array {
    if (this.nbits > 0) this.bytes.push((this.acc << (8 - this.nbits)) & 0xff);
    return Uint8Array.from(this.bytes);
  }
}

/** TIFF LZW (MSB first, early change), with clear codes when the table fills up. */
function lzwEncode(data: Uint8Array): Uint8Array {
  const out = new BitWriter();
  let table = new Map<number, number>();
  let next = 258;
  let width = 9;
  out.write(256, width);
  let w = -1;
  for (const b of data) {
    if (w < 0) {
      w = b;
      continue;
    }
    const key = w * 256 + b;
    const hit = table.get(key);
    if (hit !== undefined) {
      w = hit;
      continue;
    }
    out.write(w, width);
    table.set(key, next++);
    if (next >= 1 << width && width < 12) width++;
    if (next >= 4094) {
      out.write(256, width);
      table = new Map();
      next = 258;
      width = 9;
    }
    w = b;
  }
  if (w >= 0) out.write(w, width);
  out.write(257, width);
  return out.finish();
}

function packBitsEncode(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < data.length) {
    let run = 1;
    while (i + run < data.length && run < 128 && data[i + run] === data[i]) run++;
    if (run >= 3) {
      out.push(257 - run, data[i]);
      i += run;
      continue;
    }
    let lit = 0;
    while (i + lit < data.length && lit < 128) {
      if (i + lit + 2 < data.length && data[i + lit] === data[i + lit + 1] && data[i + lit] === data[i + lit + 2]) break;
      lit++;
    }
    out.push(lit - 1, ...data.subarray(i, i + lit));
    i += lit;
  }
  return Uint8Array.from(out);
}

function swapped(bytes: Uint8Array, size: number): Uint8Array {
  const out = bytes.slice();
  if (size > 1) for (let i = 0; i < out.length; i += size) out.subarray(i, i + size).reverse();
  return out;
}

/** Encodes one chunk (rows x rowSamples samples, native LE) as it sits in the file. */
function encodeChunk(raw: Uint8Array, rows: number, rowSamples: number, spp: number, bps: number, spec: PageSpec, bigEndian: boolean): Uint8Array {
  let bytes: Uint8Array = raw.slice();
  const predictor = spec.predictor ?? 1;
  if (predictor === 3) {
    const rowBytes = rowSamples * bps;
    const out = new Uint8Array(bytes.length);
    for (let r = 0; r < rows; r++) {
      const tmp = new Uint8Array(rowBytes);
      for (let k = 0; k < rowSamples; k++) {
        for (let b = 0; b < bps; b++) tmp[b * rowSamples + k] = bytes[r * rowBytes + k * bps + (bps - 1 - b)];
      }
      for (let i = rowBytes - 1; i >= spp; i--) tmp[i] = (tmp[i] - tmp[i - spp]) & 0xff;
      out.set(tmp, r * rowBytes);
    }
    bytes = out;
  } else {
    if (predictor === 2) {
      const view =
        bps === 1 ? bytes : bps === 2 ? new Uint16Array(bytes.buffer) : new Uint32Array(bytes.buffer);
      for (let r = 0; r < rows; r++) {
        for (let i = rowSamples - 1; i >= spp; i--) view[r * rowSamples + i] -= view[r * rowSamples + i - spp];
      }
    }
    if (bigEndian) bytes = swapped(bytes, bps);
  }
  switch (spec.compression ?? 1) {
    case 1: return bytes;
    case 5: return lzwEncode(bytes);
    case 8: case 32946: return new Uint8Array(zlib.deflateSync(bytes));
    case 32773: return packBitsEncode(bytes);
    default: return bytes; // unsupported schemes: content does not matter
  }
}

interface IfdEntry {
  tag: number;
  type: number;
  values: number[] | string;
}

function buildTiff(pages: PageSpec[], options: { bigEndian?: boolean; bigTiff?: boolean; chainLength?: number } = {}): Uint8Array {
  const le = !options.bigEndian;
  const big = options.bigTiff === true;
  const chunks: Uint8Array[] = [];
  let cursor = big ? 16 : 8;
  const pageEntries: IfdEntry[][] = [];
  for (const spec of pages) {
    const spp = spec.spp ?? 1;
    const planar = spec.planar ?? 1;
    const bps = spec.bits / 8;
    const [cw, ch] = spec.tile ?? [spec.width, Math.min(spec.height, spec.rowsPerStrip ?? spec.height)];
    const across = Math.ceil(spec.width / cw);
    const down = Math.ceil(spec.height / ch);
    const planes = planar === 2 ? spp : 1;
    const chunkSpp = planar === 2 ? 1 : spp;
    const offsets: number[] = [];
    const counts: number[] = [];
    for (let p = 0; p < planes; p++) {
      for (let cy = 0; cy < down; cy++) {
        for (let cx = 0; cx < across; cx++) {
          const rows = spec.tile ? ch : Math.min(ch, spec.height - cy * ch);
          let raw: Uint8Array;
          if (spec.bits === 1) {
            const rowBytes = Math.ceil(spec.width / 8);
            raw = spec.data.slice(cy * ch * rowBytes, (cy * ch + rows) * rowBytes);
          } else {
            raw = new Uint8Array(rows * cw * chunkSpp * bps);
            for (let r = 0; r < rows; r++) {
              const y = cy * ch + r;
              if (y >= spec.height) break;
              for (let c = 0; c < cw; c++) {
                const x = cx * cw + c;
                if (x >= spec.width) break;
                for (let s = 0; s < chunkSpp; s++) {
                  const sample = planar === 2 ? p : s;
                  const src = ((y * spec.width + x) * spp + sample) * bps;
                  raw.set(spec.data.subarray(src, src + bps), ((r * cw + c) * chunkSpp + s) * bps);
                }
              }
            }
          }
          const encoded = spec.bits === 1 ? raw : encodeChunk(raw, rows, cw * chunkSpp, chunkSpp, bps, spec, !le);
          offsets.push(cursor + (spec.offsetBias ?? 0));
          counts.push(encoded.length);
          chunks.push(encoded);
          cursor += encoded.length;
        }
      }
    }
    const entries: IfdEntry[] = [
      { tag: 256, type: 4, values: [spec.width] },
      { tag: 257, type: 4, values: [spec.height] },
      { tag: 258, type: 3, values: new Array(spp).fill(spec.bits) },
      { tag: 259, type: 3, values: [spec.compression ?? 1] },
      { tag: 262, type: 3, values: [spp === 3 ? 2 : 1] },
      { tag: 277, type: 3, values: [spp] },
      { tag: 284, type: 3, values: [planar] },
      { tag: 339, type: 3, values: new Array(spp).fill(spec.sampleFormat ?? 1) },
    ];
    if (spec.description !== undefined) entries.push({ tag: 270, type: 2, values: spec.description });
    if (spec.xres) entries.push({ tag: 282, type: 5, values: spec.xres });
    if (spec.yres) entries.push({ tag: 283, type: 5, values: spec.yres });
    if (spec.predictor && spec.predictor !== 1) entries.push({ tag: 317, type: 3, values: [spec.predictor] });
    const offsetType = big ? 16 : 4;
    if (spec.tile) {
      entries.push(
        { tag: 322, type: 4, values: [cw] },
        { tag: 323, type: 4, values: [ch] },
        { tag: 324, type: offsetType, values: offsets },
        { tag: 325, type: 4, values: counts },
      );
    } else {
      entries.push(
        { tag: 273, type: offsetType, values: offsets },
        { tag: 278, type: 4, values: [ch] },
        { tag: 279, type: 4, values: counts },
      );
    }
    entries.sort((a, b) => a.tag - b.tag);
    pageEntries.push(entries);
  }
  const size = (type: number) => ({ 2: 1, 3: 2, 4: 4, 5: 8, 16: 8 })[type] ?? 4;
  const countOf = (e: IfdEntry) => (typeof e.values === 'string' ? e.values.length + 1 : e.type === 5 ? e.values.length / 2 : e.values.length);
  const inline = big ? 8 : 4;
  const entrySize = big ? 20 : 12;
  const ifdOffsets: number[] = [];
  for (const entries of pageEntries) {
    cursor += cursor & 1;
    ifdOffsets.push(cursor);
    cursor += (big ? 8 : 2) + entries.length * entrySize + (big ? 8 : 4);
    for (const e of entries) {
      const n = countOf(e) * size(e.type);
      if (n > inline) cursor += n + (n & 1);
    }
  }
  const out = new Uint8Array(cursor);
  const view = new DataView(out.buffer);
  const setOffset = (at: number, v: number) => (big ? view.setBigUint64(at, BigInt(v), le) : view.setUint32(at, v, le));
  out.set(le ? [0x49, 0x49] : [0x4d, 0x4d], 0);
  view.setUint16(2, big ? 43 : 42, le);
  if (big) {
    view.setUint16(4, 8, le);
    view.setUint16(6, 0, le);
    setOffset(8, ifdOffsets[0]);
  } else setOffset(4, ifdOffsets[0]);
  let at = big ? 16 : 8;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  const chain = options.chainLength ?? pageEntries.length;
  pageEntries.forEach((entries, k) => {
    const base = ifdOffsets[k];
    if (big) view.setBigUint64(base, BigInt(entries.length), le);
    else view.setUint16(base, entries.length, le);
    const first = base + (big ? 8 : 2);
    let extra = first + entries.length * entrySize + (big ? 8 : 4);
    entries.forEach((e, i) => {
      const p = first + i * entrySize;
      view.setUint16(p, e.tag, le);
      view.setUint16(p + 2, e.type, le);
      if (big) view.setBigUint64(p + 4, BigInt(countOf(e)), le);
      else view.setUint32(p + 4, countOf(e), le);
      const n = countOf(e) * size(e.type);
      let where = p + (big ? 12 : 8);
      if (n > inline) {
        setOffset(where, extra);
        where = extra;
        extra += n + (n & 1);
      }
      if (typeof e.values === 'string') out.set(Buffer.from(e.values, 'latin1'), where);
      else {
        e.values.forEach((v, j) => {
          const q = where + j * (e.type === 5 ? 4 : size(e.type));
          if (e.type === 3) view.setUint16(q, v, le);
          else if (e.type === 16) view.setBigUint64(q, BigInt(v), le);
          else view.setUint32(q, v, le);
        });
      }
    });
    const nextAt = first + entries.length * entrySize;
    setOffset(nextAt, k + 1 < chain ? ifdOffsets[k + 1] : 0);
  });
  return out;
}

function bytesOf(data: TypedArray): Uint8Array {
  return asBytes(data).slice();
}

// ---------------------------------------------------------------------------------------------------------------------
// Real data

const manifestEntries = hasSharedData()
  ? loadManifest().filter((e) => /\.tiff?$/i.test(e.path) && e.shape && e.dtype)
  : [];

describe.skipIf(!hasSharedData())('shared TIFF data', () => {
  it('the manifest lists TIFF files', () => {
    expect(manifestEntries.length).toBeGreaterThanOrEqual(4);
  });

  it.each(manifestEntries.map((e) => [e.path, e] as const))('%s opens with the manifest shape, dtype and range', async (_p, entry) => {
    const file = sharedPath(entry.path);
    expect((await detectReader(file)).format).toBe('tiff');
    const volume = await readVolume(file);
    expect(engineShape(volume.shape, volume.components)).toEqual(manifestShapeXYZ(entry));
    expect(volume.dtype).toBe(normalizeManifestDType(entry.dtype!));
    const [min, max] = range(volume.data);
    expect(min).toBe(entry.min);
    expect(max).toBe(entry.max);
  });

  it('electrode.tiff: 256^3 uint8 with the published phase fractions, read in well under a second', async () => {
    const t0 = performance.now();
    const volume = await readVolume(sharedPath('taufactor/electrode.tiff'));
    const ms = performance.now() - t0;
    expect(volume.shape).toEqual([256, 256, 256]);
    expect(volume.dtype).toBe('uint8');
    const histogram = new Float64Array(256);
    for (let i = 0; i < volume.data.length; i++) histogram[volume.data[i]]++;
    expect([...histogram.keys()].filter((v) => histogram[v] > 0)).toEqual([0, 85, 170]);
    const pct = (v: number) => (100 * histogram[v]) / volume.data.length;
    expect(Math.abs(pct(0) - 45.0)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(pct(85) - 40.1)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(pct(170) - 15.0)).toBeLessThanOrEqual(0.1);
    expect(volume.spacing).toEqual([1, 1, 1]);
    expect(ms).toBeLessThan(1000);
  });

  it('headsq_zyx.tif: ImageJ spacing from XResolution/YResolution and spacing=, unit in meta', async () => {
    const volume = await readVolume(sharedPath('derived/headsq_zyx.tif'));
    expectClose(volume.spacing, [3.2, 3.2, 1.5], 1e-9);
    expect(volume.meta.imagej).toBe(true);
    expect(volume.meta.unit).toBe('mm');
    expect(volume.origin).toEqual([0, 0, 0]);
  });

  it('Fiji skeleton file: ImageJ with 1/1 resolution gives unit spacing', async () => {
    const volume = await readVolume(sharedPath('skimage/_blobs_3d_fiji_skeleton.tif'));
    expect(volume.spacing).toEqual([1, 1, 1]);
    expect(volume.meta.tiffPages).toBe(30);
  });

  it('non-ImageJ files keep spacing 1 even with a DPI resolution (multipage.tif: 72 dpi)', async () => {
    const volume = await readVolume(sharedPath('skimage/multipage.tif'));
    expect(volume.spacing).toEqual([1, 1, 1]);
  });

  it('a copy cut short is an InputError saying it is truncated', async () => {
    for (const [rel, keep] of [['taufactor/electrode.tiff', 0.5], ['derived/headsq_zyx.tif', 0.6]] as const) {
      const bytes = await fs.readFile(sharedPath(rel));
      const file = path.join(tmp, `cut-${path.basename(rel)}`);
      await fs.writeFile(file, bytes.subarray(0, Math.floor(bytes.length * keep)));
      await expectInputError(readVolume(file), file, /truncated/);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Detection

describe('detection', () => {
  const head = (bytes: number[], name = 'x.bin') => ({ bytes: Uint8Array.from(bytes), gzipped: false, name });

  it('sniffs little-endian, big-endian and BigTIFF magic, and nothing else', () => {
    expect(tiffReader.sniff!(head([0x49, 0x49, 42, 0, 8, 0, 0, 0]))).toBe(true);
    expect(tiffReader.sniff!(head([0x4d, 0x4d, 0, 42, 0, 0, 0, 8]))).toBe(true);
    expect(tiffReader.sniff!(head([0x49, 0x49, 43, 0, 8, 0, 0, 0]))).toBe(true);
    expect(tiffReader.sniff!(head([0x4d, 0x4d, 0, 43, 0, 8, 0, 0]))).toBe(true);
    expect(tiffReader.sniff!(head([0x49, 0x49, 41, 0]))).toBe(false);
    expect(tiffReader.sniff!(head([0x89, 0x48, 0x44, 0x46]))).toBe(false);
    expect(tiffReader.sniff!(head([0x49, 0x49]))).toBe(false);
  });

  it('sniffs a folder only when every visible entry is a .tif/.tiff', () => {
    expect(tiffReader.sniffDirectory!('d', ['a.tif', 'b.TIFF', '.DS_Store'])).toBe(true);
    expect(tiffReader.sniffDirectory!('d', ['a.tif', 'notes.txt'])).toBe(false);
    expect(tiffReader.sniffDirectory!('d', [])).toBe(false);
    expect(tiffReader.sniffDirectory!('d', ['.hidden.tif'])).toBe(false);
  });

  it('natural order puts slice_2 before slice_10', () => {
    expect(['slice_10.tif', 'slice_2.tif', 'slice_1.tif'].sort(naturalCompare)).toEqual([
      'slice_1.tif',
      'slice_2.tif',
      'slice_10.tif',
    ]);
  });

  it('rational approximation of 1/spacing is exact for decimal spacings', () => {
    for (const s of [0.3, 3.2, 0.25, 1, 0.0005, 7.77]) {
      const [p, q] = toRational(1 / s);
      expect(Math.abs(q / p - s) / s).toBeLessThan(1e-12);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Round trips

describe('round trip', () => {
  const cases = DTYPES.flatMap((dtype) => [1, 3].flatMap((components) => [false, true].map((compress) => [dtype, components, compress] as const)));

  it.each(cases)('%s x %i components (deflate: %s) is lossless, geometry included', async (dtype, components, compress) => {
    const volume = volumeOf(dtype, [7, 5, 4], components, {
      spacing: [0.3, 0.7, 2.5],
      origin: [-12.5, 3.25, 100],
      direction: [0, 1, 0, 1, 0, 0, 0, 0, -1] as Mat3,
    });
    const file = path.join(tmp, `rt-${dtype}-${components}-${compress}.tif`);
    await writeVolume(volume, file, { compress });
    const back = await readVolume(file);
    expect(back.shape).toEqual(volume.shape);
    expect(back.dtype).toBe(dtype);
    expect(back.components).toBe(components);
    expect(back.spacing).toEqual(volume.spacing);
    expect(back.origin).toEqual(volume.origin);
    expect(back.direction).toEqual(volume.direction);
    expect(sameBytes(back.data, volume.data)).toBe(true);
    expect(back.meta.imagej).toBe(true);
    // no temp file left beside the target
    expect((await fs.readdir(tmp)).filter((e) => e.startsWith('.'))).toEqual([]);
  });

  it('a 2D single page reads as shape [x, y, 1]', async () => {
    const volume = volumeOf('uint16', [9, 6, 1]);
    const back = await decodeTiff(encodeTiff(volume));
    expect(back.shape).toEqual([9, 6, 1]);
    expect(sameBytes(back.data, volume.data)).toBe(true);
  });

  it('ImageJ fields alone (private keys stripped) give the spacing back, origin and direction reset', async () => {
    const volume = volumeOf('float32', [6, 5, 3], 1, { spacing: [0.3, 0.7, 2.5], origin: [1, 2, 3] });
    const bytes = encodeTiff(volume);
    const text = Buffer.from(bytes).toString('latin1');
    expect(text).toContain('ImageJ=');
    expect(text).toContain('images=3\n');
    expect(text).toContain('slices=3\n');
    expect(text).toContain('spacing=2.5\n');
    expect(text).toContain('unit=mm\n');
    // same length, so the file stays valid: the private keys become unknown keys
    const stripped = Buffer.from(text.replaceAll('segstation_', 'xegstation_'), 'latin1');
    const back = await decodeTiff(new Uint8Array(stripped));
    expectClose(back.spacing, [0.3, 0.7, 2.5], 1e-12);
    expect(back.origin).toEqual([0, 0, 0]);
    expect(back.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(sameBytes(back.data, volume.data)).toBe(true);
  });

  it('keeps the ImageJ unit from meta', async () => {
    const volume = createVolume({ ...volumeOf('uint8', [4, 4, 2]), meta: { unit: 'micron' } });
    const back = await decodeTiff(encodeTiff(volume));
    expect(back.meta?.unit).toBe('micron');
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Encodings other writers produce

describe('decoding', () => {
  const u16 = pattern('uint16', 37 * 23 * 2);
  const u16Page = (k: number) => bytesOf(u16.subarray(k * 37 * 23, (k + 1) * 37 * 23));
  const base = { width: 37, height: 23, bits: 16 } as const;

  const encodings: [string, Partial<PageSpec>, { bigEndian?: boolean; bigTiff?: boolean }][] = [
    ['uncompressed big-endian', {}, { bigEndian: true }],
    ['LZW', { compression: 5 }, {}],
    ['LZW big-endian with horizontal predictor', { compression: 5, predictor: 2 }, { bigEndian: true }],
    ['Deflate (8) with predictor', { compression: 8, predictor: 2 }, {}],
    ['Deflate (32946) big-endian', { compression: 32946 }, { bigEndian: true }],
    ['PackBits', { compression: 32773 }, {}],
    ['several strips', { rowsPerStrip: 5 }, {}],
    ['tiles 16x16 with LZW', { tile: [16, 16], compression: 5 }, {}],
    ['tiles big-endian deflate', { tile: [16, 16], compression: 8 }, { bigEndian: true }],
    ['BigTIFF', {}, { bigTiff: true }],
    ['BigTIFF big-endian tiles', { tile: [16, 16] }, { bigTiff: true, bigEndian: true }],
  ];

  it.each(encodings)('uint16 stack, %s', async (_name, spec, options) => {
    const bytes = buildTiff([0, 1].map((k) => ({ ...base, ...spec, data: u16Page(k) })), options);
    const volume = await decodeTiff(bytes);
    expect(volume.shape).toEqual([37, 23, 2]);
    expect(volume.dtype).toBe('uint16');
    expect(sameBytes(volume.data, u16)).toBe(true);
  });

  it('LZW survives table resets (random 16-bit data fills the 4096-entry table)', async () => {
    const data = pattern('uint16', 64 * 64);
    const volume = await decodeTiff(buildTiff([{ width: 64, height: 64, bits: 16, compression: 5, data: bytesOf(data) }]));
    expect(sameBytes(volume.data, data)).toBe(true);
  });

  it.each([
    ['int8', 8, 2],
    ['int16', 16, 2],
    ['int32', 32, 2],
    ['uint32', 32, 1],
    ['float32', 32, 3],
    ['float64', 64, 3],
  ] as const)('%s via BitsPerSample/SampleFormat, big-endian', async (dtype, bits, sampleFormat) => {
    const data = pattern(dtype, 11 * 7 * 3);
    const pages = [0, 1, 2].map((k) => ({
      width: 11,
      height: 7,
      bits,
      sampleFormat,
      data: bytesOf(data.subarray(k * 77, (k + 1) * 77)),
    }));
    const volume = await decodeTiff(buildTiff(pages, { bigEndian: true }));
    expect(volume.dtype).toBe(dtype);
    expect(sameBytes(volume.data, data)).toBe(true);
  });

  it.each([false, true])('float32 with the floating-point predictor (big-endian: %s)', async (bigEndian) => {
    const data = pattern('float32', 19 * 13);
    const volume = await decodeTiff(
      buildTiff([{ width: 19, height: 13, bits: 32, sampleFormat: 3, compression: 8, predictor: 3, data: bytesOf(data) }], { bigEndian }),
    );
    expect(sameBytes(volume.data, data)).toBe(true);
  });

  it('float16 samples widen to float32', async () => {
    const halves = Uint16Array.from([0x3c00, 0xc000, 0x3555, 0x0001, 0x7bff, 0x0000]); // 1, -2, ~1/3, 2^-24, 65504, 0
    const volume = await decodeTiff(buildTiff([{ width: 3, height: 2, bits: 16, sampleFormat: 3, data: bytesOf(halves) }]));
    expect(volume.dtype).toBe('float32');
    expectClose(Array.from(volume.data), [1, -2, 0.333251953125, 2 ** -24, 65504, 0], 1e-12);
  });

  it('1-bit pages unpack to uint8 0/1', async () => {
    // 10 x 2 pixels, rows padded to 2 bytes
    const packed = Uint8Array.from([0b10110000, 0b01000000, 0b00000001, 0b11000000]);
    const volume = await decodeTiff(buildTiff([{ width: 10, height: 2, bits: 1, data: packed }]));
    expect(volume.dtype).toBe('uint8');
    expect(Array.from(volume.data)).toEqual([1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
  });

  it.each([1, 2] as const)('RGB pages become 3 components (planar configuration %i)', async (planar) => {
    const data = pattern('uint8', 6 * 5 * 3 * 2);
    const pages = [0, 1].map((k) => ({
      width: 6,
      height: 5,
      bits: 8,
      spp: 3,
      planar,
      compression: 5,
      data: bytesOf(data.subarray(k * 90, (k + 1) * 90)),
    }));
    const volume = await decodeTiff(buildTiff(pages));
    expect(volume.shape).toEqual([6, 5, 2]);
    expect(volume.components).toBe(3);
    expect(sameBytes(volume.data, data)).toBe(true);
  });

  it("ImageJ's one-IFD trick: images=N with only the first IFD and contiguous data", async () => {
    const data = pattern('uint16', 8 * 6 * 5);
    const description = 'ImageJ=1.54f\nimages=5\nslices=5\nunit=micron\nspacing=0.8\nmin=0.0\nmax=65535.0\n';
    const pages = [0, 1, 2, 3, 4].map((k) => ({
      width: 8,
      height: 6,
      bits: 16,
      data: bytesOf(data.subarray(k * 48, (k + 1) * 48)),
      ...(k === 0 ? { description, xres: [5, 1] as [number, number], yres: [4, 1] as [number, number] } : {}),
    }));
    // All five IFDs are written, but only the first is linked: what ImageJ does for files over 4 GB.
    const volume = await decodeTiff(buildTiff(pages, { bigEndian: true, chainLength: 1 }));
    expect(volume.shape).toEqual([8, 6, 5]);
    expect(sameBytes(volume.data, data)).toBe(true);
    expectClose(volume.spacing, [0.2, 0.25, 0.8], 1e-12);
    expect(volume.meta?.unit).toBe('micron');
  });

  it('ImageJ hyperstack channels become components (channel fastest in the file)', async () => {
    const C = 2;
    const Z = 3;
    const planes = [...Array(C * Z).keys()].map((k) => pattern('uint8', 4 * 3).map((v) => (v + k * 7) & 255));
    const description = `ImageJ=1.54f\nimages=${C * Z}\nchannels=${C}\nslices=${Z}\nhyperstack=true\nmode=composite\n`;
    const pages = planes.map((p, k) => ({ width: 4, height: 3, bits: 8, data: bytesOf(p), ...(k === 0 ? { description } : {}) }));
    const volume = await decodeTiff(buildTiff(pages));
    expect(volume.shape).toEqual([4, 3, Z]);
    expect(volume.components).toBe(C);
    for (let z = 0; z < Z; z++) {
      for (let i = 0; i < 12; i++) {
        for (let c = 0; c < C; c++) expect(volume.data[(z * 12 + i) * C + c]).toBe(planes[z * C + c][i]);
      }
    }
  });

  it("ImageJ's signed 16-bit calibration (cf=20, c0=-32768) reads as int16", async () => {
    const stored = Uint16Array.from([0, 32768, 65535, 32700]);
    const description = 'ImageJ=1.54f\ncf=20\nc0=-32768.0\nc1=1.0\nvunit=Gray Value\n';
    const volume = await decodeTiff(buildTiff([{ width: 2, height: 2, bits: 16, description, data: bytesOf(stored) }]));
    expect(volume.dtype).toBe('int16');
    expect(Array.from(volume.data)).toEqual([-32768, 0, 32767, -68]);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Folders of slices

async function writeSlices(dir: string, slices: { name: string; volume: Volume }[]): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (const s of slices) await fs.writeFile(path.join(dir, s.name), encodeTiff(s.volume));
}

function constantSlice(value: number, shape: [number, number] = [5, 4], dtype: DType = 'uint8'): Volume {
  const data = allocate(dtype, shape[0] * shape[1]).fill(value);
  return createVolume({ shape: [shape[0], shape[1], 1], data });
}

describe('folder of slices', () => {
  it('reads slices in natural order into one volume', async () => {
    const dir = path.join(tmp, 'slices');
    const order = [1, 2, 3, 9, 10, 11, 12];
    await writeSlices(
      dir,
      [...order].reverse().map((k) => ({ name: `slice_${k}.tif`, volume: constantSlice(k) })),
    );
    await fs.writeFile(path.join(dir, '.DS_Store'), 'finder junk');
    expect((await detectReader(dir)).format).toBe('tiff');
    const volume = await readVolume(dir);
    expect(volume.shape).toEqual([5, 4, order.length]);
    order.forEach((k, z) => expect(volume.data[z * 20]).toBe(k));
    expect(volume.meta.tiffFiles).toBe(order.length);
  });

  it('carries x/y spacing of ImageJ slices', async () => {
    const dir = path.join(tmp, 'slices-spacing');
    const slice = (v: number) => createVolume({ ...constantSlice(v), spacing: [0.5, 0.25, 1] });
    await writeSlices(dir, [{ name: 'a1.tiff', volume: slice(1) }, { name: 'a2.tiff', volume: slice(2) }]);
    const volume = await readVolume(dir);
    expectClose(volume.spacing, [0.5, 0.25, 1], 1e-12);
  });

  it('mixed slice sizes: InputError naming the first offending file and both sizes', async () => {
    const dir = path.join(tmp, 'slices-mixed');
    await writeSlices(dir, [
      { name: 's1.tif', volume: constantSlice(1) },
      { name: 's2.tif', volume: constantSlice(2) },
      { name: 's3.tif', volume: constantSlice(3, [6, 4]) },
      { name: 's4.tif', volume: constantSlice(4, [7, 4]) },
    ]);
    const error = await expectInputError(readVolume(dir), path.join(dir, 's3.tif'), /6x4/);
    expect(error.problem).toMatch(/5x4/);
    expect(error.problem).toMatch(/s1\.tif/);
  });

  it('mixed slice dtypes: InputError naming the file', async () => {
    const dir = path.join(tmp, 'slices-dtype');
    await writeSlices(dir, [
      { name: 's1.tif', volume: constantSlice(1) },
      { name: 's2.tif', volume: constantSlice(2, [5, 4], 'uint16') },
    ]);
    await expectInputError(readVolume(dir), path.join(dir, 's2.tif'), /uint16.*uint8/);
  });

  it('empty folder and a folder with other files are InputErrors', async () => {
    const empty = path.join(tmp, 'empty');
    await fs.mkdir(empty);
    await expectInputError(tiffReader.read(empty), empty, /empty/);
    await expectInputError(readVolume(empty), empty, /empty/);
    const mixed = path.join(tmp, 'slices-other');
    await writeSlices(mixed, [{ name: 's1.tif', volume: constantSlice(1) }]);
    await fs.writeFile(path.join(mixed, 'notes.txt'), 'x');
    await expectInputError(tiffReader.read(mixed), mixed, /notes\.txt/);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Bad input

describe('bad input', () => {
  const page = (width: number, height: number, extra: Partial<PageSpec> = {}): PageSpec => ({
    width,
    height,
    bits: 8,
    data: new Uint8Array(width * height).fill(7),
    ...extra,
  });

  async function fileWith(name: string, bytes: Uint8Array): Promise<string> {
    const file = path.join(tmp, name);
    await fs.writeFile(file, bytes);
    return file;
  }

  it('a strip beyond the end of the file', async () => {
    const file = await fileWith('strip-eof.tif', buildTiff([page(8, 8), page(8, 8, { offsetBias: 100_000 })]));
    const error = await expectInputError(readVolume(file), file, /truncated/);
    expect(error.problem).toMatch(/page 2 strip 1/);
  });

  it('a file cut inside its IFDs', async () => {
    const full = encodeTiff(volumeOf('int16', [16, 16, 4]));
    const file = await fileWith('cut.tif', full.subarray(0, full.length - 40));
    await expectInputError(readVolume(file), file, /truncated/);
  });

  it('a file cut right after its header', async () => {
    const full = buildTiff([page(64, 64, { compression: 8 })]);
    const file = await fileWith('cut-header.tif', full.subarray(0, 20));
    await expectInputError(readVolume(file), file, /IFD of page 1 lies beyond the end of the file.*truncated/);
  });

  it('corrupt Deflate data', async () => {
    const bytes = buildTiff([page(32, 32, { compression: 8, data: bytesOf(pattern('uint8', 1024)) })]);
    bytes.fill(0xff, 12, 40);
    const file = await fileWith('corrupt-deflate.tif', bytes);
    await expectInputError(readVolume(file), file, /Deflate data is corrupt/);
  });

  it.each([
    [7, 'JPEG compression (7) is not supported'],
    [34712, 'JPEG 2000 compression (34712) is not supported'],
    [50000, 'Zstandard compression (50000) is not supported'],
    [4, 'CCITT Group 4 fax compression (4) is not supported'],
  ])('compression %i is named', async (code, message) => {
    const file = await fileWith(`comp-${code}.tif`, buildTiff([page(8, 8, { compression: code })]));
    const error = await expectInputError(readVolume(file), file, /not supported/);
    expect(error.problem).toBe(message);
  });

  it('mixed page sizes in a multi-page file', async () => {
    const file = await fileWith('mixed-pages.tif', buildTiff([page(8, 8), page(8, 8), page(9, 8)]));
    const error = await expectInputError(readVolume(file), file, /page 3 is 9x8 but page 1 is 8x8/);
    expect(error.message).toContain(file);
  });

  it('mixed sample types in a multi-page file', async () => {
    const file = await fileWith(
      'mixed-types.tif',
      buildTiff([page(4, 4), { width: 4, height: 4, bits: 16, data: new Uint8Array(32) }]),
    );
    await expectInputError(readVolume(file), file, /page 2 holds 16-bit/);
  });

  it('64-bit integer samples are refused by name', async () => {
    const file = await fileWith('int64.tif', buildTiff([{ width: 2, height: 2, bits: 64, sampleFormat: 2, data: new Uint8Array(32) }]));
    await expectInputError(readVolume(file), file, /64-bit signed integer samples are not supported/);
  });

  it('not a TIFF at all, with a .tif name', async () => {
    const file = await fileWith('fake.tif', new TextEncoder().encode('just some text, long enough to read'));
    await expectInputError(tiffReader.read(file), file, /not a TIFF/);
  });
});
