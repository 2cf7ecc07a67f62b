/**
 * DICOM reader on files built here, byte by byte, to reach what the real test files do not: every native transfer
 * syntax, bit depths and signedness, colour, RLE, rescale dtype choices, series checks, SEG bit packing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dicomLabToRgb, dicomReader, listDicomSeries } from '../../../main/io/dicom/index.ts';
import { registerReader } from '../../../main/io/registry.ts';
import { InputError } from '../../../main/util/errors.ts';

// ---------------------------------------------------------------------------------------------------------------
// A minimal DICOM writer

type Syntax = 'implicit' | 'explicit' | 'big' | 'deflated' | 'rle';
type Items = Elem[][];
interface Elem {
  tag: number;
  vr: string;
  value: string | number[] | Uint8Array | Items | Encapsulated;
}
interface Encapsulated {
  fragments: Uint8Array[];
}

const TS_UID: Record<Syntax, string> = {
  implicit: '1.2.840.10008.1.2',
  explicit: '1.2.840.10008.1.2.1',
  big: '1.2.840.10008.1.2.2',
  deflated: '1.2.840.10008.1.2.1.99',
  rle: '1.2.840.10008.1.2.5',
};
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT']);
const NUMERIC: Record<string, [number, (v: DataView, o: number, x: number, le: boolean) => void]> = {
  US: [2, (v, o, x, le) => v.setUint16(o, x, le)],
  SS: [2, (v, o, x, le) => v.setInt16(o, x, le)],
  UL: [4, (v, o, x, le) => v.setUint32(o, x, le)],
  SL: [4, (v, o, x, le) => v.setInt32(o, x, le)],
  FL: [4, (v, o, x, le) => v.setFloat32(o, x, le)],
  FD: [8, (v, o, x, le) => v.setFloat64(o, x, le)],
  AT: [4, (v, o, x, le) => { v.setUint16(o, x >>> 16, le); v.setUint16(o + 2, x & 0xffff, le); }],
};

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function tagBytes(tag: number, le: boolean): Uint8Array {
  const b = new Uint8Array(4);
  const v = new DataView(b.buffer);
  v.setUint16(0, tag >>> 16, le);
  v.setUint16(2, tag & 0xffff, le);
  return b;
}

function u32(x: number, le: boolean): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, x, le);
  return b;
}

function header(tag: number, vr: string, length: number, explicit: boolean, le: boolean): Uint8Array {
  if (!explicit) return concat([tagBytes(tag, le), u32(length, le)]);
  const vrBytes = new Uint8Array([vr.charCodeAt(0), vr.charCodeAt(1)]);
  if (LONG_VRS.has(vr)) return concat([tagBytes(tag, le), vrBytes, new Uint8Array(2), u32(length, le)]);
  const len = new Uint8Array(2);
  new DataView(len.buffer).setUint16(0, length, le);
  return concat([tagBytes(tag, le), vrBytes, len]);
}

const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQ_END = 0xfffee0dd;
const UNDEFINED = 0xffffffff;

function encodeValue(e: Elem, le: boolean): Uint8Array {
  const { vr, value } = e;
  if (typeof value === 'string') {
    const padded = value.length % 2 ? value + (vr === 'UI' ? '\0' : ' ') : value;
    return Uint8Array.from(padded, (c) => c.charCodeAt(0));
  }
  if (value instanceof Uint8Array) {
    const out = value.length % 2 ? concat([value, new Uint8Array(1)]) : value.slice();
    return out;
  }
  if (Array.isArray(value) && value.every((x) => typeof x === 'number')) {
    const [size, write] = NUMERIC[vr];
    const nums = value as number[];
    const out = new Uint8Array(size * nums.length);
    const view = new DataView(out.buffer);
    nums.forEach((x, i) => write(view, i * size, x, le));
    return out;
  }
  throw new Error(`cannot encode ${vr}`);
}

function encodeElements(elems: Elem[], explicit: boolean, le: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of [...elems].sort((a, b) => a.tag - b.tag)) {
    const { value } = e;
    if (e.vr === 'SQ') {
      // undefined-length sequence and items, as many writers do
      parts.push(header(e.tag, 'SQ', UNDEFINED, explicit, le));
      for (const item of value as Items) {
        parts.push(tagBytes(ITEM, le), u32(UNDEFINED, le), encodeElements(item, explicit, le));
        parts.push(tagBytes(ITEM_END, le), u32(0, le));
      }
      parts.push(tagBytes(SEQ_END, le), u32(0, le));
    } else if (typeof value === 'object' && 'fragments' in value) {
      parts.push(header(e.tag, 'OB', UNDEFINED, explicit, le));
      parts.push(tagBytes(ITEM, le), u32(0, le)); // empty basic offset table
      for (const f of value.fragments) {
        const even = f.length % 2 ? concat([f, new Uint8Array(1)]) : f;
        parts.push(tagBytes(ITEM, le), u32(even.length, le), even);
      }
      parts.push(tagBytes(SEQ_END, le), u32(0, le));
    } else {
      const v = encodeValue(e, le);
      parts.push(header(e.tag, e.vr, v.length, explicit, le), v);
    }
  }
  return concat(parts);
}

/** A Part 10 file: preamble, 'DICM', explicit little endian meta group, data set in `syntax`. */
function part10(elems: Elem[], syntax: Syntax): Uint8Array {
  const sop = elems.find((e) => e.tag === 0x00080016)?.value ?? '1.2.840.10008.5.1.4.1.1.7';
  const metaBody = encodeElements(
    [
      { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
      { tag: 0x00020002, vr: 'UI', value: sop as string },
      { tag: 0x00020003, vr: 'UI', value: '1.2.3.4.5' },
      { tag: 0x00020010, vr: 'UI', value: TS_UID[syntax] },
      { tag: 0x00020012, vr: 'UI', value: '1.2.3.4' },
    ],
    true,
    true,
  );
  const groupLength = encodeElements([{ tag: 0x00020000, vr: 'UL', value: [metaBody.length] }], true, true);
  const explicit = syntax !== 'implicit';
  const le = syntax !== 'big';
  let body = encodeElements(elems, explicit, le);
  if (syntax === 'deflated') body = new Uint8Array(zlib.deflateRawSync(body));
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  return concat([preamble, groupLength, metaBody, body]);
}

// Tags
const T = {
  SOPClassUID: 0x00080016,
  Modality: 0x00080060,
  SliceThickness: 0x00180050,
  SpacingBetweenSlices: 0x00180088,
  SeriesInstanceUID: 0x0020000e,
  SeriesNumber: 0x00200011,
  InstanceNumber: 0x00200013,
  ImagePositionPatient: 0x00200032,
  ImageOrientationPatient: 0x00200037,
  PlanePositionSequence: 0x00209113,
  PlaneOrientationSequence: 0x00209116,
  SamplesPerPixel: 0x00280002,
  Photometric: 0x00280004,
  PlanarConfiguration: 0x00280006,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  PixelSpacing: 0x00280030,
  BitsAllocated: 0x00280100,
  BitsStored: 0x00280101,
  HighBit: 0x00280102,
  PixelRepresentation: 0x00280103,
  RescaleIntercept: 0x00281052,
  RescaleSlope: 0x00281053,
  PixelMeasuresSequence: 0x00289110,
  SegmentationType: 0x00620001,
  SegmentSequence: 0x00620002,
  SegmentNumber: 0x00620004,
  SegmentLabel: 0x00620005,
  SegmentIdentificationSequence: 0x0062000a,
  ReferencedSegmentNumber: 0x0062000b,
  RecommendedDisplayCIELabValue: 0x0062000d,
  MaximumFractionalValue: 0x0062000e,
  SharedFunctionalGroups: 0x52009229,
  PerFrameFunctionalGroups: 0x52009230,
  PixelData: 0x7fe00010,
};

interface ImageSpec {
  rows: number;
  columns: number;
  bits?: 8 | 16 | 32;
  stored?: number;
  signed?: boolean;
  samples?: 1 | 3;
  planar?: 0 | 1;
  frames?: number;
  /** Raw pixel bit patterns, unsigned, one per sample value. */
  values: number[];
  position?: number[];
  orientation?: number[];
  spacing?: number[];
  series?: string;
  instance?: number;
  slope?: number;
  intercept?: number;
  thickness?: number;
  noPixels?: boolean;
}

/** Pixel bytes of unsigned bit patterns at `bits` bits in the given byte order. */
function pixelBytes(values: number[], bits: number, le: boolean): Uint8Array {
  const size = bits / 8;
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((x, i) => {
    if (size === 1) out[i] = x;
    else if (size === 2) view.setUint16(i * 2, x, le);
    else view.setUint32(i * 4, x, le);
  });
  return out;
}

function imageElements(spec: ImageSpec, syntax: Syntax): Elem[] {
  const bits = spec.bits ?? 16;
  const le = syntax !== 'big';
  const elems: Elem[] = [
    { tag: T.SOPClassUID, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
    { tag: T.Modality, vr: 'CS', value: 'OT' },
    { tag: T.SeriesInstanceUID, vr: 'UI', value: spec.series ?? '1.2.826.0.1.9' },
    { tag: T.SeriesNumber, vr: 'IS', value: '3' },
    { tag: T.SamplesPerPixel, vr: 'US', value: [spec.samples ?? 1] },
    { tag: T.Photometric, vr: 'CS', value: (spec.samples ?? 1) === 3 ? 'RGB' : 'MONOCHROME2' },
    { tag: T.Rows, vr: 'US', value: [spec.rows] },
    { tag: T.Columns, vr: 'US', value: [spec.columns] },
    { tag: T.BitsAllocated, vr: 'US', value: [bits] },
    { tag: T.BitsStored, vr: 'US', value: [spec.stored ?? bits] },
    { tag: T.HighBit, vr: 'US', value: [(spec.stored ?? bits) - 1] },
    { tag: T.PixelRepresentation, vr: 'US', value: [spec.signed ? 1 : 0] },
  ];
  if (spec.samples === 3) elems.push({ tag: T.PlanarConfiguration, vr: 'US', value: [spec.planar ?? 0] });
  if (spec.frames) elems.push({ tag: T.NumberOfFrames, vr: 'IS', value: String(spec.frames) });
  if (spec.instance !== undefined) elems.push({ tag: T.InstanceNumber, vr: 'IS', value: String(spec.instance) });
  if (spec.position) elems.push({ tag: T.ImagePositionPatient, vr: 'DS', value: spec.position.join('\\') });
  if (spec.orientation) elems.push({ tag: T.ImageOrientationPatient, vr: 'DS', value: spec.orientation.join('\\') });
  if (spec.spacing) elems.push({ tag: T.PixelSpacing, vr: 'DS', value: spec.spacing.join('\\') });
  if (spec.thickness !== undefined) elems.push({ tag: T.SliceThickness, vr: 'DS', value: String(spec.thickness) });
  if (spec.slope !== undefined) elems.push({ tag: T.RescaleSlope, vr: 'DS', value: String(spec.slope) });
  if (spec.intercept !== undefined) elems.push({ tag: T.RescaleIntercept, vr: 'DS', value: String(spec.intercept) });
  if (!spec.noPixels) {
    if (syntax === 'rle') {
      const perFrame = spec.rows * spec.columns * (spec.samples ?? 1);
      const frames = spec.frames ?? 1;
      const fragments = Array.from({ length: frames }, (_, f) =>
        rleEncodeFrame(spec.values.slice(f * perFrame, (f + 1) * perFrame), bits / 8, spec.samples ?? 1),
      );
      elems.push({ tag: T.PixelData, vr: 'OB', value: { fragments } });
    } else {
      elems.push({ tag: T.PixelData, vr: bits === 8 ? 'OB' : 'OW', value: pixelBytes(spec.values, bits, le) });
    }
  }
  return elems;
}

/** PackBits: runs of 3+ equal bytes as replicate runs, the rest as literals. */
function packBits(bytes: number[]): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    let run = 1;
    while (i + run < bytes.length && run < 128 && bytes[i + run] === bytes[i]) run++;
    if (run >= 3) {
      out.push(257 - run, bytes[i]);
      i += run;
      continue;
    }
    const start = i;
    while (i < bytes.length && i - start < 128 && !(i + 2 < bytes.length && bytes[i] === bytes[i + 1] && bytes[i] === bytes[i + 2])) i++;
    out.push(i - start - 1, ...bytes.slice(start, i));
  }
  return out;
}

/** RLE Lossless frame: header + one segment per (sample, byte) with the most significant byte first. */
function rleEncodeFrame(values: number[], bytesPerSample: number, samples: number): Uint8Array {
  const pixels = values.length / samples;
  const segments: number[][] = [];
  for (let s = 0; s < samples; s++) {
    for (let b = bytesPerSample - 1; b >= 0; b--) {
      const plane: number[] = [];
      for (let p = 0; p < pixels; p++) plane.push((values[p * samples + s] >>> (8 * b)) & 0xff);
      const seg = packBits(plane);
      if (seg.length % 2) seg.push(0x80); // pad to even length with a no-op
      segments.push(seg);
    }
  }
  const head = new Uint8Array(64);
  const hv = new DataView(head.buffer);
  hv.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((seg, i) => {
    hv.setUint32(4 + 4 * i, offset, true);
    offset += seg.length;
  });
  return concat([head, ...segments.map((s) => Uint8Array.from(s))]);
}

function image(spec: ImageSpec, syntax: Syntax = 'explicit'): Uint8Array {
  return part10(imageElements(spec, syntax), syntax);
}

// ---------------------------------------------------------------------------------------------------------------

let tmp: string;
let counter = 0;
function write(bytes: Uint8Array, name = `f${counter++}.dcm`, dir = tmp): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}
function folder(name: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir);
  return dir;
}

async function inputError(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

beforeAll(() => {
  registerReader(dicomReader);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'segstation-dicom-syn-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const AXIAL = [1, 0, 0, 0, 1, 0];

describe('transfer syntaxes and pixel encodings', () => {
  // 3 columns x 2 rows, int16 with negative values: bit patterns of -1000, -1, 0, 1, 2, 32767
  const signed = [-1000, -1, 0, 1, 2, 32767];
  const spec: ImageSpec = { rows: 2, columns: 3, signed: true, values: signed.map((v) => v & 0xffff), spacing: [0.5, 0.25], position: [1, 2, 3], orientation: AXIAL };

  it.each(['implicit', 'explicit', 'big', 'deflated', 'rle'] as const)('reads int16 pixels in %s', async (syntax) => {
    const v = await dicomReader.read(write(image(spec, syntax)));
    expect(v.shape).toEqual([3, 2, 1]);
    expect(v.dtype).toBe('int16');
    expect(Array.from(v.data)).toEqual(signed);
    expect(v.spacing).toEqual([0.25, 0.5, 1]); // x = PixelSpacing[1] (between columns), y = PixelSpacing[0]
    expect(v.origin).toEqual([1, 2, 3]);
    expect(v.meta?.transferSyntaxUID).toBe(TS_UID[syntax]);
  });

  it('reads 8-bit unsigned and signed, 32-bit unsigned, big endian included', async () => {
    const u8 = await dicomReader.read(write(image({ rows: 1, columns: 4, bits: 8, values: [0, 1, 200, 255] }, 'big')));
    expect(u8.dtype).toBe('uint8');
    expect(Array.from(u8.data)).toEqual([0, 1, 200, 255]);
    const i8 = await dicomReader.read(write(image({ rows: 1, columns: 4, bits: 8, signed: true, values: [0, 1, 200, 255] })));
    expect(i8.dtype).toBe('int8');
    expect(Array.from(i8.data)).toEqual([0, 1, -56, -1]);
    const u32 = await dicomReader.read(write(image({ rows: 1, columns: 2, bits: 32, values: [7, 4000000000] }, 'big')));
    expect(u32.dtype).toBe('uint32');
    expect(Array.from(u32.data)).toEqual([7, 4000000000]);
  });

  it('keeps only BitsStored bits: sign-extends 12-bit signed data, masks unused high bits', async () => {
    // 12-bit two's complement 0xfff = -1, 0x800 = -2048, 0x7ff = 2047; high nibble holds garbage (overlay bits)
    const s = await dicomReader.read(write(image({ rows: 1, columns: 3, stored: 12, signed: true, values: [0xafff, 0x5800, 0x07ff] })));
    expect(Array.from(s.data)).toEqual([-1, -2048, 2047]);
    const u = await dicomReader.read(write(image({ rows: 1, columns: 2, stored: 12, values: [0xf123, 0x0fff] })));
    expect(u.dtype).toBe('uint16');
    expect(Array.from(u.data)).toEqual([0x123, 0xfff]);
  });

  it('reads RGB as 3 interleaved components, planar configuration 1 included, and RLE colour', async () => {
    // 2x1 pixels: (10,20,30) (40,50,60)
    const interleaved = [10, 20, 30, 40, 50, 60];
    const planar = [10, 40, 20, 50, 30, 60];
    for (const [values, planarConf, syntax] of [
      [interleaved, 0, 'explicit'],
      [planar, 1, 'explicit'],
      [interleaved, 0, 'rle'],
    ] as const) {
      const v = await dicomReader.read(write(image({ rows: 1, columns: 2, bits: 8, samples: 3, planar: planarConf, values: [...values] }, syntax)));
      expect(v.components).toBe(3);
      expect(v.shape).toEqual([2, 1, 1]);
      expect(Array.from(v.data)).toEqual(interleaved);
    }
  });

  it('decodes multi-frame RLE with replicate runs', async () => {
    const values = [...Array(40).fill(5), ...Array.from({ length: 24 }, (_, i) => i * 1000)];
    const v = await dicomReader.read(write(image({ rows: 4, columns: 8, frames: 2, values }, 'rle')));
    expect(v.shape).toEqual([8, 4, 2]);
    expect(Array.from(v.data)).toEqual(values);
  });

  it('reads a bare data set without the Part 10 preamble (implicit VR little endian)', async () => {
    const bare = encodeElements(imageElements({ rows: 1, columns: 2, values: [3, 4] }, 'implicit'), false, true);
    const v = await dicomReader.read(write(bare));
    expect(Array.from(v.data)).toEqual([3, 4]);
  });

  it('sniffs the DICM marker only', () => {
    const head = (bytes: Uint8Array, gzipped = false) => ({ bytes: bytes.subarray(0, 4096), gzipped, name: 'x' });
    const dcm = image({ rows: 1, columns: 1, values: [0] });
    expect(dicomReader.sniff?.(head(dcm))).toBe(true);
    expect(dicomReader.sniff?.(head(dcm, true))).toBe(false);
    expect(dicomReader.sniff?.(head(new Uint8Array(200)))).toBe(false);
    expect(dicomReader.extensions).toEqual(['.dcm', '.dicom', '.ima']);
  });

  it('rejects missing PixelData and short PixelData, naming the file', async () => {
    const none = write(image({ rows: 2, columns: 2, values: [], noPixels: true }));
    expect((await inputError(dicomReader.read(none))).subject).toBe(none);
    expect((await inputError(dicomReader.read(none))).problem).toMatch(/no PixelData/);
    const short = write(image({ rows: 2, columns: 2, values: [1, 2, 3] }));
    const e = await inputError(dicomReader.read(short));
    expect(e.subject).toBe(short);
    expect(e.problem).toMatch(/PixelData holds 6 bytes, 8 expected/);
  });
});

describe('rescale: stored dtype', () => {
  const base = { rows: 1, columns: 3 };

  it('keeps int16 when an integer rescale fits, widens uint16 + intercept to int16 or int32 as the values need', async () => {
    const fits = await dicomReader.read(write(image({ ...base, values: [0, 1000, 2000], intercept: -1024, slope: 1 })));
    expect(fits.dtype).toBe('int16');
    expect(Array.from(fits.data)).toEqual([-1024, -24, 976]);
    expect(fits.meta?.rescale).toMatch(/uint16 -> int16/);
    const wide = await dicomReader.read(write(image({ ...base, values: [0, 40000, 65535], intercept: -1024, slope: 1 })));
    expect(wide.dtype).toBe('int32');
    expect(Array.from(wide.data)).toEqual([-1024, 38976, 64511]);
    expect(wide.meta?.rescale).toMatch(/uint16 -> int32/);
    const positive = await dicomReader.read(write(image({ ...base, values: [0, 1, 2], intercept: 10, slope: 2 })));
    expect(positive.dtype).toBe('uint16');
    expect(Array.from(positive.data)).toEqual([10, 12, 14]);
  });

  it('stores non-integer rescale as float32', async () => {
    const v = await dicomReader.read(write(image({ ...base, values: [0, 1, 3], slope: 0.5, intercept: -1.25 })));
    expect(v.dtype).toBe('float32');
    expect(Array.from(v.data)).toEqual([-1.25, -0.75, 0.25]);
    expect(v.meta?.rescale).toMatch(/non-integer rescale/);
  });

  it('applies per-slice rescale in a series', async () => {
    const dir = folder('per-slice-rescale');
    write(image({ ...base, values: [1, 2, 3], position: [0, 0, 0], orientation: AXIAL, slope: 1, intercept: 0 }), 'a.dcm', dir);
    write(image({ ...base, values: [1, 2, 3], position: [0, 0, 2], orientation: AXIAL, slope: 2, intercept: -100 }), 'b.dcm', dir);
    const v = await dicomReader.read(dir);
    expect(v.dtype).toBe('int16');
    expect(Array.from(v.data)).toEqual([1, 2, 3, -98, -96, -94]);
    expect(v.meta?.rescaleSlope).toBeUndefined();
    expect(v.meta?.rescale).toMatch(/per-frame slope/);
  });
});

describe('series', () => {
  const slice = (z: number, extra: Partial<ImageSpec> = {}): ImageSpec => ({
    rows: 2,
    columns: 2,
    values: [z, z, z, z].map((x) => Math.round(x * 10) & 0xffff),
    position: [5, 6, z],
    orientation: AXIAL,
    spacing: [0.7, 0.7],
    thickness: 9,
    ...extra,
  });

  it('sorts by position along the normal, not InstanceNumber, and takes spacing from the positions', async () => {
    const dir = folder('sorted');
    // instance numbers run against the position order; names are random
    [4.5, 0, 1.5, 3].forEach((z, i) => write(image(slice(z, { instance: 10 - i })), `x${(i * 37) % 11}`, dir));
    const v = await dicomReader.read(dir);
    expect(v.shape).toEqual([2, 2, 4]);
    expect(v.spacing).toEqual([0.7, 0.7, 1.5]);
    expect(v.origin).toEqual([5, 6, 0]);
    expect(Array.from(v.data.filter((_, i) => i % 4 === 0))).toEqual([0, 15, 30, 45]);
    expect(v.meta?.sliceThickness).toBe(9);
  });

  it('sorts along an oblique normal (direction from IOP, right-handed)', async () => {
    const dir = folder('oblique');
    const c = Math.SQRT1_2;
    // row (1,0,0), column (0,c,c): normal (0,-c,c); slices 2 mm apart along it
    const iop = [1, 0, 0, 0, c, c];
    [2, 0, 1].forEach((k) =>
      write(image({ ...slice(k), position: [0, -c * 2 * k, c * 2 * k], orientation: iop, values: [k, k, k, k] }), `s${k}.dcm`, dir),
    );
    const v = await dicomReader.read(dir);
    expect(v.spacing[2]).toBeCloseTo(2, 9);
    expect(v.direction.map((x) => +x.toFixed(9))).toEqual([1, 0, 0, 0, +c.toFixed(9), -c.toFixed(9), 0, +c.toFixed(9), +c.toFixed(9)]);
    expect(Array.from(v.data.filter((_, i) => i % 4 === 0))).toEqual([0, 1, 2]);
  });

  it('warns about irregular steps (a missing slice) and uses the median step', async () => {
    const dir = folder('gap');
    [0, 2, 4, 8, 10].forEach((z) => write(image(slice(z)), `z${z}.dcm`, dir));
    const v = await dicomReader.read(dir);
    expect(v.shape[2]).toBe(5);
    expect(v.spacing[2]).toBe(2);
    expect(String(v.meta?.warnings)).toMatch(/irregular slice spacing: positions deviate up to 1 mm.*1 of 4 steps.*\(z4\.dcm -> z8\.dcm: 4 mm\).*median step 2 mm/);
  });

  it('rejects duplicate positions, naming both files', async () => {
    const dir = folder('duplicates');
    [0, 1, 1, 2].forEach((z, i) => write(image(slice(z)), `d${i}.dcm`, dir));
    const e = await inputError(dicomReader.read(dir));
    expect(e.subject).toBe(dir);
    expect(e.problem).toMatch(/d1\.dcm and d2\.dcm lie at the same position/);
  });

  it('rejects a slice of another size, naming the file', async () => {
    const dir = folder('mixed-size');
    write(image(slice(0)), 'a.dcm', dir);
    write(image(slice(1)), 'b.dcm', dir);
    const odd = write(image({ ...slice(2), rows: 3, values: Array(6).fill(1) }), 'c.dcm', dir);
    const e = await inputError(dicomReader.read(dir));
    expect(e.subject).toBe(odd);
    expect(e.problem).toMatch(/2x3 \(columns x rows\).*2x2/);
  });

  it('rejects a slice without PixelData, naming the file', async () => {
    const dir = folder('no-pixels');
    write(image(slice(0)), 'a.dcm', dir);
    const bad = write(image({ ...slice(1), noPixels: true }), 'b.dcm', dir);
    const e = await inputError(dicomReader.read(dir));
    expect(e.subject).toBe(bad);
    expect(e.problem).toMatch(/no PixelData/);
  });

  it('chooses the largest series by default, another by ReadOptions.series; leaves out a localizer', async () => {
    const dir = folder('two-series');
    [0, 1, 2].forEach((z) => write(image(slice(z, { series: '1.2.3.big' })), `big${z}.dcm`, dir));
    // a sagittal localizer in the big series
    write(image(slice(0, { series: '1.2.3.big', orientation: [0, 1, 0, 0, 0, -1] })), 'loc.dcm', dir);
    [0, 5].forEach((z) => write(image(slice(z, { series: '1.2.3.small' })), `small${z}.dcm`, dir));
    writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    const series = await listDicomSeries(dir);
    expect(series.map((s) => [s.seriesInstanceUID, s.files])).toEqual([
      ['1.2.3.big', 4],
      ['1.2.3.small', 2],
    ]);
    const big = await dicomReader.read(dir);
    expect(big.shape[2]).toBe(3);
    expect(big.meta?.seriesInstanceUID).toBe('1.2.3.big');
    expect(big.meta?.seriesInFolder).toBe(2);
    expect(big.meta?.skippedFiles).toBe(1);
    expect(String(big.meta?.warnings)).toMatch(/1 frame\(s\) with another orientation left out \(loc\.dcm\)/);
    const small = await dicomReader.read(dir, { series: '1.2.3.small' });
    expect(small.shape[2]).toBe(2);
    expect(small.spacing[2]).toBe(5);
    const e = await inputError(dicomReader.read(dir, { series: 'nope' }));
    expect(e.problem).toMatch(/no series nope.*1\.2\.3\.big \(4 files.*1\.2\.3\.small \(2 files/);
  });

  it('rejects a folder without DICOM and sniffs folders by content', async () => {
    const empty = folder('empty');
    expect((await inputError(dicomReader.read(empty))).problem).toMatch(/no DICOM images/);
    const noext = folder('noext');
    write(image(slice(0)), 'IM000001', noext);
    expect(await dicomReader.sniffDirectory?.(noext, ['IM000001'])).toBe(true);
    expect((await dicomReader.read(noext)).shape).toEqual([2, 2, 1]);
  });
});

describe('DICOM SEG', () => {
  const SEG = '1.2.840.10008.5.1.4.1.1.66.4';

  function packBitsLsb(bits: number[]): Uint8Array {
    const out = new Uint8Array(Math.ceil(bits.length / 8));
    bits.forEach((b, i) => {
      if (b) out[i >> 3] |= 1 << (i & 7);
    });
    return out;
  }

  function segFile(
    frames: { segment: number; z: number; pixels: number[] }[],
    segments: { n: number; label?: string; lab?: number[] }[],
    opts: { bits?: 1 | 8; fractionalMax?: number; syntax?: Syntax } = {},
  ): Uint8Array {
    const bits = opts.bits ?? 1;
    const all = frames.flatMap((f) => f.pixels);
    return part10(
      [
        { tag: T.SOPClassUID, vr: 'UI', value: SEG },
        { tag: T.Modality, vr: 'CS', value: 'SEG' },
        { tag: T.SeriesInstanceUID, vr: 'UI', value: '1.2.3.seg' },
        { tag: T.SamplesPerPixel, vr: 'US', value: [1] },
        { tag: T.Photometric, vr: 'CS', value: 'MONOCHROME2' },
        { tag: T.NumberOfFrames, vr: 'IS', value: String(frames.length) },
        { tag: T.Rows, vr: 'US', value: [3] },
        { tag: T.Columns, vr: 'US', value: [3] },
        { tag: T.BitsAllocated, vr: 'US', value: [bits] },
        { tag: T.BitsStored, vr: 'US', value: [bits] },
        { tag: T.HighBit, vr: 'US', value: [bits - 1] },
        { tag: T.PixelRepresentation, vr: 'US', value: [0] },
        { tag: T.SegmentationType, vr: 'CS', value: bits === 1 ? 'BINARY' : 'FRACTIONAL' },
        ...(opts.fractionalMax ? [{ tag: T.MaximumFractionalValue, vr: 'US', value: [opts.fractionalMax] }] : []),
        {
          tag: T.SegmentSequence,
          vr: 'SQ',
          value: segments.map((s) => [
            { tag: T.SegmentNumber, vr: 'US', value: [s.n] },
            ...(s.label ? [{ tag: T.SegmentLabel, vr: 'LO', value: s.label }] : []),
            ...(s.lab ? [{ tag: T.RecommendedDisplayCIELabValue, vr: 'US', value: s.lab }] : []),
          ]),
        },
        {
          tag: T.SharedFunctionalGroups,
          vr: 'SQ',
          value: [
            [
              { tag: T.PlaneOrientationSequence, vr: 'SQ', value: [[{ tag: T.ImageOrientationPatient, vr: 'DS', value: '1\\0\\0\\0\\1\\0' }]] },
              {
                tag: T.PixelMeasuresSequence,
                vr: 'SQ',
                value: [[
                  { tag: T.PixelSpacing, vr: 'DS', value: '0.5\\0.5' },
                  { tag: T.SliceThickness, vr: 'DS', value: '2' },
                ]],
              },
            ],
          ],
        },
        {
          tag: T.PerFrameFunctionalGroups,
          vr: 'SQ',
          value: frames.map((f) => [
            { tag: T.PlanePositionSequence, vr: 'SQ', value: [[{ tag: T.ImagePositionPatient, vr: 'DS', value: `-1\\-2\\${f.z}` }]] },
            { tag: T.SegmentIdentificationSequence, vr: 'SQ', value: [[{ tag: T.ReferencedSegmentNumber, vr: 'US', value: [f.segment] }]] },
          ]),
        },
        { tag: T.PixelData, vr: bits === 1 ? 'OB' : 'OB', value: bits === 1 ? packBitsLsb(all) : Uint8Array.from(all) },
      ],
      opts.syntax ?? 'explicit',
    );
  }

  const A = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const B = [0, 0, 0, 0, 1, 1, 0, 1, 1];
  const EMPTY = Array(9).fill(0);

  it.each(['explicit', 'implicit'] as const)(
    'unpacks 1-bit frames that do not start on byte boundaries, places them by position (%s VR)',
    async (syntax) => {
      // 3x3 frames = 9 bits each: frame 2 starts at bit 9, frame 3 at bit 18. Positions z = 10, 14, 16, 10 with
      // segment 2 on z = 10 as well: the grid spans z = 10..16 at the median step 2 -> 4 slices, slice 1 empty.
      const file = write(
        segFile(
          [
            { segment: 1, z: 10, pixels: A },
            { segment: 1, z: 14, pixels: B },
            { segment: 1, z: 16, pixels: A },
            { segment: 2, z: 10, pixels: B },
          ],
          [
            { n: 1, label: 'Liver', lab: [41661, 41167, 40792] },
            { n: 2, label: 'Tumour' },
          ],
          { syntax },
        ),
      );
      const v = await dicomReader.read(file);
      expect(v.shape).toEqual([3, 3, 4]);
      expect(v.dtype).toBe('uint8');
      expect(v.spacing).toEqual([0.5, 0.5, 2]);
      expect(v.origin).toEqual([-1, -2, 10]);
      const slices = [0, 1, 2, 3].map((k) => Array.from(v.data.subarray(k * 9, (k + 1) * 9)));
      // slice 0: A (segment 1) overlaid by B (segment 2) -> segment 2 wins where B is set
      expect(slices[0]).toEqual([1, 0, 0, 0, 2, 2, 0, 2, 2]);
      expect(slices[1]).toEqual(EMPTY);
      expect(slices[2]).toEqual(B);
      expect(slices[3]).toEqual(A);
      expect(v.labels).toEqual([
        { value: 1, name: 'Liver', color: [221, 130, 101] },
        { value: 2, name: 'Tumour', color: [241, 214, 145] }, // default palette, entry 2
      ]);
      expect(v.meta?.isLabel).toBe(true);
      expect(String(v.meta?.warnings)).toMatch(/2 voxels belong to several segments/);
    },
  );

  it('thresholds FRACTIONAL segments at half the maximum', async () => {
    const file = write(
      segFile([{ segment: 3, z: 0, pixels: [0, 100, 127, 128, 200, 255, 0, 0, 1] }], [{ n: 3, label: 'Soft' }], { bits: 8, fractionalMax: 255 }),
    );
    const v = await dicomReader.read(file);
    expect(Array.from(v.data)).toEqual([0, 0, 0, 3, 3, 3, 0, 0, 0]);
    expect(v.labels?.[0]).toMatchObject({ value: 3, name: 'Soft' });
  });

  it('converts DICOM CIELab to sRGB', () => {
    expect(dicomLabToRgb([65535, 32896, 32896])).toEqual([255, 255, 255]); // L 100, a = b = 0
    expect(dicomLabToRgb([0, 32896, 32896])).toEqual([0, 0, 0]);
  });
});
