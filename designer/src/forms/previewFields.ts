import type { Band, FieldState } from '@attest/task-form';
import { limitValue, withoutInlineAttributes } from './attestOptions.ts';
import type { FormComponent } from './types.ts';

/**
 * The field list of the renderer contract, read from a definition in the browser, for the preview:
 * the step view's notes (unit, limits, critical, device), N/A inputs and error placement all work
 * from it. Pointers follow the compiler's data paths: containers nest, grids repeat (`*`), layout
 * does not count.
 */

const LAYOUT = new Set(['panel', 'fieldset', 'well', 'columns', 'tabs']);
const NOT_DATA = new Set(['content', 'htmlelement', 'button']);
const GRIDS = new Set(['datagrid', 'editgrid']);

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** A band the step view can print: numeric ends only (a FEEL limit is known once the record runs). */
function band(raw: unknown): Band | null {
  if (!isObject(raw)) return null;
  const end = (v: unknown) => {
    const n = limitValue(v);
    return typeof n === 'number' && Number.isFinite(n) ? n : null;
  };
  const b = { min: end(raw.min), max: end(raw.max) };
  return b.min === null && b.max === null ? null : b;
}

function field(c: FormComponent, type: string, path: string[]): FieldState {
  const a = isObject(c.attest) ? c.attest : {};
  const decimals =
    typeof a.decimals === 'number'
      ? a.decimals
      : type === 'currency'
        ? 2
        : type === 'number' && typeof c.decimalLimit === 'number'
          ? c.decimalLimit
          : null;
  const limits = isObject(a.limits)
    ? {
        alert: band(a.limits.alert),
        action: band(a.limits.action),
        reject: a.limits.reject === true,
        comment: a.limits.comment === true,
      }
    : null;
  const validate = isObject(c.validate) ? c.validate : {};
  return {
    pointer: `/${path.join('/')}`,
    key: c.key!,
    label: typeof c.label === 'string' && c.label.trim() ? c.label.trim() : c.key!,
    type,
    unit:
      typeof a.unit === 'string' && a.unit
        ? a.unit
        : type === 'currency'
          ? String(c.currency ?? 'USD')
          : null,
    decimals,
    required: validate.required === true,
    critical: a.critical === true,
    naAllowed: a.naAllowed === true,
    capture: a.capture === 'manual' || a.capture === 'device' ? a.capture : 'either',
    // A preview reads no device: values are typed in.
    device: null,
    calculated: type === 'calculatedValue',
    limits: limits && (limits.alert || limits.action) ? limits : null,
    locked: false,
    // A preview checks no lot or equipment: the gates are the server's, at the step.
    gate: null,
  };
}

/** The input fields of a definition, in document order. */
export function fieldStates(definition: { components?: unknown }): FieldState[] {
  const fields: FieldState[] = [];
  const walk = (components: unknown, path: string[]) => {
    if (!Array.isArray(components)) return;
    for (const raw of components) {
      if (!isObject(raw)) continue;
      const c = raw as FormComponent;
      const type = typeof c.type === 'string' ? c.type : '';
      if (NOT_DATA.has(type)) continue;
      if (type === 'columns') {
        for (const col of Array.isArray(c.columns) ? c.columns : []) walk(col?.components, path);
        continue;
      }
      if (type === 'tabs') {
        for (const tab of Array.isArray(c.components) ? c.components : []) walk(tab?.components, path);
        continue;
      }
      if (LAYOUT.has(type)) {
        walk(c.components, path);
        continue;
      }
      if (typeof c.key !== 'string' || !c.key) continue;
      const here = [...path, c.key];
      fields.push(field(c, type, here));
      if (type === 'container') walk(c.components, here);
      if (GRIDS.has(type)) walk(c.components, [...here, '*']);
    }
  };
  walk(definition.components, []);
  return fields;
}

/** Every value at a pointer template (`/samples/*\/mean` → each row's), with its own pointer. */
export function valuesAt(template: string, data: unknown): { pointer: string; value: unknown }[] {
  const segments = template.split('/').slice(1);
  const out: { pointer: string; value: unknown }[] = [];
  const visit = (node: unknown, i: number, pointer: string) => {
    if (i === segments.length) {
      if (node !== undefined) out.push({ pointer, value: node });
      return;
    }
    const segment = segments[i]!;
    if (segment === '*') {
      if (Array.isArray(node)) node.forEach((row, r) => visit(row, i + 1, `${pointer}/${r}`));
      return;
    }
    if (isObject(node)) visit(node[segment], i + 1, `${pointer}/${segment}`);
  };
  visit(data, 0, '');
  return out;
}

/**
 * The components the preview draws, as the server would hand them to the step view: instructions
 * without inline styles, HTML elements with only their classes (the compiler drops other attributes).
 */
export function forPreview(components: unknown): FormComponent[] {
  if (!Array.isArray(components)) return [];
  return components.filter(isObject).map((raw) => {
    const c = { ...(raw as FormComponent) };
    if (c.type === 'content' && typeof c.html === 'string') c.html = withoutInlineAttributes(c.html);
    if (c.type === 'htmlelement') {
      if (typeof c.content === 'string') c.content = withoutInlineAttributes(c.content);
      c.attrs = (Array.isArray(c.attrs) ? c.attrs : []).filter((a) => isObject(a) && a.attr === 'class');
    }
    if (c.type === 'tabs' && Array.isArray(c.components))
      c.components = c.components.map((tab) => ({ ...tab, components: forPreview(tab?.components) }));
    else if (Array.isArray(c.components)) c.components = forPreview(c.components);
    if (Array.isArray(c.columns))
      c.columns = c.columns.map((col) => ({ ...col, components: forPreview(col?.components) }));
    return c;
  });
}
