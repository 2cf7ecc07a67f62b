/**
 * HDF5 volumes through h5wasm (the HDF5 C library compiled to WebAssembly; its Node build reads and writes real files).
 *
 * Axes: a dataset (z, y, x) in numpy C order is, byte for byte, the engine's (x, y, z) with x fastest, so no transpose
 * is needed. (z, y, x, c) becomes c interleaved components; (y, x) a single slice; a leading singleton axis of a 5D
 * dataset (t=1, z, y, x, c) is dropped.
 *
 * Which dataset: ReadOptions.dataset when given; else 'volume' when the file has it; else the only numeric dataset with
 * 3 or more axes (or, failing that, the only 2D one). Otherwise an InputError lists the datasets found.
 *
 * Geometry attributes, read from the dataset (then from the file root):
 *   - 'spacing', 'origin' (3 numbers, x,y,z) and 'direction' (9 numbers, row-major 3x3, columns are the world
 *     directions of the x, y, z index axes) in the engine's order, exactly as the writer writes them;
 *   - else 'element_size_um' (ilastik/Fiji), 'spacing_zyx' or 'resolution' (CREMI): voxel size per dataset axis, i.e.
 *     z,y,x order, reversed here. Values are taken as they are (no unit conversion); the unit goes to meta.unit.
 *   - 'labels': a JSON array of { value, name, color } (written by this module).
 * Integer datasets wider than 32 bits are narrowed to int32/uint32 when every value fits, else converted to float64;
 * HDF5 booleans (enum over int8) become uint8.
 *
 * Writer: dataset 'volume' (or WriteOptions.dataset), gzip level 4 (unless compress: false), chunked by whole planes of
 * about 1 MiB, with 'spacing'/'origin'/'direction' (x,y,z), 'element_size_um' (z,y,x, for Fiji/ilastik), 'axes' ('zyx' or
 * 'zyxc', informative only), and 'unit'/'labels' when the volume has them.
 * h5wasm writes to a file in a private temporary folder; the bytes then go to the target through writeFileAtomic.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Dataset as H5Dataset, File as H5File } from 'h5wasm/node';

type H5Wasm = typeof import('h5wasm/node').default;
import { writeFileAtomic } from '../util/atomic.ts';
import { InputError } from '../util/errors.ts';
import { bytesPerElement, type DType, type TypedArray } from '../volume/dtype.ts';
import { det3, type LabelEntry, type Mat3, type Vec3, type Volume } from '../volume/volume.ts';
import type { FileHead, ReadOptions, VolumeReader, VolumeWriter, WriteOptions } from './registry.ts';

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
/** Where HDF5 allows the superblock (a user block of 512 * 2^n bytes may precede it). */
const SIGNATURE_OFFSETS = [0, 512, 1024, 2048];

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_ENUM = 8;

const DTYPE_CODES: Record<DType, string> = {
  uint8: '<B',
  int8: '<b',
  uint16: '<H',
  int16: '<h',
  uint32: '<I',
  int32: '<i',
  float32: '<f',
  float64: '<d',
};

let loading: Promise<H5Wasm> | undefined;

/**
 * Loads the wasm module once, on first use (instantiating it reserves ~600 MB of address space that shows in RSS, so
 * importing the registry must not do it), and makes HDF5 errors throw instead of printing HDF5-DIAG to the console.
 */
function h5(): Promise<H5Wasm> {
  loading ??= import('h5wasm/node').then(async ({ default: h5wasm }) => {
    const module = await h5wasm.ready;
    module.activate_throwing_error_handler();
    return h5wasm;
  });
  return loading;
}

function hasSignatureAt(bytes: Uint8Array, offset: number): boolean {
  if (bytes.length < offset + SIGNATURE.length) return false;
  return SIGNATURE.every((b, i) => bytes[offset + i] === b);
}

/** The last "in FUNC(): message" of an HDF5 error stack is the most specific one. */
export function hdf5ErrorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = [...text.matchAll(/#\d+:.*? in [\w.]+\(\): (.*)$/gm)].map((m) => m[1].trim());
  return lines.length > 0 ? lines[lines.length - 1] : text.split('\n')[0];
}

async function openFile(file: string): Promise<H5File> {
  const lib = await h5();
  let head: Uint8Array;
  try {
    const handle = await fs.open(file, 'r');
    try {
      const buf = new Uint8Array(2056);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new InputError(file, `cannot open: ${(error as Error).message}`, { cause: error });
  }
  if (!SIGNATURE_OFFSETS.some((o) => hasSignatureAt(head, o))) {
    throw new InputError(file, 'not an HDF5 file (no HDF5 signature at offset 0, 512, 1024 or 2048)');
  }
  try {
    return new lib.File(path.resolve(file), 'r');
  } catch (error) {
    throw new InputError(file, `cannot open as HDF5: ${hdf5ErrorMessage(error)}`, { cause: error });
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Reading

interface DatasetInfo {
  path: string;
  shape: number[];
  /** e.g. 'int16', 'float32', 'string'. */
  type: string;
  numeric: boolean;
}

function describeType(ds: H5Dataset): { type: string; numeric: boolean } {
  const m = ds.metadata;
  if (m.type === H5T_INTEGER || (m.type === H5T_ENUM && m.size <= 8)) {
    return { type: `${m.type === H5T_ENUM ? 'enum ' : ''}${m.signed ? 'int' : 'uint'}${m.size * 8}`, numeric: true };
  }
  if (m.type === H5T_FLOAT) return { type: `float${m.size * 8}`, numeric: m.size === 4 || m.size === 8 };
  const names: Record<number, string> = { 2: 'time', 3: 'string', 4: 'bitfield', 5: 'opaque', 6: 'compound', 7: 'reference', 9: 'vlen', 10: 'array' };
  return { type: names[m.type] ?? `class ${m.type}`, numeric: false };
}

function listDatasets(file: H5File, lib: H5Wasm): DatasetInfo[] {
  const out: DatasetInfo[] = [];
  for (const p of file.paths()) {
    const entity = file.get(p);
    if (!(entity instanceof lib.Dataset)) continue;
    const { type, numeric } = describeType(entity);
    out.push({ path: p.replace(/^\//, ''), shape: entity.shape ?? [], type, numeric });
  }
  return out;
}

function describeList(datasets: DatasetInfo[]): string {
  if (datasets.length === 0) return 'the file holds no datasets';
  return 'datasets found: ' + datasets.map((d) => `${d.path} (${d.shape.join('x') || 'scalar'} ${d.type})`).join(', ');
}

function pickDataset(file: string, datasets: DatasetInfo[], requested: string | undefined): DatasetInfo {
  if (requested !== undefined) {
    const wanted = requested.replace(/^\/+/, '');
    const found = datasets.find((d) => d.path === wanted);
    if (!found) throw new InputError(file, `no dataset '${requested}': ${describeList(datasets)}`);
    return found;
  }
  const volume = datasets.find((d) => d.path === 'volume');
  if (volume) return volume;
  const numeric = datasets.filter((d) => d.numeric && d.shape.every((n) => n > 0));
  const solid = numeric.filter((d) => d.shape.length >= 3 && d.shape.length <= 5);
  if (solid.length === 1) return solid[0];
  const flat = numeric.filter((d) => d.shape.length === 2);
  if (solid.length === 0 && flat.length === 1) return flat[0];
  const why = solid.length > 1 ? 'several 3D datasets' : 'no 2D or 3D numeric dataset';
  throw new InputError(file, `cannot choose a dataset (${why}; pass the dataset option): ${describeList(datasets)}`);
}

/** Engine shape (x, y, z) and components of a dataset shape in C order. */
function engineLayout(file: string, info: DatasetInfo): { shape: Vec3; components: number } {
  let dims = [...info.shape];
  if (dims.length === 5 && dims[0] === 1) dims = dims.slice(1);
  if (dims.some((n) => !(n > 0))) throw new InputError(file, `dataset ${info.path} is empty (shape ${info.shape.join('x')})`);
  if (dims.length === 2) return { shape: [dims[1], dims[0], 1], components: 1 };
  if (dims.length === 3) return { shape: [dims[2], dims[1], dims[0]], components: 1 };
  if (dims.length === 4) return { shape: [dims[2], dims[1], dims[0]], components: dims[3] };
  throw new InputError(
    file,
    `dataset ${info.path} has shape ${info.shape.join('x')}: expected (z, y, x), (z, y, x, c) or (y, x)`,
  );
}

function attrNumbers(owner: H5Dataset | H5File, name: string): number[] | undefined {
  const attr = owner.attrs[name];
  if (!attr) return undefined;
  let value: unknown;
  try {
    value = attr.value;
  } catch {
    return undefined;
  }
  if (typeof value === 'number' || typeof value === 'bigint') return [Number(value)];
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => Number(v));
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'number' || typeof v === 'bigint')) {
    return value.map((v) => Number(v));
  }
  return undefined;
}

function attrString(owner: H5Dataset | H5File, name: string): string | undefined {
  const attr = owner.attrs[name];
  if (!attr) return undefined;
  try {
    const value = attr.value;
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
  } catch {
    return undefined;
  }
  return undefined;
}

interface GeometryAttrs {
  spacing?: Vec3;
  origin?: Vec3;
  direction?: Mat3;
  unit?: string;
  labels?: LabelEntry[];
}

function readGeometry(file: string, owners: (H5Dataset | H5File)[], spatial: number): GeometryAttrs {
  const find = (name: string) => {
    for (const o of owners) {
      const v = attrNumbers(o, name);
      if (v) return v;
    }
    return undefined;
  };
  const findString = (name: string) => {
    for (const o of owners) {
      const v = attrString(o, name);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const out: GeometryAttrs = {};
  const valid = (v: number[]) => v.every((s) => Number.isFinite(s) && s > 0);
  const xyz = find('spacing');
  if (xyz && xyz.length === 3 && valid(xyz)) out.spacing = xyz as Vec3;
  else {
    for (const name of ['element_size_um', 'spacing_zyx', 'resolution']) {
      const zyx = find(name);
      if (!zyx || !valid(zyx)) continue;
      if (zyx.length === 3) out.spacing = [zyx[2], zyx[1], zyx[0]];
      else if (zyx.length === 2 && spatial === 2) out.spacing = [zyx[1], zyx[0], 1];
      else continue;
      if (name === 'element_size_um') out.unit = 'µm';
      break;
    }
  }
  const unit = findString('unit');
  if (unit) out.unit = unit;
  const origin = find('origin');
  if (origin) {
    if (origin.length !== 3 || !origin.every(Number.isFinite)) {
      throw new InputError(file, `attribute 'origin' must be three finite numbers (x, y, z), got [${origin.join(', ')}]`);
    }
    out.origin = origin as Vec3;
  }
  const direction = find('direction');
  if (direction) {
    if (direction.length !== 9 || !direction.every(Number.isFinite) || Math.abs(det3(direction as Mat3)) < 1e-6) {
      throw new InputError(file, "attribute 'direction' must be a non-singular 3x3 matrix (nine numbers, row-major)");
    }
    out.direction = direction as Mat3;
  }
  const labels = findString('labels');
  if (labels) {
    try {
      const parsed = JSON.parse(labels) as unknown;
      if (
        Array.isArray(parsed) &&
        parsed.every(
          (l) =>
            typeof l === 'object' && l !== null && typeof l.value === 'number' && typeof l.name === 'string' &&
            Array.isArray(l.color) && l.color.length === 3,
        )
      ) {
        out.labels = parsed as LabelEntry[];
      }
    } catch {
      // not ours: ignore
    }
  }
  return out;
}

/** Converts h5wasm's value to an engine typed array (see the module comment for 64-bit integers and booleans). */
function toEngineArray(file: string, info: DatasetInfo, value: unknown): { data: TypedArray; note?: string } {
  if (
    value instanceof Uint8Array ||
    value instanceof Int8Array ||
    value instanceof Uint16Array ||
    value instanceof Int16Array ||
    value instanceof Uint32Array ||
    value instanceof Int32Array ||
    value instanceof Float32Array ||
    value instanceof Float64Array
  ) {
    if (info.type.startsWith('enum') && value instanceof Int8Array) {
      return { data: new Uint8Array(value.buffer, value.byteOffset, value.length), note: 'HDF5 enum/boolean read as uint8' };
    }
    return { data: value };
  }
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < value.length; i++) {
      const v = Number(value[i]);
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const n = value.length;
    if (min >= -2147483648 && max <= 2147483647) {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = Number(value[i]);
      return { data: out, note: `${info.type} narrowed to int32` };
    }
    if (min >= 0 && max <= 4294967295) {
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) out[i] = Number(value[i]);
      return { data: out, note: `${info.type} narrowed to uint32` };
    }
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = Number(value[i]);
    return { data: out, note: `${info.type} converted to float64` };
  }
  throw new InputError(file, `dataset ${info.path} holds ${info.type} values, which cannot be read as a volume`);
}

/** Reads one dataset of an HDF5 file as a volume. */
export async function readHdf5(file: string, options?: ReadOptions): Promise<Volume> {
  const h5file = await openFile(file);
  try {
    let datasets: DatasetInfo[];
    try {
      datasets = listDatasets(h5file, await h5());
    } catch (error) {
      throw new InputError(file, `cannot list datasets: ${hdf5ErrorMessage(error)}`, { cause: error });
    }
    const info = pickDataset(file, datasets, options?.dataset);
    if (!info.numeric) {
      throw new InputError(file, `dataset ${info.path} holds ${info.type} values, which cannot be read as a volume`);
    }
    const { shape, components } = engineLayout(file, info);
    const ds = h5file.get(info.path) as H5Dataset;
    let value: unknown;
    try {
      value = ds.value;
    } catch (error) {
      throw new InputError(file, `cannot read dataset ${info.path}: ${hdf5ErrorMessage(error)}`, { cause: error });
    }
    const { data, note } = toEngineArray(file, info, value);
    const geometry = readGeometry(file, [ds, h5file], info.shape.length === 2 ? 2 : 3);
    return {
      shape,
      spacing: geometry.spacing ?? [1, 1, 1],
      origin: geometry.origin ?? [0, 0, 0],
      direction: geometry.direction ?? [1, 0, 0, 0, 1, 0, 0, 0, 1],
      dtype: dtypeOfArray(data),
      components,
      data,
      ...(geometry.labels ? { labels: geometry.labels } : {}),
      meta: {
        dataset: info.path,
        ...(geometry.unit ? { unit: geometry.unit } : {}),
        ...(note ? { note } : {}),
      },
    };
  } finally {
    try {
      h5file.close();
    } catch {
      // closing a file that failed half-way: nothing more to do
    }
  }
}

function dtypeOfArray(data: TypedArray): DType {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Float32Array) return 'float32';
  return 'float64';
}

/** Paths, shapes and types of the datasets of an HDF5 file (for a dataset picker). */
export async function listHdf5Datasets(file: string): Promise<{ path: string; shape: number[]; type: string }[]> {
  const h5file = await openFile(file);
  try {
    return listDatasets(h5file, await h5()).map(({ path: p, shape, type }) => ({ path: p, shape, type }));
  } finally {
    h5file.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Writing

/** Chunks of whole rows, about 1 MiB each, never more than the dataset. */
function chunkShape(dims: number[], bpe: number): number[] {
  const [nz, ny, nx, c = 1] = dims;
  const target = 1 << 20;
  const rowBytes = nx * c * bpe;
  const planeBytes = rowBytes * ny;
  const chunk =
    planeBytes >= target
      ? [1, Math.max(1, Math.min(ny, Math.floor(target / rowBytes))), nx]
      : [Math.max(1, Math.min(nz, Math.floor(target / planeBytes))), ny, nx];
  return dims.length === 4 ? [...chunk, c] : chunk;
}

/** Writes a volume as an HDF5 file (see the module comment for layout and attributes). */
export async function writeHdf5(volume: Volume, file: string, options?: WriteOptions): Promise<void> {
  const lib = await h5();
  const [nx, ny, nz] = volume.shape;
  const dims = volume.components > 1 ? [nz, ny, nx, volume.components] : [nz, ny, nx];
  const name = (options?.dataset ?? 'volume').replace(/^\/+|\/+$/g, '');
  if (!name) throw new InputError(file, 'dataset name is empty');
  const compress = options?.compress !== false;
  const tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-h5-'));
  const tmpFile = path.join(tmpDir, 'volume.h5');
  try {
    try {
      writeDataset(lib, tmpFile, volume, dims, name, compress);
    } catch (error) {
      throw new InputError(file, `cannot write HDF5: ${hdf5ErrorMessage(error)}`, { cause: error });
    }
    const bytes = await fs.readFile(tmpFile);
    await writeFileAtomic(file, bytes);
  } finally {
    await fs.rm(tmpDir, { recursive: true, force: true });
  }
}

function writeDataset(
  lib: H5Wasm,
  tmpFile: string,
  volume: Volume,
  dims: number[],
  name: string,
  compress: boolean,
): void {
  const out = new lib.File(tmpFile, 'w');
  try {
    const parts = name.split('/');
    let group = out as InstanceType<typeof lib.Group>;
    for (const part of parts.slice(0, -1)) {
      const existing = group.get(part);
      group = existing instanceof lib.Group ? existing : group.create_group(part);
    }
    const ds = group.create_dataset({
      name: parts[parts.length - 1],
      data: volume.data,
      shape: dims,
      dtype: DTYPE_CODES[volume.dtype],
      ...(compress
        ? { chunks: chunkShape(dims, bytesPerElement(volume.dtype)), compression: 'gzip' as const, compression_opts: 4 }
        : {}),
    });
    ds.create_attribute('spacing', Float64Array.from(volume.spacing));
    ds.create_attribute('origin', Float64Array.from(volume.origin));
    ds.create_attribute('direction', Float64Array.from(volume.direction));
    ds.create_attribute('element_size_um', Float64Array.from([volume.spacing[2], volume.spacing[1], volume.spacing[0]]));
    ds.create_attribute('axes', 'zyxc'.slice(0, dims.length));
    const unit = volume.meta?.unit;
    if (typeof unit === 'string' && unit) ds.create_attribute('unit', unit);
    if (volume.labels && volume.labels.length > 0) ds.create_attribute('labels', JSON.stringify(volume.labels));
  } finally {
    out.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Registry entries

export const hdf5Reader: VolumeReader = {
  format: 'hdf5',
  extensions: ['.h5', '.hdf5', '.hdf'],
  sniff(head: FileHead): boolean {
    return !head.gzipped && SIGNATURE_OFFSETS.some((o) => hasSignatureAt(head.bytes, o));
  },
  read: readHdf5,
};

export const hdf5Writer: VolumeWriter = {
  format: 'hdf5',
  extensions: ['.h5', '.hdf5'],
  write: writeHdf5,
};
