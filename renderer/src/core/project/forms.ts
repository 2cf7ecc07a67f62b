/**
 * Checks of the project workspace's forms before anything is sent, so mistakes show beside the field at once (the
 * engine checks everything again). Each check returns the problems by field; an empty object means the form is fine.
 */
import type { Color } from '../../../../ipc/contract.ts';

export type FormIssues = Record<string, string>;

/** POSIX '/x' or Windows 'C:\x' / '\\server\share'. */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

function integerIn(text: string, min: number, max: number): string | null {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return 'must be a whole number';
  const v = Number(t);
  if (v < min || v > max) return `must be between ${min} and ${max}`;
  return null;
}

export interface CreateForm {
  dir: string;
  name: string;
  folds: string;
  seed: string;
}

export function checkCreateForm(f: CreateForm): FormIssues {
  const issues: FormIssues = {};
  const dir = f.dir.trim();
  if (dir === '') issues.dir = 'must not be empty';
  else if (!isAbsolutePath(dir)) issues.dir = 'must be an absolute path (the engine resolves nothing relative)';
  if (f.name.trim().length > 200) issues.name = 'must be at most 200 characters';
  const folds = integerIn(f.folds, 2, 100);
  if (folds) issues.folds = folds;
  const seed = integerIn(f.seed, -(2 ** 31), 2 ** 31 - 1);
  if (seed) issues.seed = seed;
  return issues;
}

export interface SplitForm {
  folds: string;
  seed: string;
  testFraction: string;
}

export function checkSplitForm(f: SplitForm): FormIssues {
  const issues: FormIssues = {};
  const folds = integerIn(f.folds, 2, 100);
  if (folds) issues.folds = folds;
  const seed = integerIn(f.seed, -(2 ** 31), 2 ** 31 - 1);
  if (seed) issues.seed = seed;
  const t = f.testFraction.trim();
  if (t !== '') {
    const v = Number(t);
    if (!Number.isFinite(v) || !/^\d*\.?\d+$/.test(t)) issues.testFraction = 'must be a number';
    else if (v < 0 || v >= 1) issues.testFraction = 'must be at least 0 and below 1';
  }
  return issues;
}

/** The same rule as the engine's case ids (main/dataset/importCase.ts). */
const CASE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface CaseForm {
  images: readonly string[];
  label: string;
  caseId: string;
  domain: string;
}

export function checkCaseForm(f: CaseForm): FormIssues {
  const issues: FormIssues = {};
  const images = f.images.map((i) => i.trim()).filter((i) => i !== '');
  if (images.length === 0) issues.images = 'choose at least one image file';
  else if (images.some((i) => !isAbsolutePath(i))) issues.images = 'every image must be an absolute path';
  if (f.label.trim() !== '' && !isAbsolutePath(f.label.trim())) issues.label = 'must be an absolute path';
  if (f.caseId.trim() !== '' && !CASE_ID.test(f.caseId.trim())) {
    issues.caseId = "must be 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit";
  }
  if (f.domain.trim().length > 100) issues.domain = 'must be at most 100 characters';
  return issues;
}

export function checkClassName(name: string): string | null {
  const t = name.trim();
  if (t === '') return 'must not be empty';
  if (t.length > 200) return 'must be at most 200 characters';
  return null;
}

/** '#rrggbb' (what <input type="color"> gives) -> [r, g, b]; null for anything else. */
export function hexToRgb(hex: string): Color | null {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex.trim());
  if (!m) return null;
  return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
}

export function rgbToHex(rgb: readonly number[]): string {
  return `#${rgb
    .slice(0, 3)
    .map((c) => Math.max(0, Math.min(255, Math.round(c))).toString(16).padStart(2, '0'))
    .join('')}`;
}
