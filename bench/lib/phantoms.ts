import { createVolume, type Volume, type Vec3 } from '../../main/volume/volume.ts';
import { mulberry32 } from '../../main/util/random.ts';

/** CT-like int16 volume: smooth blobs plus noise, so it compresses like real data rather than like zeros. */
export function ctLikeInt16(shape: Vec3, seed = 1): Volume {
  const [nx, ny, nz] = shape;
  const data = new Int16Array(nx * ny * nz);
  const rand = mulberry32(seed);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const body = Math.hypot((x - nx / 2) / (nx * 0.4), (y - ny / 2) / (ny * 0.4)) < 1 ? 1000 : -1000;
        const texture = 200 * Math.sin(x / 9) * Math.cos(y / 13) * Math.sin(z / 7);
        data[(z * ny + y) * nx + x] = body + texture + Math.round((rand() - 0.5) * 60);
      }
    }
  }
  return createVolume({ shape, data, spacing: [0.8, 0.8, 1.25] });
}

/** uint8 tomography-like volume with grains. */
export function grainsUint8(shape: Vec3, seed = 2): Volume {
  const [nx, ny, nz] = shape;
  const data = new Uint8Array(nx * ny * nz);
  const rand = mulberry32(seed);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = (z * ny + y) * nx;
      for (let x = 0; x < nx; x++) {
        const v = 128 + 60 * Math.sin(x / 11 + z / 17) * Math.cos(y / 7) + (rand() - 0.5) * 30;
        data[row + x] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return createVolume({ shape, data });
}
