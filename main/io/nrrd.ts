/**
 * NRRD (teem) reader and writer: attached `.nrrd` and detached `.nhdr` + data file(s).
 *
 * Geometry: `space directions` columns give spacing (their norms) and direction (normalised columns), `space origin`
 * the origin. Files in `right-anterior-superior` space are brought into the engine's LPS through orientation.ts; the
 * coordinate systems with no anatomical meaning (scanner-xyz, 3D-right-handed, 3D-left-handed) are taken as LPS, as
 * ITK does. Without space directions, `spacings` (and `axis mins` as origin) with an identity direction.
 *
 * Non-spatial axes (`none` space direction, or a range kind such as vector/RGB-color/list without directions) become
 * the volume's components: a first such axis is already interleaved; a trailing one (4D series) is transposed.
 *
 * The small decoding helpers (inflate, sample decoding, planar -> interleaved) are exported for the MetaImage and
 * vtk.js readers.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { writeFileAtomic } from '../util/atomic.ts';
import { InputError } from '../util/errors.ts';
import {
  allocate,
  asBytes,
  bytesPerElement,
  swapBytesInPlace,
  viewBytes,
  type DType,
  type TypedArray,
} from '../volume/dtype.ts';
import { flipAffineXY, geometryFromLpsAffine, type Affine } from '../volume/orientation.ts';
import type { Geometry, LabelEntry, Vec3, Volume } from '../volume/volume.ts';
import type { FileHead, VolumeReader, VolumeWriter, WriteOptions } from './registry.ts';

const gunzipAsync = promisify(zlib.gunzip);
const inflateAsync = promisify(zlib.inflate);
const gzipAsync = promisify(zlib.gzip);

// ---------------------------------------------------------------------------------------------------------------
// Shared decoding helpers
// ---------------------------------------------------------------------------------------------------------------

/** Sample types found in files: the engine dtypes plus 64-bit integers, which are narrowed on read. */
export type SampleType = DType | 'int64' | 'uint64';

export function sampleSize(type: SampleType): number {
  return type === 'int64' || type === 'uint64' ? 8 : bytesPerElement(type);
}

/**
 * Inflates gzip or zlib data (chosen by the magic bytes). A truncated or corrupt stream becomes an InputError naming
 * `file`.
 */
export async function inflateData(bytes: Uint8Array, file: string, what = 'compressed data'): Promise<Uint8Array> {
  const isGzip = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  try {
    const out = isGzip ? await gunzipAsync(bytes) : await inflateAsync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const truncated = /unexpected end|incomplete|truncated/i.test(reason);
    throw new InputError(
      file,
      `${what} ${truncated ? 'is truncated' : 'is corrupt'} (${isGzip ? 'gzip' : 'zlib'}: ${reason})`,
      { cause: error },
    );
  }
}

function ownsWholeBuffer(bytes: Uint8Array, byteLength: number): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === byteLength && bytes.buffer.byteLength === byteLength;
}

/**
 * Turns `count` samples of file bytes into an engine array: native byte order, its own aligned buffer. The caller
 * hands over `bytes` (it may be byte-swapped in place). 64-bit integers become int32/uint32 when every value fits,
 * else float64 (exact up to 2^53); `narrowed` says which happened.
 */
export function decodeSamples(
  bytes: Uint8Array,
  type: SampleType,
  bigEndian: boolean,
  count: number,
): { data: TypedArray; dtype: DType; narrowed?: string } {
  const size = sampleSize(type);
  const byteLength = count * size;
  if (bytes.byteLength < byteLength) throw new RangeError(`need ${byteLength} bytes, got ${bytes.byteLength}`);
  let own: Uint8Array;
  if (ownsWholeBuffer(bytes, byteLength)) {
    own = bytes;
  } else {
    own = new Uint8Array(byteLength);
    own.set(bytes.subarray(0, byteLength));
  }
  if (bigEndian) swapBytesInPlace(own, size);
  if (type !== 'int64' && type !== 'uint64') {
    return { data: viewBytes(type, own, count), dtype: type };
  }
  const wide = type === 'int64' ? new BigInt64Array(own.buffer, 0, count) : new BigUint64Array(own.buffer, 0, count);
  const [lo, hi] = type === 'int64' ? [-2147483648n, 2147483647n] : [0n, 4294967295n];
  let fits = true;
  for (let i = 0; i < count; i++) {
    const v = wide[i];
    if (v < lo || v > hi) {
      fits = false;
      break;
    }
  }
  const dtype: DType = fits ? (type === 'int64' ? 'int32' : 'uint32') : 'float64';
  const out = allocate(dtype, count);
  for (let i = 0; i < count; i++) out[i] = Number(wide[i]);
  return { data: out, dtype, narrowed: `${type} stored as ${dtype}` };
}

/** Parses whitespace (or comma) separated numbers of an ASCII data section into an array of `dtype`. */
export function parseAsciiSamples(text: string, dtype: DType, count: number, file: string, what: string): TypedArray {
  const tokens = text.split(/[\s,]+/).filter((t) => t.length > 0);
  if (tokens.length < count) {
    throw new InputError(file, `${what} need ${count} values, ASCII data has ${tokens.length}`);
  }
  const out = allocate(dtype, count);
  for (let i = 0; i < count; i++) {
    const v = Number(tokens[i]);
    if (Number.isNaN(v) && !/^[-+]?nan$/i.test(tokens[i])) {
      throw new InputError(file, `ASCII data value ${i} is not a number: "${tokens[i].slice(0, 40)}"`);
    }
    out[i] = v;
  }
  return out;
}

/** Planar (component slowest) to interleaved (component fastest), for a trailing non-spatial axis. */
export function planarToInterleaved(data: TypedArray, voxels: number, components: number): TypedArray {
  if (components === 1) return data;
  const out = allocate(dtypeName(data), voxels * components);
  for (let c = 0; c < components; c++) {
    const plane = data.subarray(c * voxels, (c + 1) * voxels);
    for (let v = 0, o = c; v < voxels; v++, o += components) out[o] = plane[v];
  }
  return out;
}

function dtypeName(data: TypedArray): DType {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Float32Array) return 'float32';
  return 'float64';
}

/** Expands a printf-style pattern with one integer conversion (%d, %3d, %03d, %i, %u). */
export function formatFileNumber(pattern: string, n: number): string {
  return pattern.replace(/%(0?)(\d*)[diu]/, (_m, zero: string, width: string) => {
    const digits = String(Math.abs(n));
    const w = width ? Number(width) : 0;
    const padded = digits.length >= w ? digits : (zero ? '0' : ' ').repeat(w - digits.length) + digits;
    return n < 0 ? `-${padded}` : padded;
  });
}

/** Reads a file, turning a missing one into an InputError that names it. */
export async function readDataFile(file: string, subject: string, what: string): Promise<Uint8Array> {
  try {
    const buf = await fs.readFile(file);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(subject, `${what} "${file}" not found`);
    throw new InputError(subject, `cannot read ${what} "${file}": ${(error as Error).message}`, { cause: error });
  }
}

/** A JSON label table, written as ASCII only so that it fits any text header. */
export function encodeLabels(labels: readonly LabelEntry[]): string {
  return JSON.stringify(labels).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function decodeLabels(text: string | undefined): LabelEntry[] | undefined {
  if (!text) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return undefined;
    const out: LabelEntry[] = [];
    for (const e of parsed as unknown[]) {
      if (typeof e !== 'object' || e === null) return undefined;
      const { value, name, color } = e as Record<string, unknown>;
      if (typeof value !== 'number' || typeof name !== 'string' || !Array.isArray(color) || color.length !== 3) return undefined;
      out.push({ value, name, color: [Number(color[0]), Number(color[1]), Number(color[2])] });
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Shortest text that reads back as the same double. */
export function num(x: number): string {
  return Object.is(x, -0) ? '0' : String(x);
}

// ---------------------------------------------------------------------------------------------------------------
// NRRD header
// ---------------------------------------------------------------------------------------------------------------

const NRRD_TYPES: Record<string, SampleType> = {
  'signed char': 'int8', int8: 'int8', int8_t: 'int8',
  uchar: 'uint8', 'unsigned char': 'uint8', uint8: 'uint8', uint8_t: 'uint8',
  short: 'int16', 'short int': 'int16', 'signed short': 'int16', 'signed short int': 'int16', int16: 'int16', int16_t: 'int16',
  ushort: 'uint16', 'unsigned short': 'uint16', 'unsigned short int': 'uint16', uint16: 'uint16', uint16_t: 'uint16',
  int: 'int32', 'signed int': 'int32', int32: 'int32', int32_t: 'int32',
  uint: 'uint32', 'unsigned int': 'uint32', uint32: 'uint32', uint32_t: 'uint32',
  longlong: 'int64', 'long long': 'int64', 'long long int': 'int64', 'signed long long': 'int64',
  'signed long long int': 'int64', int64: 'int64', int64_t: 'int64',
  ulonglong: 'uint64', 'unsigned long long': 'uint64', 'unsigned long long int': 'uint64', uint64: 'uint64', uint64_t: 'uint64',
  float: 'float32', double: 'float64',
};

const NRRD_TYPE_NAMES: Record<DType, string> = {
  int8: 'signed char', uint8: 'unsigned char', int16: 'short', uint16: 'unsigned short',
  int32: 'int', uint32: 'unsigned int', float32: 'float', float64: 'double',
};

/** Kinds of axes that hold values of one sample rather than positions. */
const RANGE_KINDS = new Set([
  'list', 'point', 'vector', 'covariant-vector', 'normal', 'stub', 'scalar', 'complex', '2-vector', '3-color',
  'rgb-color', 'hsv-color', 'xyz-color', '4-color', 'rgba-color', '3-vector', '3-gradient', '3-normal', '4-vector',
  'quaternion', '2d-symmetric-matrix', '2d-masked-symmetric-matrix', '2d-matrix', '2d-masked-matrix',
  '3d-symmetric-matrix', '3d-masked-symmetric-matrix', '3d-matrix', '3d-masked-matrix',
]);

type Encoding = 'raw' | 'gzip' | 'ascii' | 'hex';

export interface NrrdHeader {
  /** Field name (lower case, spaces removed: 'spacedirections') -> raw value. */
  fields: Map<string, string>;
  /** `key:=value` pairs. */
  keyValues: Map<string, string>;
  /** Byte offset of attached data (just after the blank line); file length when there is none. */
  dataOffset: number;
  /** Lines after `data file: LIST` */
  listLines: string[];
}

function isBlank(line: string): boolean {
  return line.trim().length === 0;
}

/** Parses the header of an attached or detached NRRD. `bytes` is the whole file (or at least its header). */
export function parseNrrdHeader(bytes: Uint8Array, file: string): NrrdHeader {
  const magic = latin1(bytes.subarray(0, 8));
  if (!/^NRRD000[1-9]$/.test(magic)) throw new InputError(file, 'not a NRRD file: it does not start with "NRRD000"');
  const fields = new Map<string, string>();
  const keyValues = new Map<string, string>();
  const listLines: string[] = [];
  let pos = 0;
  let lineNo = 0;
  let inList = false;
  let dataOffset = bytes.length;
  while (pos < bytes.length) {
    let end = bytes.indexOf(0x0a, pos);
    const next = end < 0 ? bytes.length : end + 1;
    if (end < 0) end = bytes.length;
    const line = latin1(bytes.subarray(pos, end)).replace(/\r$/, '');
    pos = next;
    lineNo++;
    if (lineNo === 1) continue;
    if (isBlank(line)) {
      dataOffset = pos;
      break;
    }
    if (inList) {
      listLines.push(line.trim());
      continue;
    }
    if (line.startsWith('#')) continue;
    const kv = line.indexOf(':=');
    const colon = line.indexOf(': ');
    if (kv >= 0 && (colon < 0 || kv < colon)) {
      keyValues.set(unescapeKeyValue(line.slice(0, kv)), unescapeKeyValue(line.slice(kv + 2)));
      continue;
    }
    if (colon < 0) {
      if (lineNo > 64 || /[^\x20-\x7e\t]/.test(line)) {
        throw new InputError(file, `NRRD header has no blank line before the data (stopped at header line ${lineNo})`);
      }
      throw new InputError(file, `malformed NRRD header line ${lineNo}: "${line.slice(0, 80)}"`);
    }
    const name = line.slice(0, colon).trim().toLowerCase().replace(/\s+/g, '');
    const value = line.slice(colon + 2).trim();
    fields.set(name, value);
    if (name === 'datafile' && /^LIST(\s|$)/.test(value)) inList = true;
  }
  return { fields, keyValues, dataOffset, listLines };
}

function unescapeKeyValue(s: string): string {
  return s.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function required(h: NrrdHeader, name: string, display: string, file: string): string {
  const v = h.fields.get(name);
  if (v === undefined || v === '') throw new InputError(file, `NRRD header is missing the required field "${display}"`);
  return v;
}

function parseIntField(value: string, display: string, file: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InputError(file, `NRRD field "${display}" is not an integer: "${value}"`);
  return n;
}

function parseNumberList(value: string, display: string, file: string): number[] {
  return value.split(/\s+/).filter(Boolean).map((t) => {
    const n = /^[-+]?nan$/i.test(t) ? NaN : Number(t);
    if (Number.isNaN(n) && !/nan/i.test(t)) throw new InputError(file, `NRRD field "${display}" has a non-number "${t}"`);
    return n;
  });
}

/** `(1,0,0) none (0,1,0)` -> vectors, null for none. */
function parseVectors(value: string, display: string, file: string): (number[] | null)[] {
  const out: (number[] | null)[] = [];
  const re = /\(([^)]*)\)|(none)/gi;
  let rest = value;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) {
    if (m[2]) out.push(null);
    else {
      const comps = m[1].split(',').map((t) => Number(t.trim()));
      if (comps.some((c) => !Number.isFinite(c))) {
        throw new InputError(file, `NRRD field "${display}" has a vector with a non-number: "(${m[1]})"`);
      }
      out.push(comps);
    }
    rest = rest.replace(m[0], '');
  }
  if (rest.trim().length > 0) throw new InputError(file, `NRRD field "${display}" is malformed: "${value}"`);
  return out;
}

function parseEncoding(value: string, file: string): Encoding {
  switch (value.toLowerCase()) {
    case 'raw': return 'raw';
    case 'gz': case 'gzip': return 'gzip';
    case 'txt': case 'text': case 'ascii': return 'ascii';
    case 'hex': return 'hex';
    case 'bz2': case 'bzip2':
      throw new InputError(file, 'NRRD encoding "bzip2" is not supported: re-save with gzip or raw encoding');
    default:
      throw new InputError(file, `unknown NRRD encoding "${value}" (expected raw, gzip, ascii or hex)`);
  }
}

function parseType(value: string, file: string): SampleType {
  const key = value.toLowerCase().replace(/\s+/g, ' ').trim();
  const t = NRRD_TYPES[key];
  if (t) return t;
  if (key === 'block') throw new InputError(file, 'NRRD type "block" is not supported');
  throw new InputError(file, `unknown NRRD type "${value}"`);
}

// ---------------------------------------------------------------------------------------------------------------
// Geometry
// ---------------------------------------------------------------------------------------------------------------

interface AxisLayout {
  shape: Vec3;
  components: number;
  /** true when the component axis is the slowest and data must be transposed to interleaved. */
  planar: boolean;
  affine: Affine;
  meta: Record<string, string | number | boolean>;
}

const LPS_SPACES = new Set(['left-posterior-superior', 'lps']);
const RAS_SPACES = new Set(['right-anterior-superior', 'ras']);
const LPS_LIKE_SPACES = new Set(['scanner-xyz', '3d-right-handed', '3d-left-handed']);

function cross(a: number[], b: number[]): number[] {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function norm(v: number[]): number {
  return Math.hypot(v[0], v[1], v[2]);
}

/** Completes 1 or 2 world columns to 3 with unit columns orthogonal to them. */
function completeColumns(cols: number[][]): number[][] {
  const out = cols.map((c) => c.slice());
  if (out.length === 1) {
    const a = out[0];
    const abs = a.map(Math.abs);
    const e = [0, 0, 0];
    e[abs.indexOf(Math.min(...abs))] = 1;
    const b = cross(a, e);
    const nb = norm(b);
    out.push(b.map((x) => x / nb));
  }
  if (out.length === 2) {
    const c = cross(out[0], out[1]);
    const nc = norm(c);
    if (!(nc > 0)) throw new RangeError('space directions are parallel');
    out.push(c.map((x) => x / nc));
  }
  return out;
}

function nrrdLayout(h: NrrdHeader, sizes: number[], file: string): AxisLayout {
  const dim = sizes.length;
  const meta: Record<string, string | number | boolean> = {};
  const dirsText = h.fields.get('spacedirections');
  const dirs = dirsText !== undefined ? parseVectors(dirsText, 'space directions', file) : undefined;
  if (dirs && dirs.length !== dim) {
    throw new InputError(file, `NRRD "space directions" has ${dirs.length} entries for dimension ${dim}`);
  }
  const kindsText = h.fields.get('kinds');
  const kinds = kindsText ? kindsText.split(/\s+/).map((k) => k.toLowerCase()) : undefined;
  if (kinds && kinds.length !== dim) throw new InputError(file, `NRRD "kinds" has ${kinds.length} entries for dimension ${dim}`);

  // Which axes are spatial.
  let spatial: boolean[];
  if (dirs) {
    spatial = dirs.map((d) => d !== null);
  } else {
    spatial = sizes.map((_s, i) => !(kinds && RANGE_KINDS.has(kinds[i])));
    let count = 0;
    for (let i = 0; i < dim; i++) if (spatial[i] && ++count > 3) spatial[i] = false;
  }
  const spatialAxes = spatial.flatMap((s, i) => (s ? [i] : []));
  // Non-spatial axes of size 1 carry nothing.
  const rangeAxes = spatial.flatMap((s, i) => (!s && sizes[i] > 1 ? [i] : []));
  if (spatialAxes.length === 0) throw new InputError(file, 'NRRD has no spatial axis');
  if (spatialAxes.length > 3) throw new InputError(file, `NRRD has ${spatialAxes.length} spatial axes; at most 3 are supported`);
  if (rangeAxes.length > 1) {
    throw new InputError(file, `NRRD has ${rangeAxes.length} non-spatial axes (sizes ${sizes.join('x')}); at most one is supported`);
  }
  let components = 1;
  let planar = false;
  if (rangeAxes.length === 1) {
    const axis = rangeAxes[0];
    components = sizes[axis];
    const before = sizes.slice(0, axis).reduce((a, b) => a * b, 1);
    const after = sizes.slice(axis + 1).reduce((a, b) => a * b, 1);
    if (before === 1) planar = false;
    else if (after === 1) planar = true;
    else throw new InputError(file, `NRRD non-spatial axis ${axis} lies between spatial axes; only a first or last one is supported`);
    if (kinds) meta.nrrdComponentKind = kinds[axis];
  }
  const shape: Vec3 = [1, 1, 1];
  spatialAxes.forEach((a, k) => (shape[k] = sizes[a]));

  // World columns and origin in the file's space.
  let cols: number[][];
  let origin: number[] = [0, 0, 0];
  let spaceDim = 3;
  const spaceText = h.fields.get('space');
  const space = spaceText?.toLowerCase();
  if (space !== undefined) {
    meta.nrrdSpace = spaceText!;
    if (space.endsWith('-time')) {
      throw new InputError(file, `NRRD space "${spaceText}" (with a time axis) is not supported`);
    }
    if (space === 'left-anterior-superior' || space === 'las') {
      throw new InputError(file, 'NRRD space "left-anterior-superior" is not supported (only LPS, RAS and scanner spaces)');
    }
    if (!LPS_SPACES.has(space) && !RAS_SPACES.has(space) && !LPS_LIKE_SPACES.has(space)) {
      throw new InputError(file, `unknown NRRD space "${spaceText}"`);
    }
  }
  const spaceDimText = h.fields.get('spacedimension');
  if (spaceDimText !== undefined) spaceDim = parseIntField(spaceDimText, 'space dimension', file);
  if (dirs) {
    const vectors = spatialAxes.map((a) => dirs[a]!);
    if (spaceDimText === undefined && space === undefined) spaceDim = vectors[0].length;
    if (spaceDim !== 2 && spaceDim !== 3) throw new InputError(file, `NRRD space dimension ${spaceDim} is not supported (2 or 3)`);
    if (vectors.some((v) => v.length !== spaceDim)) {
      throw new InputError(file, `NRRD "space directions" vectors must have ${spaceDim} components`);
    }
    cols = vectors.map((v) => (spaceDim === 2 ? [v[0], v[1], 0] : v.slice()));
    if (cols.some((c) => !(norm(c) > 0))) throw new InputError(file, 'NRRD "space directions" has a zero-length vector');
    if (spaceDim === 2 && cols.length === 2) cols.push([0, 0, 1]);
    const originText = h.fields.get('spaceorigin');
    if (originText !== undefined) {
      const o = parseVectors(originText, 'space origin', file);
      if (o.length !== 1 || o[0] === null || o[0].length !== spaceDim) {
        throw new InputError(file, `NRRD "space origin" must be one vector of ${spaceDim} numbers`);
      }
      origin = spaceDim === 2 ? [o[0][0], o[0][1], 0] : o[0];
    }
  } else {
    const spacingsText = h.fields.get('spacings');
    const spacings = spacingsText ? parseNumberList(spacingsText, 'spacings', file) : undefined;
    if (spacings && spacings.length !== dim) throw new InputError(file, `NRRD "spacings" has ${spacings.length} entries for dimension ${dim}`);
    const minsText = h.fields.get('axismins');
    const mins = minsText ? parseNumberList(minsText, 'axis mins', file) : undefined;
    cols = spatialAxes.map((a, k) => {
      const s = spacings?.[a];
      const c = [0, 0, 0];
      // A negative spacing flips its axis: the column keeps the sign, the norm becomes the spacing.
      c[k] = s !== undefined && Number.isFinite(s) && s !== 0 ? s : 1;
      return c;
    });
    spatialAxes.forEach((a, k) => {
      const m = mins?.[a];
      if (m !== undefined && Number.isFinite(m)) origin[k] = m;
    });
    while (cols.length < 3) {
      const c = [0, 0, 0];
      c[cols.length] = 1;
      cols.push(c);
    }
  }
  try {
    cols = completeColumns(cols);
  } catch {
    throw new InputError(file, 'NRRD "space directions" are parallel');
  }
  const affine: Affine = [
    cols[0][0], cols[1][0], cols[2][0], origin[0],
    cols[0][1], cols[1][1], cols[2][1], origin[1],
    cols[0][2], cols[1][2], cols[2][2], origin[2],
    0, 0, 0, 1,
  ];
  return { shape, components, planar, affine: space !== undefined && RAS_SPACES.has(space) ? flipAffineXY(affine) : affine, meta };
}

// ---------------------------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------------------------

function skipLines(bytes: Uint8Array, lines: number, file: string): Uint8Array {
  let pos = 0;
  for (let i = 0; i < lines; i++) {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) throw new InputError(file, `NRRD "line skip" ${lines} runs past the end of the data`);
    pos = nl + 1;
  }
  return bytes.subarray(pos);
}

function applyByteSkip(bytes: Uint8Array, skip: number, needed: number, file: string): Uint8Array {
  if (skip === -1) {
    if (bytes.length < needed) return bytes; // reported by the length check
    return bytes.subarray(bytes.length - needed);
  }
  if (skip < -1) throw new InputError(file, `NRRD "byte skip" ${skip} is invalid (must be >= -1)`);
  if (skip > bytes.length) throw new InputError(file, `NRRD "byte skip" ${skip} runs past the end of the data (${bytes.length} bytes)`);
  return bytes.subarray(skip);
}

function decodeHex(text: string, file: string): Uint8Array {
  const digits = text.replace(/\s+/g, '');
  if (!/^[0-9a-fA-F]*$/.test(digits) || digits.length % 2 !== 0) throw new InputError(file, 'NRRD hex data is malformed');
  return new Uint8Array(Buffer.from(digits, 'hex'));
}

function dataFileNames(h: NrrdHeader, file: string): string[] | undefined {
  const value = h.fields.get('datafile');
  if (value === undefined) return undefined;
  const dir = path.dirname(file);
  const resolve = (name: string) => (path.isAbsolute(name) ? name : path.join(dir, name));
  if (/^LIST(\s|$)/.test(value)) {
    const names = h.listLines.filter((l) => l.length > 0);
    if (names.length === 0) throw new InputError(file, 'NRRD "data file: LIST" names no files');
    return names.map(resolve);
  }
  const words = value.split(/\s+/);
  if (words.length >= 4 && words[0].includes('%') && words.slice(1, 4).every((w) => /^-?\d+$/.test(w))) {
    const [min, max, step] = words.slice(1, 4).map(Number);
    if (step === 0 || Math.sign(max - min) * Math.sign(step) < 0) {
      throw new InputError(file, `NRRD "data file" range ${min}..${max} step ${step} is invalid`);
    }
    const names: string[] = [];
    for (let i = min; step > 0 ? i <= max : i >= max; i += step) names.push(resolve(formatFileNumber(words[0], i)));
    return names;
  }
  return [resolve(value)];
}

function describeSizes(sizes: number[]): string {
  return sizes.join('x');
}

async function readNrrd(file: string): Promise<Volume> {
  const whole = await readDataFile(file, file, 'NRRD file');
  const h = parseNrrdHeader(whole, file);
  const type = parseType(required(h, 'type', 'type', file), file);
  const dimension = parseIntField(required(h, 'dimension', 'dimension', file), 'dimension', file);
  if (dimension < 1 || dimension > 4) throw new InputError(file, `NRRD dimension ${dimension} is not supported (1 to 4)`);
  const sizes = parseNumberList(required(h, 'sizes', 'sizes', file), 'sizes', file);
  if (sizes.length !== dimension || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new InputError(file, `NRRD "sizes" must be ${dimension} positive integers, got "${h.fields.get('sizes')}"`);
  }
  const encoding = parseEncoding(required(h, 'encoding', 'encoding', file), file);
  const size = sampleSize(type);
  let bigEndian = false;
  const endian = h.fields.get('endian')?.toLowerCase();
  if (endian === 'big') bigEndian = true;
  else if (endian !== undefined && endian !== 'little') throw new InputError(file, `NRRD "endian" must be little or big, got "${endian}"`);
  else if (endian === undefined && size > 1 && encoding !== 'ascii') {
    throw new InputError(file, `NRRD header is missing the required field "endian" (type has ${size}-byte samples)`);
  }
  const lineSkip = h.fields.has('lineskip') ? parseIntField(h.fields.get('lineskip')!, 'line skip', file) : 0;
  const byteSkip = h.fields.has('byteskip') ? parseIntField(h.fields.get('byteskip')!, 'byte skip', file) : 0;
  if (lineSkip < 0) throw new InputError(file, `NRRD "line skip" ${lineSkip} is invalid`);

  const layout = nrrdLayout(h, sizes, file);
  const count = sizes.reduce((a, b) => a * b, 1);
  const neededBytes = count * size;
  const typeName = type;

  let names = dataFileNames(h, file);
  if (!names && file.toLowerCase().endsWith('.nhdr')) {
    throw new InputError(file, 'NRRD header is missing the required field "data file" (a .nhdr has detached data)');
  }
  const chunks: { bytes: Uint8Array; source: string }[] = [];
  if (names) {
    if (names.length === 1) {
      chunks.push({ bytes: await readDataFile(names[0], file, 'detached data file'), source: names[0] });
    } else {
      for (const name of names) chunks.push({ bytes: await readDataFile(name, file, 'detached data file'), source: name });
    }
  } else {
    names = [file];
    chunks.push({ bytes: whole.subarray(h.dataOffset), source: file });
  }
  const perChunk = neededBytes / chunks.length;
  if (!Number.isInteger(perChunk)) {
    throw new InputError(file, `NRRD sizes ${describeSizes(sizes)} do not split evenly over ${chunks.length} data files`);
  }

  let data: TypedArray;
  let dtype: DType;
  const meta: Record<string, string | number | boolean> = { ...layout.meta, nrrdEncoding: encoding };
  if (encoding === 'ascii') {
    const target: DType = type === 'int64' || type === 'uint64' ? 'float64' : type;
    const parts = chunks.map((c) => latin1(applyByteSkip(skipLines(c.bytes, lineSkip, file), Math.max(byteSkip, 0), 0, file)));
    data = parseAsciiSamples(parts.join('\n'), target, count, file, `sizes ${describeSizes(sizes)}`);
    dtype = target;
  } else {
    const decoded: Uint8Array[] = [];
    for (const c of chunks) {
      let b = skipLines(c.bytes, lineSkip, file);
      if (encoding === 'gzip') b = await inflateData(b, file, names.length > 1 ? `gzip data of "${c.source}"` : 'gzip data');
      else if (encoding === 'hex') b = decodeHex(latin1(b), file);
      b = applyByteSkip(b, byteSkip, perChunk, file);
      decoded.push(b);
    }
    // Like teem, ITK and pynrrd, surplus bytes after the samples (a trailing newline) are ignored; too few is an error.
    const total = decoded.reduce((a, b) => a + b.length, 0);
    if (decoded.some((b) => b.length < perChunk)) {
      throw new InputError(
        file,
        `sizes ${describeSizes(sizes)} ${typeName} need ${neededBytes} bytes, data has ${total}` +
          (encoding === 'gzip' ? ' after decompression' : ''),
      );
    }
    let joined: Uint8Array;
    if (decoded.length === 1) joined = decoded[0];
    else {
      joined = new Uint8Array(neededBytes);
      decoded.forEach((b, i) => joined.set(b.subarray(0, perChunk), i * perChunk));
    }
    const result = decodeSamples(joined, type, bigEndian, count);
    data = result.data;
    dtype = result.dtype;
    if (result.narrowed) meta.narrowed = result.narrowed;
  }
  const voxels = layout.shape[0] * layout.shape[1] * layout.shape[2];
  if (layout.planar) data = planarToInterleaved(data, voxels, layout.components);

  let geometry: Geometry;
  try {
    geometry = geometryFromLpsAffine(layout.affine, layout.shape);
  } catch (error) {
    throw new InputError(file, `NRRD geometry is invalid: ${(error as Error).message}`);
  }
  const content = h.fields.get('content');
  if (content) meta.content = content;
  for (const [k, v] of h.keyValues) if (k !== 'segstation_labels') meta[`nrrd:${k}`] = v;
  const labels = decodeLabels(h.keyValues.get('segstation_labels'));
  // Sign flips leave -0 behind; keep the header free of them.
  geometry.origin = geometry.origin.map((v) => v + 0) as Vec3;
  geometry.direction = geometry.direction.map((v) => v + 0) as typeof geometry.direction;
  return {
    ...geometry,
    dtype,
    components: layout.components,
    data,
    ...(labels ? { labels } : {}),
    meta,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------------------------

function vec(v: readonly number[]): string {
  return `(${v.map(num).join(',')})`;
}

/** Header text (ending with a newline) for a volume; `dataFile` makes it detached. */
export function nrrdHeaderText(volume: Volume, encoding: 'raw' | 'gzip', dataFile?: string): string {
  const { shape, spacing, origin, direction, components, dtype } = volume;
  const cols = [0, 1, 2].map((c) => [0, 1, 2].map((r) => direction[r * 3 + c] * spacing[c]));
  const multi = components > 1;
  const lines = [
    'NRRD0004',
    '# Complete NRRD file format specification at:',
    '# http://teem.sourceforge.net/nrrd/format.html',
    `type: ${NRRD_TYPE_NAMES[dtype]}`,
    `dimension: ${multi ? 4 : 3}`,
    'space: left-posterior-superior',
    `sizes: ${(multi ? [components, ...shape] : shape).join(' ')}`,
    `space directions: ${multi ? 'none ' : ''}${cols.map(vec).join(' ')}`,
    `kinds: ${multi ? 'vector ' : ''}domain domain domain`,
    'endian: little',
    `encoding: ${encoding}`,
    `space origin: ${vec(origin)}`,
  ];
  if (volume.labels && volume.labels.length > 0) lines.push(`segstation_labels:=${encodeLabels(volume.labels)}`);
  if (dataFile !== undefined) lines.push(`data file: ${dataFile}`);
  return `${lines.join('\n')}\n`;
}

async function writeNrrd(volume: Volume, file: string, options?: WriteOptions): Promise<void> {
  const compress = options?.compress ?? true;
  const raw = asBytes(volume.data);
  const payload = compress ? new Uint8Array(await gzipAsync(raw)) : raw;
  const encoding = compress ? 'gzip' : 'raw';
  if (file.toLowerCase().endsWith('.nhdr')) {
    const base = path.basename(file).replace(/\.nhdr$/i, '');
    const dataName = `${base}${compress ? '.raw.gz' : '.raw'}`;
    await writeFileAtomic(path.join(path.dirname(file), dataName), payload);
    await writeFileAtomic(file, nrrdHeaderText(volume, encoding, dataName));
    return;
  }
  const header = Buffer.from(`${nrrdHeaderText(volume, encoding)}\n`, 'latin1');
  const out = new Uint8Array(header.length + payload.length);
  out.set(header, 0);
  out.set(payload, header.length);
  await writeFileAtomic(file, out);
}

export const nrrdReader: VolumeReader = {
  format: 'nrrd',
  extensions: ['.nrrd', '.nhdr'],
  sniff(head: FileHead): boolean {
    if (head.gzipped || head.bytes.length < 8) return false;
    return latin1(head.bytes.subarray(0, 7)) === 'NRRD000';
  },
  read: readNrrd,
};

export const nrrdWriter: VolumeWriter = {
  format: 'nrrd',
  extensions: ['.nrrd', '.nhdr'],
  write: writeNrrd,
};
