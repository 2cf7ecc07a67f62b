/** One row of the benchmark table: a measured value, the reference measured in the same run, and their ratio. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  reference?: { name: string; value: number };
  /** value / reference (or reference / value for "lower is better" rows, see `better`). */
  ratio?: number;
  better: 'higher' | 'lower';
  /** A target the row must meet, in words, and whether it did. */
  target?: string;
  pass?: boolean;
  note?: string;
}

const MARKER = '@@bench ';

/** Prints a row on stdout for bench/run.ts to collect. */
export function emit(row: BenchRow): void {
  process.stdout.write(`${MARKER}${JSON.stringify(row)}\n`);
}

export function parseRows(output: string): BenchRow[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith(MARKER))
    .map((l) => JSON.parse(l.slice(MARKER.length)) as BenchRow);
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** Median wall time in ms of `repeats` runs after one warm-up. */
export async function timeMs(fn: () => Promise<unknown> | unknown, repeats = 3, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}
