/** Job kind 'import': imports one case into a project (as `segstation import`), off the engine's event loop. */
import { z } from 'zod';
import { importCase } from '../../dataset/importCase.ts';
import type { JobContext } from '../jobs.ts';

export const ImportJobParams = z.strictObject({
  projectDir: z.string().min(1, 'must not be empty'),
  image: z.array(z.string().min(1, 'must not be empty')).min(1, 'needs at least one image'),
  label: z.string().min(1).optional(),
  caseId: z.string().min(1).optional(),
  domain: z.string().min(1).optional(),
  modality: z.array(z.string().min(1)).optional(),
  note: z.string().optional(),
});

export async function run(params: z.infer<typeof ImportJobParams>, job: JobContext): Promise<unknown> {
  const { projectDir, ...options } = ImportJobParams.parse(params);
  job.signal.throwIfAborted();
  // importCase has no progress hook and is atomic (a cancelled import leaves the project as it was): report start and end.
  job.progress(0, 1, `importing ${options.image.join(', ')}`);
  const result = await importCase(projectDir, options);
  job.progress(1, 1, `imported case ${result.case.id}`);
  return { caseId: result.case.id, addedClasses: result.addedClasses };
}
