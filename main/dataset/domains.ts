import type { Database } from 'sql.js';
import { z } from 'zod';
import { InputError } from '../util/errors.ts';
import { mutateCatalogue, nowIso, queryOne, readCatalogue } from './catalogue.ts';
import { parseOptions } from './input.ts';
import { domainFromRow, selectDomains } from './rows.ts';
import { NormalizationHintSchema, type DomainRow } from './types.ts';

/** The domain of cases imported without one. */
export const DEFAULT_DOMAIN = 'default';

export const DomainNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100)
  .refine((name) => ![...name].some((ch) => ch.charCodeAt(0) < 0x20), 'must not contain control characters');

export function insertDomain(db: Database, row: DomainRow): void {
  db.run('INSERT INTO domains (name, description, normalization, created) VALUES (?, ?, ?, ?)', [
    row.name,
    row.description,
    row.normalization,
    row.created,
  ]);
}

/** The stored spelling of a domain (names compare case-insensitively), creating it when `create` is set. */
export function resolveDomain(db: Database, name: string, create: boolean): string | undefined {
  const row = queryOne(db, 'SELECT name FROM domains WHERE name = ?', [name]);
  if (row) return String(row.name);
  if (!create) return undefined;
  insertDomain(db, { name, description: '', normalization: 'auto', created: nowIso() });
  return name;
}

export async function listDomains(dir: string): Promise<DomainRow[]> {
  return readCatalogue(dir, (db) => selectDomains(db));
}

const AddDomainSchema = z.object({
  name: DomainNameSchema,
  description: z.string().max(10_000).optional(),
  normalization: NormalizationHintSchema.optional(),
});
export type AddDomainOptions = z.input<typeof AddDomainSchema>;

/** Adds a domain; InputError when one of that name (compared case-insensitively) exists. */
export async function addDomain(dir: string, options: AddDomainOptions): Promise<DomainRow> {
  const input = parseOptions(AddDomainSchema, options, 'domain');
  return mutateCatalogue(dir, 'add domain', (db) => {
    const existing = queryOne(db, 'SELECT * FROM domains WHERE name = ?', [input.name]);
    if (existing) throw new InputError(`domain ${input.name}`, `already exists (as '${domainFromRow(existing).name}')`);
    const row: DomainRow = {
      name: input.name,
      description: input.description ?? '',
      normalization: input.normalization ?? 'auto',
      created: nowIso(),
    };
    insertDomain(db, row);
    return row;
  });
}
