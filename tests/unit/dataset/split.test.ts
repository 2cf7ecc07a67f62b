import '../../../main/io/formats.ts';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assignSplits,
  computeSplit,
  getCase,
  getSplits,
  importCase,
  initProject,
  SplitAssignmentSchema,
  type SplitCase,
} from '../../../main/dataset/index.ts';
import { allocateTest, moveCaseInSplit } from '../../../main/dataset/split.ts';
import { writeVolume } from '../../../main/io/registry.ts';
import { mulberry32 } from '../../../main/util/random.ts';
import { expectInputError, labelPhantom, phantom, tempDir } from './helpers.ts';

/** n cases spread over domains with the given sizes. */
function synthetic(sizes: Record<string, number>): { caseId: string; domain: string }[] {
  return Object.entries(sizes).flatMap(([domain, n]) =>
    Array.from({ length: n }, (_, i) => ({ caseId: `${domain}-${String(i).padStart(3, '0')}`, domain })),
  );
}

function foldSizes(split: SplitCase[], folds: number, domain?: string): number[] {
  const sizes = new Array(folds).fill(0);
  for (const c of split) if (c.pool === 'train' && (!domain || c.domain === domain)) sizes[c.fold as number]++;
  return sizes;
}

describe('computeSplit (pure)', () => {
  const layouts: [string, Record<string, number>, number, number][] = [
    ['one domain, 10 cases, 5 folds', { a: 10 }, 5, 0],
    ['one domain, 11 cases, 3 folds', { a: 11 }, 3, 0],
    ['three unequal domains, 5 folds, 20% test', { ct: 23, mr: 9, xct: 4 }, 5, 0.2],
    ['two domains, 2 folds, 10% test', { a: 7, b: 6 }, 2, 0.1],
    ['many small domains, 4 folds, 25% test', { a: 3, b: 2, c: 1, d: 5, e: 2, f: 7 }, 4, 0.25],
  ];

  it.each(layouts)('%s: deterministic, balanced, stratified', (_what, sizes, folds, testFraction) => {
    const cases = synthetic(sizes);
    const split = computeSplit(cases, folds, 42, testFraction);
    // Same seed, same assignment, whatever the input order.
    const shuffled = cases.slice();
    const r = mulberry32(9);
    shuffled.sort(() => r() - 0.5);
    expect(computeSplit(shuffled, folds, 42, testFraction)).toEqual(split);
    expect(split.map((c) => c.caseId)).toEqual(cases.map((c) => c.caseId).sort());

    // Test set: the right size, shared among domains in proportion.
    const test = split.filter((c) => c.pool === 'test');
    expect(test.length).toBe(Math.round(testFraction * cases.length));
    for (const [domain, n] of Object.entries(sizes)) {
      const inDomain = test.filter((c) => c.domain === domain).length;
      expect(Math.abs(inDomain - testFraction * n)).toBeLessThan(1 + 1e-9);
      expect(test.every((c) => c.fold === null)).toBe(true);
    }

    // Folds: global sizes differ by at most one, and so do each domain's.
    const global = foldSizes(split, folds);
    expect(Math.max(...global) - Math.min(...global)).toBeLessThanOrEqual(1);
    expect(global.reduce((a, b) => a + b, 0)).toBe(cases.length - test.length);
    for (const domain of Object.keys(sizes)) {
      const local = foldSizes(split, folds, domain);
      expect(Math.max(...local) - Math.min(...local)).toBeLessThanOrEqual(1);
    }
  });

  it('different seeds give different assignments', () => {
    const cases = synthetic({ a: 30, b: 20 });
    const assignments = new Set([1, 2, 3, 4, 5].map((seed) => JSON.stringify(computeSplit(cases, 5, seed, 0.2))));
    expect(assignments.size).toBe(5);
  });

  it('is pinned: the same seed gives this exact assignment on every platform and release', () => {
    const split = computeSplit(synthetic({ a: 6, b: 3 }), 3, 2024, 0.2);
    expect(split.map((c) => `${c.caseId}:${c.pool === 'test' ? 'T' : c.fold}`).join(' ')).toMatchInlineSnapshot(`"a-000:T a-001:0 a-002:2 a-003:0 a-004:1 a-005:1 b-000:2 b-001:0 b-002:T"`);
  });

  it('allocateTest uses largest remainders and never exceeds a domain', () => {
    expect(allocateTest([10, 10, 10], 0.25)).toEqual([3, 3, 2]);
    expect(allocateTest([1, 1, 1, 1], 0.5)).toEqual([1, 1, 0, 0]);
    expect(allocateTest([5, 0], 0.99)).toEqual([5, 0]);
    expect(allocateTest([], 0.3)).toEqual([]);
  });
});

describe('assignSplits', () => {
  let tmp: string;
  let dir: string;

  beforeAll(async () => {
    tmp = await tempDir('split');
    const image = path.join(tmp, 'image.nii.gz');
    const label = path.join(tmp, 'label.nii.gz');
    await writeVolume(phantom({ shape: [4, 4, 3] }), image);
    await writeVolume(labelPhantom({ shape: [4, 4, 3] }), label);
    dir = path.join(tmp, 'project');
    await initProject(dir);
    for (let i = 0; i < 9; i++) {
      await importCase(dir, { image, label, caseId: `a${i}`, domain: 'A' });
    }
    for (let i = 0; i < 5; i++) await importCase(dir, { image, label, caseId: `b${i}`, domain: 'B' });
    await importCase(dir, { image, caseId: 'unlabelled', domain: 'A' });
  }, 120_000);
  afterAll(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('assigns, stores one row per case and fold, and reads back the same', async () => {
    const split = await assignSplits(dir, { folds: 3, seed: 7, testFraction: 0.2 });
    expect(SplitAssignmentSchema.parse(split)).toEqual(split);
    expect(split.cases).toHaveLength(14);
    expect(split.cases.map((c) => c.caseId)).not.toContain('unlabelled');
    expect(split.cases.filter((c) => c.pool === 'test')).toHaveLength(3);
    expect(await getSplits(dir)).toEqual(split);

    for (const c of split.cases) {
      const detail = await getCase(dir, c.caseId);
      expect(detail.splits.map((s) => s.fold)).toEqual([0, 1, 2]);
      const expected = [0, 1, 2].map((f) => (c.pool === 'test' ? 'test' : c.fold === f ? 'val' : 'train'));
      expect(detail.splits.map((s) => s.subset)).toEqual(expected);
    }
    expect((await getCase(dir, 'unlabelled')).splits).toEqual([]);
  });

  it('same seed, same assignment; a new split replaces the old one', async () => {
    const first = await assignSplits(dir, { folds: 4, seed: 123 });
    const second = await assignSplits(dir, { folds: 4, seed: 123 });
    expect(second.cases).toEqual(first.cases);
    const other = await assignSplits(dir, { folds: 2, seed: 5 });
    expect(other.cases).not.toEqual(first.cases);
    const detail = await getCase(dir, 'a0');
    expect(detail.splits).toHaveLength(2);
    expect(await getSplits(dir)).toMatchObject({ folds: 2, seed: 5, testFraction: 0 });
  });

  it.each([
    [{ folds: 1, seed: 1 }, /must be at least 2/],
    [{ folds: 0, seed: 1 }, /must be at least 2/],
    [{ folds: 15, seed: 1 }, /15 folds need at least 15 labelled training cases, the project has 14$/],
    [{ folds: 12, seed: 1, testFraction: 0.2 }, /the project has 11 outside the test set \(3 held out\)/],
    [{ folds: 2.5, seed: 1 }, /integer/],
    [{ folds: 3, seed: 1, testFraction: 1 }, /below 1/],
    [{ folds: 3, seed: 1, testFraction: -0.1 }, /./],
  ])('refuses %j and keeps the previous split', async (options, message) => {
    const before = await getSplits(dir);
    const error = await expectInputError(assignSplits(dir, options));
    expect(error.message).toMatch(message);
    expect(await getSplits(dir)).toEqual(before);
  });

  it('moves one case to another fold or to the test set by hand, leaving the others', async () => {
    const before = await assignSplits(dir, { folds: 3, seed: 11 });
    const mover = before.cases.find((c) => c.pool === 'train' && c.fold === 0);
    if (!mover) throw new Error('no case validates in fold 0');
    const moved = await moveCaseInSplit(dir, mover.caseId, 2);
    const others = (cases: readonly SplitCase[]) => cases.filter((c) => c.caseId !== mover.caseId);
    expect(others(moved.cases)).toEqual(others(before.cases));
    expect(moved.cases.find((c) => c.caseId === mover.caseId)).toMatchObject({ pool: 'train', fold: 2 });
    expect((await getCase(dir, mover.caseId)).splits.map((s) => s.subset)).toEqual(['train', 'train', 'val']);

    const toTest = await moveCaseInSplit(dir, mover.caseId, 'test');
    expect(toTest.cases.find((c) => c.caseId === mover.caseId)).toMatchObject({ pool: 'test', fold: null });
    expect((await getCase(dir, mover.caseId)).splits.map((s) => s.subset)).toEqual(['test', 'test', 'test']);
    expect(await getSplits(dir)).toEqual(toTest);
  });

  it.each([
    ['unlabelled', 0, /caseId: 'unlabelled' is not in the split/],
    ['a0', 3, /fold: must be 'test' or an integer from 0 to 1, got 3/],
  ])('refuses to move %s to %s and keeps the split', async (caseId, fold, message) => {
    await assignSplits(dir, { folds: 2, seed: 3 });
    const before = await getSplits(dir);
    const error = await expectInputError(moveCaseInSplit(dir, caseId, fold));
    expect(error.message).toMatch(message);
    expect(await getSplits(dir)).toEqual(before);
  });

  it('refuses to leave a fold without a validation case', async () => {
    // 14 cases in 7 folds: two per fold; moving both out of fold 0 must fail at the second.
    const split = await assignSplits(dir, { folds: 7, seed: 1 });
    const inFold0 = split.cases.filter((c) => c.fold === 0).map((c) => c.caseId);
    expect(inFold0).toHaveLength(2);
    await moveCaseInSplit(dir, inFold0[0] ?? '', 1);
    const before = await getSplits(dir);
    const error = await expectInputError(moveCaseInSplit(dir, inFold0[1] ?? '', 'test'));
    expect(error.message).toMatch(/would leave fold 0 without a validation case/);
    expect(await getSplits(dir)).toEqual(before);
  });
});
