/**
 * MetaImage (ITK MetaIO) reader and writer: `.mha` (header + data in one file) and `.mhd` (header) + `.raw`/`.zraw`.
 *
 * Direction convention (verified against ITK's MetaImageIO::ReadImageInformation / Write): the N*N numbers of
 * `TransformMatrix` are the direction vectors of the index axes one after another, i.e. the first N numbers are the
 * world (LPS) direction of index axis 0. ITK reads `directionAxis[j] = TransformMatrix[i*N + j]` and calls
 * `SetDirection(i, directionAxis)` (the direction of axis i, a column of the image direction matrix). So the file
 * holds the direction matrix in column-major order; with the engine's row-major Mat3:
 *   direction[r*3 + c] = TransformMatrix[c*N + r].
 * `Offset` (alias `Position`, `Origin`) is the LPS origin; `AnatomicalOrientation` is informative only (ITK ignores it on
 * read too) and is kept in meta.
 */
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { writeFileAtomic } from '../util/atomic.ts';
import { InputError } from '../util/errors.ts';
import { asBytes, type DType, type TypedArray } from '../volume/dtype.ts';
import { axisCodes } from '../volume/orientation.ts';
import { det3, type Mat3, type Vec3, type Volume } from '../volume/volume.ts';
import {
  decodeLabels,
  decodeSamples,
  encodeLabels,
  formatFileNumber,
  inflateData,
  num,
  parseAsciiSamples,
  planarToInterleaved,
  readDataFile,
  sampleSize,
  type SampleType,
} from './nrrd.ts';
import type { FileHead, VolumeReader, VolumeWriter, WriteOptions } from './registry.ts';

const deflateAsync = promisify(zlib.deflate);

const MET_TYPES: Record<string, SampleType> = {
  MET_CHAR: 'int8', MET_ASCII_CHAR: 'int8', MET_UCHAR: 'uint8',
  MET_SHORT: 'int16', MET_USHORT: 'uint16',
  MET_INT: 'int32', MET_UINT: 'uint32',
  // MetaIO's MET_LONG / MET_ULONG are 4 bytes (MET_ValueTypeSize).
  MET_LONG: 'int32', MET_ULONG: 'uint32',
  MET_LONG_LONG: 'int64', MET_ULONG_LONG: 'uint64',
  MET_FLOAT: 'float32', MET_DOUBLE: 'float64',
};

const MET_TYPE_NAMES: Record<DType, string> = {
  int8: 'MET_CHAR', uint8: 'MET_UCHAR', int16: 'MET_SHORT', uint16: 'MET_USHORT',
  int32: 'MET_INT', uint32: 'MET_UINT', float32: 'MET_FLOAT', float64: 'MET_DOUBLE',
};

export interface MetaImageHeader {
  /** Lower-case key -> value, in file order. */
  fields: Map<string, string>;
  /** Byte offset just after the ElementDataFile line (start of LOCAL data). */
  dataOffset: number;
  /** Lines after `ElementDataFile = LIST`. */
  listLines: string[];
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Parses `Key = Value` lines up to and including ElementDataFile (MetaIO stops there). */
export function parseMetaImageHeader(bytes: Uint8Array, file: string): MetaImageHeader {
  const fields = new Map<string, string>();
  let pos = 0;
  let lineNo = 0;
  while (pos < bytes.length) {
    let end = bytes.indexOf(0x0a, pos);
    const next = end < 0 ? bytes.length : end + 1;
    if (end < 0) end = bytes.length;
    const line = latin1(bytes.subarray(pos, end)).replace(/\r$/, '');
    pos = next;
    lineNo++;
    if (line.trim().length === 0) continue;
    const eq = line.indexOf('=');
    if (eq < 0 || /[^\x20-\x7e\t]/.test(line.slice(0, eq))) {
      // Binary bytes before any ElementDataFile line: the header never said where its data is.
      if (/[^\x20-\x7e\t]/.test(line)) break;
      throw new InputError(file, `malformed MetaImage header line ${lineNo}: "${line.slice(0, 80)}" (expected Key = Value)`);
    }
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    fields.set(key, value);
    if (key === 'elementdatafile') {
      const listLines: string[] = [];
      if (/^LIST(\s|$)/i.test(value)) {
        for (const l of latin1(bytes.subarray(pos)).split(/\r?\n/)) if (l.trim()) listLines.push(l.trim());
      }
      return { fields, dataOffset: pos, listLines };
    }
  }
  throw new InputError(file, 'MetaImage header is missing the required field "ElementDataFile"');
}

function field(h: MetaImageHeader, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = h.fields.get(n.toLowerCase());
    if (v !== undefined) return v;
  }
  return undefined;
}

function requiredField(h: MetaImageHeader, name: string, file: string): string {
  const v = field(h, name);
  if (v === undefined || v === '') throw new InputError(file, `MetaImage header is missing the required field "${name}"`);
  return v;
}

function numbers(value: string, name: string, count: number, file: string): number[] {
  const out = value.split(/\s+/).filter(Boolean).map(Number);
  if (out.length < count || out.slice(0, count).some((x) => !Number.isFinite(x))) {
    throw new InputError(file, `MetaImage "${name}" must have ${count} numbers, got "${value}"`);
  }
  return out.slice(0, count);
}

function bool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return /^(t|true|1|yes|y)$/i.test(value.trim());
}

function dataFileNames(value: string, h: MetaImageHeader, file: string, lastDim: number): string[] | 'LOCAL' {
  if (/^local$/i.test(value)) return 'LOCAL';
  const dir = path.dirname(file);
  const resolve = (name: string) => (path.isAbsolute(name) ? name : path.join(dir, name));
  if (/^LIST(\s|$)/i.test(value)) {
    if (h.listLines.length === 0) throw new InputError(file, 'MetaImage "ElementDataFile = LIST" names no files');
    return h.listLines.map(resolve);
  }
  if (value.includes('%')) {
    const words = value.split(/\s+/);
    const tail: string[] = [];
    while (words.length > 1 && tail.length < 3 && /^-?\d+$/.test(words[words.length - 1])) tail.unshift(words.pop()!);
    const pattern = words.join(' ');
    const min = tail.length >= 1 ? Number(tail[0]) : 1;
    const max = tail.length >= 2 ? Number(tail[1]) : min + lastDim - 1;
    const step = tail.length >= 3 ? Number(tail[2]) : 1;
    if (step <= 0 || max < min) throw new InputError(file, `MetaImage ElementDataFile range ${min}..${max} step ${step} is invalid`);
    const names: string[] = [];
    for (let i = min; i <= max; i += step) names.push(resolve(formatFileNumber(pattern, i)));
    return names;
  }
  return [resolve(value)];
}

async function readMetaImage(file: string): Promise<Volume> {
  const whole = await readDataFile(file, file, 'MetaImage file');
  const h = parseMetaImageHeader(whole, file);
  const objectType = field(h, 'ObjectType');
  if (objectType !== undefined && !/^image$/i.test(objectType)) {
    throw new InputError(file, `MetaImage ObjectType "${objectType}" is not an image`);
  }
  const ndims = Number(requiredField(h, 'NDims', file));
  if (!Number.isInteger(ndims) || ndims < 1 || ndims > 4) {
    throw new InputError(file, `MetaImage NDims ${field(h, 'NDims')} is not supported (1 to 4)`);
  }
  const dimSize = numbers(requiredField(h, 'DimSize', file), 'DimSize', ndims, file);
  if (dimSize.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new InputError(file, `MetaImage DimSize must be ${ndims} positive integers, got "${field(h, 'DimSize')}"`);
  }
  const typeText = requiredField(h, 'ElementType', file);
  const type = MET_TYPES[typeText.toUpperCase().replace(/_ARRAY$/, '')];
  if (!type) throw new InputError(file, `unknown MetaImage ElementType "${typeText}"`);
  const channelsText = field(h, 'ElementNumberOfChannels');
  const channels = channelsText === undefined ? 1 : Number(channelsText);
  if (!Number.isInteger(channels) || channels < 1) {
    throw new InputError(file, `MetaImage ElementNumberOfChannels must be a positive integer, got "${channelsText}"`);
  }
  const spacingText = field(h, 'ElementSpacing', 'ElementSize');
  const spacingN = spacingText ? numbers(spacingText, 'ElementSpacing', ndims, file) : new Array<number>(ndims).fill(1);
  const originText = field(h, 'Offset', 'Position', 'Origin');
  const originN = originText ? numbers(originText, 'Offset', ndims, file) : new Array<number>(ndims).fill(0);
  const matrixText = field(h, 'TransformMatrix', 'Rotation', 'Orientation');
  const matrixN = matrixText ? numbers(matrixText, 'TransformMatrix', ndims * ndims, file) : undefined;
  const msb = bool(field(h, 'ElementByteOrderMSB', 'BinaryDataByteOrderMSB', 'ByteOrderMSB')) ?? false;
  const binary = bool(field(h, 'BinaryData')) ?? true;
  let compressed = bool(field(h, 'CompressedData')) ?? false;
  const compressedSizeText = field(h, 'CompressedDataSize');
  const compressedSize = compressedSizeText !== undefined ? Number(compressedSizeText) : undefined;
  const headerSize = Number(field(h, 'HeaderSize') ?? 0);
  if (!Number.isInteger(headerSize) || headerSize < -1) throw new InputError(file, `MetaImage HeaderSize ${field(h, 'HeaderSize')} is invalid`);

  // Axes: up to three spatial ones; a fourth becomes components (transposed to interleaved).
  let components = channels;
  let planar = false;
  const spatialDims = Math.min(ndims, 3);
  if (ndims === 4 && dimSize[3] > 1) {
    if (channels > 1) throw new InputError(file, 'MetaImage with NDims 4 and ElementNumberOfChannels > 1 is not supported');
    components = dimSize[3];
    planar = true;
  }
  const shape: Vec3 = [1, 1, 1];
  const spacing: Vec3 = [1, 1, 1];
  const origin: Vec3 = [0, 0, 0];
  const direction: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  for (let c = 0; c < spatialDims; c++) {
    shape[c] = dimSize[c];
    spacing[c] = spacingN[c];
    origin[c] = originN[c];
    if (matrixN) for (let r = 0; r < spatialDims; r++) direction[r * 3 + c] = matrixN[c * ndims + r];
  }
  if (spacing.some((s) => !(s > 0))) {
    throw new InputError(file, `MetaImage ElementSpacing must be positive, got "${spacingText}"`);
  }
  if (Math.abs(det3(direction)) < 1e-6) throw new InputError(file, `MetaImage TransformMatrix is singular: "${matrixText}"`);

  // Data.
  const size = sampleSize(type);
  const count = dimSize.reduce((a, b) => a * b, 1) * channels;
  const needed = count * size;
  const dataFile = requiredField(h, 'ElementDataFile', file);
  const names = dataFileNames(dataFile, h, file, dimSize[ndims - 1]);
  const chunks: { bytes: Uint8Array; source: string }[] = [];
  if (names === 'LOCAL') {
    chunks.push({ bytes: headerSize > 0 ? whole.subarray(headerSize) : whole.subarray(h.dataOffset), source: file });
  } else if (names.length === 1) {
    let bytes: Uint8Array;
    try {
      bytes = await readDataFile(names[0], file, 'data file');
    } catch (error) {
      // MetaIO also looks for a gzipped sibling.
      try {
        bytes = await readDataFile(`${names[0]}.gz`, file, 'data file');
        compressed = true;
      } catch {
        throw error;
      }
    }
    chunks.push({ bytes, source: names[0] });
  } else {
    for (const n of names) chunks.push({ bytes: await readDataFile(n, file, 'data file'), source: n });
  }
  const perChunk = needed / chunks.length;
  const what = `DimSize ${dimSize.join('x')}${channels > 1 ? ` x ${channels} channels` : ''} ${typeText}`;
  if (!Number.isInteger(perChunk)) throw new InputError(file, `${what} does not split evenly over ${chunks.length} data files`);

  let data: TypedArray;
  let dtype: DType;
  const meta: Record<string, string | number | boolean> = {};
  if (!binary) {
    dtype = type === 'int64' || type === 'uint64' ? 'float64' : type;
    data = parseAsciiSamples(chunks.map((c) => latin1(c.bytes)).join('\n'), dtype, count, file, what);
  } else {
    const decoded: Uint8Array[] = [];
    for (const chunk of chunks) {
      let b = chunk.bytes;
      if (names !== 'LOCAL' && headerSize > 0) b = b.subarray(Math.min(headerSize, b.length));
      if (compressed) {
        const csize = chunks.length === 1 ? compressedSize : undefined;
        if (headerSize === -1) {
          if (csize === undefined) throw new InputError(file, 'MetaImage HeaderSize = -1 with compressed data needs CompressedDataSize');
          b = b.subarray(Math.max(0, b.length - csize));
        }
        if (csize !== undefined) {
          if (b.length < csize) {
            throw new InputError(file, `compressed data is truncated: CompressedDataSize is ${csize} bytes, file has ${b.length}`);
          }
          b = b.subarray(0, csize);
        }
        b = await inflateData(b, file, chunks.length > 1 ? `compressed data of "${chunk.source}"` : 'compressed data');
      } else if (headerSize === -1 && b.length >= perChunk) {
        b = b.subarray(b.length - perChunk);
      }
      decoded.push(b);
    }
    // As in MetaIO, surplus bytes after the samples are ignored; too few is an error.
    const total = decoded.reduce((a, b) => a + b.length, 0);
    if (decoded.some((b) => b.length < perChunk)) {
      throw new InputError(file, `${what} need ${needed} bytes, data has ${total}${compressed ? ' after decompression' : ''}`);
    }
    let joined = decoded[0];
    if (decoded.length > 1) {
      joined = new Uint8Array(needed);
      decoded.forEach((b, i) => joined.set(b.subarray(0, perChunk), i * perChunk));
    }
    const result = decodeSamples(joined, type, msb, count);
    data = result.data;
    dtype = result.dtype;
    if (result.narrowed) meta.narrowed = result.narrowed;
  }
  if (planar) data = planarToInterleaved(data, shape[0] * shape[1] * shape[2], components);
  const anatomical = field(h, 'AnatomicalOrientation');
  if (anatomical) meta.anatomicalOrientation = anatomical;
  if (compressed) meta.compressed = true;
  const labels = decodeLabels(field(h, 'SegstationLabels'));
  return { shape, spacing, origin, direction, dtype, components, data, ...(labels ? { labels } : {}), meta };
}

// ---------------------------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------------------------

const OPPOSITE: Record<string, string> = { R: 'L', L: 'R', A: 'P', P: 'A', S: 'I', I: 'S' };

/**
 * ITK's AnatomicalOrientation: for each index axis the side it comes *from* ('RAI' for the identity LPS direction),
 * the opposite letters of orientation.ts's nibabel-style codes.
 */
export function metaAnatomicalOrientation(direction: Mat3): string {
  return [...axisCodes(direction)].map((c) => OPPOSITE[c]).join('');
}

/** Header text (ending with the ElementDataFile line and a newline). */
export function metaImageHeaderText(
  volume: Volume,
  dataFile: string,
  compressedSize?: number,
): string {
  const { shape, spacing, origin, direction, components, dtype } = volume;
  const matrix: number[] = [];
  for (let c = 0; c < 3; c++) for (let r = 0; r < 3; r++) matrix.push(direction[r * 3 + c]);
  const lines = [
    'ObjectType = Image',
    'NDims = 3',
    'BinaryData = True',
    'BinaryDataByteOrderMSB = False',
    `CompressedData = ${compressedSize !== undefined ? 'True' : 'False'}`,
    ...(compressedSize !== undefined ? [`CompressedDataSize = ${compressedSize}`] : []),
    `TransformMatrix = ${matrix.map(num).join(' ')}`,
    `Offset = ${origin.map(num).join(' ')}`,
    'CenterOfRotation = 0 0 0',
    `AnatomicalOrientation = ${metaAnatomicalOrientation(direction)}`,
    `ElementSpacing = ${spacing.map(num).join(' ')}`,
    `DimSize = ${shape.join(' ')}`,
    ...(volume.labels && volume.labels.length > 0 ? [`SegstationLabels = ${encodeLabels(volume.labels)}`] : []),
    ...(components > 1 ? [`ElementNumberOfChannels = ${components}`] : []),
    `ElementType = ${MET_TYPE_NAMES[dtype]}`,
    `ElementDataFile = ${dataFile}`,
  ];
  return `${lines.join('\n')}\n`;
}

async function writeMetaImage(volume: Volume, file: string, options?: WriteOptions): Promise<void> {
  const compress = options?.compress ?? true;
  const raw = asBytes(volume.data);
  const payload = compress ? new Uint8Array(await deflateAsync(raw)) : raw;
  const compressedSize = compress ? payload.length : undefined;
  if (file.toLowerCase().endsWith('.mhd')) {
    const dataName = `${path.basename(file).replace(/\.mhd$/i, '')}${compress ? '.zraw' : '.raw'}`;
    await writeFileAtomic(path.join(path.dirname(file), dataName), payload);
    await writeFileAtomic(file, metaImageHeaderText(volume, dataName, compressedSize));
    return;
  }
  const header = Buffer.from(metaImageHeaderText(volume, 'LOCAL', compressedSize), 'latin1');
  const out = new Uint8Array(header.length + payload.length);
  out.set(header, 0);
  out.set(payload, header.length);
  await writeFileAtomic(file, out);
}

export const metaImageReader: VolumeReader = {
  format: 'metaimage',
  extensions: ['.mha', '.mhd'],
  sniff(head: FileHead): boolean {
    if (head.gzipped) return false;
    const text = latin1(head.bytes.subarray(0, 512));
    const first = text.split(/\r?\n/).find((l) => l.trim().length > 0) ?? '';
    return /^\s*(ObjectType|NDims)\s*=\s*\S/i.test(first);
  },
  read: readMetaImage,
};

export const metaImageWriter: VolumeWriter = {
  format: 'metaimage',
  extensions: ['.mha', '.mhd'],
  write: writeMetaImage,
};
