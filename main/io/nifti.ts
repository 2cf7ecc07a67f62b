/**
 * NIfTI-1 / NIfTI-2 reader and writer (single-file .nii / .nii.gz; .hdr + .img pairs are read too).
 *
 * Conventions follow nibabel, the reference the shared-data manifest was made with: the engine's voxel index (i, j, k)
 * equals nibabel's, the affine is chosen sform > qform > Analyze-style fallback, and scl_slope/scl_inter scaling
 * yields float64. RAS <-> LPS goes through orientation.ts only.
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
  integerRange,
  isIntegerDType,
  swapBytesInPlace,
  viewBytes,
  type DType,
  type TypedArray,
} from '../volume/dtype.ts';
import { geometryFromRasAffine, orthonormalize, rasAffineFromGeometry, type Affine } from '../volume/orientation.ts';
import { det3, validateVolume, type Geometry, type Mat3, type Vec3, type Volume } from '../volume/volume.ts';
import type { FileHead, VolumeReader, VolumeStream, VolumeWriter, WriteOptions } from './registry.ts';

const gunzipAsync = promisify(zlib.gunzip);
const gzipAsync = promisify(zlib.gzip);

/**
 * Level 3, not zlib's default 6: on the shared MR/CT files it writes about twice as fast for 2-10% larger files
 * (label maps compress ~25% worse, but they are small either way).
 */
const GZIP_LEVEL = 3;

const NIFTI1_HEADER_SIZE = 348;
const NIFTI2_HEADER_SIZE = 540;

// ---------------------------------------------------------------------------------------------------------------------
// Datatypes

export interface DatatypeInfo {
  code: number;
  name: string;
  bits: number;
  /** Engine dtype of one stored value; absent for datatypes we reject. */
  dtype?: DType;
  /** Values per voxel stored together (3 for RGB24, 4 for RGBA32). */
  group: number;
}

const DATATYPES: DatatypeInfo[] = [
  { code: 1, name: 'binary (1 bit)', bits: 1, group: 1 },
  { code: 2, name: 'uint8', bits: 8, dtype: 'uint8', group: 1 },
  { code: 4, name: 'int16', bits: 16, dtype: 'int16', group: 1 },
  { code: 8, name: 'int32', bits: 32, dtype: 'int32', group: 1 },
  { code: 16, name: 'float32', bits: 32, dtype: 'float32', group: 1 },
  { code: 32, name: 'complex64', bits: 64, group: 1 },
  { code: 64, name: 'float64', bits: 64, dtype: 'float64', group: 1 },
  { code: 128, name: 'RGB24', bits: 24, dtype: 'uint8', group: 3 },
  { code: 256, name: 'int8', bits: 8, dtype: 'int8', group: 1 },
  { code: 512, name: 'uint16', bits: 16, dtype: 'uint16', group: 1 },
  { code: 768, name: 'uint32', bits: 32, dtype: 'uint32', group: 1 },
  { code: 1024, name: 'int64', bits: 64, group: 1 },
  { code: 1280, name: 'uint64', bits: 64, group: 1 },
  { code: 1536, name: 'float128', bits: 128, group: 1 },
  { code: 1792, name: 'complex128', bits: 128, group: 1 },
  { code: 2048, name: 'complex256', bits: 256, group: 1 },
  { code: 2304, name: 'RGBA32', bits: 32, dtype: 'uint8', group: 4 },
];

const DATATYPE_BY_CODE = new Map(DATATYPES.map((d) => [d.code, d]));

const CODE_OF_DTYPE: Record<DType, number> = {
  uint8: 2,
  int8: 256,
  uint16: 512,
  int16: 4,
  uint32: 768,
  int32: 8,
  float32: 16,
  float64: 64,
};

// ---------------------------------------------------------------------------------------------------------------------
// Header

export interface NiftiHeader {
  version: 1 | 2;
  littleEndian: boolean;
  /** 'n+1' / 'n+2' single file, 'ni1' / 'ni2' header of a .hdr + .img pair. */
  magic: string;
  /** true for a .hdr + .img pair (magic ni1 / ni2). */
  pair: boolean;
  headerSize: number;
  /** dim[0..7] as stored. */
  dim: number[];
  datatype: number;
  bitpix: number;
  /** pixdim[0..7] as stored (pixdim[0] is qfac). */
  pixdim: number[];
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  qformCode: number;
  sformCode: number;
  /** quatern_b, quatern_c, quatern_d */
  quatern: [number, number, number];
  /** qoffset_x, qoffset_y, qoffset_z */
  qoffset: [number, number, number];
  /** srow_x, srow_y, srow_z (12 numbers, row-major). */
  srow: number[];
  xyztUnits: number;
  intentCode: number;
  description: string;
}

function readString(bytes: Uint8Array, offset: number, length: number): string {
  let end = offset;
  while (end < offset + length && bytes[end] !== 0) end++;
  return String.fromCharCode(...bytes.subarray(offset, end));
}

/** Version and byte order from sizeof_hdr, or null when the bytes do not start a NIfTI header. */
function detectLayout(bytes: Uint8Array): { version: 1 | 2; littleEndian: boolean; magic: string } | null {
  if (bytes.length < NIFTI1_HEADER_SIZE) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const littleEndian of [true, false]) {
    const size = view.getInt32(0, littleEndian);
    if (size === NIFTI1_HEADER_SIZE) {
      const magic = readString(bytes, 344, 4);
      if (magic === 'n+1' || magic === 'ni1') return { version: 1, littleEndian, magic };
    } else if (size === NIFTI2_HEADER_SIZE && bytes.length >= NIFTI2_HEADER_SIZE) {
      const magic = readString(bytes, 4, 4);
      if (magic === 'n+2' || magic === 'ni2') return { version: 2, littleEndian, magic };
    }
  }
  return null;
}

/** True when the bytes start a NIfTI-1 or NIfTI-2 header (either byte order). */
export function isNiftiHeader(bytes: Uint8Array): boolean {
  return detectLayout(bytes) !== null;
}

/**
 * Parses and checks a NIfTI-1 or NIfTI-2 header. `subject` names the file in errors. Checks that do not need the file
 * length (dims, datatype, bitpix, vox_offset >= header size) happen here; the data length is checked by decodeNifti.
 */
export function parseNiftiHeader(bytes: Uint8Array, subject = 'NIfTI header'): NiftiHeader {
  const layout = detectLayout(bytes);
  if (!layout) {
    if (bytes.length < NIFTI1_HEADER_SIZE) {
      throw new InputError(subject, `not a NIfTI file: ${bytes.length} bytes, shorter than the 348-byte NIfTI-1 header`);
    }
    throw new InputError(subject, 'not a NIfTI file: sizeof_hdr is neither 348 nor 540, or the magic is not n+1/ni1/n+2/ni2');
  }
  const { version, littleEndian, magic } = layout;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = littleEndian;
  const i64 = (o: number): number => {
    const big = v.getBigInt64(o, le);
    if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new InputError(subject, `NIfTI-2 header field at byte ${o} is out of range (${big})`);
    }
    return Number(big);
  };
  let h: NiftiHeader;
  if (version === 1) {
    h = {
      version,
      littleEndian,
      magic,
      pair: magic === 'ni1',
      headerSize: NIFTI1_HEADER_SIZE,
      dim: Array.from({ length: 8 }, (_, i) => v.getInt16(40 + 2 * i, le)),
      intentCode: v.getInt16(68, le),
      datatype: v.getInt16(70, le),
      bitpix: v.getInt16(72, le),
      pixdim: Array.from({ length: 8 }, (_, i) => v.getFloat32(76 + 4 * i, le)),
      voxOffset: v.getFloat32(108, le),
      sclSlope: v.getFloat32(112, le),
      sclInter: v.getFloat32(116, le),
      xyztUnits: bytes[123],
      description: readString(bytes, 148, 80),
      qformCode: v.getInt16(252, le),
      sformCode: v.getInt16(254, le),
      quatern: [v.getFloat32(256, le), v.getFloat32(260, le), v.getFloat32(264, le)],
      qoffset: [v.getFloat32(268, le), v.getFloat32(272, le), v.getFloat32(276, le)],
      srow: Array.from({ length: 12 }, (_, i) => v.getFloat32(280 + 4 * i, le)),
    };
  } else {
    h = {
      version,
      littleEndian,
      magic,
      pair: magic === 'ni2',
      headerSize: NIFTI2_HEADER_SIZE,
      datatype: v.getInt16(12, le),
      bitpix: v.getInt16(14, le),
      dim: Array.from({ length: 8 }, (_, i) => i64(16 + 8 * i)),
      pixdim: Array.from({ length: 8 }, (_, i) => v.getFloat64(104 + 8 * i, le)),
      voxOffset: i64(168),
      sclSlope: v.getFloat64(176, le),
      sclInter: v.getFloat64(184, le),
      description: readString(bytes, 240, 80),
      qformCode: v.getInt32(344, le),
      sformCode: v.getInt32(348, le),
      quatern: [v.getFloat64(352, le), v.getFloat64(360, le), v.getFloat64(368, le)],
      qoffset: [v.getFloat64(376, le), v.getFloat64(384, le), v.getFloat64(392, le)],
      srow: Array.from({ length: 12 }, (_, i) => v.getFloat64(400 + 8 * i, le)),
      xyztUnits: v.getInt32(500, le),
      intentCode: v.getInt32(504, le),
    };
  }
  checkHeader(h, subject);
  return h;
}

export function datatypeInfo(h: NiftiHeader, subject: string): DatatypeInfo & { dtype: DType } {
  const info = DATATYPE_BY_CODE.get(h.datatype);
  if (!info) throw new InputError(subject, `unknown NIfTI datatype code ${h.datatype}`);
  if (!info.dtype) {
    throw new InputError(
      subject,
      `NIfTI datatype ${info.code} (${info.name}) is not supported; supported: uint8, int8, uint16, int16, uint32, int32, float32, float64, RGB24, RGBA32`,
    );
  }
  return info as DatatypeInfo & { dtype: DType };
}

function checkHeader(h: NiftiHeader, subject: string): void {
  const ndim = h.dim[0];
  if (!(ndim >= 1 && ndim <= 7)) throw new InputError(subject, `dim[0] is ${ndim}: the number of dimensions must be 1..7`);
  for (let i = 1; i <= ndim; i++) {
    if (!(h.dim[i] >= 1)) throw new InputError(subject, `dim[${i}] is ${h.dim[i]}: dimensions must be positive`);
  }
  const info = datatypeInfo(h, subject);
  if (h.bitpix !== info.bits) {
    throw new InputError(subject, `bitpix is ${h.bitpix} but datatype ${info.code} (${info.name}) has ${info.bits} bits per voxel`);
  }
  if (!Number.isFinite(h.voxOffset) || !Number.isInteger(h.voxOffset)) {
    throw new InputError(subject, `vox_offset ${h.voxOffset} is not a whole number of bytes`);
  }
  // A pair's .img holds only data, so any offset >= 0 is valid there; a single file has the header first.
  const minOffset = h.pair ? 0 : h.headerSize;
  if (h.voxOffset < minOffset) {
    throw new InputError(subject, `vox_offset ${h.voxOffset} points inside the ${h.headerSize}-byte header (must be >= ${minOffset})`);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Geometry

/** Rotation matrix of a unit quaternion (b, c, d; a >= 0 implied), as in nifti1_io.c. */
function quaternionToRotation(b: number, c: number, d: number): number[] {
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    // Stored as float32, (b, c, d) of a 180 degree rotation can be marginally over unit length: renormalise.
    const n = 1 / Math.sqrt(b * b + c * c + d * d);
    b *= n;
    c *= n;
    d *= n;
    a = 0;
  } else {
    a = Math.sqrt(a);
  }
  return [
    a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c),
    2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b),
    2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b,
  ];
}

/** Quaternion (b, c, d) of a proper rotation matrix (row-major), as nifti_mat44_to_quatern does. */
function rotationToQuaternion(r: number[]): [number, number, number] {
  const [r11, r12, r13, r21, r22, r23, r31, r32, r33] = r;
  let a = r11 + r22 + r33 + 1;
  let b: number;
  let c: number;
  let d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return [b, c, d];
}

/** Voxel size of spatial axis `axis` (1..3) for the qform and fallback affines. */
function zoom(h: NiftiHeader, axis: number, subject: string): number {
  const z = h.pixdim[axis];
  const size = axis <= h.dim[0] ? h.dim[axis] : 1;
  if (Number.isFinite(z) && z !== 0) return Math.abs(z);
  // A singleton axis has no extent, so an unset voxel size there is harmless; default it like most tools do.
  if (size === 1 && (z === 0 || Number.isNaN(z))) return 1;
  throw new InputError(subject, `pixdim[${axis}] is ${z}: voxel sizes must be finite and non-zero`);
}

export type NiftiAffineSource = 'sform' | 'qform' | 'fallback';

/** The RAS affine nibabel would use (sform if coded, else qform if coded, else the Analyze-style default). */
export function niftiRasAffine(h: NiftiHeader, subject = 'NIfTI header'): { affine: Affine; source: NiftiAffineSource } {
  if (h.sformCode > 0) {
    const a = [...h.srow, 0, 0, 0, 1];
    const m = [a[0], a[1], a[2], a[4], a[5], a[6], a[8], a[9], a[10]] as Mat3;
    const usable = a.every(Number.isFinite) && Math.abs(det3(m)) > 1e-12;
    if (usable) return { affine: a, source: 'sform' };
    // A coded but empty/singular sform is a writer bug; the qform, when present, still describes the grid.
    if (h.qformCode <= 0) throw new InputError(subject, 'sform_code is set but the sform matrix is singular or not finite, and there is no qform');
  }
  const dx = zoom(h, 1, subject);
  const dy = zoom(h, 2, subject);
  const dz = zoom(h, 3, subject);
  if (h.qformCode > 0) {
    const [b, c, d] = h.quatern;
    if (![b, c, d, ...h.qoffset].every(Number.isFinite)) throw new InputError(subject, 'qform quaternion or offset is not finite');
    const r = quaternionToRotation(b, c, d);
    // pixdim[0] is qfac, which should be +-1; the NIfTI reference library treats anything but -1 as 1.
    const qfac = h.pixdim[0] === -1 ? -1 : 1;
    const s = [dx, dy, dz * qfac];
    const affine: Affine = [
      r[0] * s[0], r[1] * s[1], r[2] * s[2], h.qoffset[0],
      r[3] * s[0], r[4] * s[1], r[5] * s[2], h.qoffset[1],
      r[6] * s[0], r[7] * s[1], r[8] * s[2], h.qoffset[2],
      0, 0, 0, 1,
    ];
    return { affine, source: 'qform' };
  }
  // No transform at all: nibabel's Analyze convention (x flipped, grid centred on the world origin), not the NIfTI
  // spec's "method 1" diag(pixdim) with no flip, so that index -> world matches the reference the manifest used.
  const shape = [1, 2, 3].map((i) => (i <= h.dim[0] ? h.dim[i] : 1));
  const affine: Affine = [
    -dx, 0, 0, ((shape[0] - 1) / 2) * dx,
    0, dy, 0, -((shape[1] - 1) / 2) * dy,
    0, 0, dz, -((shape[2] - 1) / 2) * dz,
    0, 0, 0, 1,
  ];
  return { affine, source: 'fallback' };
}

// ---------------------------------------------------------------------------------------------------------------------
// Decoding

/** Interleaves planar blocks: in[(p*N + v)*g + e] -> out[(v*P + p)*g + e] (component fastest in the engine). */
function interleave(src: TypedArray, dst: TypedArray, voxels: number, planes: number, group: number): void {
  const stride = planes * group;
  for (let p = 0; p < planes; p++) {
    const srcBase = p * voxels * group;
    const dstBase = p * group;
    if (group === 1) {
      for (let v = 0; v < voxels; v++) dst[v * stride + dstBase] = src[srcBase + v];
    } else {
      for (let v = 0; v < voxels; v++) {
        for (let e = 0; e < group; e++) dst[v * stride + dstBase + e] = src[srcBase + v * group + e];
      }
    }
  }
}

/** Inverse of interleave. */
function deinterleave(src: TypedArray, dst: TypedArray, voxels: number, planes: number, group: number): void {
  const stride = planes * group;
  for (let p = 0; p < planes; p++) {
    const dstBase = p * voxels * group;
    const srcBase = p * group;
    if (group === 1) {
      for (let v = 0; v < voxels; v++) dst[dstBase + v] = src[v * stride + srcBase];
    } else {
      for (let v = 0; v < voxels; v++) {
        for (let e = 0; e < group; e++) dst[dstBase + v * group + e] = src[v * stride + srcBase + e];
      }
    }
  }
}

function rangeOf(data: TypedArray): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return [min, max];
}

const INTEGER_DTYPES: DType[] = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32'];

/**
 * Applies scl_slope / scl_inter. nibabel returns float64 for any scaled file and the manifest records that, so we do
 * the same; the exception is integer slope and intercept on integer data whose scaled range fits an integer dtype
 * (typically CT stored as uint16 with slope 1, intercept -1024): the values are then exact integers, and keeping an
 * integer dtype (the stored one if it fits, else the smallest that does) saves 2-4x memory over float64.
 */
function applyScaling(raw: TypedArray, dtype: DType, slope: number, inter: number): { data: TypedArray; dtype: DType } {
  if (isIntegerDType(dtype) && Number.isInteger(slope) && Number.isInteger(inter)) {
    const [lo, hi] = rangeOf(raw);
    const a = raw.length ? lo * slope + inter : 0;
    const b = raw.length ? hi * slope + inter : 0;
    const min = Math.min(a, b);
    const max = Math.max(a, b);
    const fits = (t: DType) => {
      const [tmin, tmax] = integerRange(t);
      return min >= tmin && max <= tmax;
    };
    const target = fits(dtype) ? dtype : INTEGER_DTYPES.find(fits);
    if (target) {
      const out = allocate(target, raw.length);
      for (let i = 0; i < raw.length; i++) out[i] = raw[i] * slope + inter;
      return { data: out, dtype: target };
    }
  }
  const out = new Float64Array(raw.length);
  // Same order of operations as nibabel (multiply, then add) so values agree to the last bit.
  for (let i = 0; i < raw.length; i++) out[i] = raw[i] * slope + inter;
  return { data: out, dtype: 'float64' };
}

/** How the components of a NIfTI volume were laid out, so the writer can put them back the same way. */
export type NiftiComponentLayout = 'time' | 'vector' | 'rgb24' | 'rgba32';

/**
 * Decodes a whole NIfTI image held in memory (gzip already undone). For a .hdr + .img pair pass the .img bytes as
 * `dataBytes`. Throws InputError naming `subject`.
 */
export function decodeNifti(bytes: Uint8Array, subject = 'NIfTI image', dataBytes?: Uint8Array): Volume {
  const h = parseNiftiHeader(bytes, subject);
  const info = datatypeInfo(h, subject);
  const dims = [1, 2, 3, 4, 5, 6, 7].map((i) => (i <= h.dim[0] ? h.dim[i] : 1));
  const shape = [dims[0], dims[1], dims[2]] as Vec3;
  const voxels = shape[0] * shape[1] * shape[2];
  const planes = dims[3] * dims[4] * dims[5] * dims[6];
  const group = info.group;
  const values = voxels * planes * group;
  const bpe = bytesPerElement(info.dtype);
  const needed = values * bpe;

  const source = dataBytes ?? bytes;
  const where = dataBytes ? 'the .img file' : 'the file';
  if (h.voxOffset > source.length) {
    throw new InputError(subject, `vox_offset ${h.voxOffset} is beyond the end of ${where} (${source.length} bytes)`);
  }
  const present = source.length - h.voxOffset;
  if (present < needed) {
    throw new InputError(
      subject,
      `voxel data is truncated: dims [${h.dim.slice(1, h.dim[0] + 1).join(', ')}] of ${info.name} need ${needed} bytes after vox_offset ${h.voxOffset}, ${where} has ${present}`,
    );
  }

  let region = source.subarray(h.voxOffset, h.voxOffset + needed);
  // Copy when we must modify bytes (byte swap) or when the region is a small part of a larger buffer we should not pin.
  const pinsMore = region.buffer.byteLength > region.byteLength * 1.5 + 4096;
  if (!h.littleEndian || pinsMore) region = region.slice();
  if (!h.littleEndian) swapBytesInPlace(region, bpe);
  let raw = viewBytes(info.dtype, region, values);

  if (planes * group > 1 && planes > 1) {
    const out = allocate(info.dtype, values);
    interleave(raw, out, voxels, planes, group);
    raw = out;
  }

  let dtype = info.dtype;
  let data = raw;
  const slope = h.sclSlope;
  const inter = Number.isFinite(h.sclInter) ? h.sclInter : 0;
  // Like nibabel: slope 0 / NaN / inf means "no scaling", and (1, 0) is the identity.
  const scaled = Number.isFinite(slope) && slope !== 0 && !(slope === 1 && inter === 0);
  if (scaled) ({ data, dtype } = applyScaling(raw, dtype, slope, inter));

  const { affine, source: affineSource } = niftiRasAffine(h, subject);
  let geometry: Geometry;
  try {
    geometry = geometryFromRasAffine(affine, shape);
  } catch (error) {
    throw new InputError(subject, `${affineSource} affine is unusable: ${(error as Error).message}`);
  }

  let layout: NiftiComponentLayout = 'time';
  if (group === 3) layout = 'rgb24';
  else if (group === 4) layout = 'rgba32';
  else if (dims[3] === 1 && planes > 1) layout = 'vector';

  const meta: Record<string, string | number | boolean> = {
    'nifti.version': h.version,
    'nifti.datatype': info.name,
    'nifti.affine': affineSource,
    'nifti.sformCode': h.sformCode,
    'nifti.qformCode': h.qformCode,
  };
  if (planes * group > 1) meta['nifti.layout'] = layout;
  if (dims[3] > 1 && Number.isFinite(h.pixdim[4]) && h.pixdim[4] > 0) meta['nifti.timeStep'] = h.pixdim[4];
  if (h.intentCode) meta['nifti.intentCode'] = h.intentCode;
  if (scaled) {
    meta['nifti.sclSlope'] = slope;
    meta['nifti.sclInter'] = inter;
  }
  if (h.description) meta['nifti.description'] = h.description;

  const volume: Volume = { ...geometry, dtype, components: planes * group, data, meta };
  try {
    validateVolume(volume);
  } catch (error) {
    throw new InputError(subject, `inconsistent NIfTI header: ${(error as Error).message}`);
  }
  return volume;
}

async function gunzipChecked(compressed: Uint8Array, subject: string): Promise<Uint8Array> {
  try {
    return await gunzipAsync(compressed);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'Z_BUF_ERROR') {
      throw new InputError(
        subject,
        `gzip stream is truncated (unexpected end of data after ${compressed.length} compressed bytes): the file was cut short, e.g. by an interrupted copy or download`,
        { cause: error },
      );
    }
    throw new InputError(subject, `gzip stream is corrupt: ${(error as Error).message}`, { cause: error });
  }
}

async function readMaybeGzipped(file: string): Promise<Uint8Array> {
  let raw: Uint8Array;
  try {
    raw = await fs.readFile(file);
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new InputError(file, code === 'ENOENT' ? 'no such file' : `cannot read file: ${(error as Error).message}`, { cause: error });
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) return gunzipChecked(raw, file);
  return raw;
}

/** The .img (or .img.gz) beside a .hdr, keeping the case of the extension. */
async function pairedImage(file: string): Promise<string> {
  const ext = path.extname(file);
  const base = file.slice(0, file.length - ext.length);
  const img = ext === ext.toUpperCase() ? 'IMG' : 'img';
  for (const candidate of [`${base}.${img}`, `${base}.${img}.gz`, `${base}.${img}.GZ`]) {
    try {
      await fs.access(candidate);
      return candidate;
    } catch {
      // try the next spelling
    }
  }
  throw new InputError(file, `NIfTI header of a .hdr/.img pair, but its image file ${path.basename(base)}.${img} is missing`);
}

/** Reads a .nii, .nii.gz or .hdr (+ .img) file. Decompression is asynchronous so the event loop stays free. */
export async function readNifti(file: string): Promise<Volume> {
  const bytes = await readMaybeGzipped(file);
  const layout = detectLayout(bytes);
  if (layout && (layout.magic === 'ni1' || layout.magic === 'ni2')) {
    const img = await pairedImage(file);
    const dataBytes = await readMaybeGzipped(img);
    return decodeNifti(bytes, file, dataBytes);
  }
  return decodeNifti(bytes, file);
}

// ---------------------------------------------------------------------------------------------------------------------
// Encoding

export interface EncodeNiftiOptions {
  /** gzip the result (.nii.gz). */
  gzip?: boolean;
  /** Header version; default 1, or 2 when a dimension exceeds the NIfTI-1 limit of 32767. */
  version?: 1 | 2;
}

function metaString(volume: Volume, key: string): string | undefined {
  const v = volume.meta?.[key];
  return typeof v === 'string' ? v : undefined;
}

function metaNumber(volume: Volume, key: string): number | undefined {
  const v = volume.meta?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Encodes a volume as a little-endian single-file NIfTI. Geometry goes into both the sform (exact up to float32 in
 * NIfTI-1) and the qform (nearest rotation + qfac), so readers that only know one of them agree. Components go back to
 * NIfTI's planar layout: dim[4] (time) by default, dim[5] with intent VECTOR or RGB24/RGBA32 when the volume was read
 * that way (meta 'nifti.layout').
 */
export async function encodeNifti(volume: Volume, options: EncodeNiftiOptions = {}): Promise<Uint8Array> {
  validateVolume(volume);
  const { shape, dtype, components } = volume;
  let layout = (metaString(volume, 'nifti.layout') ?? 'time') as NiftiComponentLayout;
  if (layout === 'rgb24' && !(dtype === 'uint8' && components % 3 === 0)) layout = 'time';
  if (layout === 'rgba32' && !(dtype === 'uint8' && components % 4 === 0)) layout = 'time';
  if (!['time', 'vector', 'rgb24', 'rgba32'].includes(layout)) layout = 'time';
  const group = layout === 'rgb24' ? 3 : layout === 'rgba32' ? 4 : 1;
  const planes = components / group;

  const dim = [3, shape[0], shape[1], shape[2], 1, 1, 1, 1];
  let intentCode = 0;
  if (planes > 1) {
    if (layout === 'vector') {
      dim[0] = 5;
      dim[5] = planes;
      intentCode = 1007; // NIFTI_INTENT_VECTOR
    } else {
      dim[0] = 4;
      dim[4] = planes;
    }
  }
  const version = options.version ?? (dim.some((n) => n > 32767) ? 2 : 1);
  if (version === 1 && dim.some((n) => n > 32767)) {
    throw new RangeError(`a dimension of [${dim.slice(1, dim[0] + 1).join(', ')}] exceeds NIfTI-1's 32767; use NIfTI-2`);
  }
  const datatype = layout === 'rgb24' ? 128 : layout === 'rgba32' ? 2304 : CODE_OF_DTYPE[dtype];
  const bitpix = bytesPerElement(dtype) * 8 * group;

  const affine = rasAffineFromGeometry(volume);
  // qform: nearest proper rotation; a reflection goes into qfac = pixdim[0] = -1 (third column negated).
  const ras = orthonormalize([
    affine[0] / volume.spacing[0], affine[1] / volume.spacing[1], affine[2] / volume.spacing[2],
    affine[4] / volume.spacing[0], affine[5] / volume.spacing[1], affine[6] / volume.spacing[2],
    affine[8] / volume.spacing[0], affine[9] / volume.spacing[1], affine[10] / volume.spacing[2],
  ] as Mat3);
  const qfac = det3(ras) < 0 ? -1 : 1;
  if (qfac < 0) for (const i of [2, 5, 8]) ras[i] = -ras[i];
  const quatern = rotationToQuaternion(ras);

  const sformCode = metaNumber(volume, 'nifti.sformCode');
  const qformCode = metaNumber(volume, 'nifti.qformCode');
  const codeOr = (c: number | undefined, fallback: number) => (c !== undefined && c >= 1 && c <= 4 ? c : fallback);
  const timeStep = metaNumber(volume, 'nifti.timeStep') ?? 1;
  const pixdim = [qfac, volume.spacing[0], volume.spacing[1], volume.spacing[2], planes > 1 ? timeStep : 1, 1, 1, 1];
  const units = 2 | (dim[0] >= 4 && layout === 'time' ? 8 : 0); // mm, plus seconds for a time series
  const description = (metaString(volume, 'nifti.description') ?? 'Segstation').slice(0, 79);

  const headerSize = version === 1 ? NIFTI1_HEADER_SIZE : NIFTI2_HEADER_SIZE;
  const voxOffset = headerSize + 4; // + the 4-byte extension flag (no extensions); 352 and 544 are 8-byte aligned
  const n = shape[0] * shape[1] * shape[2];
  const dataLength = volume.data.length * bytesPerElement(dtype);
  const out = new Uint8Array(voxOffset + dataLength);
  const v = new DataView(out.buffer);
  const writeString = (offset: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[offset + i] = s.charCodeAt(i) & 0x7f;
  };
  const sform = [...affine.slice(0, 12)];
  const qcode = codeOr(qformCode, 1);
  const scode = codeOr(sformCode, 1);
  if (version === 1) {
    v.setInt32(0, 348, true);
    out[38] = 0x72; // 'r': "regular", for Analyze-era readers
    dim.forEach((d, i) => v.setInt16(40 + 2 * i, d, true));
    v.setInt16(68, intentCode, true);
    v.setInt16(70, datatype, true);
    v.setInt16(72, bitpix, true);
    pixdim.forEach((p, i) => v.setFloat32(76 + 4 * i, p, true));
    v.setFloat32(108, voxOffset, true);
    v.setFloat32(112, 1, true);
    v.setFloat32(116, 0, true);
    out[123] = units;
    writeString(148, description);
    v.setInt16(252, qcode, true);
    v.setInt16(254, scode, true);
    quatern.forEach((q, i) => v.setFloat32(256 + 4 * i, q, true));
    [affine[3], affine[7], affine[11]].forEach((q, i) => v.setFloat32(268 + 4 * i, q, true));
    sform.forEach((s, i) => v.setFloat32(280 + 4 * i, s, true));
    writeString(344, 'n+1');
  } else {
    v.setInt32(0, 540, true);
    writeString(4, 'n+2\0\r\n\x1a\n');
    v.setInt16(12, datatype, true);
    v.setInt16(14, bitpix, true);
    dim.forEach((d, i) => v.setBigInt64(16 + 8 * i, BigInt(d), true));
    pixdim.forEach((p, i) => v.setFloat64(104 + 8 * i, p, true));
    v.setBigInt64(168, BigInt(voxOffset), true);
    v.setFloat64(176, 1, true);
    v.setFloat64(184, 0, true);
    writeString(240, description);
    v.setInt32(344, qcode, true);
    v.setInt32(348, scode, true);
    quatern.forEach((q, i) => v.setFloat64(352 + 8 * i, q, true));
    [affine[3], affine[7], affine[11]].forEach((q, i) => v.setFloat64(376 + 8 * i, q, true));
    sform.forEach((s, i) => v.setFloat64(400 + 8 * i, s, true));
    v.setInt32(500, units, true);
    v.setInt32(504, intentCode, true);
  }

  // The engine stores little-endian typed arrays (x86/ARM hosts), matching the header we write.
  const region = out.subarray(voxOffset);
  if (planes > 1) deinterleave(volume.data, viewBytes(dtype, region), n, planes, group);
  else region.set(asBytes(volume.data));

  if (!options.gzip) return out;
  return gzipAsync(out, { level: GZIP_LEVEL });
}

/** Encodes and writes atomically; gzip when the name ends in .gz. */
export async function writeNifti(volume: Volume, file: string): Promise<void> {
  const bytes = await encodeNifti(volume, { gzip: file.toLowerCase().endsWith('.gz') });
  await writeFileAtomic(file, bytes);
}

// ---------------------------------------------------------------------------------------------------------------------
// Registry adapters

export const niftiReader: VolumeReader = {
  format: 'nifti',
  extensions: ['.nii', '.nii.gz', '.hdr'],
  sniff(head: FileHead): boolean {
    return isNiftiHeader(head.bytes);
  },
  read(file: string): Promise<Volume> {
    return readNifti(file);
  },
  async stream(file: string): Promise<VolumeStream> {
    // Imported lazily: nifti-stream.ts imports this module.
    const { streamNifti } = await import('./nifti-stream.ts');
    return streamNifti(file);
  },
};

export const niftiWriter: VolumeWriter = {
  format: 'nifti',
  extensions: ['.nii', '.nii.gz'],
  // The extension decides compression (a .nii.gz that is not gzip would mislead other tools), so options are unused.
  write(volume: Volume, file: string, _options?: WriteOptions): Promise<void> {
    return writeNifti(volume, file);
  },
};
