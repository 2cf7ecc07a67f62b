import { InputError } from '../util/errors.ts';
import { readCatalogue } from './catalogue.ts';
import { selectCase, selectCases } from './rows.ts';
import type { CaseDetail, CaseSummary } from './types.ts';

/** All cases, sorted by id. */
export async function listCases(dir: string): Promise<CaseSummary[]> {
  return readCatalogue(dir, (db) => selectCases(db));
}

/** One case with its volumes, label counts and split rows; InputError when there is no such case. */
export async function getCase(dir: string, id: string): Promise<CaseDetail> {
  return readCatalogue(dir, (db, catalogue) => {
    const found = selectCase(db, id);
    if (!found) throw new InputError(`case ${id}`, `no such case in project ${catalogue.dir}`);
    return found;
  });
}
