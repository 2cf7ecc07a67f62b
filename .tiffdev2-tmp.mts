import { execFileSync } from 'node:child_process';
import { readTiffFile } from './main/io/tiff.ts';
for (const [f, ref] of [['lzw8.tif','sm'],['lzw8r.tif','u8'],['lzw16.tif','a16']]) {
  const v = await readTiffFile(`/tmp/tiffdev/${f}`);
  const r = execFileSync('/usr/bin/python3', ['-c', `import numpy as np,sys; sys.stdout.buffer.write(np.load('/tmp/tiffdev/${ref}.npy').tobytes())`]);
  console.log(f, v.shape, v.dtype, Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength).equals(r));
}
for (let i = 0; i < 4; i++) { const t0 = performance.now(); await readTiffFile('/work/shared/data/taufactor/electrode.tiff'); console.log('electrode', (performance.now()-t0).toFixed(1)); }
