// Runs every benchmark case in its own process (so peak memory is its own) and prints one table.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRows, type BenchRow } from './lib/result.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const cases = readdirSync(path.join(here, 'cases'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

function runCase(file: string): Promise<{ rows: BenchRow[]; code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', path.join(here, 'cases', file)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      process.stderr.write(d);
    });
    child.on('close', (code) => resolve({ rows: parseRows(out), code: code ?? 1, stderr: err }));
  });
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

const all: BenchRow[] = [];
let failures = 0;
for (const file of cases) {
  process.stderr.write(`[bench] ${file}\n`);
  const { rows, code } = await runCase(file);
  if (code !== 0) {
    failures++;
    process.stderr.write(`[bench] ${file} exited with ${code}\n`);
  }
  all.push(...rows);
}

const header = ['benchmark', 'value', 'unit', 'reference (same run)', 'ref value', 'ratio', 'target', 'ok'];
const lines = all.map((r) => [
  r.name,
  fmt(r.value),
  r.unit,
  r.reference?.name ?? '',
  r.reference ? fmt(r.reference.value) : '',
  r.ratio !== undefined ? `${fmt(r.ratio)}x` : '',
  r.target ?? '',
  r.pass === undefined ? '' : r.pass ? 'yes' : 'NO',
]);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(row(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const l of lines) console.log(row(l));
for (const r of all) if (r.note) console.log(`- ${r.name}: ${r.note}`);
process.exitCode = failures > 0 ? 1 : 0;
