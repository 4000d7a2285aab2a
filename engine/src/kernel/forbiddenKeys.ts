import { InputError } from './errors.ts';

/**
 * Names that reach an object's prototype when assigned (`obj[name] = …`, `Object.assign`, merges):
 * never a key of anything the engine stores, whoever sends it (API, template package, designer).
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export const isForbiddenKey = (name: string): boolean => FORBIDDEN_KEYS.has(name);

const escapePointer = (segment: string) => segment.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * The JSON pointer of the first forbidden key at any depth of a JSON value (object keys, and the
 * segments of keys that are themselves JSON pointers, such as value paths), or null. Iterative, so a
 * deeply nested value cannot exhaust the stack.
 */
export function findForbiddenKey(value: unknown, at = ''): string | null {
  const pending: [unknown, string][] = [[value, at]];
  while (pending.length > 0) {
    const [node, pointer] = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      node.forEach((item, i) => pending.push([item, `${pointer}/${i}`]));
      continue;
    }
    for (const key of Object.keys(node)) {
      const here = `${pointer}/${escapePointer(key)}`;
      if (isForbiddenKey(key) || (key.startsWith('/') && key.split('/').some(isForbiddenKey))) return here;
      pending.push([(node as Record<string, unknown>)[key], here]);
    }
  }
  return null;
}

/** Refuses a value holding a forbidden key anywhere, naming where (nothing is stored). */
export function refuseForbiddenKeys(value: unknown, what: string, at = ''): void {
  const pointer = findForbiddenKey(value, at);
  if (pointer === null) return;
  const message = `${[...FORBIDDEN_KEYS].join(', ')} cannot be used as a name`;
  throw new InputError(`${what}: ${message} (at ${pointer || '/'})`, [
    { pointer, keyword: 'propertyNames', message },
  ]);
}
