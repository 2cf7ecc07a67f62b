import { promises as fs } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { InputError } from '../util/errors.ts';
import type { TypedArray } from '../volume/dtype.ts';
import { headerOf, validateVolume, type Volume, type VolumeHeader } from '../volume/volume.ts';

export interface ReadOptions {
  /** HDF5: path of the dataset inside the file (default: the only 3D dataset, or 'volume'). */
  dataset?: string;
  /** DICOM: SeriesInstanceUID when a folder holds several series (default: the one with most slices). */
  series?: string;
  /** OME-Zarr: multiscale level to read (0 = full resolution). */
  level?: number;
}

export interface WriteOptions {
  /** OME-Zarr: chunk shape (x, y, z). */
  chunkShape?: [number, number, number];
  /** OME-Zarr: number of pyramid levels, including full resolution (default: until the volume is <= 64 voxels a side). */
  levels?: number;
  /** NIfTI, NRRD, MetaImage, HDF5: compress the voxel data (default true where the extension implies it). */
  compress?: boolean;
  /** HDF5: dataset path to write (default 'volume'). */
  dataset?: string;
}

/** What a reader sees to decide whether a file is its format. */
export interface FileHead {
  /** First bytes of the file (up to 4096), after undoing a gzip wrapper if there was one. */
  bytes: Uint8Array;
  /** The file itself starts with the gzip magic. */
  gzipped: boolean;
  /** Lower-case file name. */
  name: string;
}

/** A volume delivered slab by slab (whole x-y planes, increasing z), so that import never holds it all in memory. */
export interface VolumeStream {
  header: VolumeHeader;
  /** Yields consecutive slabs of `depth` planes (the last may be thinner); data is x fastest, components interleaved. */
  slabs(depth: number): AsyncIterable<{ z0: number; depth: number; data: TypedArray }>;
}

export interface VolumeReader {
  /** Short stable id: 'nifti', 'nrrd', 'metaimage', 'tiff', 'hdf5', 'dicom', 'ome-zarr', 'vtkjs', 'minc'. */
  readonly format: string;
  /** Lower-case extensions with the dot, compound ones included ('.nii.gz'). */
  readonly extensions: readonly string[];
  /** Content check on a file's head. Readers of formats with no magic bytes leave it out. */
  sniff?(head: FileHead): boolean;
  /** Content check on a folder (DICOM series, TIFF slices, OME-Zarr store, vtk.js image). */
  sniffDirectory?(dir: string, entries: readonly string[]): boolean | Promise<boolean>;
  read(file: string, options?: ReadOptions): Promise<Volume>;
  /** Streaming access for formats that can decode plane by plane (raw or gzip NIfTI, OME-Zarr); optional. */
  stream?(file: string, options?: ReadOptions): Promise<VolumeStream>;
}

export interface VolumeWriter {
  readonly format: string;
  readonly extensions: readonly string[];
  /** Must write atomically (temp file or folder, then rename). */
  write(volume: Volume, file: string, options?: WriteOptions): Promise<void>;
}

const readers: VolumeReader[] = [];
const writers: VolumeWriter[] = [];

export function registerReader(reader: VolumeReader): void {
  const existing = readers.findIndex((r) => r.format === reader.format);
  if (existing >= 0) readers.splice(existing, 1, reader);
  else readers.push(reader);
}

export function registerWriter(writer: VolumeWriter): void {
  const existing = writers.findIndex((w) => w.format === writer.format);
  if (existing >= 0) writers.splice(existing, 1, writer);
  else writers.push(writer);
}

export function registeredReaders(): readonly VolumeReader[] {
  return readers;
}

export function registeredWriters(): readonly VolumeWriter[] {
  return writers;
}

function matchesExtension(name: string, extensions: readonly string[]): number {
  let best = 0;
  for (const ext of extensions) if (name.endsWith(ext) && ext.length > best) best = ext.length;
  return best;
}

async function readHead(file: string): Promise<FileHead> {
  const handle = await fs.open(file, 'r');
  try {
    const raw = new Uint8Array(4096);
    const { bytesRead } = await handle.read(raw, 0, raw.length, 0);
    const start = raw.subarray(0, bytesRead);
    const gzipped = start.length >= 2 && start[0] === 0x1f && start[1] === 0x8b;
    let bytes = start;
    if (gzipped) {
      try {
        // Z_SYNC_FLUSH lets a partial stream inflate as far as it goes.
        const inflated = zlib.gunzipSync(start, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
        bytes = new Uint8Array(inflated.buffer, inflated.byteOffset, Math.min(inflated.length, 4096));
      } catch {
        bytes = new Uint8Array(0);
      }
    }
    return { bytes, gzipped, name: path.basename(file).toLowerCase() };
  } finally {
    await handle.close();
  }
}

/** Picks the reader for a path: content first (magic bytes, folder layout), then the extension. */
export async function detectReader(file: string): Promise<VolumeReader> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch {
    throw new InputError(file, 'no such file or folder');
  }
  const name = path.basename(file).toLowerCase();
  if (stat.isDirectory()) {
    const entries = (await fs.readdir(file)).filter((e) => !e.startsWith('.') || e === '.zattrs' || e === '.zgroup');
    for (const reader of readers) {
      if (reader.sniffDirectory && (await reader.sniffDirectory(file, entries))) return reader;
    }
    if (entries.length === 0) throw new InputError(file, 'folder is empty: no volume to read');
    throw new InputError(file, 'folder holds no readable volume (expected DICOM series, TIFF slices, OME-Zarr or vtk.js image)');
  }
  if (stat.size === 0) throw new InputError(file, 'file is empty');
  const head = await readHead(file);
  for (const reader of readers) {
    if (reader.sniff?.(head)) return reader;
  }
  let best: VolumeReader | undefined;
  let bestLength = 0;
  for (const reader of readers) {
    const n = matchesExtension(name, reader.extensions);
    if (n > bestLength) {
      best = reader;
      bestLength = n;
    }
  }
  if (best) return best;
  throw new InputError(file, 'unrecognised format: neither its content nor its extension matches a known volume format');
}

export async function readVolume(file: string, options?: ReadOptions): Promise<Volume & { meta: Record<string, string | number | boolean> }> {
  const reader = await detectReader(file);
  let volume: Volume;
  try {
    volume = await reader.read(file, options);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(file, `cannot read as ${reader.format}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  try {
    validateVolume(volume);
  } catch (error) {
    throw new InputError(file, `${reader.format} reader produced an inconsistent volume: ${(error as Error).message}`);
  }
  return { ...volume, meta: { ...(volume.meta ?? {}), format: reader.format } };
}

export function writerFor(file: string): VolumeWriter {
  const name = path.basename(file).toLowerCase().replace(/\/+$/, '');
  let best: VolumeWriter | undefined;
  let bestLength = 0;
  for (const writer of writers) {
    const n = matchesExtension(name, writer.extensions);
    if (n > bestLength) {
      best = writer;
      bestLength = n;
    }
  }
  if (!best) {
    const known = writers.flatMap((w) => w.extensions).join(', ');
    throw new InputError(file, `no writer for this extension (writable: ${known})`);
  }
  return best;
}

export async function writeVolume(volume: Volume, file: string, options?: WriteOptions): Promise<void> {
  validateVolume(volume);
  await writerFor(file).write(volume, file, options);
}

/**
 * Opens a volume as a stream of slabs: natively where the reader can, else by reading it whole and slicing (no memory
 * saving, same interface).
 */
export async function streamVolume(file: string, options?: ReadOptions): Promise<VolumeStream & { format: string }> {
  const reader = await detectReader(file);
  if (reader.stream) {
    try {
      return { ...(await reader.stream(file, options)), format: reader.format };
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw new InputError(file, `cannot read as ${reader.format}: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
  }
  const volume = await readVolume(file, options);
  return {
    format: reader.format,
    header: headerOf(volume),
    async *slabs(depth: number) {
      const [nx, ny, nz] = volume.shape;
      const plane = nx * ny * volume.components;
      for (let z0 = 0; z0 < nz; z0 += depth) {
        const d = Math.min(depth, nz - z0);
        yield { z0, depth: d, data: volume.data.subarray(z0 * plane, (z0 + d) * plane) };
      }
    },
  };
}
