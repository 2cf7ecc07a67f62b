import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { streamNifti } from '../../../main/io/nifti-stream.ts';
import { readNifti } from '../../../main/io/nifti.ts';
import { InputError } from '../../../main/util/errors.ts';
import { headerOf } from '../../../main/volume/volume.ts';
import { sharedPath } from '../../helpers/shared-data.ts';

async function collect(file: string, depth: number): Promise<{ bytes: Buffer; z0s: number[] }> {
  const stream = await streamNifti(file);
  const parts: Buffer[] = [];
  const z0s: number[] = [];
  for await (const slab of stream.slabs(depth)) {
    z0s.push(slab.z0);
    parts.push(Buffer.from(slab.data.buffer, slab.data.byteOffset, slab.data.byteLength));
  }
  return { bytes: Buffer.concat(parts), z0s };
}

describe('streamNifti', () => {
  it.each([
    ['debian_itk_examples/KmeansTest_T1UCharRaw.nii.gz', 7],
    ['nibabel/anatomical.nii', 4], // big-endian
    ['pynrrd/BallBinary30x30x30.nii.gz', 30],
    ['nibabel/example4d.nii.gz', 5], // 4D: read whole, then sliced
    ['nibabel/someones_anatomy.nii.gz', 10], // scaled: read whole
  ])('%s in slabs of %i equals the whole read', async (relative, depth) => {
    const file = sharedPath(relative);
    const whole = await readNifti(file);
    const stream = await streamNifti(file);
    const { meta: _a, ...h1 } = headerOf(whole);
    const { meta: _b, ...h2 } = stream.header;
    expect(h2).toEqual(h1);
    const { bytes, z0s } = await collect(file, depth);
    expect(z0s[0]).toBe(0);
    expect(z0s).toHaveLength(Math.ceil(whole.shape[2] / depth));
    expect(bytes.equals(Buffer.from(whole.data.buffer, whole.data.byteOffset, whole.data.byteLength))).toBe(true);
  });

  it('names the file when the gzip stream is cut short', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nifti-stream-'));
    const full = await fs.readFile(sharedPath('debian_itk_examples/KmeansTest_T1UCharRaw.nii.gz'));
    const cut = path.join(dir, 'cut.nii.gz');
    await fs.writeFile(cut, full.subarray(0, full.length >> 1));
    const stream = await streamNifti(cut);
    const run = async () => {
      for await (const _slab of stream.slabs(8)) void _slab;
    };
    await expect(run()).rejects.toThrow(InputError);
    await expect(run()).rejects.toThrow(/cut\.nii\.gz: .*(truncated|corrupt)/);
  });

  it('names the file when raw voxel data is short', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nifti-stream-'));
    const full = zlib.gunzipSync(await fs.readFile(sharedPath('pynrrd/BallBinary30x30x30.nii.gz')));
    const cut = path.join(dir, 'short.nii');
    await fs.writeFile(cut, full.subarray(0, full.length - 100));
    const stream = await streamNifti(cut);
    const run = async () => {
      for await (const _slab of stream.slabs(8)) void _slab;
    };
    await expect(run()).rejects.toThrow(/short\.nii: voxel data is truncated: slices 24\.\.29/);
  });
});
