/** Formatting helpers shared by CLI commands: aligned text for people, JSON for machines. */

export function formatNumber(value: number, digits = 6): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return String(+value.toPrecision(digits));
}

export function formatVector(values: readonly number[], digits = 6): string {
  return `[${values.map((v) => formatNumber(v, digits)).join(', ')}]`;
}

/** 3x3 row-major matrix as three bracketed rows. */
export function formatMatrix3(m: readonly number[]): string {
  return [0, 1, 2].map((r) => formatVector(m.slice(r * 3, r * 3 + 3), 4)).join(' ');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Two-column "key: value" block with keys padded to one width. */
export function formatFields(fields: [string, string][]): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}
