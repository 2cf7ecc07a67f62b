/** Side-by-side comparison of run configs: every leaf setting by dotted key, marked where the runs differ. */
import type { JsonValue } from './schemaForm.ts';

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Leaf settings by dotted key. Objects nest; arrays of plain values are one leaf (patchSize [32, 32]); arrays of
 * objects (loss terms) index their items ('loss.terms.0.type').
 */
export function flattenConfig(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0 && prefix !== '') out[prefix] = '{}';
    for (const k of keys) flattenConfig(value[k], prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(value) && value.some((v) => isPlainObject(v) || Array.isArray(v))) {
    value.forEach((v, i) => flattenConfig(v, `${prefix}.${i}`, out));
  } else if (prefix !== '') {
    out[prefix] = JSON.stringify(value as JsonValue);
  }
  return out;
}

export interface DiffRow {
  key: string;
  /** One per config, in the order given; null where that config lacks the key. */
  values: (string | null)[];
  differs: boolean;
}

/** Rows of every key of any config, sorted by key; `onlyDiffering` keeps the rows where the values differ. */
export function diffConfigs(configs: readonly unknown[], onlyDiffering = false): DiffRow[] {
  const flat = configs.map((c) => flattenConfig(c));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  const rows = keys.map((key) => {
    const values = flat.map((f) => f[key] ?? null);
    return { key, values, differs: new Set(values).size > 1 };
  });
  return onlyDiffering ? rows.filter((r) => r.differs) : rows;
}
