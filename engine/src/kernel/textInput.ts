import { InputError } from './errors.ts';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text a person typed, checked where the engine takes it, whoever calls (API, CLI, a plugin):
 * present, not only spaces, not too long, and storable (PostgreSQL refuses NUL and lone surrogates).
 */
export function requireText(value: unknown, pointer: string, max: number): string {
  const text = typeof value === 'string' ? value.trim() : '';
  const fail = (keyword: string, message: string) => {
    throw new InputError(`${pointer.slice(1)} ${message}`, [{ pointer, keyword, message }]);
  };
  if (typeof value !== 'string') fail('type', 'must be text');
  if (text === '') fail('required', 'must not be empty');
  if (text.length > max) fail('maxLength', `must be at most ${max} characters long`);
  if (text.includes('\u0000') || LONE_SURROGATE.test(text))
    fail('format', 'contains characters that cannot be stored');
  return text;
}

/** Like requireText, but null (or nothing) is allowed. */
export function optionalText(value: unknown, pointer: string, max: number): string | null {
  return value === undefined || value === null || value === '' ? null : requireText(value, pointer, max);
}
