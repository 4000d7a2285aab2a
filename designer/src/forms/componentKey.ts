/**
 * Keys the engine accepts (its compiler's rule): they name the values in the record, in FEEL and in
 * the API, so they stay ASCII whatever language the labels are in.
 */
export const KEY_PATTERN = '^[A-Za-z_][A-Za-z0-9_-]{0,99}$';

/**
 * The key of a new component from its label, as formio.js derives it (camel case), kept to what the
 * engine accepts: a label without Latin letters or digits (e.g. 批号) gives the component's type.
 */
export function keyFor(component: {
  label?: unknown;
  title?: unknown;
  placeholder?: unknown;
  type?: unknown;
}): string {
  const text = [component.title, component.label, component.placeholder].find(
    (v): v is string => typeof v === 'string' && v.trim() !== '',
  );
  const words = (text ?? '').match(/[A-Za-z0-9]+/g) ?? [];
  const key = words
    .map((w, i) =>
      i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1),
    )
    .join('')
    .replace(/^[0-9]+/, '')
    .slice(0, 100);
  if (key) return key;
  return typeof component.type === 'string' && /^[A-Za-z]/.test(component.type) ? component.type : 'field';
}
