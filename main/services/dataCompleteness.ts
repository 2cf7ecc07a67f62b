/**
 * Is a streamed volume file complete? A streaming reader reads only the header, so a file cut short after it would pass
 * a header check and fail only during import. Without decoding the voxels:
 * - an uncompressed file must be at least as long as its voxels;
 * - a gzip file's trailer (ISIZE, the uncompressed length mod 2^32) must be within a header's length of its voxels.
 * A trailer that disagrees is not proof (a multi-member gzip's trailer counts its last member only), so then the file
 * is decoded to the end, which throws on a truly truncated stream.
 */
import { promises as fs } from 'node:fs';
import type { VolumeStream } from '../io/registry.ts';
import { InputError } from '../util/errors.ts';
import { bytesPerElement } from '../volume/dtype.ts';

/** Largest header (with extensions) expected before the voxels of a streamed file. */
const MAX_HEADER_BYTES = 16 << 20;

export function voxelBytes(stream: Pick<VolumeStream, 'header'>): number {
  const { shape, components, dtype } = stream.header;
  return shape[0] * shape[1] * shape[2] * components * bytesPerElement(dtype);
}

/** Whether a gzip trailer's ISIZE fits `expected` uncompressed voxel bytes plus a header. */
export function gzipTrailerFits(isize: number, expected: number): boolean {
  const low = expected % 2 ** 32;
  const high = (expected + MAX_HEADER_BYTES) % 2 ** 32;
  return low <= high ? isize >= low && isize <= high : isize >= low || isize <= high;
}

/** The first 2 bytes (gzip magic) and last 4 bytes (gzip ISIZE) of a file, read through one handle. */
async function headAndTail(file: string, size: number): Promise<{ head: Buffer; tail: Buffer }> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const tail = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    if (size >= 4) await handle.read(tail, 0, 4, size - 4);
    return { head: head.subarray(0, bytesRead), tail };
  } finally {
    await handle.close();
  }
}

/**
 * Formats whose reader streams from the file after reading only its header, and whose voxels follow the header as one
 * raw or gzip run. Other readers decode the whole file before validation sees it, so they have found a cut already.
 */
const HEADER_THEN_VOXELS = new Set(['nifti']);

/** Throws an InputError naming the file when its voxels are cut short. Folders (OME-Zarr stores) are not checked. */
export async function checkDataComplete(file: string, stream: VolumeStream & { format: string }): Promise<void> {
  if (!HEADER_THEN_VOXELS.has(stream.format)) return;
  const stat = await fs.stat(file);
  if (!stat.isFile()) return;
  const expected = voxelBytes(stream);
  const { head, tail } = await headAndTail(file, stat.size);
  const gzip = head.length === 2 && head[0] === 0x1f && head[1] === 0x8b;
  if (!gzip) {
    if (stat.size < expected) {
      throw new InputError(file, `truncated: ${stat.size} bytes, the header describes ${expected} bytes of voxels`);
    }
    return;
  }
  if (stat.size >= 18 && gzipTrailerFits(tail.readUInt32LE(0), expected)) return;
  let decoded = 0;
  try {
    for await (const slab of stream.slabs(16)) decoded += slab.data.byteLength;
  } catch (error) {
    throw new InputError(file, `truncated or corrupt gzip data: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (decoded < expected) throw new InputError(file, `truncated: ${decoded} of ${expected} bytes of voxels decoded`);
}
