/**
 * Project workflow behind the contract: create a project, classes, domains, the split and the stored statistics.
 * Thin over main/dataset (which validates, locks and writes atomically); results are shaped as the contract's types.
 */
import type { ClassInfo, DomainInfo, DomainStatistics, ParamsOf, SplitAssignment } from '../../ipc/contract.ts';
import { queryAll, readCatalogue } from '../dataset/catalogue.ts';
import { setClass } from '../dataset/classes.ts';
import { addDomain } from '../dataset/domains.ts';
import { initProject } from '../dataset/project.ts';
import { selectClasses, selectDomains } from '../dataset/rows.ts';
import { assignSplits, getSplits, moveCaseInSplit } from '../dataset/split.ts';
import { listStatistics } from '../dataset/statistics.ts';

export async function createProject(dir: string, name: string | undefined): Promise<string> {
  const info = await initProject(dir, name !== undefined ? { name } : {});
  return info.dir;
}

/** Applies each class edit in order (each one atomic) and returns the whole table. */
export async function setClasses(params: ParamsOf<'classes.set'>): Promise<ClassInfo[]> {
  for (const c of params.classes) {
    await setClass(params.projectDir, {
      value: c.value,
      name: c.name,
      ...(c.color ? { color: c.color } : {}),
      ...(c.description !== undefined ? { description: c.description } : {}),
    });
  }
  return readCatalogue(params.projectDir, (db) => selectClasses(db));
}

export async function listDomainInfo(dir: string): Promise<DomainInfo[]> {
  return readCatalogue(dir, (db) => {
    const counts = new Map<string, number>();
    for (const r of queryAll(db, 'SELECT domain, COUNT(*) AS n FROM cases GROUP BY domain')) counts.set(String(r.domain).toLowerCase(), Number(r.n));
    return selectDomains(db).map((d) => ({ ...d, caseCount: counts.get(d.name.toLowerCase()) ?? 0 }));
  });
}

export async function addDomainInfo(params: ParamsOf<'domain.add'>): Promise<DomainInfo[]> {
  await addDomain(params.projectDir, {
    name: params.name,
    ...(params.description !== undefined ? { description: params.description } : {}),
    ...(params.normalization ? { normalization: params.normalization } : {}),
  });
  return listDomainInfo(params.projectDir);
}

export async function assignSplit(params: ParamsOf<'split.assign'>): Promise<SplitAssignment> {
  return assignSplits(params.projectDir, {
    folds: params.folds,
    seed: params.seed,
    ...(params.testFraction !== undefined ? { testFraction: params.testFraction } : {}),
  });
}

export function moveSplitCase(params: ParamsOf<'split.move'>): Promise<SplitAssignment> {
  return moveCaseInSplit(params.projectDir, params.caseId, params.fold);
}

export function currentSplit(dir: string): Promise<SplitAssignment | null> {
  return getSplits(dir);
}

export function storedStatistics(dir: string): Promise<DomainStatistics[]> {
  return listStatistics(dir);
}
