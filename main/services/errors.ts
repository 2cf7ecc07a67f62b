/** Maps engine failures onto the contract's typed errors. */
import { z } from 'zod';
import type { EngineError } from '../../ipc/contract.ts';
import { errorFromZod } from '../../ipc/contract.ts';
import { InputError, errorMessage } from '../util/errors.ts';

/** Something the request names (a volume, a job, a project) does not exist. */
export class NotFoundError extends Error {
  readonly subject: string;
  constructor(subject: string, message: string) {
    super(message);
    this.name = 'NotFoundError';
    this.subject = subject;
  }
}

/** The typed error a transport sends for a thrown value. Internal errors keep their message (the engine is local). */
export function toEngineError(error: unknown): EngineError {
  if (error instanceof NotFoundError) return { code: 'not_found', message: error.message, field: error.subject };
  if (error instanceof InputError) return { code: 'input_error', message: error.message, field: error.subject };
  if (error instanceof z.ZodError) return errorFromZod(error, 'params', 'input_error');
  return { code: 'internal', message: errorMessage(error) };
}
