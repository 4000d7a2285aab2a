import { canonicalize } from '../../kernel/canonicalJson.ts';
import { InputError } from '../../kernel/errors.ts';
import { ExpressionError } from '../../feel/feel.ts';

/** Outside development mode processes come only from the template lifecycle. */
export const RAW_REFUSED =
  'Processes are deployed and started only through the template lifecycle (import, review, approval, ' +
  'effective version); deploying or starting a process directly needs development mode';

/** Variables are a JSON object; anything else is refused before it reaches an instance. */
export function checkVariables(variables: unknown, pointer = '/variables'): Record<string, unknown> {
  if (variables === undefined) return {};
  if (variables === null || typeof variables !== 'object' || Array.isArray(variables)) {
    throw new InputError('Variables must be a JSON object', [
      { pointer, keyword: 'type', message: 'must be an object' },
    ]);
  }
  try {
    if (canonicalize(variables).length > 1_000_000) {
      throw new InputError('Variables are too large', [
        { pointer, keyword: 'maxLength', message: 'must be under 1 MB as JSON' },
      ]);
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError('Variables must be JSON values', [
      { pointer, keyword: 'type', message: (error as Error).message },
    ]);
  }
  return variables as Record<string, unknown>;
}

/** An expression the model evaluates on a person's input failed: the input is refused, nothing changes. */
export function refused<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    throw new InputError(`${what}: ${error.message}`, [
      { pointer: '/variables', keyword: 'feel', message: error.message },
    ]);
  }
}

/** A reason the act needs, missing. */
export function reasonRequired(what: string): InputError {
  return new InputError(`A reason is required ${what}`, [
    { pointer: '/reason', keyword: 'required', message: `is required ${what}` },
  ]);
}

/** A message or signal name: required text. */
export function eventName(value: unknown, pointer: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InputError('A name is required', [
      { pointer, keyword: 'required', message: 'must be a non-empty name' },
    ]);
  }
  return value.trim();
}
