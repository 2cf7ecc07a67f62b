/**
 * Seeded k-fold cross-validation split with an optional held-out test set, stratified by domain.
 *
 * Only labelled cases take part (a case without a label can be neither trained on nor evaluated). The procedure, fully
 * determined by the seed and the set of (case id, domain) pairs, not by import order:
 *   1. cases are grouped by domain; domains and the cases in each are sorted by name (binary order);
 *   2. one mulberry32 stream seeded with `seed` shuffles each domain's cases in turn (Fisher-Yates);
 *   3. the test set has round(testFraction * N) cases, shared among domains in proportion to their size by largest
 *      remainders (ties to the earlier domain); each domain's first shuffled cases go to test;
 *   4. the remaining cases are dealt round-robin into K folds, domain after domain, continuing the count across
 *      domains. Every fold then has floor(P / K) or ceil(P / K) cases, and within each domain a fold has at most one
 *      case more than another.
 * Stored as one row per (case, fold): 'val' in the case's own fold, 'train' in the others, 'test' in all of them.
 */
import type { Database } from 'sql.js';
import { z } from 'zod';
import { InputError } from '../util/errors.ts';
import { mulberry32 } from '../util/random.ts';
import { mutateCatalogue, nowIso, queryAll, queryOne, readCatalogue } from './catalogue.ts';
import { parseOptions } from './input.ts';
import { SplitAssignmentSchema, type SplitAssignment, type SplitCase } from './types.ts';

const SplitOptionsSchema = z.object({
  folds: z.number().int('must be an integer'),
  seed: z.number().int('must be an integer').min(-(2 ** 31)).max(2 ** 32 - 1),
  testFraction: z.number().min(0).lt(1, 'must be below 1').optional(),
});

export interface AssignSplitsOptions {
  /** K >= 2, at most the number of labelled cases outside the test set. */
  folds: number;
  /** Any 32-bit integer; the same seed (and cases) gives the same assignment. */
  seed: number;
  /** Fraction of labelled cases held out as the test set, in [0, 1); default 0. */
  testFraction?: number;
}

function shuffleInPlace<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

function byBinary(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Test-set size of each domain: proportional, largest remainders, summing to round(fraction * total). */
export function allocateTest(sizes: readonly number[], fraction: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const target = Math.round(fraction * total);
  const quotas = sizes.map((n) => fraction * n);
  const out = quotas.map((q) => Math.floor(q));
  let left = target - out.reduce((a, b) => a + b, 0);
  const order = quotas
    .map((q, i) => ({ i, r: q - Math.floor(q) }))
    .sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    if (out[i] < sizes[i]) {
      out[i]++;
      left--;
    }
  }
  return out;
}

/** The assignment itself, pure: exported for tests and for previews in the UI. */
export function computeSplit(
  cases: readonly { caseId: string; domain: string }[],
  folds: number,
  seed: number,
  testFraction = 0,
): SplitCase[] {
  const domains = new Map<string, string[]>();
  for (const c of cases) {
    const list = domains.get(c.domain) ?? [];
    list.push(c.caseId);
    domains.set(c.domain, list);
  }
  const names = [...domains.keys()].sort(byBinary);
  const random = mulberry32(seed);
  const shuffled = names.map((d) => {
    const list = (domains.get(d) as string[]).slice().sort(byBinary);
    shuffleInPlace(list, random);
    return list;
  });
  const testCounts = allocateTest(shuffled.map((l) => l.length), testFraction);
  const pool = shuffled.reduce((n, list, i) => n + list.length - testCounts[i], 0);
  if (folds < 2) throw new InputError('folds', `must be at least 2, got ${folds}`);
  if (folds > pool) {
    throw new InputError(
      'folds',
      `${folds} folds need at least ${folds} labelled training cases, the project has ${pool}` +
        (testFraction > 0 ? ` outside the test set (${cases.length - pool} held out)` : ''),
    );
  }
  const out: SplitCase[] = [];
  let next = 0;
  shuffled.forEach((list, d) => {
    list.forEach((caseId, i) => {
      if (i < testCounts[d]) out.push({ caseId, domain: names[d], pool: 'test', fold: null });
      else {
        out.push({ caseId, domain: names[d], pool: 'train', fold: next });
        next = (next + 1) % folds;
      }
    });
  });
  return out.sort((a, b) => byBinary(a.caseId, b.caseId));
}

function labelledCases(db: Database): { caseId: string; domain: string }[] {
  return queryAll(
    db,
    `SELECT c.id, c.domain FROM cases c
     WHERE EXISTS (SELECT 1 FROM volumes v WHERE v.case_id = c.id AND v.role = 'label')
     ORDER BY c.id COLLATE BINARY`,
  ).map((r) => ({ caseId: String(r.id), domain: String(r.domain) }));
}

/** Replaces the project's split (all rows, in one transaction) and returns it. */
export async function assignSplits(dir: string, options: AssignSplitsOptions): Promise<SplitAssignment> {
  const input = parseOptions(SplitOptionsSchema, options, 'split');
  const testFraction = input.testFraction ?? 0;
  return mutateCatalogue(dir, 'assign splits', (db) => {
    const assignment = computeSplit(labelledCases(db), input.folds, input.seed, testFraction);
    const created = nowIso();
    db.run('DELETE FROM splits');
    db.run('DELETE FROM split_settings');
    db.run('INSERT INTO split_settings (id, folds, seed, test_fraction, created) VALUES (1, ?, ?, ?, ?)', [
      input.folds,
      input.seed,
      testFraction,
      created,
    ]);
    const insert = db.prepare('INSERT INTO splits (case_id, fold, subset, seed, created) VALUES (?, ?, ?, ?, ?)');
    try {
      for (const c of assignment) {
        for (let f = 0; f < input.folds; f++) {
          const subset = c.pool === 'test' ? 'test' : c.fold === f ? 'val' : 'train';
          insert.run([c.caseId, f, subset, input.seed, created]);
        }
      }
    } finally {
      insert.free();
    }
    return SplitAssignmentSchema.parse({ folds: input.folds, seed: input.seed, testFraction, created, cases: assignment });
  });
}

/** The current split, or null when none was assigned. */
export async function getSplits(dir: string): Promise<SplitAssignment | null> {
  return readCatalogue(dir, (db) => {
    const settings = queryOne(db, 'SELECT * FROM split_settings WHERE id = 1');
    if (!settings) return null;
    const rows = queryAll(
      db,
      `SELECT s.case_id, c.domain, MIN(s.subset) AS any_subset,
         MAX(CASE WHEN s.subset = 'val' THEN s.fold END) AS val_fold
       FROM splits s JOIN cases c ON c.id = s.case_id
       GROUP BY s.case_id ORDER BY s.case_id COLLATE BINARY`,
    );
    return SplitAssignmentSchema.parse({
      folds: settings.folds,
      seed: settings.seed,
      testFraction: settings.test_fraction,
      created: settings.created,
      cases: rows.map((r) => ({
        caseId: r.case_id,
        domain: r.domain,
        pool: r.any_subset === 'test' ? 'test' : 'train',
        fold: r.val_fold === null ? null : Number(r.val_fold),
      })),
    });
  });
}

/** Where one case goes in a hand edit of the split: the fold it validates in, or the test set. */
export type SplitPlacement = number | 'test';

/**
 * Moves one case of the current split to another fold (or to or from the test set), keeping every other case where it
 * is. A hand edit: the stored seed then no longer reproduces the split, which `getSplits` still reports as assigned.
 */
export async function moveCaseInSplit(dir: string, caseId: string, placement: SplitPlacement): Promise<SplitAssignment> {
  await mutateCatalogue(dir, 'move a case in the split', (db) => {
    const settings = queryOne(db, 'SELECT folds, seed FROM split_settings WHERE id = 1');
    if (!settings) throw new InputError('split', 'the project has no split yet: assign folds first');
    const folds = Number(settings.folds);
    if (placement !== 'test' && (!Number.isInteger(placement) || placement < 0 || placement >= folds)) {
      throw new InputError('fold', `must be 'test' or an integer from 0 to ${folds - 1}, got ${String(placement)}`);
    }
    if (!queryOne(db, 'SELECT 1 AS found FROM splits WHERE case_id = ?', [caseId])) {
      throw new InputError('caseId', `'${caseId}' is not in the split (only labelled cases are split)`);
    }
    const created = nowIso();
    db.run('DELETE FROM splits WHERE case_id = ?', [caseId]);
    const insert = db.prepare('INSERT INTO splits (case_id, fold, subset, seed, created) VALUES (?, ?, ?, ?, ?)');
    try {
      for (let f = 0; f < folds; f++) {
        const subset = placement === 'test' ? 'test' : placement === f ? 'val' : 'train';
        insert.run([caseId, f, subset, Number(settings.seed), created]);
      }
    } finally {
      insert.free();
    }
    // Every fold must keep a validation case, or training that fold would have nothing to validate on.
    const empty = queryAll(db, `SELECT f.fold FROM (SELECT DISTINCT fold FROM splits) f
      WHERE NOT EXISTS (SELECT 1 FROM splits s WHERE s.fold = f.fold AND s.subset = 'val')`);
    if (empty.length > 0) throw new InputError('fold', `moving '${caseId}' would leave fold ${String(empty[0]?.fold)} without a validation case`);
  });
  const split = await getSplits(dir);
  if (!split) throw new Error('the split vanished while it was edited');
  return split;
}
