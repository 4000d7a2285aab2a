import type { MessageKey } from './i18n/en.ts';
import type { Band, FieldState, FormioComponent, Submission, TaskForm, ValueState } from './contract.ts';

/**
 * The renderer contract turned into what formio.js draws: locked fields disabled, units and limits
 * under each field, values changed after entry marked, and N/A with a reason as two small inputs
 * beside each field that allows it. Everything GMP is written into the component JSON, so formio.js
 * keeps it through its own redraws. Pure: no DOM, no formio.js; texts come from the caller's `t`.
 */

/** The app's translation function (i18n `t`), handed in. */
export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/** Keys of the N/A inputs beside a field; they never reach the server. */
export const NA = 'attestNa__';
export const NA_REASON = 'attestNaReason__';

const LAYOUT_WITH_COMPONENTS = new Set(['panel', 'fieldset', 'well', 'tabs', 'table']);
const GRIDS = new Set(['datagrid', 'editgrid']);

/** `/actions/0/owner` → `/actions/*\/owner`: the field a value of a grid row belongs to. */
export const templateOf = (pointer: string) => pointer.replace(/\/\d+(?=\/|$)/g, '/*');

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A number as the field shows it: its decimals when it has them. */
export function formatNumber(value: number, decimals: number | null): string {
  return decimals === null ? String(value) : value.toFixed(decimals);
}

function bandText(band: Band, field: FieldState): string {
  const unit = field.unit ? ` ${field.unit}` : '';
  const n = (v: number) => formatNumber(v, field.decimals);
  if (band.min !== null && band.max !== null) return `${n(band.min)}–${n(band.max)}${unit}`;
  if (band.min !== null) return `≥ ${n(band.min)}${unit}`;
  return `≤ ${n(band.max!)}${unit}`;
}

/** What the operator reads under a field: unit, limits, whether it is critical, locked or calculated. */
export function gmpNotes(field: FieldState, t: Translate): string[] {
  const notes: string[] = [];
  const limits = field.limits;
  if (limits?.alert) notes.push(t('step.alertLimits', { band: bandText(limits.alert, field) }));
  if (limits?.action)
    notes.push(
      t(limits.reject ? 'step.rejectLimits' : 'step.actionLimits', { band: bandText(limits.action, field) }),
    );
  if (!limits && field.unit) notes.push(t('step.unit', { unit: field.unit }));
  if (field.calculated) notes.push(t('step.calculated'));
  if (field.critical) notes.push(t('step.critical'));
  if (field.capture === 'device') notes.push(t('step.fromDevice'));
  return notes;
}

/**
 * What the operator reads at a number outside the field's action limits as it is typed: the
 * limits, and that the value raises an exception (or, where the limits reject, is refused).
 * Null for a value within them, for no number, or for a field without action limits.
 */
export function limitBreach(field: FieldState, value: unknown, t: Translate): string | null {
  const limits = field.limits;
  const band = limits?.action;
  if (!band || typeof value !== 'number' || !Number.isFinite(value)) return null;
  if ((band.min === null || value >= band.min) && (band.max === null || value <= band.max)) return null;
  return t(limits.reject ? 'step.rejectLimits' : 'step.outsideAction', { band: bandText(band, field) });
}

/** How a value reads in a note: numbers with the field's decimals, N/A, nothing. */
export function valueText(value: unknown, field: FieldState | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'number') return formatNumber(value, field?.decimals ?? null);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function changeNote(value: ValueState, field: FieldState, t: Translate): string {
  return value.changeReason
    ? t('step.changedWithReason', {
        original: valueText(value.originalValue, field),
        reason: value.changeReason,
      })
    : t('step.changed', { original: valueText(value.originalValue, field) });
}

/** The formio.js components for a task's form. */
export function formDefinition(contract: TaskForm, t: Translate): FormioComponent[] {
  const fields = new Map(contract.fields.map((f) => [f.pointer, f]));
  const values = new Map(contract.values.map((v) => [v.pointer, v]));

  const input = (component: FormioComponent, path: string[]): FormioComponent[] => {
    // A select is the device's own picker (large, touch-friendly); its values are listed, never loaded.
    const c = component.type === 'select' ? { ...component, widget: 'html5', lazyLoad: false } : component;
    const field = fields.get(`/${[...path, c.key].join('/')}`);
    if (!field) return [c];
    const copy: FormioComponent = { ...c };
    if (field.locked) copy.disabled = true;
    if (field.unit && !copy.suffix && ['number', 'textfield', 'currency'].includes(String(c.type)))
      copy.suffix = field.unit;
    const value = path.includes('*') ? undefined : values.get(field.pointer);
    const notes = gmpNotes(field, t).map((n) => `<span class="attest-note">${escapeHtml(n)}</span>`);
    if (value?.changedAfterEntry) {
      notes.push(
        `<span class="attest-note attest-changed">${escapeHtml(changeNote(value, field, t))}</span>`,
      );
      copy.customClass = `${copy.customClass ?? ''} attest-changed-field`.trim();
    }
    if (notes.length > 0) {
      const own = typeof c.description === 'string' && c.description ? `${c.description}<br>` : '';
      copy.description = `${own}${notes.join(' ')}`;
    }
    if (!field.naAllowed) return [copy];
    // N/A: a checkbox beside the field and, once ticked, a reason; the field itself steps aside.
    const scope = path.filter((s) => s !== '*');
    const ticked = {
      component: [...scope, `${NA}${c.key}`].join('.'),
      operator: 'isEqual',
      value: true,
    };
    const own = c.conditional;
    const hasOwn = Array.isArray(own?.conditions) && own.conditions.length > 0;
    if (!hasOwn) copy.conditional = { show: false, conjunction: 'all', conditions: [ticked] };
    else if (own?.show === true && own.conjunction === 'all')
      copy.conditional = { ...own, conditions: [...own.conditions!, { ...ticked, operator: 'isNotEqual' }] };
    return [
      copy,
      {
        type: 'checkbox',
        key: `${NA}${c.key}`,
        label: t('step.na', { label: field.label }),
        input: true,
        customClass: 'attest-na',
        ...(c.conditional ? { conditional: c.conditional } : {}),
      },
      {
        type: 'textfield',
        key: `${NA_REASON}${c.key}`,
        label: t('step.naReason'),
        input: true,
        customClass: 'attest-na-reason',
        validate: { maxLength: 1000 },
        conditional: { show: true, conjunction: 'all', conditions: [ticked] },
      },
    ];
  };

  const walk = (components: FormioComponent[] | undefined, path: string[]): FormioComponent[] =>
    (components ?? []).flatMap((c) => {
      const type = String(c.type ?? '');
      if (type === 'button') return [];
      if (type === 'columns')
        return [
          {
            ...c,
            columns: (c.columns ?? []).map((col) => ({ ...col, components: walk(col.components, path) })),
          },
        ];
      if (type === 'tabs')
        return [
          {
            ...c,
            components: (c.components ?? []).map((tab) => ({
              ...tab,
              components: walk(tab.components, path),
            })),
          },
        ];
      if (LAYOUT_WITH_COMPONENTS.has(type)) return [{ ...c, components: walk(c.components, path) }];
      if (type === 'container')
        return [...input({ ...c, components: walk(c.components, [...path, c.key!]) }, path)];
      if (GRIDS.has(type))
        return [...input({ ...c, components: walk(c.components, [...path, c.key!, '*']) }, path)];
      return input(c, path);
    });

  return walk(contract.form.components, []);
}

/** Whether a form has date or time fields (formio.js's calendar needs time-zone data for them). */
export function usesDates(components: FormioComponent[]): boolean {
  return components.some(
    (c) =>
      c.type === 'datetime' ||
      usesDates(c.components ?? []) ||
      (c.columns ?? []).some((col) => usesDates(col.components ?? [])),
  );
}

/** Walks to the object holding a pointer's last segment, making objects and arrays on the way. */
function parentOf(data: Record<string, unknown>, pointer: string): [Record<string, unknown>, string] {
  const segments = pointer.slice(1).split('/');
  let node: Record<string, unknown> = data;
  segments.slice(0, -1).forEach((s, i) => {
    const next = node[s];
    if (next === null || typeof next !== 'object') node[s] = /^\d+$/.test(segments[i + 1]!) ? [] : {};
    node = node[s] as Record<string, unknown>;
  });
  return [node, segments[segments.length - 1]!];
}

/** The data formio.js starts from: the current values, and N/A answers as their two inputs. */
export function initialData(contract: TaskForm): Record<string, unknown> {
  const data = structuredClone(contract.data);
  for (const v of contract.values) {
    if (v.naReason === null) continue;
    const [parent, key] = parentOf(data, v.pointer);
    delete parent[key];
    parent[`${NA}${key}`] = true;
    parent[`${NA_REASON}${key}`] = v.naReason;
  }
  return data;
}

/** What formio.js holds, as the API takes it: the data without the N/A inputs, and N/A by pointer. */
export function submissionOf(formData: Record<string, unknown>): Submission {
  const data = structuredClone(formData);
  const na: Record<string, string> = {};
  const visit = (node: unknown, pointer: string) => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, `${pointer}/${i}`));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const object = node as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      if (key.startsWith(NA_REASON)) continue;
      if (key.startsWith(NA)) {
        const field = key.slice(NA.length);
        if (object[key] === true) {
          na[`${pointer}/${field}`] = String(object[`${NA_REASON}${field}`] ?? '').trim();
          delete object[field];
        }
        continue;
      }
      visit(object[key], `${pointer}/${key}`);
    }
    for (const key of Object.keys(object))
      if (key.startsWith(NA) || key.startsWith(NA_REASON)) delete object[key];
  };
  visit(data, '');
  return { data, na };
}

const pathOf = (pointer: string) =>
  pointer
    .slice(1)
    .split('/')
    .reduce((path, s) => (/^\d+$/.test(s) ? `${path}[${s}]` : path ? `${path}.${s}` : s), '');

/**
 * The formio.js path of the component an error points at: `/actions/0/owner` → `actions[0].owner`;
 * an N/A error (`/na/weight`) at its reason, a provenance error (`/sources/weight`) at the value.
 * Null for what no field shows: the reason for a change, the signature, the whole data.
 */
export function componentPath(pointer: string, fields: FieldState[]): string | null {
  const known = new Set(fields.map((f) => f.pointer));
  const field = (p: string) => known.has(templateOf(p));
  if (field(pointer)) return pathOf(pointer);
  if (pointer.startsWith('/na/') && field(pointer.slice(3))) {
    const at = pointer.slice(3);
    const cut = at.lastIndexOf('/');
    return pathOf(`${at.slice(0, cut)}/${NA_REASON}${at.slice(cut + 1)}`);
  }
  if (pointer.startsWith('/sources/') && field(pointer.slice(8))) return pathOf(pointer.slice(8));
  return null;
}
