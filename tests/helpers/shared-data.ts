import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `../shared/data` beside the checkout: real volumes nobody here wrote (see its README for provenance). */
export const SHARED_DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data');

export function sharedPath(relative: string): string {
  return path.join(SHARED_DATA, relative);
}

export interface ManifestEntry {
  path: string;
  bytes: number;
  sha256: string;
  shape?: number[];
  dtype?: string;
  min?: number;
  max?: number;
  n_unique?: number;
  reader?: string;
  zooms?: number[];
  axcodes?: string;
  modality?: string;
  sop_class?: string;
}

/**
 * Known errors in MANIFEST.json, with why. test_simple4d_raw.nrrd holds one double after its header; the manifest's
 * parser read the file's last 8 bytes, which include a trailing newline. pynrrd's own tests and the bytes right after
 * the blank line give 0.76903426.
 */
export const MANIFEST_CORRECTIONS: Record<string, Partial<ManifestEntry>> = {
  'pynrrd/test_simple4d_raw.nrrd': { min: 0.76903426, max: 0.76903426 },
};

export function loadManifest(): ManifestEntry[] {
  const entries = JSON.parse(readFileSync(path.join(SHARED_DATA, 'MANIFEST.json'), 'utf8')) as ManifestEntry[];
  return entries.map((e) => ({ ...e, ...(MANIFEST_CORRECTIONS[e.path] ?? {}) }));
}

export function hasSharedData(): boolean {
  return existsSync(path.join(SHARED_DATA, 'MANIFEST.json'));
}

/**
 * Manifest shapes are as the reference reader saw them: nibabel gives (x, y, z, t...), every other reader
 * (pydicom, tifffile, h5py, the minimal NRRD/MetaImage parsers) numpy C order, slowest axis first.
 * Returns the shape in the engine's (x, y, z[, components]) order with trailing singleton axes dropped.
 */
export function manifestShapeXYZ(entry: ManifestEntry): number[] {
  if (!entry.shape) throw new Error(`${entry.path} has no shape in the manifest`);
  const xyz = entry.reader === 'nibabel' ? [...entry.shape] : [...entry.shape].reverse();
  while (xyz.length > 1 && xyz[xyz.length - 1] === 1) xyz.pop();
  return xyz;
}

/** Engine shape (x, y, z) + components, trailing singletons dropped, comparable with manifestShapeXYZ. */
export function engineShape(shape: readonly number[], components: number): number[] {
  const out = [...shape, components];
  while (out.length > 1 && out[out.length - 1] === 1) out.pop();
  return out;
}

/** Manifest dtypes carry numpy byte-order marks ('>i2', '>f4'); the engine stores native little-endian. */
export function normalizeManifestDType(dtype: string): string {
  const map: Record<string, string> = {
    '>i2': 'int16', '<i2': 'int16', '>f4': 'float32', '<f4': 'float32', '>f8': 'float64', '<f8': 'float64',
    '>u2': 'uint16', '<u2': 'uint16', '>i4': 'int32', '<i4': 'int32', '>u4': 'uint32', '<u4': 'uint32',
  };
  return map[dtype] ?? dtype;
}
