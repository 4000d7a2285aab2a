import type { FormComponent, FormDefinition } from './types.ts';

/**
 * The definition as QA wrote it, out of what formio.js's builder holds. formio.js fills every
 * component with its defaults in place (`validate.minWords: ''`, `persistent: true`, an `id` …),
 * some of which the engine refuses and all of which would show as changes. What survives:
 * - a component QA has not edited comes back as it was opened, byte for byte (formio.js also
 *   writes what it works out as it draws, a date's widget, a checkbox list's input type);
 * - an edited one keeps what it had where that still holds, and adds what differs from formio.js's
 *   defaults for its type, which is what QA set.
 */

/** The component a builder component started as, if it was opened rather than added. */
export type OriginalOf = (component: object) => FormComponent | undefined;
/** formio.js's defaults for a component type (its `schema()`); an empty object when unknown. */
export type DefaultsOf = (type: string | undefined) => Record<string, unknown>;
/** Whether QA saved the component's settings in its edit dialog since it was opened. */
export type EditedOf = (component: object) => boolean;

export interface Sources {
  originalOf: OriginalOf;
  defaultsOf: DefaultsOf;
  edited: EditedOf;
}

/** Bookkeeping formio.js writes into components and columns as it draws them. */
const BUILDER_KEYS = new Set(['id', 'keyModified', 'isNew', 'currentWidth']);
/** Kept on an added component even where they match the defaults: what formio.js itself keeps. */
const ALWAYS = new Set(['type', 'key', 'label', 'input']);

const isPlain = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  if (isPlain(a) && isPlain(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]))
    );
  }
  return false;
}

const blank = (value: unknown): boolean =>
  value === '' ||
  value === null ||
  value === false ||
  (Array.isArray(value) &&
    value.every((item) => (isPlain(item) ? Object.values(item).every(blank) : blank(item))));

/** A setting not in the original: kept where it is not formio.js's default. */
function added(value: unknown, fallback: unknown): unknown {
  if (isPlain(value)) {
    const out = settings(value, undefined, isPlain(fallback) ? fallback : {});
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (deepEqual(value, fallback)) return undefined;
  // formio.js's edit forms write their own fields' blanks (off, empty, a grid's empty row) into every component.
  if (fallback === undefined && blank(value)) return undefined;
  return value;
}

/** One object's settings (nested ones too), original keys first in their order. */
function settings(
  current: Record<string, unknown>,
  original: Record<string, unknown> | undefined,
  defaults: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = original
    ? [...Object.keys(original), ...Object.keys(current).filter((k) => !Object.hasOwn(original, k))]
    : Object.keys(current);
  for (const key of keys) {
    if (!Object.hasOwn(current, key)) continue;
    const value = current[key];
    if (original && Object.hasOwn(original, key)) {
      const was = original[key];
      if (deepEqual(value, was)) out[key] = was;
      else if (isPlain(value) && isPlain(was))
        out[key] = settings(value, was, isPlain(defaults[key]) ? defaults[key] : {});
      else out[key] = value;
      continue;
    }
    if (BUILDER_KEYS.has(key)) continue;
    const kept = added(value, defaults[key]);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

/** The components of a list as authored, nested lists (panels, columns, tabs, grids) included. */
export function authoredComponents(components: unknown, sources: Sources): FormComponent[] {
  if (!Array.isArray(components)) return [];
  return components.map((c) => authoredComponent(c as FormComponent, sources));
}

/** An object's settings without its nested lists (components, columns). */
function withoutLists(object: object | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...object };
  delete out.components;
  delete out.columns;
  return out;
}

/** A component's own settings as authored (its nested lists aside). */
function ownSettings(current: FormComponent, original: FormComponent | undefined, sources: Sources) {
  const was = withoutLists(original);
  // Untouched: as opened. The builder changes its key alone, to keep keys unique where it is dropped.
  if (original && !sources.edited(current))
    return Object.hasOwn(was, 'key') && current.key !== was.key ? { ...was, key: current.key } : was;
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(current)) {
    if (key === 'components' || key === 'columns') continue;
    // formio.js's own ids go; one the original carried stays.
    if (BUILDER_KEYS.has(key) && !(original && Object.hasOwn(original, key))) continue;
    own[key] = value;
  }
  const out = settings(own, original, sources.defaultsOf(current.type));
  if (!original)
    for (const key of ALWAYS) if (Object.hasOwn(own, key) && !Object.hasOwn(out, key)) out[key] = own[key];
  return out;
}

function authoredComponent(current: FormComponent, sources: Sources): FormComponent {
  const original = sources.originalOf(current);
  const out: Record<string, unknown> = ownSettings(current, original, sources);
  if (Array.isArray(current.components)) {
    // A tab is not a component, but lists its components the same way.
    out.components = current.components.map((c) =>
      Array.isArray(c.components) && c.type === undefined
        ? authoredTab(c, sources)
        : authoredComponent(c, sources),
    );
  }
  if (Array.isArray(current.columns)) {
    const columns = original?.columns;
    const defaults = sources.defaultsOf(current.type);
    const columnDefaults = (Array.isArray(defaults.columns) ? defaults.columns[0] : undefined) as
      Record<string, unknown> | undefined;
    out.columns = current.columns.map((col, i) => {
      const { components, ...rest } = col;
      const was = Array.isArray(columns) ? columns[i] : undefined;
      return {
        ...settings(rest, isPlain(was) ? withoutLists(was) : undefined, columnDefaults ?? {}),
        components: authoredComponents(components, sources),
      };
    });
  }
  return orderedAs(out, original, current);
}

function authoredTab(tab: FormComponent, sources: Sources): FormComponent {
  const { components, ...rest } = tab;
  const original = sources.originalOf(tab);
  return orderedAs(
    {
      ...settings(rest, original ? withoutLists(original) : undefined, {}),
      components: authoredComponents(components, sources),
    },
    original,
    tab,
  );
}

/** Keys in the order the original had them (then the builder's), so a saved form reads as before. */
function orderedAs(
  out: Record<string, unknown>,
  original: object | undefined,
  current: object,
): FormComponent {
  const order = [...Object.keys(original ?? {}), ...Object.keys(current)];
  const sorted: Record<string, unknown> = {};
  for (const key of order) if (Object.hasOwn(out, key) && !Object.hasOwn(sorted, key)) sorted[key] = out[key];
  for (const key of Object.keys(out)) if (!Object.hasOwn(sorted, key)) sorted[key] = out[key];
  return sorted as FormComponent;
}

/** The definition as authored: the original's own properties (title, display …) and its components. */
export function authoredDefinition(
  form: { components?: unknown },
  original: Record<string, unknown> | undefined,
  sources: Sources,
): FormDefinition {
  return {
    ...withoutLists(original ?? { display: 'form' }),
    components: authoredComponents(form.components, sources),
  };
}

/**
 * The values formio.js's edit form gives its fields before QA touches them (`applyMaskOn: 'change'`
 * …), by data path: with the class's defaults, what a component holds without QA having set it.
 */
export function editFormDefaults(editForm: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const field of list) {
      if (!isPlain(field)) continue;
      if (field.input === true && typeof field.key === 'string' && Object.hasOwn(field, 'defaultValue')) {
        const path = field.key.split('.');
        let node = out;
        for (const segment of path.slice(0, -1))
          node = (node[segment] = isPlain(node[segment]) ? node[segment] : {}) as Record<string, unknown>;
        if (!Object.hasOwn(node, path[path.length - 1]!)) node[path[path.length - 1]!] = field.defaultValue;
      }
      walk(field.components);
      if (Array.isArray(field.columns))
        for (const col of field.columns) walk(isPlain(col) ? col.components : undefined);
    }
  };
  walk(isPlain(editForm) ? editForm.components : editForm);
  return out;
}

/** A type's defaults: its class's, then its edit form's where the class says nothing. */
export function withDefaults(
  schema: Record<string, unknown>,
  fallback: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...schema };
  for (const [key, value] of Object.entries(fallback)) {
    if (!Object.hasOwn(out, key)) out[key] = value;
    else if (isPlain(out[key]) && isPlain(value))
      out[key] = withDefaults(out[key] as Record<string, unknown>, value);
  }
  return out;
}
