/**
 * `omeZarrReader`: reads one level of an OME-Zarr store (v0.4 on Zarr v2 or v0.5 on Zarr v3) into memory.
 * Detection: a folder with zarr.json whose attributes carry `ome.multiscales`, or .zattrs with `multiscales`
 * beside .zgroup (also the bioformats2raw layout, whose image sits in series `0`).
 */
import { InputError } from '../../util/errors.ts';
import type { Mat3, Vec3, Volume } from '../../volume/volume.ts';
import type { ReadOptions, VolumeReader } from '../registry.ts';
import { readRegionFrom } from './chunks.ts';
import { levelHeader, looksLikeOmeZarr, openStore } from './source.ts';
import { OME_ZARR_EXTENSIONS } from './writer.ts';

async function readOmeZarr(file: string, options?: ReadOptions): Promise<Volume> {
  const opened = await openStore(file);
  const level = options?.level ?? 0;
  if (!Number.isInteger(level) || level < 0 || level >= opened.levels.length) {
    throw new InputError(file, `level ${level} does not exist (the store has levels 0..${opened.levels.length - 1})`);
  }
  const header = levelHeader(opened, level);
  const data = await readRegionFrom(opened.levels[level], [0, 0, 0], header.shape);
  return {
    ...header,
    shape: [...header.shape] as Vec3,
    spacing: [...header.spacing] as Vec3,
    origin: [...header.origin] as Vec3,
    direction: [...header.direction] as Mat3,
    data,
  };
}

export const omeZarrReader: VolumeReader = {
  format: 'ome-zarr',
  extensions: OME_ZARR_EXTENSIONS,
  sniffDirectory(dir: string, entries: readonly string[]): Promise<boolean> | boolean {
    if (!entries.includes('zarr.json') && !(entries.includes('.zattrs') && entries.includes('.zgroup'))) return false;
    return looksLikeOmeZarr(dir);
  },
  read: readOmeZarr,
};
