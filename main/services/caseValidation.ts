/**
 * Per-file checks of a case before it is imported, for the import dialog: each file is recognised and its header read
 * (streaming readers read only the header; others read the file), images must share the first image's grid, a label
 * must be one integer component on that grid. A streamed file is also checked for truncation without decoding it (see
 * dataCompleteness.ts). Voxel-level checks of a label (values >= 0, at most MAX_LABEL_VALUES distinct) need every
 * voxel and are left to the import itself, which fails without changing the project.
 */
import path from 'node:path';
import type { FileCheck, VolumeRole } from '../../ipc/contract.ts';
import { streamVolume } from '../io/registry.ts';
import { checkDataComplete } from './dataCompleteness.ts';
import { errorMessage, isInputError } from '../util/errors.ts';
import { isIntegerDType } from '../volume/dtype.ts';
import { gridDifferences, type Geometry, type VolumeHeader } from '../volume/volume.ts';

async function header(file: string): Promise<{ format: string; header: VolumeHeader }> {
  const stream = await streamVolume(file);
  await checkDataComplete(file, stream);
  return { format: stream.format, header: stream.header };
}

function problemOf(error: unknown): string {
  // An InputError's subject is the file, which the check names already.
  return isInputError(error) ? error.problem : errorMessage(error);
}

async function checkFile(file: string, role: VolumeRole, grid: Geometry | null): Promise<{ check: FileCheck; header: VolumeHeader | null }> {
  const abs = path.resolve(file);
  try {
    const { format, header: h } = await header(abs);
    const check: FileCheck = {
      path: abs,
      role,
      ok: true,
      format,
      shape: [...h.shape],
      components: h.components,
      dtype: h.dtype,
      spacing: [...h.spacing],
    };
    const problems: string[] = [];
    if (role === 'label') {
      if (!isIntegerDType(h.dtype)) problems.push(`a label map must hold integers, this file holds ${h.dtype}`);
      if (h.components !== 1) problems.push(`a label map has one component, this file has ${h.components}`);
    }
    if (grid) {
      const differences = gridDifferences(h, grid);
      if (differences.length > 0) problems.push(`not on the first image's grid (${differences.join('; ')})`);
    }
    if (problems.length > 0) Object.assign(check, { ok: false, problem: problems.join('; ') });
    return { check, header: h };
  } catch (error) {
    return { check: { path: abs, role, ok: false, problem: problemOf(error) }, header: null };
  }
}

/** One check per file: the images in order, then the label. */
export async function validateCaseFiles(images: readonly string[], label?: string): Promise<{ ok: boolean; files: FileCheck[] }> {
  const files: FileCheck[] = [];
  let grid: Geometry | null = null;
  for (const [i, image] of images.entries()) {
    const { check, header: h } = await checkFile(image, 'image', i === 0 ? null : grid);
    if (i === 0 && h) grid = h;
    files.push(check);
  }
  if (label !== undefined) files.push((await checkFile(label, 'label', grid)).check);
  return { ok: files.every((f) => f.ok), files };
}
