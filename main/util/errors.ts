/**
 * Bad input from the user or from a file: a wrong path, a corrupt file, an invalid option. The CLI prints its message
 * on one line and exits with code 2. `subject` names the file or field, `problem` says what is wrong with it.
 */
export class InputError extends Error {
  readonly subject: string;
  readonly problem: string;
  constructor(subject: string, problem: string, options?: { cause?: unknown }) {
    super(`${subject}: ${problem}`, options);
    this.name = 'InputError';
    this.subject = subject;
    this.problem = problem;
  }
}

export function isInputError(error: unknown): error is InputError {
  return error instanceof InputError;
}

/** Message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
