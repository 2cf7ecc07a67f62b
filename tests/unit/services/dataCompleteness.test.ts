import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../../main/io/formats.ts';
import { writeVolume } from '../../../main/io/registry.ts';
import { gzipTrailerFits } from '../../../main/services/dataCompleteness.ts';
import { validateCaseFiles } from '../../../main/services/caseValidation.ts';
import { createVolume } from '../../../main/volume/volume.ts';

describe('gzipTrailerFits', () => {
  it.each([
    [1000, 1000, true],
    [1352, 1000, true],
    [999, 1000, false],
    [1000 + (16 << 20) + 1, 1000, false],
    // Past 4 GiB the trailer holds the length mod 2^32.
    [(2 ** 32 + 500) % 2 ** 32, 2 ** 32 + 100, true],
    [50, 2 ** 32 + 100, false],
    // A range that wraps past 2^32.
    [10, 2 ** 32 - 100, true],
  ])('ISIZE %d for %d voxel bytes -> %s', (isize, expected, fits) => {
    expect(gzipTrailerFits(isize, expected)).toBe(fits);
  });
});

describe('validateCaseFiles finds truncated files without importing them', () => {
  let dir: string;
  let gz: string;
  let raw: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-completeness-'));
    const data = new Int16Array(24 * 20 * 16);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 3001;
    const volume = createVolume({ shape: [24, 20, 16], dtype: 'int16', data });
    gz = path.join(dir, 'image.nii.gz');
    raw = path.join(dir, 'image.nii');
    await writeVolume(volume, gz);
    await writeVolume(volume, raw);
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const cut = async (file: string, name: string, keep: (bytes: Buffer) => Buffer) => {
    const out = path.join(dir, name);
    await fs.writeFile(out, keep(await fs.readFile(file)));
    return out;
  };

  it('accepts the complete files, and formats whose compressed voxels are shorter than the raw ones', async () => {
    const nrrd = path.join(dir, 'image.nrrd');
    await writeVolume(createVolume({ shape: [24, 20, 16], dtype: 'int16' }), nrrd);
    const result = await validateCaseFiles([gz, raw, nrrd]);
    expect(result.files.map((f) => f.problem ?? 'ok')).toEqual(['ok', 'ok', 'ok']);
    expect((await fs.stat(nrrd)).size).toBeLessThan(24 * 20 * 16 * 2);
  });

  it('refuses a raw NIfTI cut after its header, naming the byte counts', async () => {
    const file = await cut(raw, 'cut.nii', (b) => b.subarray(0, 352 + 1000));
    const [check] = (await validateCaseFiles([file])).files;
    expect(check?.ok).toBe(false);
    expect(check?.problem).toMatch(/truncated: \d+ bytes, the header describes 15360 bytes of voxels/);
  });

  it('refuses a gzip NIfTI whose stream is cut after the header', async () => {
    const file = await cut(gz, 'cut.nii.gz', (b) => b.subarray(0, Math.floor(b.length * 0.6)));
    const [check] = (await validateCaseFiles([file])).files;
    expect(check?.ok).toBe(false);
    expect(check?.problem).toMatch(/truncated/);
  });

  it('accepts a complete multi-member gzip, whose trailer counts only its last member', async () => {
    const whole = gunzipSync(await fs.readFile(gz));
    const file = await cut(gz, 'members.nii.gz', () => Buffer.concat([gzipSync(whole.subarray(0, 9000)), gzipSync(whole.subarray(9000))]));
    const [check] = (await validateCaseFiles([file])).files;
    expect(check?.problem).toBeUndefined();
    expect(check?.ok).toBe(true);
  });
});
