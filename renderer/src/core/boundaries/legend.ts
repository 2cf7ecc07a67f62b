/** Names in the boundaries legend: a phase pair is named by its two classes from the class table. */

export interface NamedClass {
  value: number;
  name: string;
}

/** The class's name from the first table that has it, else 'label <value>'. */
export function className(value: number, ...tables: (readonly NamedClass[] | undefined | null)[]): string {
  for (const t of tables) {
    const hit = t?.find((c) => c.value === value);
    if (hit && hit.name.trim() !== '') return hit.name;
  }
  return `label ${value}`;
}

export function pairName(a: number, b: number, ...tables: (readonly NamedClass[] | undefined | null)[]): string {
  return `${className(a, ...tables)} | ${className(b, ...tables)}`;
}

/** Pairs in legend order: by the first class, then the second. */
export function comparePairs(p: { a: number; b: number }, q: { a: number; b: number }): number {
  return p.a - q.a || p.b - q.b;
}
