import { describe, expect, it } from 'vitest';
import { electrodeLabels, electrodePhantom, gaussianBlur3d } from '../../../main/phantom/electrode.ts';
import { createVolume } from '../../../main/volume/volume.ts';
import { InputError } from '../../../main/util/errors.ts';

function stripes(n: number) {
  const data = new Uint8Array(n * n * n);
  for (let i = 0; i < data.length; i++) data[i] = [0, 85, 170][Math.floor((i % n) / (n / 3))];
  return createVolume({ shape: [n, n, n], data });
}

describe('electrode phantom', () => {
  it('maps taufactor codes 0/85/170 to classes 0/1/2 and crops', () => {
    const labels = electrodeLabels(stripes(12), [6, 12, 12]);
    expect(labels.shape).toEqual([6, 12, 12]);
    expect(Array.from(labels.data.subarray(0, 6))).toEqual([0, 0, 0, 0, 1, 1]);
    expect(labels.labels?.map((l) => l.name)).toEqual(['pore', 'NMC', 'carbon-binder']);
  });

  it('refuses unexpected codes and oversize crops', () => {
    const bad = stripes(6);
    bad.data[3] = 7;
    expect(() => electrodeLabels(bad)).toThrow(/unexpected value 7/);
    expect(() => electrodeLabels(stripes(6), [7, 6, 6])).toThrow(InputError);
  });

  it('is seeded, keeps phase order in the means, and lets phase intensities overlap', () => {
    const labels = electrodeLabels(stripes(24));
    const a = electrodePhantom(labels, { seed: 1 });
    const b = electrodePhantom(labels, { seed: 1 });
    const c = electrodePhantom(labels, { seed: 2 });
    expect(a.data).toEqual(b.data);
    expect(a.data).not.toEqual(c.data);
    const values: number[][] = [[], [], []];
    for (let i = 0; i < a.data.length; i++) values[labels.data[i]].push(a.data[i]);
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    const [pore, nmc, cbd] = values.map(mean);
    expect(pore).toBeLessThan(cbd);
    expect(cbd).toBeLessThan(nmc);
    // Overlap: some carbon-binder voxels are brighter than some NMC voxels, so one threshold cannot separate them.
    expect(Math.max(...values[2])).toBeGreaterThan(Math.min(...values[1]));
  });

  it('blurs with a normalised kernel (a constant stays constant)', () => {
    const data = new Float32Array(5 * 6 * 7).fill(3);
    gaussianBlur3d(data, [5, 6, 7], 1.2);
    for (const v of data) expect(v).toBeCloseTo(3, 5);
  });
});
