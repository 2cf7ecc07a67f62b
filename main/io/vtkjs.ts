/**
 * vtk.js "HTTP data set" image: a folder (conventionally `name.vti/`) holding `index.json` (vtkClass vtkImageData:
 * origin, spacing, extent, direction, pointData arrays) and `data/<id>[.gz]` raw little-endian arrays, x fastest.
 *
 * Direction convention (from vtk.js Sources/Common/DataModel/ImageData computeTransforms): `direction` is a gl-matrix
 * mat3 copied into the upper-left of the column-major mat4 `indexToWorld` (direction[0..2] -> matrix elements 0..2,
 * the first column), then scaled by spacing, so
 *   world = origin + i*s0*(d0,d1,d2) + j*s1*(d3,d4,d5) + k*s2*(d6,d7,d8):
 * the first three numbers are the world direction of the i axis (column-major). With the engine's row-major Mat3:
 *   direction[r*3 + c] = vtk.direction[c*3 + r].
 * vtk.js world coordinates carry no anatomical convention; like itk-wasm / itk-vtk-viewer (which copy ITK's origin and
 * direction into vtkImageData unchanged) they are taken as LPS. `extent` minima shift the origin.
 * A nearly orthonormal direction (headsq's 0.866/0.5 rotation) is orthonormalised; the file's numbers stay in meta.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { writeDirAtomic, writeFileAtomic } from '../util/atomic.ts';
import { InputError } from '../util/errors.ts';
import { asBytes, bytesPerElement, type DType } from '../volume/dtype.ts';
import { orthonormalize } from '../volume/orientation.ts';
import { valueRange } from '../volume/statistics.ts';
import { det3, type Mat3, type Vec3, type Volume } from '../volume/volume.ts';
import { decodeLabels, decodeSamples, encodeLabels, inflateData, readDataFile } from './nrrd.ts';
import type { VolumeReader, VolumeWriter, WriteOptions } from './registry.ts';

const gzipAsync = promisify(zlib.gzip);

const VTK_TYPES: Record<string, DType> = {
  Int8Array: 'int8', Uint8Array: 'uint8', Uint8ClampedArray: 'uint8', Int16Array: 'int16', Uint16Array: 'uint16',
  Int32Array: 'int32', Uint32Array: 'uint32', Float32Array: 'float32', Float64Array: 'float64',
};

const VTK_TYPE_NAMES: Record<DType, string> = {
  int8: 'Int8Array', uint8: 'Uint8Array', int16: 'Int16Array', uint16: 'Uint16Array',
  int32: 'Int32Array', uint32: 'Uint32Array', float32: 'Float32Array', float64: 'Float64Array',
};

interface VtkArrayRef {
  id?: unknown;
  basepath?: unknown;
  encode?: unknown;
  registration?: unknown;
}

interface VtkArrayEntry {
  data?: {
    name?: unknown;
    numberOfComponents?: unknown;
    dataType?: unknown;
    size?: unknown;
    ref?: VtkArrayRef;
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberArray(value: unknown, length: number, name: string, file: string): number[] {
  if (!Array.isArray(value) || value.length !== length || value.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new InputError(file, `vtk.js index.json "${name}" must be ${length} numbers`);
  }
  return value as number[];
}

/** Largest deviation of a 3x3 (row-major) from orthonormal columns. */
function orthonormalityError(m: Mat3): number {
  let worst = 0;
  for (let a = 0; a < 3; a++) {
    for (let b = a; b < 3; b++) {
      const dot = m[a] * m[b] + m[3 + a] * m[3 + b] + m[6 + a] * m[6 + b];
      worst = Math.max(worst, Math.abs(dot - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

async function readIndex(dir: string): Promise<Record<string, unknown>> {
  const indexFile = path.join(dir, 'index.json');
  let text: string;
  try {
    text = await fs.readFile(indexFile, 'utf8');
  } catch {
    throw new InputError(dir, 'not a vtk.js image folder: index.json not found');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(indexFile, `is not valid JSON: ${(error as Error).message}`);
  }
  if (!isRecord(parsed)) throw new InputError(indexFile, 'is not a JSON object');
  return parsed;
}

async function readVtkJs(dir: string): Promise<Volume> {
  const index = await readIndex(dir);
  const indexFile = path.join(dir, 'index.json');
  if (index.vtkClass !== 'vtkImageData') {
    throw new InputError(indexFile, `vtkClass is "${String(index.vtkClass)}", only vtkImageData is supported`);
  }
  const extent = numberArray(index.extent, 6, 'extent', indexFile);
  const spacingIn = index.spacing === undefined ? [1, 1, 1] : numberArray(index.spacing, 3, 'spacing', indexFile);
  const originIn = index.origin === undefined ? [0, 0, 0] : numberArray(index.origin, 3, 'origin', indexFile);
  const vtkDir = index.direction === undefined ? [1, 0, 0, 0, 1, 0, 0, 0, 1] : numberArray(index.direction, 9, 'direction', indexFile);
  const shape: Vec3 = [extent[1] - extent[0] + 1, extent[3] - extent[2] + 1, extent[5] - extent[4] + 1];
  if (shape.some((n) => !Number.isInteger(n) || n < 1)) throw new InputError(indexFile, `extent [${extent.join(', ')}] is empty or invalid`);
  if (spacingIn.some((s) => s === 0)) throw new InputError(indexFile, `spacing [${spacingIn.join(', ')}] has a zero`);

  // Column-major vtk.js mat3 -> row-major engine matrix.
  let direction = [0, 0, 0, 0, 0, 0, 0, 0, 0] as Mat3;
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) direction[r * 3 + c] = vtkDir[c * 3 + r];
  // A negative spacing flips its axis.
  const spacing = spacingIn.map(Math.abs) as Vec3;
  for (let c = 0; c < 3; c++) if (spacingIn[c] < 0) for (let r = 0; r < 3; r++) direction[r * 3 + c] *= -1;
  if (Math.abs(det3(direction)) < 1e-6) throw new InputError(indexFile, `direction [${vtkDir.join(', ')}] is singular`);
  const meta: Record<string, string | number | boolean> = {};
  const deviation = orthonormalityError(direction);
  if (deviation > 1e-12 && deviation < 1e-3) {
    direction = orthonormalize(direction);
    meta.vtkjsDirection = vtkDir.join(' ');
  }
  // Extent minima move the origin: world(index) uses the absolute index.
  const origin = [0, 1, 2].map((r) => {
    let o = originIn[r];
    for (let c = 0; c < 3; c++) o += direction[r * 3 + c] * spacing[c] * extent[c * 2];
    return o;
  }) as Vec3;

  const pointData = index.pointData;
  const arrays = isRecord(pointData) && Array.isArray(pointData.arrays) ? (pointData.arrays as VtkArrayEntry[]) : [];
  if (arrays.length === 0) throw new InputError(indexFile, 'has no pointData arrays: no voxel values to read');
  const entry = arrays.find((a) => a.data?.ref?.registration === 'setScalars') ?? arrays[0];
  const array = entry.data;
  if (!array || !isRecord(array.ref) || typeof array.ref.id !== 'string') {
    throw new InputError(indexFile, 'pointData array has no data reference (ref.id)');
  }
  const dataType = String(array.dataType);
  const dtype = VTK_TYPES[dataType];
  if (!dtype) throw new InputError(indexFile, `pointData dataType "${dataType}" is not supported`);
  const components = array.numberOfComponents === undefined ? 1 : Number(array.numberOfComponents);
  if (!Number.isInteger(components) || components < 1) throw new InputError(indexFile, `numberOfComponents ${String(array.numberOfComponents)} is invalid`);
  const count = shape[0] * shape[1] * shape[2] * components;
  if (array.size !== undefined && Number(array.size) !== count) {
    throw new InputError(indexFile, `array size ${String(array.size)} does not match extent ${shape.join('x')} x ${components} components (${count})`);
  }
  const basepath = typeof array.ref.basepath === 'string' ? array.ref.basepath : 'data';
  const base = path.join(dir, basepath, array.ref.id);
  // The HTTP data set reader fetches `<id>.gz` (gzip) or `<id>` (raw).
  let source = `${base}.gz`;
  if (!(await exists(source))) {
    if (!(await exists(base))) throw new InputError(dir, `vtk.js data file "${base}.gz" (or "${base}") not found`);
    source = base;
  }
  let bytes = await readDataFile(source, dir, 'vtk.js data file');
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await inflateData(bytes, source, 'gzip data');
  const bigEndian = array.ref.encode === 'BigEndian';
  const needed = count * bytesPerElement(dtype);
  if (bytes.length !== needed) {
    throw new InputError(source, `extent ${shape.join('x')} x ${components} ${dataType} need ${needed} bytes, data has ${bytes.length}`);
  }
  const { data } = decodeSamples(bytes, dtype, bigEndian, count);
  const metadata = index.metadata;
  if (isRecord(metadata) && typeof metadata.name === 'string') meta.name = metadata.name;
  if (typeof array.name === 'string') meta.arrayName = array.name;
  const labels = isRecord(metadata) && typeof metadata.segstationLabels === 'string' ? decodeLabels(metadata.segstationLabels) : undefined;
  return { shape, spacing, origin, direction, dtype, components, data, ...(labels ? { labels } : {}), meta };
}

async function writeVtkJs(volume: Volume, target: string, options?: WriteOptions): Promise<void> {
  const raw = asBytes(volume.data);
  const compress = options?.compress ?? true;
  const id = createHash('md5').update(raw).digest('hex');
  const payload = compress ? new Uint8Array(await gzipAsync(raw)) : raw;
  const vtkDir: number[] = [];
  for (let c = 0; c < 3; c++) for (let r = 0; r < 3; r++) vtkDir.push(volume.direction[r * 3 + c]);
  const ranges: { min: number; max: number; component: number | null }[] = [];
  if (volume.components === 1 && volume.data.length > 0) {
    const { min, max } = valueRange(volume.data);
    if (Number.isFinite(min) && Number.isFinite(max)) ranges.push({ min, max, component: null });
  }
  const index = {
    vtkClass: 'vtkImageData',
    origin: [...volume.origin],
    spacing: [...volume.spacing],
    extent: [0, volume.shape[0] - 1, 0, volume.shape[1] - 1, 0, volume.shape[2] - 1],
    direction: vtkDir,
    pointData: {
      vtkClass: 'vtkDataSetAttributes',
      arrays: [
        {
          data: {
            vtkClass: 'vtkDataArray',
            name: 'ImageFile',
            numberOfComponents: volume.components,
            dataType: VTK_TYPE_NAMES[volume.dtype],
            ...(ranges.length ? { ranges } : {}),
            ref: { registration: 'setScalars', encode: 'LittleEndian', basepath: 'data', id },
            size: volume.data.length,
          },
        },
      ],
    },
    cellData: { vtkClass: 'vtkDataSetAttributes', arrays: [] },
    FieldData: { vtkClass: 'vtkDataSetAttributes', arrays: [] },
    metadata: {
      name: path.basename(target),
      ...(volume.labels && volume.labels.length > 0 ? { segstationLabels: encodeLabels(volume.labels) } : {}),
    },
  };
  await writeDirAtomic(target, async (tmp) => {
    await writeFileAtomic(path.join(tmp, 'data', compress ? `${id}.gz` : id), payload);
    await writeFileAtomic(path.join(tmp, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  });
}

export const vtkJsReader: VolumeReader = {
  format: 'vtkjs',
  extensions: ['.vti'],
  async sniffDirectory(dir: string, entries: readonly string[]): Promise<boolean> {
    if (!entries.includes('index.json')) return false;
    try {
      const text = await fs.readFile(path.join(dir, 'index.json'), 'utf8');
      const parsed: unknown = JSON.parse(text);
      return isRecord(parsed) && parsed.vtkClass === 'vtkImageData';
    } catch {
      return false;
    }
  },
  read: readVtkJs,
};

/** Writes a vtk.js image folder (`name.vti/index.json` + `data/<md5>.gz`), atomically as a whole. */
export const vtkJsWriter: VolumeWriter = {
  format: 'vtkjs',
  extensions: ['.vti'],
  write: writeVtkJs,
};
