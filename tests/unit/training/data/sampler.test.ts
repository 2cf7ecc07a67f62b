import { describe, expect, it } from 'vitest';
import { indexClasses } from '../../../../main/training/data/cases.ts';
import { PatchSampler } from '../../../../main/training/data/sampler.ts';
import { mulberry32 } from '../../../../main/util/random.ts';

/** A 40^3 volume, background except a 4^3 cube of class 1 and a single voxel of class 2. */
function sparseCase(): { shape: [number, number, number]; classVoxels: ReturnType<typeof indexClasses>; label: Uint8Array } {
  const n = 40;
  const label = new Uint8Array(n * n * n);
  for (let z = 30; z < 34; z++) for (let y = 30; y < 34; y++) for (let x = 30; x < 34; x++) label[(z * n + y) * n + x] = 1;
  label[(5 * n + 5) * n + 5] = 2;
  return { shape: [n, n, n], classVoxels: indexClasses(label), label };
}

function centreLabel(c: ReturnType<typeof sparseCase>, corner: number[], size: number[]): number {
  const [x, y, z] = corner.map((v, i) => v + Math.floor(size[i] / 2));
  return c.label[(z * 40 + y) * 40 + x];
}

describe('PatchSampler', () => {
  const size: [number, number, number] = [8, 8, 8];

  it('centres a third of the patches on foreground (nnU-Net default) over many draws', () => {
    const c = sparseCase();
    const sampler = new PatchSampler([c], size, {}, mulberry32(1));
    const draws = 6000;
    let foreground = 0;
    let centredOnForeground = 0;
    for (let i = 0; i < draws; i++) {
      const d = sampler.next();
      if (d.kind === 'foreground') foreground++;
      if (centreLabel(c, d.corner, size) > 0) centredOnForeground++;
    }
    expect(foreground / draws).toBeGreaterThan(0.3);
    expect(foreground / draws).toBeLessThan(0.366);
    // Foreground is 65 of 64000 voxels: random draws almost never land on it.
    expect(centredOnForeground / draws).toBeGreaterThan(0.3);
  });

  it('class-balanced sampling draws the single-voxel class as often as the large one', () => {
    const c = sparseCase();
    const count = (classBalanced: boolean): number => {
      const sampler = new PatchSampler([c], size, { foregroundFraction: 1, classBalanced }, mulberry32(2));
      let rare = 0;
      for (let i = 0; i < 2000; i++) if (centreLabel(c, sampler.next().corner, size) === 2) rare++;
      return rare / 2000;
    };
    expect(count(true)).toBeGreaterThan(0.45);
    expect(count(true)).toBeLessThan(0.55);
    expect(count(false)).toBeLessThan(0.05); // 1 voxel in 65
  });

  it('hard-example mining raises the probability of a region with high loss', () => {
    const c = sparseCase();
    const sampler = new PatchSampler([c], size, { foregroundFraction: 0, hardMining: { enabled: true, mix: 0.8 } }, mulberry32(3));
    const regions = 125; // 5 x 5 x 5 cells of 8^3
    const before = sampler.regionProbabilities(0);
    expect(before[17]).toBeCloseTo(1 / regions, 10);
    // Every region visited with loss 1, region 17 with loss 10.
    for (let r = 0; r < regions; r++) sampler.report({ caseIndex: 0, corner: [0, 0, 0], kind: 'random', region: r }, r === 17 ? 10 : 1);
    const after = sampler.regionProbabilities(0);
    expect(after[17]).toBeGreaterThan(5 * before[17]);
    expect(after[3]).toBeLessThan(before[3]);
    let hits = 0;
    for (let i = 0; i < 3000; i++) if (sampler.next().region === 17) hits++;
    expect(hits / 3000).toBeCloseTo(after[17], 1);
    expect(hits / 3000).toBeGreaterThan(4 / regions);
  });

  it('without hard mining reports change nothing', () => {
    const c = sparseCase();
    const sampler = new PatchSampler([c], size, {}, mulberry32(4));
    sampler.report({ caseIndex: 0, corner: [0, 0, 0], kind: 'random', region: 3 }, 100);
    expect(sampler.regionProbabilities(0)[3]).toBeCloseTo(1 / 125, 12);
  });

  it('curriculum moves the foreground fraction from its start to the target', () => {
    const sampler = new PatchSampler([sparseCase()], size, { foregroundFraction: 0.2, curriculum: { epochs: 4, startForeground: 1 } });
    const fractions = [0, 2, 4, 9].map((e) => {
      sampler.setEpoch(e);
      return sampler.foregroundFraction();
    });
    expect(fractions.map((f) => +f.toFixed(6))).toEqual([1, 0.6, 0.2, 0.2]);
  });

  it('keeps patches inside volumes larger than the patch and centres them in smaller ones', () => {
    const c = sparseCase();
    const sampler = new PatchSampler([c], [16, 64, 8], {}, mulberry32(5));
    for (let i = 0; i < 200; i++) {
      const d = sampler.next();
      expect(d.corner[0]).toBeGreaterThanOrEqual(0);
      expect(d.corner[0]).toBeLessThanOrEqual(24);
      expect(d.corner[1]).toBe(-12);
    }
  });

  it('restores its hard-mining state', () => {
    const c = sparseCase();
    const a = new PatchSampler([c], size, { hardMining: { enabled: true } }, mulberry32(6));
    a.report({ caseIndex: 0, corner: [0, 0, 0], kind: 'random', region: 9 }, 4);
    a.report({ caseIndex: 0, corner: [0, 0, 0], kind: 'random', region: 10 }, 1);
    const b = new PatchSampler([c], size, { hardMining: { enabled: true } }, mulberry32(6));
    b.setState(JSON.parse(JSON.stringify(a.getState())));
    expect(Array.from(b.regionProbabilities(0))).toEqual(Array.from(a.regionProbabilities(0)));
  });
});
