/**
 * MINC reader. MINC1 is NetCDF classic, parsed here (no NetCDF library). MINC2 (HDF5) files named .mnc are read
 * through h5wasm, loaded lazily, since nibabel's own small.mnc test file is MINC2.
 *
 * Axis order and scaling follow nibabel: the engine's index axes are the image's spatial dimensions in file order
 * (slowest first, e.g. zspace, yspace, xspace), so engine (i, j, k) == nibabel (i, j, k) and the shared manifest's
 * shape/axcodes apply as they are. World coordinates are RAS like NIfTI; orientation.ts converts them to LPS.
 */
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { InputError } from '../util/errors.ts';
import { allocate, integerRange, isIntegerDType, type DType, type TypedArray } from '../volume/dtype.ts';
import { geometryFromRasAffine, type Affine } from '../volume/orientation.ts';
import { validateVolume, type Vec3, type Volume } from '../volume/volume.ts';
import type { FileHead, VolumeReader } from './registry.ts';

const gunzipAsync = promisify(zlib.gunzip);

// ---------------------------------------------------------------------------------------------------------------------
// NetCDF classic (CDF-1 and CDF-2 64-bit offset)

export type NetcdfValue = string | number[];

export interface NetcdfDimension {
  name: string;
  /** 0 for the record (unlimited) dimension in the header; see NetcdfFile.numRecs. */
  length: number;
}

export interface NetcdfVariable {
  name: string;
  dimIds: number[];
  attributes: Map<string, NetcdfValue>;
  /** 1 byte, 2 char, 3 short, 4 int, 5 float, 6 double */
  type: number;
  vsize: number;
  begin: number;
  isRecord: boolean;
}

export interface NetcdfFile {
  version: 1 | 2;
  numRecs: number;
  dimensions: NetcdfDimension[];
  attributes: Map<string, NetcdfValue>;
  variables: Map<string, NetcdfVariable>;
  /** Bytes per record across all record variables. */
  recordSize: number;
}

const NC_TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 4, 6: 8 };

class NetcdfCursor {
  private readonly view: DataView;
  offset = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly subject: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number, what: string): void {
    if (this.offset + n > this.bytes.length) {
      throw new InputError(this.subject, `NetCDF header is truncated while reading ${what} (byte ${this.offset} of ${this.bytes.length})`);
    }
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset, false);
    this.offset += 4;
    return v;
  }
  /** A non-negative count; a huge one means a corrupt header, so fail before allocating for it. */
  count(what: string, max = 1 << 24): number {
    const n = this.u32(what);
    if (n > max) throw new InputError(this.subject, `NetCDF header is corrupt: ${what} is ${n}`);
    return n;
  }
  offsetValue(version: 1 | 2, what: string): number {
    if (version === 1) return this.u32(what);
    this.need(8, what);
    const v = this.view.getBigUint64(this.offset, false);
    this.offset += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError(this.subject, `NetCDF header is corrupt: ${what} is ${v}`);
    return Number(v);
  }
  name(what: string): string {
    const n = this.count(`${what} name length`, 1 << 16);
    this.need(n, `${what} name`);
    const s = new TextDecoder().decode(this.bytes.subarray(this.offset, this.offset + n));
    this.offset += (n + 3) & ~3;
    return s;
  }
  values(type: number, n: number, what: string): NetcdfValue {
    const size = NC_TYPE_SIZE[type];
    if (!size) throw new InputError(this.subject, `NetCDF ${what} has unknown type ${type}`);
    this.need(n * size, what);
    const start = this.offset;
    this.offset += (n * size + 3) & ~3;
    if (type === 2) {
      let end = start + n;
      while (end > start && this.bytes[end - 1] === 0) end--;
      return new TextDecoder('latin1').decode(this.bytes.subarray(start, end));
    }
    const out: number[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = readNumber(this.view, type, start + i * size);
    return out;
  }
}

function readNumber(view: DataView, type: number, offset: number): number {
  switch (type) {
    case 1: return view.getInt8(offset);
    case 3: return view.getInt16(offset, false);
    case 4: return view.getInt32(offset, false);
    case 5: return view.getFloat32(offset, false);
    case 6: return view.getFloat64(offset, false);
    default: return view.getUint8(offset);
  }
}

const NC_DIMENSION = 0x0a;
const NC_VARIABLE = 0x0b;
const NC_ATTRIBUTE = 0x0c;

function readAttributes(c: NetcdfCursor, what: string, subject: string): Map<string, NetcdfValue> {
  const tag = c.u32(`${what} attribute tag`);
  const n = c.count(`${what} attribute count`);
  const out = new Map<string, NetcdfValue>();
  if (tag === 0 && n === 0) return out;
  if (tag !== NC_ATTRIBUTE) throw new InputError(subject, `NetCDF header is corrupt: expected the ${what} attribute list`);
  for (let i = 0; i < n; i++) {
    const name = c.name('attribute');
    const type = c.u32('attribute type');
    const count = c.count('attribute length');
    out.set(name, c.values(type, count, `attribute ${name}`));
  }
  return out;
}

/** Parses a NetCDF classic header (CDF-1 or CDF-2). Throws InputError naming `subject`. */
export function parseNetcdf(bytes: Uint8Array, subject = 'NetCDF file'): NetcdfFile {
  if (bytes.length < 4 || bytes[0] !== 0x43 || bytes[1] !== 0x44 || bytes[2] !== 0x46) {
    throw new InputError(subject, "not a NetCDF classic file (no 'CDF' magic)");
  }
  const version = bytes[3];
  if (version !== 1 && version !== 2) {
    throw new InputError(subject, `NetCDF format version ${version} is not supported (only classic CDF-1 and 64-bit offset CDF-2)`);
  }
  const c = new NetcdfCursor(bytes, subject);
  c.offset = 4;
  const numRecs = c.u32('number of records');
  if (numRecs === 0xffffffff) throw new InputError(subject, 'NetCDF file was left in streaming mode (record count unknown)');

  const dimensions: NetcdfDimension[] = [];
  {
    const tag = c.u32('dimension tag');
    const n = c.count('dimension count');
    if (!(tag === 0 && n === 0)) {
      if (tag !== NC_DIMENSION) throw new InputError(subject, 'NetCDF header is corrupt: expected the dimension list');
      for (let i = 0; i < n; i++) dimensions.push({ name: c.name('dimension'), length: c.u32('dimension length') });
    }
  }
  const attributes = readAttributes(c, 'global', subject);
  const variables = new Map<string, NetcdfVariable>();
  {
    const tag = c.u32('variable tag');
    const n = c.count('variable count');
    if (!(tag === 0 && n === 0)) {
      if (tag !== NC_VARIABLE) throw new InputError(subject, 'NetCDF header is corrupt: expected the variable list');
      for (let i = 0; i < n; i++) {
        const name = c.name('variable');
        const ndims = c.count(`variable ${name} rank`, 1024);
        const dimIds: number[] = [];
        for (let d = 0; d < ndims; d++) {
          const id = c.u32(`variable ${name} dimension id`);
          if (id >= dimensions.length) throw new InputError(subject, `NetCDF variable ${name} refers to missing dimension ${id}`);
          dimIds.push(id);
        }
        const attrs = readAttributes(c, `variable ${name}`, subject);
        const type = c.u32(`variable ${name} type`);
        if (!NC_TYPE_SIZE[type]) throw new InputError(subject, `NetCDF variable ${name} has unknown type ${type}`);
        const vsize = c.u32(`variable ${name} size`);
        const begin = c.offsetValue(version, `variable ${name} offset`);
        const isRecord = dimIds.length > 0 && dimensions[dimIds[0]].length === 0;
        variables.set(name, { name, dimIds, attributes: attrs, type, vsize, begin, isRecord });
      }
    }
  }
  const recordVars = [...variables.values()].filter((v) => v.isRecord);
  // With a single record variable, records are not padded to 4 bytes (NetCDF classic spec).
  const recordSize =
    recordVars.length === 1
      ? perRecordElements(recordVars[0], dimensions) * NC_TYPE_SIZE[recordVars[0].type]
      : recordVars.reduce((s, v) => s + v.vsize, 0);
  return { version, numRecs, dimensions, attributes, variables, recordSize };
}

function perRecordElements(v: NetcdfVariable, dims: NetcdfDimension[]): number {
  return v.dimIds.slice(v.isRecord ? 1 : 0).reduce((p, id) => p * dims[id].length, 1);
}

/** Shape of a variable, record dimension resolved to numRecs. */
export function netcdfShape(nc: NetcdfFile, v: NetcdfVariable): number[] {
  return v.dimIds.map((id, i) => (i === 0 && v.isRecord ? nc.numRecs : nc.dimensions[id].length));
}

/**
 * A variable's values, big-endian decoded into a typed array. `unsigned` reinterprets byte/short/int as MINC's
 * signtype says. Char variables come back as their bytes.
 */
export function readNetcdfVariable(bytes: Uint8Array, nc: NetcdfFile, v: NetcdfVariable, subject: string, unsigned = false): TypedArray {
  const size = NC_TYPE_SIZE[v.type];
  const perRecord = perRecordElements(v, nc.dimensions);
  const records = v.isRecord ? nc.numRecs : 1;
  const total = perRecord * records;
  const dtype: DType =
    v.type === 5 ? 'float32'
    : v.type === 6 ? 'float64'
    : v.type === 3 ? (unsigned ? 'uint16' : 'int16')
    : v.type === 4 ? (unsigned ? 'uint32' : 'int32')
    : v.type === 2 ? 'uint8'
    : unsigned ? 'uint8' : 'int8';
  const out = allocate(dtype, total);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const recordStride = v.isRecord ? nc.recordSize : 0;
  const end = v.begin + (records - 1) * recordStride + perRecord * size;
  if (total > 0 && end > bytes.length) {
    throw new InputError(
      subject,
      `file is truncated: NetCDF variable '${v.name}' needs bytes up to ${end}, the file has ${bytes.length}`,
    );
  }
  let k = 0;
  for (let r = 0; r < records; r++) {
    let o = v.begin + r * recordStride;
    switch (dtype) {
      case 'uint8': out.set(bytes.subarray(o, o + perRecord), k); k += perRecord; break;
      case 'int8': for (let i = 0; i < perRecord; i++) out[k++] = view.getInt8(o++); break;
      case 'int16': for (let i = 0; i < perRecord; i++, o += 2) out[k++] = view.getInt16(o, false); break;
      case 'uint16': for (let i = 0; i < perRecord; i++, o += 2) out[k++] = view.getUint16(o, false); break;
      case 'int32': for (let i = 0; i < perRecord; i++, o += 4) out[k++] = view.getInt32(o, false); break;
      case 'uint32': for (let i = 0; i < perRecord; i++, o += 4) out[k++] = view.getUint32(o, false); break;
      case 'float32': for (let i = 0; i < perRecord; i++, o += 4) out[k++] = view.getFloat32(o, false); break;
      default: for (let i = 0; i < perRecord; i++, o += 8) out[k++] = view.getFloat64(o, false); break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// MINC model shared by MINC1 and MINC2

type AttrValue = string | number | readonly number[] | ArrayLike<number>;

/** What both MINC flavours provide, in the file's own (C, slowest-first) dimension order. */
interface MincImage {
  dimNames: string[];
  shape: number[];
  /** Raw stored values, C order over dimNames. */
  raw: TypedArray;
  dtype: DType;
  /** valid_range, or valid_min / valid_max, if the image has them. */
  validRange?: [number, number];
  /** Per-dimension variable attributes (step, start, direction_cosines, spacing), by dimension name. */
  dimAttributes: Map<string, Map<string, AttrValue>>;
  imageMin?: { dims: string[]; values: ArrayLike<number> };
  imageMax?: { dims: string[]; values: ArrayLike<number> };
  version: 1 | 2;
}

function attrNumber(v: AttrValue | undefined): number | undefined {
  if (v === undefined || typeof v === 'string') return undefined;
  if (typeof v === 'number') return v;
  return v.length > 0 ? Number(v[0]) : undefined;
}

function attrNumbers(v: AttrValue | undefined): number[] | undefined {
  if (v === undefined || typeof v === 'string') return undefined;
  if (typeof v === 'number') return [v];
  return Array.from(v, Number);
}

function attrString(v: AttrValue | undefined): string | undefined {
  return typeof v === 'string' ? v.replace(/\0+$/, '') : undefined;
}

const DEFAULT_COSINES: Record<string, Vec3> = { xspace: [1, 0, 0], yspace: [0, 1, 0], zspace: [0, 0, 1] };

/** nibabel's Minc1File.get_affine: column i = direction cosines * step of the i-th spatial dim; origin = R · starts. */
function mincAffine(m: MincImage, spatial: string[], subject: string): Affine {
  const a: Affine = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
  for (let i = 0; i < 3; i++) {
    const name = spatial[i];
    const attrs = m.dimAttributes.get(name) ?? new Map<string, AttrValue>();
    const spacing = attrString(attrs.get('spacing'));
    if (spacing !== undefined && spacing !== 'regular__' && spacing !== 'regular') {
      throw new InputError(subject, `MINC dimension ${name} has irregular spacing ('${spacing}'), which is not supported`);
    }
    const cos = attrNumbers(attrs.get('direction_cosines')) ?? DEFAULT_COSINES[name];
    if (!cos || cos.length !== 3 || !cos.every(Number.isFinite)) {
      throw new InputError(subject, `MINC dimension ${name} has no usable direction_cosines`);
    }
    const step = attrNumber(attrs.get('step')) ?? 1;
    const start = attrNumber(attrs.get('start')) ?? 0;
    if (!Number.isFinite(step) || step === 0) throw new InputError(subject, `MINC dimension ${name} has step ${step}`);
    if (!Number.isFinite(start)) throw new InputError(subject, `MINC dimension ${name} has start ${start}`);
    for (let r = 0; r < 3; r++) {
      a[r * 4 + i] = cos[r] * step;
      a[r * 4 + 3] += cos[r] * start;
    }
  }
  return a;
}

/**
 * nibabel's Minc1File._normalize: integer data are clipped to the valid range and mapped linearly from it onto
 * [image-min, image-max], which may vary per slice (over the leading one or two image dimensions). Float data are
 * returned as stored.
 */
function mincRealValues(m: MincImage, subject: string): { data: TypedArray; dtype: DType } {
  if (!isIntegerDType(m.dtype)) return { data: m.raw, dtype: m.dtype };
  if (!m.imageMin || !m.imageMax) return { data: m.raw, dtype: m.dtype }; // nothing to scale with: stored values
  const [tmin, tmax] = integerRange(m.dtype);
  const [dmin, dmax] = m.validRange ?? [tmin, tmax];
  if (dmin < tmin || dmax > tmax) {
    throw new InputError(subject, `MINC valid_range [${dmin}, ${dmax}] is outside the range of the stored ${m.dtype} values`);
  }
  if (!(dmax > dmin)) throw new InputError(subject, `MINC valid_range [${dmin}, ${dmax}] is empty`);
  const dims = m.imageMin.dims;
  if (dims.join(',') !== m.imageMax.dims.join(',')) {
    throw new InputError(subject, "MINC 'image-min' and 'image-max' have different dimensions");
  }
  if (dims.length > 2 || dims.some((d, i) => m.dimNames[i] !== d)) {
    throw new InputError(subject, `MINC image-min/image-max dimensions (${dims.join(', ')}) must lead the image dimensions (${m.dimNames.join(', ')})`);
  }
  const scales = m.shape.slice(0, dims.length).reduce((p, n) => p * n, 1);
  if (m.imageMin.values.length < scales || m.imageMax.values.length < scales) {
    throw new InputError(subject, `MINC image-min/image-max hold fewer than the ${scales} values the image needs`);
  }
  const inner = m.raw.length / scales;
  const out = new Float64Array(m.raw.length);
  for (let s = 0; s < scales; s++) {
    const imin = Number(m.imageMin.values[s]);
    const imax = Number(m.imageMax.values[s]);
    const slope = (imax - imin) / (dmax - dmin);
    const inter = imin - dmin * slope;
    for (let i = s * inner, end = i + inner; i < end; i++) {
      const x = m.raw[i];
      const clipped = x < dmin ? dmin : x > dmax ? dmax : x;
      out[i] = clipped * slope + inter; // multiply then add, as nibabel does
    }
  }
  return { data: out, dtype: 'float64' };
}

/**
 * Reorders C-order data over file dimensions into the engine layout: spatial dims (in file order) become index axes
 * i, j, k with i fastest, and any non-spatial dims (time, vector_dimension) become interleaved components.
 */
function toEngineLayout(src: TypedArray, dtype: DType, shape: number[], isSpatial: boolean[]): TypedArray {
  const spatialLengths = shape.filter((_, d) => isSpatial[d]);
  const componentLengths = shape.filter((_, d) => !isSpatial[d]);
  const components = componentLengths.reduce((p, n) => p * n, 1);
  const outStride: number[] = [];
  let a = 0;
  let q = 0;
  for (let d = 0; d < shape.length; d++) {
    if (isSpatial[d]) {
      outStride.push(components * spatialLengths.slice(0, a).reduce((p, n) => p * n, 1));
      a++;
    } else {
      outStride.push(componentLengths.slice(q + 1).reduce((p, n) => p * n, 1));
      q++;
    }
  }
  const out = allocate(dtype, src.length);
  const nd = shape.length;
  const last = nd - 1;
  const counter = new Array(nd).fill(0);
  const innerLength = shape[last];
  const innerStride = outStride[last];
  let base = 0; // output offset of counter (with counter[last] = 0)
  for (let i = 0; i < src.length; i += innerLength) {
    for (let t = 0, o = base; t < innerLength; t++, o += innerStride) out[o] = src[i + t];
    // advance the odometer over all but the innermost dimension
    for (let d = last - 1; d >= 0; d--) {
      counter[d]++;
      base += outStride[d];
      if (counter[d] < shape[d]) break;
      base -= outStride[d] * counter[d];
      counter[d] = 0;
    }
  }
  return out;
}

function mincToVolume(m: MincImage, subject: string): Volume {
  if (m.shape.some((n) => !(n >= 1))) throw new InputError(subject, `MINC image has an empty dimension (shape [${m.shape.join(', ')}])`);
  const isSpatial = m.dimNames.map((n) => n.endsWith('space'));
  const spatial = m.dimNames.filter((_, i) => isSpatial[i]);
  if (spatial.length !== 3) {
    throw new InputError(subject, `MINC image has ${spatial.length} spatial dimensions (${m.dimNames.join(', ')}); 3 are needed`);
  }
  const expected = m.shape.reduce((p, n) => p * n, 1);
  if (m.raw.length !== expected) {
    throw new InputError(subject, `MINC image holds ${m.raw.length} values, its dimensions need ${expected}`);
  }
  const { data: real, dtype } = mincRealValues(m, subject);
  const components = m.shape.filter((_, i) => !isSpatial[i]).reduce((p, n) => p * n, 1);
  const data = toEngineLayout(real, dtype, m.shape, isSpatial);
  const shape = m.shape.filter((_, i) => isSpatial[i]) as Vec3;
  let geometry;
  try {
    geometry = geometryFromRasAffine(mincAffine(m, spatial, subject), shape);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(subject, `MINC geometry is unusable: ${(error as Error).message}`);
  }
  const volume: Volume = {
    ...geometry,
    dtype,
    components,
    data,
    meta: { 'minc.version': m.version, 'minc.dimorder': m.dimNames.join(','), 'minc.storedType': m.dtype },
  };
  try {
    validateVolume(volume);
  } catch (error) {
    throw new InputError(subject, `inconsistent MINC header: ${(error as Error).message}`);
  }
  return volume;
}

// ---------------------------------------------------------------------------------------------------------------------
// MINC1

/** Decodes a MINC1 (NetCDF classic) file held in memory. */
export function decodeMinc1(bytes: Uint8Array, subject = 'MINC file'): Volume {
  const nc = parseNetcdf(bytes, subject);
  const image = nc.variables.get('image');
  if (!image) throw new InputError(subject, "NetCDF file has no 'image' variable, so it is not a MINC volume");
  const dimNames = image.dimIds.map((id) => nc.dimensions[id].name);
  const signtype = attrString(image.attributes.get('signtype'));
  // MINC's default: bytes are unsigned, wider integers signed.
  const unsigned = signtype === undefined ? image.type === 1 : signtype.startsWith('unsigned');
  if (image.type === 2) throw new InputError(subject, "MINC 'image' variable has type char, which is not an image type");
  const raw = readNetcdfVariable(bytes, nc, image, subject, unsigned);
  const dtype = ((): DType => {
    switch (image.type) {
      case 1: return unsigned ? 'uint8' : 'int8';
      case 3: return unsigned ? 'uint16' : 'int16';
      case 4: return unsigned ? 'uint32' : 'int32';
      case 5: return 'float32';
      default: return 'float64';
    }
  })();
  const vr = attrNumbers(image.attributes.get('valid_range'));
  const vmin = attrNumber(image.attributes.get('valid_min'));
  const vmax = attrNumber(image.attributes.get('valid_max'));
  const validRange: [number, number] | undefined =
    vr && vr.length >= 2 ? [vr[0], vr[1]] : vmin !== undefined && vmax !== undefined ? [vmin, vmax] : undefined;
  const dimAttributes = new Map<string, Map<string, AttrValue>>();
  for (const name of dimNames) {
    const v = nc.variables.get(name);
    if (v) dimAttributes.set(name, v.attributes);
  }
  const scaleVar = (name: string) => {
    const v = nc.variables.get(name);
    if (!v) return undefined;
    return { dims: v.dimIds.map((id) => nc.dimensions[id].name), values: readNetcdfVariable(bytes, nc, v, subject) };
  };
  return mincToVolume(
    {
      dimNames,
      shape: netcdfShape(nc, image),
      raw,
      dtype,
      validRange,
      dimAttributes,
      imageMin: scaleVar('image-min'),
      imageMax: scaleVar('image-max'),
      version: 1,
    },
    subject,
  );
}

// ---------------------------------------------------------------------------------------------------------------------
// MINC2 (HDF5), via h5wasm

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function isHdf5(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && HDF5_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * End-of-file address recorded in an HDF5 superblock (versions 0-3 at offset 0), or undefined if unreadable. Lets us
 * report a truncated MINC2 file clearly instead of through the HDF5 library's diagnostics.
 */
function hdf5StoredEof(bytes: Uint8Array): number | undefined {
  if (!isHdf5(bytes) || bytes.length < 16) return undefined;
  const version = bytes[8];
  const sizeOfOffsets = version <= 1 ? bytes[13] : bytes[9];
  if (sizeOfOffsets !== 8 && sizeOfOffsets !== 4) return undefined;
  // v0: 24 fixed bytes, then base, free-space, EOF addresses; v1: 4 more fixed bytes; v2/v3: 12 bytes, base, ext, EOF.
  const eofAt = version === 0 ? 24 + 2 * sizeOfOffsets : version === 1 ? 28 + 2 * sizeOfOffsets : version <= 3 ? 12 + 2 * sizeOfOffsets : -1;
  if (eofAt < 0 || eofAt + sizeOfOffsets > bytes.length) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eof = sizeOfOffsets === 8 ? Number(view.getBigUint64(eofAt, true)) : view.getUint32(eofAt, true);
  return eof > 0 && Number.isSafeInteger(eof) ? eof : undefined;
}

function isNetcdfClassic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x43 && bytes[1] === 0x44 && bytes[2] === 0x46 && (bytes[3] === 1 || bytes[3] === 2);
}

type H5 = typeof import('h5wasm/node');

let h5Module: Promise<H5['default']> | undefined;

async function loadH5wasm(): Promise<H5['default']> {
  // Lazy: the wasm HDF5 library costs time and memory and only MINC2 files need it.
  h5Module ??= import('h5wasm/node').then(async (m) => {
    await m.default.ready;
    return m.default;
  });
  return h5Module;
}

/** h5wasm attribute values normalised to what the MINC model uses (bigint -> number, 1-element arrays kept). */
function h5Attributes(obj: { attrs: Record<string, { value: unknown }> }): Map<string, AttrValue> {
  const out = new Map<string, AttrValue>();
  for (const [name, attr] of Object.entries(obj.attrs)) {
    let value: unknown;
    try {
      value = attr.value;
    } catch {
      continue; // an attribute of a type h5wasm cannot decode is not one MINC geometry needs
    }
    if (typeof value === 'string' || typeof value === 'number') out.set(name, value);
    else if (typeof value === 'bigint') out.set(name, Number(value));
    else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) out.set(name, Array.from(value as unknown as ArrayLike<number | bigint>, Number));
    else if (Array.isArray(value) && value.every((x) => typeof x === 'number')) out.set(name, value as number[]);
  }
  return out;
}

function h5DType(meta: { type: number; size: number; signed: boolean }): DType | undefined {
  if (meta.type === 1) return meta.size === 4 ? 'float32' : meta.size === 8 ? 'float64' : undefined;
  if (meta.type !== 0) return undefined;
  const key = `${meta.signed ? 'int' : 'uint'}${meta.size * 8}`;
  return (['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32'] as string[]).includes(key) ? (key as DType) : undefined;
}

/** Reads a MINC2 file. h5wasm's file access is synchronous; MINC2 volumes are rarely large enough for that to matter. */
async function readMinc2(file: string): Promise<Volume> {
  const h5 = await loadH5wasm();
  let f: InstanceType<H5['File']>;
  try {
    f = new h5.File(file, 'r');
  } catch (error) {
    throw new InputError(file, `cannot open as HDF5 (MINC2): ${(error as Error).message}`, { cause: error });
  }
  try {
    if (f.file_id < 0n) throw new InputError(file, 'cannot open as HDF5 (MINC2): the file is truncated or corrupt');
    const get = (p: string) => {
      try {
        return f.get(p);
      } catch {
        return null;
      }
    };
    const image = get('/minc-2.0/image/0/image');
    if (!(image instanceof h5.Dataset)) {
      throw new InputError(file, "HDF5 file has no /minc-2.0/image/0/image dataset, so it is not a MINC2 volume");
    }
    const meta = image.metadata;
    const dtype = h5DType(meta);
    if (!dtype) throw new InputError(file, `MINC2 image has an unsupported HDF5 type (class ${meta.type}, ${meta.size} bytes)`);
    const shape = image.shape ?? [];
    const attrs = h5Attributes(image);
    const dimorder = attrString(attrs.get('dimorder'));
    if (!dimorder) throw new InputError(file, "MINC2 image has no 'dimorder' attribute naming its dimensions");
    const dimNames = dimorder.split(',').slice(0, shape.length);
    let raw: TypedArray;
    try {
      raw = image.value as TypedArray;
    } catch (error) {
      throw new InputError(file, `cannot read the MINC2 image data (truncated or corrupt file?): ${(error as Error).message}`, { cause: error });
    }
    if (!ArrayBuffer.isView(raw)) throw new InputError(file, 'MINC2 image data did not decode to numbers');
    const vr = attrNumbers(attrs.get('valid_range'));
    const dimAttributes = new Map<string, Map<string, AttrValue>>();
    for (const name of dimNames) {
      const d = get(`/minc-2.0/dimensions/${name}`);
      if (d instanceof h5.Dataset || d instanceof h5.Group) dimAttributes.set(name, h5Attributes(d));
    }
    const scaleVar = (name: string) => {
      const d = get(`/minc-2.0/image/0/${name}`);
      if (!(d instanceof h5.Dataset)) return undefined;
      const order = attrString(h5Attributes(d).get('dimorder'));
      const dims = order ? order.split(',').slice(0, (d.shape ?? []).length) : [];
      const v = d.value;
      const values = typeof v === 'number' ? [v] : ArrayBuffer.isView(v) ? Array.from(v as ArrayLike<number>, Number) : [];
      return { dims, values };
    };
    return mincToVolume(
      {
        dimNames,
        shape,
        raw,
        dtype,
        validRange: vr && vr.length >= 2 ? [vr[0], vr[1]] : undefined,
        dimAttributes,
        imageMin: scaleVar('image-min'),
        imageMax: scaleVar('image-max'),
        version: 2,
      },
      file,
    );
  } finally {
    if (f.file_id >= 0n) f.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Reading

/** Reads a MINC1 (.mnc, .mnc.gz) or MINC2 (.mnc) file. */
export async function readMinc(file: string): Promise<Volume> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new InputError(file, code === 'ENOENT' ? 'no such file' : `cannot read file: ${(error as Error).message}`, { cause: error });
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (error) {
      const truncated = (error as { code?: string }).code === 'Z_BUF_ERROR';
      throw new InputError(
        file,
        truncated ? 'gzip stream is truncated (unexpected end of data): the file was cut short' : `gzip stream is corrupt: ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (isHdf5(bytes)) throw new InputError(file, 'gzip-compressed MINC2 (HDF5) is not supported: gunzip it first');
  }
  if (isHdf5(bytes)) {
    const eof = hdf5StoredEof(bytes);
    if (eof !== undefined && eof > bytes.length) {
      throw new InputError(file, `file is truncated: its HDF5 (MINC2) superblock says ${eof} bytes, the file has ${bytes.length}`);
    }
    return readMinc2(file);
  }
  if (isNetcdfClassic(bytes)) return decodeMinc1(bytes, file);
  throw new InputError(file, 'not a MINC file: neither NetCDF classic (MINC1) nor HDF5 (MINC2)');
}

export const mincReader: VolumeReader = {
  format: 'minc',
  extensions: ['.mnc', '.mnc.gz'],
  sniff(head: FileHead): boolean {
    if (isNetcdfClassic(head.bytes)) return true;
    // HDF5 in general belongs to the HDF5 reader; only an HDF5 file named .mnc is MINC2.
    return isHdf5(head.bytes) && !head.gzipped && head.name.endsWith('.mnc');
  },
  read(file: string): Promise<Volume> {
    return readMinc(file);
  },
};
