import type { Database } from 'sql.js';
import { z } from 'zod';
import { mutateCatalogue, queryOne, readCatalogue } from './catalogue.ts';
import { parseOptions } from './input.ts';
import { classFromRow, selectClasses } from './rows.ts';
import { BACKGROUND_COLOR, DEFAULT_PALETTE } from '../../ipc/palette.ts';
import { ColorSchema, type ClassRow, type Color } from './types.ts';

export { BACKGROUND_COLOR, DEFAULT_PALETTE } from '../../ipc/palette.ts';

export function defaultColor(value: number): Color {
  if (value === 0) return [...BACKGROUND_COLOR];
  return [...DEFAULT_PALETTE[(value - 1) % DEFAULT_PALETTE.length]] as Color;
}

export function defaultClassName(value: number): string {
  return value === 0 ? 'background' : `class ${value}`;
}

export function insertClass(db: Database, row: ClassRow): void {
  db.run(
    `INSERT INTO classes (value, name, color_r, color_g, color_b, description) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (value) DO UPDATE SET name = excluded.name, color_r = excluded.color_r, color_g = excluded.color_g,
       color_b = excluded.color_b, description = excluded.description`,
    [row.value, row.name, row.color[0], row.color[1], row.color[2], row.description],
  );
}

/** What a new project's class 0 is (project.ts): while it is still exactly that, a label table may name it. */
export const DEFAULT_CLASS_ZERO: ClassRow = { value: 0, name: defaultClassName(0), color: defaultColor(0), description: 'no class' };

function isUntouchedClassZero(db: Database): boolean {
  const row = queryOne(db, 'SELECT name, color_r, color_g, color_b, description FROM classes WHERE value = 0');
  if (!row) return false;
  const d = DEFAULT_CLASS_ZERO;
  return row.name === d.name && row.description === d.description && [row.color_r, row.color_g, row.color_b].every((c, i) => Number(c) === d.color[i]);
}

/**
 * The rows `addMissingClasses` would add: values not in the class table yet, named and coloured from `proposed` when it
 * has them (a label table that came with the file), else 'class N' and the default palette. Class 0 is there from the
 * start as 'background'; a label table that names it (materials: 'pore') renames it, unless someone edited it already.
 */
export function planMissingClasses(
  db: Database,
  values: readonly number[],
  proposed: ReadonlyMap<number, { name: string; color: Color }> = new Map(),
): ClassRow[] {
  const planned: ClassRow[] = [];
  for (const value of values) {
    const renamesClassZero = value === 0 && (proposed.get(0)?.name.trim() ?? '') !== '' && isUntouchedClassZero(db);
    if (!renamesClassZero && queryOne(db, 'SELECT value FROM classes WHERE value = ?', [value])) continue;
    const hint = proposed.get(value);
    const name = hint?.name.trim();
    planned.push({
      value,
      name: name ? name : defaultClassName(value),
      color: hint ? [...hint.color] as Color : defaultColor(value),
      description: '',
    });
  }
  return planned;
}

/** Adds the values that are not in the class table yet (see planMissingClasses); existing rows are left alone. */
export function addMissingClasses(
  db: Database,
  values: readonly number[],
  proposed: ReadonlyMap<number, { name: string; color: Color }> = new Map(),
): ClassRow[] {
  const added = planMissingClasses(db, values, proposed);
  for (const row of added) insertClass(db, row);
  return added;
}

export async function listClasses(dir: string): Promise<ClassRow[]> {
  return readCatalogue(dir, (db) => selectClasses(db));
}

const SetClassSchema = z.object({
  value: z.number().int().min(0).max(2 ** 31 - 1),
  name: z.string().trim().min(1, 'must not be empty').max(200),
  color: ColorSchema.optional(),
  description: z.string().max(10_000).optional(),
});
export type SetClassOptions = z.input<typeof SetClassSchema>;

/** Creates or edits the class of a label value; colour and description keep their current (or default) values when left out. */
export async function setClass(dir: string, options: SetClassOptions): Promise<ClassRow> {
  const input = parseOptions(SetClassSchema, options, 'class');
  return mutateCatalogue(dir, 'set class', (db) => {
    const existing = queryOne(db, 'SELECT * FROM classes WHERE value = ?', [input.value]);
    const current = existing ? classFromRow(existing) : undefined;
    const row: ClassRow = {
      value: input.value,
      name: input.name,
      color: input.color ?? current?.color ?? defaultColor(input.value),
      description: input.description ?? current?.description ?? '',
    };
    insertClass(db, row);
    return row;
  });
}
