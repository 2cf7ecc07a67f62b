import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { readTiffFile } from './main/io/tiff.ts';
const dir = process.argv[2] ?? '/tmp/tiffdev';
for (const f of readdirSync(dir).filter((x) => /\.tiff?$/.test(x))) {
  try {
    const t0 = performance.now();
    const v = await readTiffFile(`${dir}/${f}`);
    const ms = performance.now() - t0;
    const refBytes = execFileSync('/usr/bin/python3', ['/tmp/tiffdev/ref.py', `${dir}/${f}`], { maxBuffer: 1 << 28 });
    const mine = Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength);
    console.log(f, v.shape, v.dtype, v.components, v.spacing, JSON.stringify(v.meta), mine.equals(refBytes) ? 'EQUAL' : `DIFF ${mine.length} ${refBytes.length}`, ms.toFixed(1) + 'ms');
  } catch (e) { console.log(f, 'ERR', (e as Error).message); }
}
