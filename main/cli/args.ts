import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../util/errors.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with errors turned into InputError (exit code 2, one line). */
export function parseCommandArgs<T extends Options>(command: string, argv: string[], options: T) {
  try {
    return parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>({
      args: argv,
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new InputError(`segstation ${command}`, (error as Error).message.split('\n')[0]);
  }
}

export function requireString(command: string, value: unknown, flag: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new InputError(`segstation ${command}`, `${flag} is required`);
  return value;
}

export function parseIntegerOption(command: string, value: unknown, flag: string, min: number): number {
  const text = requireString(command, value, flag);
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new InputError(`segstation ${command}`, `${flag} must be an integer >= ${min}, got '${text}'`);
  return n;
}
