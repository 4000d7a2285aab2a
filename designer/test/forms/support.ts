import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { compileForm, FormError } from '../../../engine/src/index.ts';
import type { FormComponent, FormDefinition } from '../../src/forms/types.ts';

/** The forms Attest ships and the engine's own form fixtures: what the builder must open and save as is. */
export async function shippedForms(): Promise<{ name: string; definition: FormDefinition }[]> {
  const forms: { name: string; definition: FormDefinition }[] = [];
  const read = async (url: URL) => JSON.parse(await readFile(url, 'utf8')) as FormDefinition;
  for (const template of ['deviation', 'capa']) {
    const dir = new URL(`../../../templates/${template}/v1.0.0/forms/`, import.meta.url);
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort())
      forms.push({ name: `${template}/${file}`, definition: await read(new URL(file, dir)) });
  }
  for (const file of ['dispensing.json', 'granulation.json', 'deviationReport.json'])
    forms.push({
      name: `engine fixture ${file}`,
      definition: await read(new URL(`../../../engine/test/forms/fixtures/${file}`, import.meta.url)),
    });
  return forms;
}

/** The problems a definition is refused with; fails when it compiles. */
export function refusal(definition: unknown): FormError {
  try {
    compileForm(definition);
  } catch (error) {
    assert.ok(error instanceof FormError, `expected a FormError, got ${String(error)}`);
    return error;
  }
  assert.fail(`the form compiled: ${JSON.stringify(definition)}`);
}

/** formio.js's edit forms write a field keyed `attest.limits.alert.min` into that nested path. */
export function withEditFormValues(component: FormComponent, values: Record<string, unknown>): FormComponent {
  const out = structuredClone(component) as Record<string, unknown>;
  for (const [path, value] of Object.entries(values)) {
    const segments = path.split('.');
    let node = out;
    for (const segment of segments.slice(0, -1)) {
      if (node[segment] === null || typeof node[segment] !== 'object') node[segment] = {};
      node = node[segment] as Record<string, unknown>;
    }
    node[segments[segments.length - 1]!] = value;
  }
  return out as FormComponent;
}

/** Every field (edit-form JSON) of an edit-form tab, layout included, depth first. */
export function fieldsOf(components: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const c of list as Record<string, unknown>[]) {
      out.push(c);
      walk(c.components);
      if (Array.isArray(c.columns))
        for (const col of c.columns as { components?: unknown }[]) walk(col.components);
    }
  };
  walk(components);
  return out;
}

const CHOICES = [
  { label: 'Yes', value: 'yes' },
  { label: 'No', value: 'no' },
];

/** The least a component of a type needs to compile (choices listed, a calculation, a unit…). */
export function minimalComponent(type: string, key = `${type}Field`): FormComponent {
  const base: FormComponent = { type, key, label: `A ${type}`, input: true };
  switch (type) {
    case 'select':
      return { ...base, dataSrc: 'values', data: { values: CHOICES } };
    case 'radio':
    case 'selectboxes':
      return { ...base, values: CHOICES };
    case 'measuredValue':
      return { ...base, attest: { unit: 'g' } };
    case 'calculatedValue':
      return { ...base, attest: { calculate: '1 + 1' } };
    case 'panel':
    case 'fieldset':
    case 'well':
    case 'container':
    case 'datagrid':
    case 'editgrid':
      return { ...base, components: [minimalComponent('textfield', `${key}Inner`)] };
    case 'columns':
      return { ...base, columns: [{ components: [minimalComponent('textfield', `${key}Inner`)] }] };
    case 'tabs':
      return {
        ...base,
        components: [
          { key: 'tab1', label: 'Tab', components: [minimalComponent('textfield', `${key}Inner`)] },
        ],
      };
    case 'content':
      return { type, key, input: false, html: '<p>Do this.</p>' };
    case 'htmlelement':
      return { type, key, input: false, tag: 'p', content: 'Do this.' };
    case 'button':
      return { type, key, label: 'Submit', action: 'submit', input: true };
    default:
      return base;
  }
}

/** A definition of one component, with a text field beside it when it holds no input of its own. */
export const formOf = (...components: FormComponent[]): FormDefinition => ({
  components: [...components, minimalComponent('textfield', 'companion')],
});
