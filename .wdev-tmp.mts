import { tiffWriter, readTiffFile } from './main/io/tiff.ts';
import { hdf5Writer, readHdf5 } from './main/io/hdf5.ts';
import { createVolume } from './main/volume/volume.ts';
import { allocate, DTYPES } from './main/volume/dtype.ts';
for (const dtype of DTYPES) for (const comps of [1, 3]) {
  const shape: [number, number, number] = [5, 4, 3];
  const data = allocate(dtype, 60 * comps);
  for (let i = 0; i < data.length; i++) data[i] = dtype.startsWith('float') ? i * 0.5 - 7 : dtype.startsWith('int') ? (i % 50) - 25 : i % 200;
  const v = createVolume({ shape, data, components: comps, spacing: [0.3, 0.7, 2.5], origin: [1, 2, 3], direction: [0, 1, 0, 1, 0, 0, 0, 0, -1] });
  await tiffWriter.write(v, `/tmp/wdev/${dtype}_${comps}.tif`);
  await tiffWriter.write(v, `/tmp/wdev/${dtype}_${comps}_z.tif`, { compress: true });
  await hdf5Writer.write(v, `/tmp/wdev/${dtype}_${comps}.h5`);
  const a = await readTiffFile(`/tmp/wdev/${dtype}_${comps}_z.tif`);
  const b = await readHdf5(`/tmp/wdev/${dtype}_${comps}.h5`);
  const same = (x: typeof v) => Buffer.compare(Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength), Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength)) === 0;
  console.log(dtype, comps, same(a), a.dtype, a.shape, a.components, a.spacing, a.origin, a.direction.join(','), '|', same(b), b.dtype, b.shape, b.components, b.spacing, b.origin, b.direction.join(','));
}
