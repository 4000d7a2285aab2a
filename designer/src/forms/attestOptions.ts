import type { FormComponent } from './types.ts';

/**
 * The `attest` block as the engine's compiler reads it, from what the GMP tab of the edit form
 * leaves: formio.js writes empty fields as '' or null, numbers typed into text fields as text, and
 * unticked boxes as false. Only what QA set survives, each value in the type the compiler expects;
 * anything else is kept as it is, for the server to judge.
 */

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const empty = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** A whole number typed into a field: the number; text that is not one stays for the server to refuse. */
function count(v: unknown): unknown {
  if (typeof v === 'string' && NUMBER.test(v.trim())) return Number(v.trim());
  return v;
}

/** A limit: a number, or FEEL over the form's values and the task's variables. */
export function limitValue(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const text = v.trim();
  return NUMBER.test(text) ? Number(text) : text;
}

function band(raw: unknown): unknown {
  if (!isObject(raw)) return raw;
  const out: Record<string, unknown> = {};
  for (const [end, value] of Object.entries(raw)) if (!empty(value)) out[end] = limitValue(value);
  return Object.keys(out).length > 0 ? out : undefined;
}

function limits(raw: unknown): unknown {
  if (!isObject(raw)) return raw;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'alert' || key === 'action') {
      const b = band(value);
      if (b !== undefined) out[key] = b;
    } else if (key === 'reject' || key === 'comment') {
      if (value === true) out[key] = true;
      else if (value !== false && !empty(value)) out[key] = value;
    } else if (!empty(value)) out[key] = value;
  }
  // Rejecting needs action limits; without them the box means nothing yet.
  if (out.reject === true && out.action === undefined) delete out.reject;
  if (out.comment === true && out.action === undefined && out.alert === undefined) delete out.comment;
  return Object.keys(out).length > 0 ? out : undefined;
}

const FLAGS = new Set(['critical', 'naAllowed', 'reasonForChange']);

/** The `attest` block cleaned; undefined when nothing is set. */
export function normalizeAttest(raw: unknown): Record<string, unknown> | undefined {
  if (!isObject(raw)) return raw === undefined || raw === null ? undefined : (raw as Record<string, unknown>);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (FLAGS.has(key)) {
      if (value === true) out[key] = true;
      else if (value !== false && !empty(value)) out[key] = value;
    } else if (key === 'decimals' || key === 'significantDigits') {
      if (!empty(value)) out[key] = count(value);
    } else if (key === 'limits') {
      const l = limits(value);
      if (l !== undefined) out.limits = l;
    } else if (key === 'capture') {
      // Either is what a field without the option does.
      if (!empty(value) && value !== 'either') out.capture = value;
    } else if (typeof value === 'string') {
      if (value.trim() !== '') out[key] = value.trim();
    } else if (!empty(value)) out[key] = value;
  }
  // Rounding applies to decimals or significant digits; alone it says nothing.
  if (out.decimals === undefined && out.significantDigits === undefined) delete out.rounding;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Instruction HTML without inline styles and event handlers: the server drops both, and the page's
 * CSP refuses both (reporting each as it parses them).
 */
export function withoutInlineAttributes(html: string): string {
  return html.replace(/\s(style|on[a-z]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, '');
}

/** A component as the edit form saves it, its GMP options as the compiler reads them. */
export function savedComponent(component: FormComponent): FormComponent {
  const attest = normalizeAttest(component.attest);
  if (attest === undefined) delete component.attest;
  else component.attest = attest;
  if (component.type === 'content' && typeof component.html === 'string')
    component.html = withoutInlineAttributes(component.html);
  if (component.type === 'htmlelement' && typeof component.content === 'string')
    component.content = withoutInlineAttributes(component.content);
  return component;
}
