import type { z } from 'zod';
import { InputError } from '../util/errors.ts';

/** Validates API options with a zod schema; a failure becomes an InputError naming the option. */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.length > 0 ? `${what}.${issue.path.map(String).join('.')}` : what;
  throw new InputError(field, issue.message);
}
