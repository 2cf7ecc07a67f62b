import { createReadStream, promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { bytesPerElement, swapBytesInPlace, viewBytes } from '../volume/dtype.ts';
import { geometryFromRasAffine } from '../volume/orientation.ts';
import type { VolumeHeader } from '../volume/volume.ts';
import { InputError } from '../util/errors.ts';
import { datatypeInfo, niftiRasAffine, parseNiftiHeader, readNifti } from './nifti.ts';
import type { VolumeStream } from './registry.ts';

/**
 * Pulls exactly `n` bytes from an async byte iterator, keeping the leftover for the next call. Returns fewer bytes only
 * at the end of the stream.
 */
class ByteReader {
  private pending: Buffer = Buffer.alloc(0);
  private done = false;
  constructor(private readonly source: AsyncIterator<Buffer>) {}

  async take(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      if (this.pending.length === 0) {
        if (this.done) break;
        const next = await this.source.next();
        if (next.done) {
          this.done = true;
          break;
        }
        this.pending = next.value;
      }
      const part = this.pending.subarray(0, n - have);
      this.pending = this.pending.subarray(part.length);
      parts.push(part);
      have += part.length;
    }
    return parts.length === 1 && parts[0].length === n ? Buffer.from(parts[0]) : Buffer.concat(parts, have);
  }
}

function openBytes(file: string, gzipped: boolean): Readable {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  return gzipped ? raw.pipe(zlib.createGunzip({ chunkSize: 1 << 20 })) : raw;
}

function describeStreamError(file: string, error: unknown): InputError {
  const code = (error as { code?: string }).code;
  if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR') {
    return new InputError(file, `gzip stream is corrupt or truncated: ${(error as Error).message}`, { cause: error });
  }
  return new InputError(file, (error as Error).message, { cause: error });
}

/**
 * Streams a single-file, single-component, unscaled NIfTI (raw or gzip) slab by slab, so that import of a volume
 * larger than memory stays bounded. Other NIfTI flavours (4D, RGB, scaled, .hdr/.img pairs) are rare for large
 * volumes and are read whole.
 */
export async function streamNifti(file: string): Promise<VolumeStream> {
  const handle = await fs.open(file, 'r');
  const magic = new Uint8Array(2);
  await handle.read(magic, 0, 2, 0);
  await handle.close();
  const gzipped = magic[0] === 0x1f && magic[1] === 0x8b;

  const probe = openBytes(file, gzipped);
  let headBytes: Buffer;
  try {
    headBytes = await new ByteReader(probe[Symbol.asyncIterator]()).take(540);
  } catch (error) {
    throw describeStreamError(file, error);
  } finally {
    probe.destroy();
  }
  const h = parseNiftiHeader(headBytes, file);
  const info = datatypeInfo(h, file);
  const dims = [1, 2, 3, 4, 5, 6, 7].map((i) => (i <= h.dim[0] ? h.dim[i] : 1));
  const planes = dims[3] * dims[4] * dims[5] * dims[6] * info.group;
  const scaled = Number.isFinite(h.sclSlope) && h.sclSlope !== 0 && !(h.sclSlope === 1 && (h.sclInter || 0) === 0);
  if (planes !== 1 || scaled || h.pair) {
    const volume = await readNifti(file);
    const { data, ...header } = volume;
    return {
      header,
      async *slabs(depth: number) {
        const plane = header.shape[0] * header.shape[1] * header.components;
        for (let z0 = 0; z0 < header.shape[2]; z0 += depth) {
          const d = Math.min(depth, header.shape[2] - z0);
          yield { z0, depth: d, data: data.subarray(z0 * plane, (z0 + d) * plane) };
        }
      },
    };
  }

  const shape: [number, number, number] = [dims[0], dims[1], dims[2]];
  const { affine, source } = niftiRasAffine(h, file);
  const header: VolumeHeader = {
    ...geometryFromRasAffine(affine, shape),
    dtype: info.dtype,
    components: 1,
    meta: { 'nifti.version': h.version, 'nifti.datatype': info.name, 'nifti.affine': source, streamed: true },
  };
  const bpe = bytesPerElement(info.dtype);
  const planeBytes = shape[0] * shape[1] * bpe;

  return {
    header,
    async *slabs(depth: number) {
      const stream = openBytes(file, gzipped);
      const reader = new ByteReader(stream[Symbol.asyncIterator]());
      try {
        const skipped = await reader.take(h.voxOffset);
        if (skipped.length < h.voxOffset) throw new InputError(file, `vox_offset ${h.voxOffset} is beyond the end of the data`);
        for (let z0 = 0; z0 < shape[2]; z0 += depth) {
          const d = Math.min(depth, shape[2] - z0);
          const bytes = await reader.take(d * planeBytes);
          if (bytes.length < d * planeBytes) {
            throw new InputError(
              file,
              `voxel data is truncated: slices ${z0}..${z0 + d - 1} need ${d * planeBytes} bytes, the stream ended after ${bytes.length}`,
            );
          }
          if (!h.littleEndian) swapBytesInPlace(bytes, bpe);
          yield { z0, depth: d, data: viewBytes(info.dtype, bytes) };
        }
      } catch (error) {
        if (error instanceof InputError) throw error;
        throw describeStreamError(file, error);
      } finally {
        stream.destroy();
      }
    },
  };
}
