import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { compileForm, FormError } from '../../src/forms/compiler.ts';
import { FormRuntime } from '../../src/forms/pipeline.ts';
import type { CompiledForm, FormioComponent, JsonSchema } from '../../src/forms/types.ts';
import { InputError } from '../../src/kernel/errors.ts';

const fixture = async (name: string): Promise<unknown> =>
  JSON.parse(await readFile(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));

const compile = (...components: FormioComponent[]): CompiledForm => compileForm({ components });

/** The schema of one property of an object schema. */
const prop = (schema: JsonSchema, key: string): JsonSchema => {
  const properties = schema.properties as Record<string, JsonSchema>;
  assert.ok(key in properties, `no property "${key}" in ${JSON.stringify(Object.keys(properties))}`);
  return properties[key]!;
};

/** The FormError a form is refused with; fails when it compiles or fails otherwise. */
function refusal(definition: unknown): FormError {
  let error: unknown;
  try {
    compileForm(definition);
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, 'the form compiled');
  assert.ok(error instanceof FormError, `expected a FormError, got ${String(error)}`);
  assert.ok(error instanceof InputError);
  return error;
}

/** Refuses a form of these components with exactly one problem, naming the key, and returns it. */
function refused(components: FormioComponent[], key: string, feature: RegExp) {
  const error = refusal({ components });
  assert.equal(error.errors.length, 1, JSON.stringify(error.errors));
  const [problem] = error.errors;
  assert.ok(problem!.message.startsWith(`Component "${key}": `), problem!.message);
  assert.match(problem!.message, feature);
  assert.match(error.message, /^The form cannot be imported: /);
  return problem!;
}

const choices = [
  { label: 'Yes', value: 'yes' },
  { label: 'No', value: 'no' },
];

describe('Feature: compiling Form.io forms into JSON Schema', () => {
  describe('Scenario: each supported component type gives its schema fragment', () => {
    it('E4: a textfield carries required, minLength, maxLength and pattern', () => {
      const { schema, fields } = compile({
        type: 'textfield',
        key: 'batch',
        label: ' Batch number ',
        validate: { required: true, minLength: 3, maxLength: 12, pattern: '^B-[0-9]+$' },
      });
      assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
      assert.equal(schema.type, 'object');
      assert.equal(schema.additionalProperties, false);
      assert.deepEqual(schema.required, ['batch']);
      assert.deepEqual(prop(schema, 'batch'), {
        type: 'string',
        minLength: 3,
        maxLength: 12,
        pattern: '^B-[0-9]+$',
        'x-attest': { type: 'textfield' },
        title: 'Batch number',
      });
      assert.equal(fields.length, 1);
      assert.equal(fields[0]!.label, 'Batch number');
      assert.equal(fields[0]!.pointer, '/batch');
      assert.equal(fields[0]!.valueType, 'string');
      assert.equal(fields[0]!.required, true);
    });

    it('E4: a textfield with an invalid regular expression is refused', () => {
      const problem = refused(
        [{ type: 'textfield', key: 'code', validate: { pattern: '([a-z' } }],
        'code',
        /pattern .* is not a valid regular expression/,
      );
      assert.equal(problem.keyword, 'pattern');
    });

    it('Scenario: a textarea is a string with its lengths; a label-less field is titled by its key', () => {
      const { schema } = compile({ type: 'textarea', key: 'notes', validate: { maxLength: 2000 } });
      assert.deepEqual(prop(schema, 'notes'), {
        type: 'string',
        maxLength: 2000,
        'x-attest': { type: 'textarea' },
        title: 'notes',
      });
      assert.deepEqual(schema.required, []);
    });

    it('E4: a number maps validate.min and max to minimum and maximum', () => {
      const { schema, fields } = compile({
        type: 'number',
        key: 'count',
        label: 'Count',
        validate: { min: 1, max: 10, required: true },
      });
      assert.deepEqual(prop(schema, 'count'), {
        type: 'number',
        minimum: 1,
        maximum: 10,
        'x-attest': { type: 'number' },
        title: 'Count',
      });
      assert.deepEqual(schema.required, ['count']);
      assert.equal(fields[0]!.valueType, 'number');
    });

    it('E4: a number with a Form.io decimalLimit refuses values with more decimals', () => {
      const { schema, fields } = compile({ type: 'number', key: 'n', decimalLimit: 2 });
      assert.deepEqual(prop(schema, 'n')['x-attest'], { type: 'number', decimals: 2, rounding: 'refuse' });
      assert.equal(fields[0]!.rounding, 'refuse');
    });

    it('E7: a required checkbox must be checked (const true); an optional one is a boolean', () => {
      const { schema } = compile(
        { type: 'checkbox', key: 'confirmed', label: 'Confirmed', validate: { required: true } },
        { type: 'checkbox', key: 'optional' },
      );
      assert.deepEqual(prop(schema, 'confirmed'), {
        type: 'boolean',
        const: true,
        'x-attest': { type: 'checkbox' },
        title: 'Confirmed',
      });
      assert.deepEqual(prop(schema, 'optional'), {
        type: 'boolean',
        'x-attest': { type: 'checkbox' },
        title: 'optional',
      });
      assert.deepEqual(schema.required, ['confirmed']);
    });

    it('Scenario: a checkbox acting as a radio button is refused', () => {
      refused([{ type: 'checkbox', key: 'c', inputType: 'radio' }], 'c', /checkbox acting as a radio/);
    });

    it('E4: a select with static values is an enumeration of them', () => {
      const { schema, fields } = compile({
        type: 'select',
        key: 'area',
        label: 'Area',
        dataSrc: 'values',
        data: {
          values: [
            { label: 'Dispensing', value: 'dispensing' },
            { label: 'Packaging', value: 'packaging' },
          ],
        },
        validate: { required: true },
      });
      assert.deepEqual(prop(schema, 'area'), {
        enum: ['dispensing', 'packaging'],
        'x-attest': { type: 'select' },
        title: 'Area',
      });
      assert.deepEqual(schema.required, ['area']);
      assert.deepEqual(fields[0]!.choices, [
        { label: 'Dispensing', value: 'dispensing' },
        { label: 'Packaging', value: 'packaging' },
      ]);
      assert.equal(fields[0]!.valueType, 'string');
    });

    it('E4: a select of numeric values has a numeric value type', () => {
      const { schema, fields } = compile({
        type: 'select',
        key: 'shift',
        data: {
          values: [
            { label: 'Early', value: 1 },
            { label: 'Late', value: 2 },
          ],
        },
      });
      assert.deepEqual(prop(schema, 'shift').enum, [1, 2]);
      assert.equal(fields[0]!.valueType, 'number');
    });

    it('E4: a multiple select is an array of unique choices, at least one when required', () => {
      const { schema, fields } = compile({
        type: 'select',
        key: 'tests',
        label: 'Tests',
        multiple: true,
        data: {
          values: [
            { label: 'Assay', value: 'assay' },
            { label: 'pH', value: 'ph' },
          ],
        },
        validate: { required: true },
      });
      assert.deepEqual(prop(schema, 'tests'), {
        type: 'array',
        items: { enum: ['assay', 'ph'] },
        uniqueItems: true,
        minItems: 1,
        'x-attest': { type: 'select' },
        title: 'Tests',
      });
      assert.equal(fields[0]!.valueType, 'array');
      assert.equal(fields[0]!.items, true);
    });

    it('E4: a choice without listed values, or with a value missing, is refused', () => {
      const none = refused([{ type: 'select', key: 's', data: { values: [] } }], 's', /values listed/);
      assert.equal(none.keyword, 'values');
      refused(
        [{ type: 'radio', key: 'r', values: [{ label: 'Empty', value: '' }] }],
        'r',
        /label and a value/,
      );
    });

    it('E4: a radio is an enumeration of its values', () => {
      const { schema } = compile({
        type: 'radio',
        key: 'intact',
        label: 'Intact?',
        values: choices,
        validate: { required: true },
      });
      assert.deepEqual(prop(schema, 'intact'), {
        enum: ['yes', 'no'],
        'x-attest': { type: 'radio' },
        title: 'Intact?',
      });
      assert.deepEqual(schema.required, ['intact']);
    });

    it('E4: select boxes are an object of booleans; when required, at least one must be ticked (anyOf)', () => {
      const values = [
        { label: 'Quality', value: 'quality' },
        { label: 'Safety', value: 'safety' },
      ];
      const { schema, fields } = compile(
        { type: 'selectboxes', key: 'category', label: 'Category', values, validate: { required: true } },
        { type: 'selectboxes', key: 'optional', values },
      );
      assert.deepEqual(prop(schema, 'category'), {
        type: 'object',
        properties: { quality: { type: 'boolean' }, safety: { type: 'boolean' } },
        additionalProperties: false,
        anyOf: [
          { properties: { quality: { const: true } }, required: ['quality'] },
          { properties: { safety: { const: true } }, required: ['safety'] },
        ],
        'x-attest': { type: 'selectboxes' },
        title: 'Category',
      });
      assert.equal(prop(schema, 'optional').anyOf, undefined);
      assert.equal(fields[0]!.valueType, 'object');
    });

    it('E4: a datetime is a string in date-time format', () => {
      const { schema } = compile({ type: 'datetime', key: 'at', label: 'At', enableTime: true });
      assert.deepEqual(prop(schema, 'at'), {
        type: 'string',
        format: 'date-time',
        'x-attest': { type: 'datetime' },
        title: 'At',
      });
    });

    it('E4: a day is a string of the form dd/dd/dddd', () => {
      const { schema } = compile({ type: 'day', key: 'born' });
      assert.deepEqual(prop(schema, 'born'), {
        type: 'string',
        pattern: '^[0-9]{2}/[0-9]{2}/[0-9]{4}$',
        'x-attest': { type: 'day' },
        title: 'born',
      });
    });

    it('E4: a time is a string of hours and minutes, seconds optional', () => {
      const { schema } = compile({ type: 'time', key: 'start' });
      const pattern = new RegExp(prop(schema, 'start').pattern as string, 'u');
      assert.equal(prop(schema, 'start').type, 'string');
      for (const ok of ['00:00', '09:30', '23:59', '14:30:15']) assert.match(ok, pattern);
      for (const bad of ['24:00', '9:30', '12:60', '12:30:60', '12.30']) assert.doesNotMatch(bad, pattern);
    });

    it('E4: an email is a string in email format', () => {
      const { schema } = compile({ type: 'email', key: 'mail' });
      assert.deepEqual(prop(schema, 'mail'), {
        type: 'string',
        format: 'email',
        'x-attest': { type: 'email' },
        title: 'mail',
      });
    });

    it('E4: a url is a string in uri format', () => {
      const { schema } = compile({ type: 'url', key: 'link', validate: { maxLength: 500 } });
      assert.deepEqual(prop(schema, 'link'), {
        type: 'string',
        maxLength: 500,
        format: 'uri',
        'x-attest': { type: 'url' },
        title: 'link',
      });
    });

    it('E4: a currency is a number with the currency as unit and two decimals', () => {
      const { schema, fields } = compile(
        { type: 'currency', key: 'price', currency: 'EUR', validate: { min: 0 } },
        { type: 'currency', key: 'cost' },
      );
      assert.deepEqual(prop(schema, 'price'), {
        type: 'number',
        minimum: 0,
        'x-attest': { type: 'currency', unit: 'EUR', decimals: 2, rounding: 'halfUp' },
        title: 'price',
      });
      assert.equal(fields[1]!.unit, 'USD');
    });

    it('Scenario: a container is a nested object; required children make it required', () => {
      const { schema, fields } = compile(
        {
          type: 'container',
          key: 'operator',
          label: 'Operator',
          components: [
            { type: 'textfield', key: 'name', validate: { required: true } },
            { type: 'textfield', key: 'initials' },
          ],
        },
        { type: 'container', key: 'extra', components: [{ type: 'textfield', key: 'note' }] },
      );
      assert.deepEqual(prop(schema, 'operator'), {
        type: 'object',
        properties: {
          name: { type: 'string', 'x-attest': { type: 'textfield' }, title: 'name' },
          initials: { type: 'string', 'x-attest': { type: 'textfield' }, title: 'initials' },
        },
        required: ['name'],
        additionalProperties: false,
        title: 'Operator',
      });
      assert.deepEqual(schema.required, ['operator']);
      assert.deepEqual(
        fields.map((f) => [f.pointer, f.required]),
        [
          ['/operator/name', true],
          ['/operator/initials', false],
          ['/operator', true],
          ['/extra/note', false],
          ['/extra', false],
        ],
      );
    });

    it('Scenario: fieldset, panel, columns, tabs and well are layout only: their children land at the parent level', () => {
      const { schema, fields, render } = compile(
        { type: 'fieldset', key: 'fs', components: [{ type: 'textfield', key: 'a' }] },
        { type: 'panel', key: 'pn', title: 'Panel', components: [{ type: 'textfield', key: 'b' }] },
        {
          type: 'columns',
          key: 'cols',
          columns: [
            { width: 6, components: [{ type: 'textfield', key: 'c' }] },
            {
              width: 6,
              components: [{ type: 'well', key: 'wl', components: [{ type: 'number', key: 'd' }] }],
            },
          ],
        },
        {
          type: 'tabs',
          key: 'tb',
          components: [
            { key: 'tab1', label: 'One', components: [{ type: 'textfield', key: 'e' }] },
            { key: 'tab2', label: 'Two', components: [{ type: 'textfield', key: 'f' }] },
          ],
        },
        {
          type: 'container',
          key: 'box',
          components: [{ type: 'panel', key: 'inner', components: [{ type: 'textfield', key: 'g' }] }],
        },
      );
      assert.deepEqual(Object.keys(schema.properties as object), ['a', 'b', 'c', 'd', 'e', 'f', 'box']);
      assert.deepEqual(Object.keys(prop(schema, 'box').properties as object), ['g']);
      assert.deepEqual(
        fields.map((f) => f.pointer),
        ['/a', '/b', '/c', '/d', '/e', '/f', '/box/g', '/box'],
      );
      // The layout stays in what formio.js renders.
      const [fs, pn, cols, tb] = render.components;
      assert.equal(fs!.type, 'fieldset');
      assert.deepEqual(fs!.components, [{ type: 'textfield', key: 'a' }]);
      assert.equal(pn!.title, 'Panel');
      assert.deepEqual(cols!.columns, [
        { width: 6, components: [{ type: 'textfield', key: 'c' }] },
        { width: 6, components: [{ type: 'well', key: 'wl', components: [{ type: 'number', key: 'd' }] }] },
      ]);
      assert.deepEqual(tb!.components, [
        { key: 'tab1', label: 'One', components: [{ type: 'textfield', key: 'e' }] },
        { key: 'tab2', label: 'Two', components: [{ type: 'textfield', key: 'f' }] },
      ]);
    });

    it('Scenario: columns without a list of columns are refused', () => {
      refused([{ type: 'columns', key: 'cols', columns: 'two' }], 'cols', /columns must list its columns/);
    });

    it('E4: a datagrid is an array of row objects; validate.minLength and maxLength bound the rows', () => {
      const { schema, fields } = compile({
        type: 'datagrid',
        key: 'samples',
        label: 'Samples',
        validate: { minLength: 2, maxLength: 5 },
        components: [
          { type: 'textfield', key: 'id', validate: { required: true } },
          { type: 'number', key: 'weight' },
        ],
      });
      assert.deepEqual(prop(schema, 'samples'), {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            id: { type: 'string', 'x-attest': { type: 'textfield' }, title: 'id' },
            weight: { type: 'number', 'x-attest': { type: 'number' }, title: 'weight' },
          },
          required: ['id'],
          additionalProperties: false,
        },
        minItems: 2,
        maxItems: 5,
        title: 'Samples',
      });
      const id = fields.find((f) => f.key === 'id')!;
      assert.equal(id.pointer, '/samples/*/id');
      assert.deepEqual(id.path, ['samples', '*', 'id']);
      assert.deepEqual(id.grid, ['samples']);
      const grid = fields.find((f) => f.key === 'samples')!;
      assert.equal(grid.valueType, 'array');
      assert.equal(grid.items, true);
    });

    it('E7: a required editgrid needs at least one row', () => {
      const { schema } = compile({
        type: 'editgrid',
        key: 'rows',
        validate: { required: true },
        components: [{ type: 'textfield', key: 'x' }],
      });
      assert.equal(prop(schema, 'rows').type, 'array');
      assert.equal(prop(schema, 'rows').minItems, 1);
      assert.equal(prop(schema, 'rows').maxItems, undefined);
      assert.deepEqual(schema.required, ['rows']);
    });

    it('Scenario: a grid inside a grid is refused', () => {
      refused(
        [
          {
            type: 'datagrid',
            key: 'outer',
            components: [{ type: 'datagrid', key: 'inner', components: [{ type: 'textfield', key: 'x' }] }],
          },
        ],
        'inner',
        /grid inside a grid/,
      );
    });

    it('E3: a file is an array of attachment references {id uuid, name, size}, one unless multiple', () => {
      const { schema } = compile(
        { type: 'file', key: 'photo', validate: { required: true }, storage: 'url' },
        { type: 'file', key: 'docs', multiple: true },
      );
      const photo = prop(schema, 'photo');
      assert.equal(photo.type, 'array');
      assert.equal(photo.maxItems, 1);
      assert.equal(photo.minItems, 1);
      const item = photo.items as JsonSchema;
      assert.deepEqual(item.required, ['id', 'name', 'size']);
      assert.equal(item.additionalProperties, false);
      assert.deepEqual(prop(item, 'id'), { type: 'string', format: 'uuid' });
      assert.deepEqual(prop(item, 'size'), { type: 'integer', minimum: 0 });
      assert.equal(prop(item, 'name').type, 'string');
      assert.equal(prop(schema, 'docs').maxItems, undefined);
      assert.equal(prop(schema, 'docs').minItems, undefined);
    });

    it('Scenario: content HTML is sanitized in render and has no data key', () => {
      const { schema, fields, render } = compile(
        {
          type: 'content',
          key: 'intro',
          html: '<p onclick="steal()">Weigh <a href="javascript:alert(1)">here</a> <img src="x" onerror="y()"></p><script>alert(1)</script><iframe src="https://x.example"></iframe>',
        },
        { type: 'textfield', key: 'a' },
      );
      const html = render.components[0]!.html as string;
      assert.doesNotMatch(html, /<script|javascript:|onclick|onerror|<iframe/i);
      assert.match(html, /^<p>Weigh <a>here<\/a>/);
      assert.deepEqual(Object.keys(schema.properties as object), ['a']);
      assert.deepEqual(
        fields.map((f) => f.key),
        ['a'],
      );
    });

    it('Scenario: an htmlelement has its content sanitized, only class attributes kept, and no data key', () => {
      const { schema, render } = compile(
        {
          type: 'htmlelement',
          key: 'guide',
          tag: 'DIV',
          content:
            '<b onmouseover="x()">Read</b><script>alert(1)</script> <a href="javascript:alert(1)">bad</a> <a href="https://sop.example/QA-012" onclick="x()">SOP</a>',
          attrs: [
            { attr: 'class', value: 'lead' },
            { attr: 'onclick', value: 'steal()' },
          ],
        },
        { type: 'textfield', key: 'a' },
      );
      const element = render.components[0]!;
      assert.equal(element.tag, 'div');
      assert.equal(element.content, '<b>Read</b> <a>bad</a> <a href="https://sop.example/QA-012">SOP</a>');
      assert.deepEqual(element.attrs, [{ attr: 'class', value: 'lead' }]);
      assert.deepEqual(Object.keys(schema.properties as object), ['a']);
    });

    it('Scenario: an htmlelement that is a script is refused', () => {
      refused([{ type: 'htmlelement', key: 'x', tag: 'script', content: 'alert(1)' }], 'x', /<script>/);
    });

    it('Scenario: a submit button is ignored and its key listed in ignoredKeys; other actions are refused', () => {
      const { schema, fields, ignoredKeys } = compile(
        { type: 'textfield', key: 'a' },
        { type: 'button', key: 'submit', action: 'submit', input: true },
      );
      assert.deepEqual(ignoredKeys, ['submit']);
      assert.deepEqual(Object.keys(schema.properties as object), ['a']);
      assert.equal(fields.length, 1);
      refused(
        [
          { type: 'textfield', key: 'a' },
          { type: 'button', key: 'go', action: 'url' },
        ],
        'go',
        /button with the action "url"/,
      );
    });

    it('E4: a measuredValue carries unit, decimals, rounding, limits, capture and critical in x-attest, and renders as a number', () => {
      const limits = {
        alert: { min: 98, max: 102 },
        action: { min: 'target * 0.95', max: '= target * 1.05' },
        reject: true,
      };
      const { schema, fields, render } = compile({
        type: 'measuredValue',
        key: 'weight',
        label: 'Weight',
        validate: { required: true, min: 0 },
        attest: { unit: 'g', decimals: 1, rounding: 'halfEven', capture: 'device', critical: true, limits },
      });
      assert.deepEqual(prop(schema, 'weight'), {
        type: 'number',
        minimum: 0,
        'x-attest': {
          type: 'measuredValue',
          unit: 'g',
          decimals: 1,
          rounding: 'halfEven',
          limits: {
            reject: true,
            alert: { min: 98, max: 102 },
            action: { min: 'target * 0.95', max: 'target * 1.05' },
          },
          capture: 'device',
          critical: true,
        },
        title: 'Weight',
      });
      const f = fields[0]!;
      assert.equal(f.capture, 'device');
      assert.equal(f.critical, true);
      assert.equal(f.unit, 'g');
      const r = render.components[0]!;
      assert.equal(r.type, 'number');
      assert.equal(r.attestType, 'measuredValue');
      assert.equal(r.suffix, 'g');
      assert.equal(r.decimalLimit, 1);
      assert.equal(r.requireDecimal, true);
    });

    it('E4: a measuredValue with significant digits records them and its rounding', () => {
      const { schema } = compile({
        type: 'measuredValue',
        key: 'assay',
        attest: { unit: '%', significantDigits: 3 },
      });
      assert.deepEqual(prop(schema, 'assay')['x-attest'], {
        type: 'measuredValue',
        unit: '%',
        significantDigits: 3,
        rounding: 'halfUp',
      });
    });

    it('E4: a calculatedValue carries its FEEL calculation and renders as a disabled number', () => {
      const { schema, fields, render } = compile(
        { type: 'number', key: 'gross' },
        {
          type: 'calculatedValue',
          key: 'net',
          label: 'Net',
          attest: { calculate: '= gross - 2', unit: 'kg', decimals: 3 },
        },
      );
      assert.deepEqual(prop(schema, 'net'), {
        type: 'number',
        'x-attest': {
          type: 'calculatedValue',
          unit: 'kg',
          decimals: 3,
          rounding: 'halfUp',
          calculate: 'gross - 2',
        },
        title: 'Net',
      });
      assert.equal(fields[1]!.calculate, 'gross - 2');
      const r = render.components[1]!;
      assert.equal(r.type, 'number');
      assert.equal(r.attestType, 'calculatedValue');
      assert.equal(r.disabled, true);
      assert.equal(r.suffix, 'kg');
    });

    it('E4: a materialLot and an equipmentId are strings that identify what they name, rendered as textfields', () => {
      const { schema, fields, render } = compile(
        {
          type: 'materialLot',
          key: 'lot',
          validate: { required: true, maxLength: 40 },
          attest: { critical: true },
        },
        { type: 'equipmentId', key: 'scale', attest: { capture: 'device' } },
      );
      assert.deepEqual(prop(schema, 'lot'), {
        type: 'string',
        maxLength: 40,
        'x-attest': { type: 'materialLot', critical: true, identifies: 'materialLot' },
        title: 'lot',
      });
      assert.deepEqual(prop(schema, 'scale')['x-attest'], {
        type: 'equipmentId',
        capture: 'device',
        identifies: 'equipment',
        equipment: 'use',
      });
      assert.deepEqual(
        fields.map((f) => f.identifies),
        ['materialLot', 'equipment'],
      );
      assert.deepEqual(
        render.components.map((c) => [c.type, c.attestType]),
        [
          ['textfield', 'materialLot'],
          ['textfield', 'equipmentId'],
        ],
      );
    });

    it('a lot names its material in FEEL and the quantity it issues; equipment what the step does with it', () => {
      const { schema, fields } = compile(
        { type: 'materialLot', key: 'lot', attest: { material: '= line.material', issues: 'netWeight' } },
        { type: 'measuredValue', key: 'netWeight', attest: { unit: 'kg', decimals: 3 } },
        { type: 'equipmentId', key: 'balance', attest: { equipment: 'check', passed: 'deviation <= 0.1' } },
      );
      assert.deepEqual(prop(schema, 'lot')['x-attest'], {
        type: 'materialLot',
        identifies: 'materialLot',
        material: 'line.material',
        issues: 'netWeight',
      });
      const [lot, , balance] = fields;
      assert.equal(lot!.material, 'line.material');
      assert.equal(balance!.equipmentAction, 'check');
      assert.equal(balance!.passed, 'deviation <= 0.1');
    });

    it('gate options that cannot be kept are refused at import, each at its component', () => {
      const refused = (...components: FormioComponent[]) =>
        refusal({ components }).errors.map((e) => e.message);
      assert.match(
        refused({ type: 'textfield', key: 't', attest: { material: '"X"' } }).join(),
        /material is only for a material lot field/,
      );
      assert.match(
        refused({ type: 'materialLot', key: 'lot', attest: { material: 'line.' } }).join(),
        /material/,
      );
      assert.match(
        refused({ type: 'materialLot', key: 'lot', attest: { issues: 'nothing' } }).join(),
        /issues must name a number with a unit entered beside the lot/,
      );
      assert.match(
        refused({ type: 'equipmentId', key: 'e', attest: { equipment: 'borrow' } }).join(),
        /equipment must be one of use, measure, release, clean, check, identify/,
      );
      assert.match(
        refused({ type: 'equipmentId', key: 'e', attest: { equipment: 'check' } }).join(),
        /a daily check needs passed/,
      );
      assert.match(
        refused({ type: 'equipmentId', key: 'e', attest: { passed: 'true' } }).join(),
        /passed is only for a daily check/,
      );
    });

    it('E7: a field that allows N/A also accepts null (type or enumeration)', () => {
      const { schema } = compile(
        { type: 'measuredValue', key: 'ph', attest: { unit: 'pH', naAllowed: true } },
        { type: 'radio', key: 'r', values: choices, attest: { naAllowed: true } },
      );
      assert.deepEqual(prop(schema, 'ph').type, ['number', 'null']);
      assert.deepEqual(prop(schema, 'ph')['x-attest'], {
        type: 'measuredValue',
        unit: 'pH',
        naAllowed: true,
      });
      assert.deepEqual(prop(schema, 'r').enum, ['yes', 'no', null]);
    });

    it('Scenario: the original definition is not changed by compiling it', () => {
      const definition = {
        title: 'T',
        components: [
          { type: 'measuredValue', key: 'w', attest: { unit: 'g' } },
          { type: 'content', key: 'c', html: '<script>x</script>' },
        ],
      };
      const before = structuredClone(definition);
      const { render } = compileForm(definition);
      assert.deepEqual(definition, before);
      assert.equal(render.title, 'T');
    });
  });

  describe('Scenario: simple conditionals make a field required only when it is visible', () => {
    it('E7: a required field shown when another equals a value gets an if/then instead of required', () => {
      const { schema, fields } = compile(
        { type: 'radio', key: 'intact', values: choices, validate: { required: true } },
        {
          type: 'textarea',
          key: 'damage',
          validate: { required: true },
          conditional: {
            show: true,
            conjunction: 'all',
            conditions: [{ component: 'intact', operator: 'isEqual', value: 'no' }],
          },
        },
      );
      assert.deepEqual(schema.required, ['intact']);
      assert.deepEqual(schema.allOf, [
        {
          if: { properties: { intact: { const: 'no' } }, required: ['intact'] },
          then: { required: ['damage'] },
        },
      ]);
      assert.deepEqual(fields[1]!.visibility, [
        {
          show: true,
          conjunction: 'all',
          conditions: [{ path: ['intact'], operator: 'isEqual', value: 'no' }],
        },
      ]);
    });

    it('Scenario: conjunction all joins conditions with allOf, any with anyOf', () => {
      const base: FormioComponent[] = [
        { type: 'number', key: 'n' },
        { type: 'textfield', key: 't' },
      ];
      const conditional = (conjunction: string) => ({
        type: 'textfield',
        key: 'x',
        validate: { required: true },
        conditional: {
          show: true,
          conjunction,
          conditions: [
            { component: 'n', operator: 'greaterThan', value: '5' },
            { component: 't', operator: 'isNotEmpty' },
          ],
        },
      });
      const n = { properties: { n: { type: 'number', exclusiveMinimum: 5 } }, required: ['n'] };
      const t = { properties: { t: {} }, required: ['t'] };
      assert.deepEqual(compile(...base, conditional('all')).schema.allOf, [
        { if: { allOf: [n, t] }, then: { required: ['x'] } },
      ]);
      assert.deepEqual(compile(...base, conditional('any')).schema.allOf, [
        { if: { anyOf: [n, t] }, then: { required: ['x'] } },
      ]);
    });

    it('Scenario: each operator gives its condition schema; a number given as text is compared as a number', () => {
      const cases: [string, unknown, JsonSchema][] = [
        ['isEqual', '3', { properties: { n: { const: 3 } }, required: ['n'] }],
        ['isNotEqual', 3, { not: { properties: { n: { const: 3 } }, required: ['n'] } }],
        ['isEmpty', undefined, { not: { properties: { n: {} }, required: ['n'] } }],
        ['isNotEmpty', undefined, { properties: { n: {} }, required: ['n'] }],
        ['lessThan', 3, { properties: { n: { type: 'number', exclusiveMaximum: 3 } }, required: ['n'] }],
        ['lessThanOrEqual', 3, { properties: { n: { type: 'number', maximum: 3 } }, required: ['n'] }],
        ['greaterThan', 3, { properties: { n: { type: 'number', exclusiveMinimum: 3 } }, required: ['n'] }],
        ['greaterThanOrEqual', '3', { properties: { n: { type: 'number', minimum: 3 } }, required: ['n'] }],
      ];
      for (const [operator, value, expected] of cases) {
        const { schema } = compile(
          { type: 'number', key: 'n' },
          {
            type: 'textfield',
            key: 'x',
            validate: { required: true },
            conditional: { show: true, conditions: [{ component: 'n', operator, value }] },
          },
        );
        assert.deepEqual((schema.allOf as JsonSchema[])[0]!.if, expected, operator);
      }
    });

    it('Scenario: a hide rule (show false) negates its condition', () => {
      const { schema, fields } = compile(
        { type: 'checkbox', key: 'skip' },
        {
          type: 'textfield',
          key: 'x',
          validate: { required: true },
          conditional: {
            show: false,
            conditions: [{ component: 'skip', operator: 'isEqual', value: 'true' }],
          },
        },
      );
      assert.deepEqual(schema.allOf, [
        {
          if: { not: { properties: { skip: { const: true } }, required: ['skip'] } },
          then: { required: ['x'] },
        },
      ]);
      assert.equal(fields[1]!.visibility[0]!.show, false);
    });

    it('Scenario: the legacy {show, when, eq} conditional is understood, "true" compared as a boolean', () => {
      const { schema, fields } = compile(
        { type: 'checkbox', key: 'equipmentAffected' },
        {
          type: 'equipmentId',
          key: 'equipment',
          validate: { required: true },
          conditional: { show: 'true', when: 'equipmentAffected', eq: 'true' },
        },
      );
      assert.deepEqual(schema.required, []);
      assert.deepEqual(schema.allOf, [
        {
          if: { properties: { equipmentAffected: { const: true } }, required: ['equipmentAffected'] },
          then: { required: ['equipment'] },
        },
      ]);
      assert.deepEqual(fields[1]!.visibility, [
        {
          show: true,
          conjunction: 'all',
          conditions: [{ path: ['equipmentAffected'], operator: 'isEqual', value: true }],
        },
      ]);
    });

    it('Scenario: an optional conditional field gets no if/then, but keeps its visibility', () => {
      const { schema, fields } = compile(
        { type: 'checkbox', key: 'a' },
        { type: 'textfield', key: 'b', conditional: { show: true, when: 'a', eq: true } },
      );
      assert.equal(schema.allOf, undefined);
      assert.equal(fields[1]!.visibility.length, 1);
    });

    it('Scenario: a conditional panel passes its rule on to the fields inside it', () => {
      const { schema, fields } = compile(
        { type: 'checkbox', key: 'a' },
        {
          type: 'panel',
          key: 'p',
          conditional: { show: true, when: 'a', eq: true },
          components: [
            {
              type: 'textfield',
              key: 'b',
              validate: { required: true },
              conditional: { show: true, conditions: [{ component: 'c', operator: 'isNotEmpty' }] },
            },
          ],
        },
        { type: 'textfield', key: 'c' },
      );
      assert.equal(fields.find((f) => f.key === 'b')!.visibility.length, 2);
      assert.deepEqual(schema.allOf, [
        {
          if: {
            allOf: [
              { properties: { a: { const: true } }, required: ['a'] },
              { properties: { c: {} }, required: ['c'] },
            ],
          },
          then: { required: ['b'] },
        },
      ]);
    });

    it('Scenario: a required field in a datagrid row shown by a field of the same row (row.x) gets the if/then on the row', () => {
      const { schema, fields } = compile({
        type: 'datagrid',
        key: 'checks',
        components: [
          { type: 'radio', key: 'ok', values: choices, validate: { required: true } },
          {
            type: 'textfield',
            key: 'why',
            validate: { required: true },
            conditional: {
              show: true,
              conditions: [{ component: 'row.ok', operator: 'isEqual', value: 'no' }],
            },
          },
        ],
      });
      const row = prop(schema, 'checks').items as JsonSchema;
      assert.deepEqual(row.required, ['ok']);
      assert.deepEqual(row.allOf, [
        { if: { properties: { ok: { const: 'no' } }, required: ['ok'] }, then: { required: ['why'] } },
      ]);
      assert.equal(schema.allOf, undefined);
      assert.deepEqual(fields.find((f) => f.key === 'why')!.visibility[0]!.conditions, [
        { path: ['checks', '*', 'ok'], operator: 'isEqual', value: 'no' },
      ]);
    });

    it('Scenario: a condition on a field of a container names it by its data path', () => {
      const { fields } = compile(
        { type: 'container', key: 'c', components: [{ type: 'checkbox', key: 'a' }] },
        { type: 'textfield', key: 'x', conditional: { show: true, when: 'c.a', eq: true } },
      );
      assert.deepEqual(fields.find((f) => f.key === 'x')!.visibility[0]!.conditions[0]!.path, ['c', 'a']);
    });

    it('Scenario: a condition must name a visible field, not itself, and compare order with numbers', () => {
      const unknown = refused(
        [
          { type: 'textfield', key: 'a' },
          { type: 'textfield', key: 'b', conditional: { show: true, when: 'nope', eq: 'x' } },
        ],
        'b',
        /looks at "nope", which is not a field/,
      );
      assert.equal(unknown.pointer, '/components/1/conditional');
      assert.equal(unknown.keyword, 'conditional');
      refused(
        [{ type: 'textfield', key: 'a', conditional: { show: true, when: 'a', eq: 'x' } }],
        'a',
        /cannot show or hide itself/,
      );
      refused(
        [
          { type: 'number', key: 'n' },
          {
            type: 'textfield',
            key: 'b',
            conditional: { show: true, conditions: [{ component: 'n', operator: 'lessThan', value: 'ten' }] },
          },
        ],
        'b',
        /compares "n" with something that is not a number/,
      );
      refused(
        [
          { type: 'datagrid', key: 'g', components: [{ type: 'textfield', key: 'inRow' }] },
          { type: 'textfield', key: 'b', conditional: { show: true, when: 'inRow', eq: 'x' } },
        ],
        'b',
        /not a field of this form it can see/,
      );
      refused(
        [
          { type: 'textfield', key: 'a' },
          {
            type: 'textfield',
            key: 'b',
            conditional: { conditions: [{ component: 'a', operator: 'isEmpty' }] },
          },
        ],
        'b',
        /must say whether it shows or hides/,
      );
    });
  });

  describe('Scenario: features whose behaviour is JavaScript, or that Attest does not enforce, are refused', () => {
    const text = (extra: Record<string, unknown>): FormioComponent => ({
      type: 'textfield',
      key: 'f',
      ...extra,
    });

    it('E4: JavaScript validation (validate.custom) is refused', () => {
      const problem = refused(
        [text({ validate: { custom: 'valid = input.length > 2' } })],
        'f',
        /custom JavaScript validation/,
      );
      assert.equal(problem.pointer, '/components/0');
      assert.equal(problem.keyword, 'unsupported');
    });

    it('E4: a JavaScript date filter, free HTML attributes and a rich-text editor are refused', () => {
      refused(
        [{ type: 'datetime', key: 'f', datePicker: { disableFunction: 'date.getDay() === 0' } }],
        'f',
        /JavaScript date filter/,
      );
      refused([text({ attributes: { onclick: 'alert(1)' } })], 'f', /custom HTML attributes/);
      refused([{ type: 'textarea', key: 'f', editor: 'ckeditor' }], 'f', /rich-text or code editor/);
      const compiled = compileForm({
        components: [{ type: 'textarea', key: 'f', editor: '', attributes: {}, datePicker: {} }],
      });
      assert.equal(compiled.fields.length, 1, 'empty options, as the builder writes them, are no problem');
    });

    it('E4: JSON Logic validation (validate.json) is refused', () => {
      refused([text({ validate: { json: { '==': [1, 1] } } })], 'f', /JSON Logic validation/);
    });

    it('Scenario: a JavaScript conditional (customConditional) is refused', () => {
      refused([text({ customConditional: 'show = data.a' })], 'f', /JavaScript conditional/);
    });

    it('Scenario: a JSON Logic conditional (conditional.json) is refused', () => {
      refused([text({ conditional: { json: { var: 'data.a' } } })], 'f', /JSON Logic conditional/);
    });

    it('E4: a JavaScript calculated value (calculateValue) is refused; calculations are FEEL', () => {
      refused([text({ calculateValue: 'value = data.a * 2' })], 'f', /JavaScript calculated value.*FEEL/);
    });

    it('Scenario: a JavaScript default value (customDefaultValue) is refused', () => {
      refused([text({ customDefaultValue: 'value = moment()' })], 'f', /JavaScript default value/);
    });

    it('Scenario: logic with a javascript trigger is refused', () => {
      refused(
        [text({ logic: [{ trigger: { type: 'javascript', javascript: 'result = true' }, actions: [] }] })],
        'f',
        /logic with JavaScript/,
      );
    });

    it('Scenario: logic with a value action is refused', () => {
      refused(
        [
          text({
            logic: [
              { trigger: { type: 'simple', simple: {} }, actions: [{ type: 'value', value: 'value = 1' }] },
            ],
          }),
        ],
        'f',
        /logic with JavaScript/,
      );
    });

    it('Scenario: logic with property actions is refused too', () => {
      refused(
        [text({ logic: [{ trigger: { type: 'simple' }, actions: [{ type: 'property' }] }] })],
        'f',
        /logic actions are not supported/,
      );
    });

    it('Scenario: a select with dataSrc url is refused', () => {
      refused(
        [
          {
            type: 'select',
            key: 's',
            dataSrc: 'url',
            data: { url: 'https://api.example/x', values: choices },
          },
        ],
        's',
        /data source "url"/,
      );
    });

    it('Scenario: a select with dataSrc resource is refused', () => {
      refused(
        [{ type: 'select', key: 's', dataSrc: 'resource', data: { resource: 'abc', values: choices } }],
        's',
        /data source "resource"/,
      );
    });

    it('Scenario: an unknown component type is refused', () => {
      const problem = refused([{ type: 'signature', key: 'sig' }], 'sig', /component type "signature"/);
      assert.equal(problem.keyword, 'unsupported');
    });

    it('Scenario: an unsupported condition operator is refused', () => {
      const problem = refused(
        [
          { type: 'textfield', key: 'a' },
          {
            type: 'textfield',
            key: 'b',
            conditional: { show: true, conditions: [{ component: 'a', operator: 'includes', value: 'x' }] },
          },
        ],
        'b',
        /operator "includes"/,
      );
      assert.equal(problem.pointer, '/components/1/conditional/conditions/0');
    });

    it('Scenario: a key used twice at the same data level is refused, also across layout', () => {
      const problem = refused(
        [
          { type: 'textfield', key: 'a' },
          { type: 'panel', key: 'p', components: [{ type: 'number', key: 'a' }] },
        ],
        'a',
        /key is used twice/,
      );
      assert.equal(problem.keyword, 'key');
      assert.equal(problem.pointer, '/components/1/components/0');
      // The same key in two containers is two different data paths.
      compile(
        { type: 'container', key: 'c1', components: [{ type: 'textfield', key: 'a' }] },
        { type: 'container', key: 'c2', components: [{ type: 'textfield', key: 'a' }] },
      );
    });

    it('Scenario: a bad key is refused (starts with a digit, holds a dot, or is missing)', () => {
      const error = refusal({
        components: [
          { type: 'textfield', key: '1st' },
          { type: 'textfield', key: 'a.b' },
          { type: 'textfield' },
        ],
      });
      assert.deepEqual(
        error.errors.map((e) => [e.pointer, e.keyword, e.message.split(':')[0]]),
        [
          ['/components/0', 'key', 'Component "1st"'],
          ['/components/1', 'key', 'Component "a.b"'],
          ['/components/2', 'key', 'Component "(textfield at /components/2)"'],
        ],
      );
      assert.match(error.errors[0]!.message, /key must start with a letter/);
    });

    it('E4: invalid FEEL in calculate is refused', () => {
      const problem = refused(
        [{ type: 'calculatedValue', key: 'c', attest: { calculate: 'a +* b' } }],
        'c',
        /calculate is not valid FEEL: unexpected "\*"/,
      );
      assert.equal(problem.keyword, 'feel');
    });

    it('E4: a calculatedValue without a calculation is refused', () => {
      refused(
        [{ type: 'calculatedValue', key: 'c', attest: { unit: 'g' } }],
        'c',
        /needs its FEEL expression/,
      );
    });

    it('F4: invalid FEEL in a limit is refused, at the pointer of the limit', () => {
      const problem = refused(
        [{ type: 'number', key: 'n', attest: { limits: { alert: { max: 'target *' } } } }],
        'n',
        /the alert max is not valid FEEL/,
      );
      assert.equal(problem.pointer, '/components/0/attest/limits/alert/max');
      assert.equal(problem.keyword, 'feel');
    });

    it('E4: a measuredValue without its unit is refused', () => {
      refused(
        [{ type: 'measuredValue', key: 'm', attest: { decimals: 1 } }],
        'm',
        /measured value needs its unit/,
      );
      refused([{ type: 'measuredValue', key: 'm' }], 'm', /measured value needs its unit/);
    });

    it('F4: limits on a text field are refused', () => {
      refused(
        [{ type: 'textfield', key: 't', attest: { limits: { action: { max: 5 } } } }],
        't',
        /limits is only for numeric fields/,
      );
    });

    it('E4: calculate on a component that is not a calculatedValue is refused', () => {
      refused(
        [{ type: 'number', key: 'n', attest: { calculate: '1 + 1' } }],
        'n',
        /only a calculated value component has a calculation/,
      );
    });

    it('E4: bad GMP options are refused, each named', () => {
      const error = refusal({
        components: [
          {
            type: 'measuredValue',
            key: 'm',
            attest: {
              unit: 'g',
              decimals: 1,
              significantDigits: 3,
              rounding: 'down',
              capture: 'camera',
              critical: 'yes',
              colour: 'red',
            },
          },
          { type: 'number', key: 'n', attest: { limits: { reject: true, alert: { max: 5, mid: 3 } } } },
          { type: 'calculatedValue', key: 'c', attest: { calculate: '1', capture: 'manual' } },
        ],
      });
      const messages = error.errors.map((e) => e.message);
      for (const expected of [
        'Component "m": the attest option "colour" is unknown',
        'Component "m": give either decimals or significant digits, not both',
        'Component "m": rounding must be halfUp, halfEven or refuse',
        'Component "m": capture must be manual, device or either',
        'Component "m": critical must be true or false',
        'Component "n": the alert limit "mid" is unknown (min, max)',
        'Component "n": reject needs action limits to reject values outside of',
        'Component "c": a calculated value is computed by the server: it has no capture, verification or N/A',
      ])
        assert.ok(messages.includes(expected), `missing "${expected}" in ${JSON.stringify(messages)}`);
    });

    it('Scenario: hidden, not persistent, unique and multiple text inputs are refused', () => {
      const error = refusal({
        components: [
          text({ hidden: true }),
          { type: 'textfield', key: 'g', clearOnHide: false },
          { type: 'textfield', key: 'h', persistent: false },
          { type: 'textfield', key: 'i', unique: true },
          { type: 'textfield', key: 'j', multiple: true },
          { type: 'textfield', key: 'k', validate: { maxWords: 5 } },
        ],
      });
      assert.deepEqual(
        error.errors.map((e) => e.message.split(':')[0]),
        [
          'Component "f"',
          'Component "g"',
          'Component "h"',
          'Component "i"',
          'Component "j"',
          'Component "k"',
        ],
      );
    });

    it('Scenario: several problems in one form are all reported at once, in document order', () => {
      const error = refusal({
        components: [
          text({ validate: { custom: 'valid = true' } }),
          { type: 'signature', key: 'sig' },
          { type: 'panel', key: 'p', components: [{ type: 'textfield', key: 'f' }] },
          { type: 'measuredValue', key: 'm' },
          { type: 'textarea', key: 'notes', attest: { limits: {} } },
        ],
      });
      assert.deepEqual(
        error.errors.map((e) => [e.pointer, e.message]),
        [
          ['/components/0', 'Component "f": custom JavaScript validation is not supported'],
          ['/components/1', 'Component "sig": the component type "signature" is not supported'],
          ['/components/2/components/0', 'Component "f": the key is used twice for f'],
          ['/components/3/attest', 'Component "m": a measured value needs its unit'],
          ['/components/4/attest', 'Component "notes": limits is only for numeric fields'],
        ],
      );
      for (const e of error.errors) assert.ok(error.message.includes(e.message));
    });

    it('Scenario: a form with more than ten problems lists ten in its message and counts the rest', () => {
      const components = Array.from({ length: 12 }, (_, i) => ({ type: 'signature', key: `s${i}` }));
      const error = refusal({ components });
      assert.equal(error.errors.length, 12);
      assert.match(error.message, /; and 2 more$/);
    });

    it('Scenario: a definition without components, or without any input, is refused', () => {
      assert.deepEqual(refusal({ title: 'x' }).errors, [
        { pointer: '/components', keyword: 'required', message: 'a form needs a list of components' },
      ]);
      assert.deepEqual(refusal(null).errors[0]!.keyword, 'required');
      assert.deepEqual(refusal({ components: [{ type: 'content', key: 'c', html: '<p>Hi</p>' }] }).errors, [
        { pointer: '/components', keyword: 'minItems', message: 'a form needs at least one input field' },
      ]);
    });
  });

  describe('Scenario: the realistic fixtures compile', () => {
    it('E4: the dispensing form compiles with its GMP fields, conditional and ignored button', async () => {
      const compiled = compileForm(await fixture('dispensing.json'));
      const { schema, fields, render, ignoredKeys } = compiled;
      assert.deepEqual(
        fields.map((f) => f.pointer),
        [
          '/material',
          '/lot',
          '/scale',
          '/target',
          '/tolerance',
          '/weight',
          '/deviationPercent',
          '/containerIntact',
          '/damage',
          '/comments',
        ],
      );
      assert.deepEqual(schema.required, ['material', 'lot', 'scale', 'weight', 'containerIntact']);
      assert.deepEqual(ignoredKeys, ['submit']);
      assert.equal((schema.allOf as unknown[]).length, 1);
      const weight = fields.find((f) => f.key === 'weight')!;
      assert.equal(weight.capture, 'device');
      assert.equal(weight.limits?.reject, true);
      assert.equal(fields.find((f) => f.key === 'lot')!.identifies, 'materialLot');
      assert.doesNotMatch(render.components[0]!.html as string, /script/);
      // The pipeline's ajv (2020-12, strict) accepts the schema.
      assert.ok(new FormRuntime(compiled).validate);
    });

    it('E4: the deviation report compiles; its guidance link loses javascript: and onclick', async () => {
      const compiled = compileForm(await fixture('deviationReport.json'));
      const { schema, fields, render } = compiled;
      assert.deepEqual(schema.required, [
        'title',
        'occurredAt',
        'area',
        'category',
        'description',
        'batchAffected',
        'immediateActions',
      ]);
      assert.deepEqual(
        (schema.allOf as JsonSchema[]).map((a) => a.then),
        [{ required: ['batches'] }, { required: ['equipment'] }],
      );
      assert.equal(fields.find((f) => f.key === 'batchNumber')!.pointer, '/batches/*/batchNumber');
      const guidance = render.components[0]!.content as string;
      assert.doesNotMatch(guidance, /javascript:|onclick/);
      assert.match(guidance, /<a>SOP QA-012<\/a>/);
      assert.ok(new FormRuntime(compiled).validate);
    });
  });

  describe('Scenario: every generated schema is accepted by the strict 2020-12 validator of the pipeline', () => {
    it('Scenario: schemas of each component type and of conditionals at the root and in grid rows compile in ajv', () => {
      const forms: FormioComponent[][] = [
        [
          { type: 'textfield', key: 'a', validate: { required: true, pattern: '^x' } },
          { type: 'textarea', key: 'b' },
          { type: 'number', key: 'c', validate: { min: 0 } },
          { type: 'checkbox', key: 'd', validate: { required: true } },
          { type: 'select', key: 'e', data: { values: choices } },
          { type: 'select', key: 'e2', multiple: true, data: { values: choices } },
          { type: 'radio', key: 'f', values: choices },
          { type: 'selectboxes', key: 'g', values: choices, validate: { required: true } },
          { type: 'datetime', key: 'h' },
          { type: 'day', key: 'i' },
          { type: 'time', key: 'j' },
          { type: 'email', key: 'k' },
          { type: 'url', key: 'l' },
          { type: 'currency', key: 'm' },
          {
            type: 'container',
            key: 'n',
            components: [{ type: 'textfield', key: 'x', validate: { required: true } }],
          },
          { type: 'editgrid', key: 'o', components: [{ type: 'textfield', key: 'x' }] },
          { type: 'file', key: 'p' },
          { type: 'measuredValue', key: 'q', attest: { unit: 'g', naAllowed: true } },
          { type: 'calculatedValue', key: 'r', attest: { calculate: 'c * 2' } },
          { type: 'materialLot', key: 's' },
          { type: 'equipmentId', key: 't' },
        ],
        [
          { type: 'number', key: 'n' },
          {
            type: 'textfield',
            key: 'x',
            validate: { required: true },
            conditional: {
              show: false,
              conjunction: 'any',
              conditions: [
                { component: 'n', operator: 'lessThan', value: 3 },
                { component: 'n', operator: 'isEmpty' },
              ],
            },
          },
          {
            type: 'datagrid',
            key: 'g',
            components: [
              { type: 'checkbox', key: 'ok' },
              {
                type: 'textfield',
                key: 'why',
                validate: { required: true },
                conditional: { show: true, when: 'row.ok', eq: false },
              },
            ],
          },
        ],
      ];
      for (const components of forms) assert.ok(new FormRuntime(compile(...components)).validate);
    });

    it('E7: schemas of conditions on nested values (container field, select boxes, multiple select) compile in ajv', () => {
      const forms: FormioComponent[][] = [
        [
          { type: 'container', key: 'c', components: [{ type: 'checkbox', key: 'a' }] },
          {
            type: 'textfield',
            key: 'x',
            validate: { required: true },
            conditional: { show: true, when: 'c.a', eq: true },
          },
        ],
        [
          { type: 'selectboxes', key: 'sb', values: choices },
          {
            type: 'textfield',
            key: 'x',
            validate: { required: true },
            conditional: { show: true, conditions: [{ component: 'sb', operator: 'isEqual', value: 'yes' }] },
          },
        ],
        [
          { type: 'select', key: 'ms', multiple: true, data: { values: choices } },
          {
            type: 'textfield',
            key: 'x',
            validate: { required: true },
            conditional: { show: true, conditions: [{ component: 'ms', operator: 'isEqual', value: 'yes' }] },
          },
        ],
        [
          { type: 'checkbox', key: 'a' },
          {
            type: 'container',
            key: 'c',
            components: [
              {
                type: 'textfield',
                key: 'x',
                validate: { required: true },
                conditional: { show: true, when: 'a', eq: true },
              },
            ],
          },
        ],
      ];
      for (const components of forms) assert.ok(new FormRuntime(compile(...components)).validate);
    });
  });
});
