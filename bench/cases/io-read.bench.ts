// Read throughput of a 256^3 int16 .nii.gz against the bare cost of reading + gunzipping the same file.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import '../../main/io/formats.ts';
import { readVolume, writeVolume } from '../../main/io/registry.ts';
import { ctLikeInt16 } from '../lib/phantoms.ts';
import { emit, timeMs } from '../lib/result.ts';

const gunzip = promisify(zlib.gunzip);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'segstation-bench-'));
try {
  const file = path.join(dir, 'ct256.nii.gz');
  const volume = ctLikeInt16([256, 256, 256]);
  await writeVolume(volume, file);
  const mb = volume.data.byteLength / 1e6;

  const ours = await timeMs(() => readVolume(file), 5);
  const reference = await timeMs(async () => gunzip(await fs.readFile(file)), 5);
  emit({
    name: 'read 256^3 int16 .nii.gz',
    value: mb / (ours / 1000),
    unit: 'MB/s',
    reference: { name: 'fs.readFile + zlib.gunzip', value: mb / (reference / 1000) },
    ratio: reference / ours,
    better: 'higher',
    target: '>= 0.8x of bare gunzip',
    pass: reference / ours >= 0.8,
    note: `${mb.toFixed(0)} MB decoded; file ${((await fs.stat(file)).size / 1e6).toFixed(1)} MB; median of 5`,
  });
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
