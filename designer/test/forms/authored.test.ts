import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { compileForm } from '../../../engine/src/index.ts';
import { authoredDefinition, deepEqual, type DefaultsOf } from '../../src/forms/authored.ts';
import type { FormComponent, FormDefinition } from '../../src/forms/types.ts';
import { shippedForms } from './support.ts';

/**
 * What formio.js's builder does to the definition it is given, done here without a browser: every
 * component filled in place with its class's defaults (lodash's defaultsDeep, as formio.js does)
 * and given an id. Browser tests check the same against the real builder.
 */
const require = createRequire(import.meta.url);
const { defaultsDeep } = require('lodash') as { defaultsDeep: (target: object, source: object) => object };

const CLASSES: Record<string, string> = {
  textfield: 'textfield/TextField',
  textarea: 'textarea/TextArea',
  number: 'number/Number',
  radio: 'radio/Radio',
  selectboxes: 'selectboxes/SelectBoxes',
  checkbox: 'checkbox/Checkbox',
  datetime: 'datetime/DateTime',
  panel: 'panel/Panel',
  fieldset: 'fieldset/Fieldset',
  columns: 'columns/Columns',
  content: 'content/Content',
  htmlelement: 'html/HTML',
  file: 'file/File',
  button: 'button/Button',
  editgrid: 'editgrid/EditGrid',
  // select and datagrid need a DOM to load; their common part stands in for them.
  select: '_classes/component/Component',
  datagrid: '_classes/component/Component',
};
const ATTEST: Record<string, string> = {
  measuredValue: 'number',
  calculatedValue: 'number',
  materialLot: 'textfield',
  equipmentId: 'textfield',
};

const defaults = new Map<string, Record<string, unknown>>();
before(async () => {
  for (const [type, path] of Object.entries(CLASSES)) {
    const module = (await import(`@formio/js/lib/cjs/components/${path}`)) as {
      default: { default?: { schema(): Record<string, unknown> }; schema?(): Record<string, unknown> };
    };
    const Class = module.default.default ?? module.default;
    defaults.set(type, Class.schema!());
  }
  for (const [type, base] of Object.entries(ATTEST))
    defaults.set(type, { ...defaults.get(base), type, key: type });
});
const defaultsOf: DefaultsOf = (type) => structuredClone(defaults.get(type ?? '') ?? {});

/** Nothing opened: every component is QA's new one. */
const NEW = {
  originalOf: () => undefined,
  defaultsOf: (type: string | undefined) => defaultsOf(type),
  edited: () => true,
};

let ids = 0;
/** The builder's copy of a definition, and which of its objects started as which original one. */
function asBuilderHolds(definition: FormDefinition) {
  const working = structuredClone(definition);
  const originals = new WeakMap<object, FormComponent>();
  const fill = (list: unknown, was: unknown) => {
    if (!Array.isArray(list)) return;
    list.forEach((c: FormComponent, i) => {
      const original = (was as FormComponent[])[i]!;
      originals.set(c, original);
      if (typeof c.type === 'string') {
        defaultsDeep(c, defaultsOf(c.type));
        c.id = `e${++ids}`;
      }
      fill(c.components, original.components);
      if (Array.isArray(c.columns))
        c.columns.forEach((col, j) => {
          originals.set(col, original.columns![j] as FormComponent);
          fill(col.components, original.columns![j]?.components);
        });
    });
  };
  fill(working.components, definition.components);
  return { working, originalOf: (c: object) => originals.get(c) };
}

describe('Feature: the definition comes back as QA wrote it, not as formio.js filled it', () => {
  describe('Scenario: the shipped forms opened and saved without a change', () => {
    it('each comes back byte for byte', async () => {
      for (const { name, definition } of await shippedForms()) {
        // Given the builder holding the form, every component filled with formio.js's defaults
        const { working, originalOf } = asBuilderHolds(definition);
        assert.notDeepEqual(working, definition, name);
        // When the definition is taken back
        const authored = authoredDefinition(working, definition, {
          originalOf,
          defaultsOf,
          edited: () => false,
        });
        // Then it is the original, keys in their order
        assert.equal(JSON.stringify(authored), JSON.stringify(definition), name);
      }
    });
  });

  describe('Scenario: what formio.js works out as it draws an untouched component', () => {
    it('is not taken for QA’s: a date’s widget, a box list’s input type; a key made unique on a drop is', () => {
      const definition: FormDefinition = {
        components: [
          { type: 'datetime', key: 'when', label: 'When', input: true },
          {
            type: 'selectboxes',
            key: 'what',
            label: 'What',
            input: true,
            values: [{ label: 'A', value: 'a' }],
          },
        ],
      };
      const { working, originalOf } = asBuilderHolds(definition);
      Object.assign(working.components[0]!, { widget: { type: 'calendar', locale: 'en' } });
      Object.assign(working.components[1]!, { inputType: 'checkbox', key: 'what1' });
      const authored = authoredDefinition(working, definition, {
        originalOf,
        defaultsOf,
        edited: () => false,
      });
      assert.deepEqual(authored.components, [
        definition.components[0],
        { ...definition.components[1], key: 'what1' },
      ]);
    });
  });

  describe('Scenario: a component edited', () => {
    it('keeps what was there, takes what changed, adds what QA set, and drops formio.js’s defaults', async () => {
      const definition: FormDefinition = {
        title: 'Weighing',
        components: [
          {
            type: 'textfield',
            key: 'lot',
            label: 'Lot',
            input: true,
            validate: { required: true, maxLength: 40 },
          },
        ],
      };
      const { working, originalOf } = asBuilderHolds(definition);
      // When QA relabels it, lifts the length limit and adds a description in its dialog
      const saved = structuredClone(working.components[0]!) as FormComponent & {
        validate: Record<string, unknown>;
      };
      saved.label = 'Lot number';
      saved.validate.maxLength = 60;
      saved.description = 'As printed on the label';
      working.components[0] = saved;
      const pairs = new WeakMap<object, FormComponent>([[saved, definition.components[0]!]]);
      const authored = authoredDefinition(working, definition, {
        originalOf: (c) => pairs.get(c) ?? originalOf(c),
        defaultsOf,
        edited: (c) => c === saved,
      });
      assert.deepEqual(authored, {
        title: 'Weighing',
        components: [
          {
            type: 'textfield',
            key: 'lot',
            label: 'Lot number',
            input: true,
            validate: { required: true, maxLength: 60 },
            description: 'As printed on the label',
          },
        ],
      });
    });
  });

  describe('Scenario: a component added from the palette', () => {
    it('holds only what differs from formio.js’s defaults, and the engine compiles it', () => {
      // Given a text area as the builder saves it: its class's defaults, what QA set, the edit form's blanks
      const added = defaultsDeep(
        {
          type: 'textarea',
          key: 'notes',
          label: 'Notes',
          validate: { maxLength: 2000 },
          id: 'e99',
          keyModified: true,
          mask: false,
          inputFormat: 'html',
        },
        defaultsOf('textarea'),
      );
      const authored = authoredDefinition({ components: [added] }, undefined, NEW);
      assert.deepEqual(authored.components, [
        { type: 'textarea', key: 'notes', label: 'Notes', validate: { maxLength: 2000 }, input: true },
      ]);
      // formio.js's own default for a text area (`validate.minWords: ''`) would be refused
      assert.throws(() => compileForm({ components: [added] }), /word counts are not supported/);
      assert.doesNotThrow(() => compileForm(authored));
    });

    it('starts a new form with display form', () => {
      assert.deepEqual(authoredDefinition({ components: [] }, undefined, NEW), {
        display: 'form',
        components: [],
      });
    });
  });

  it('compares JSON values deeply', () => {
    assert.ok(deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }));
    assert.ok(!deepEqual({ a: 1 }, { a: 1, b: undefined }));
    assert.ok(!deepEqual([1], { 0: 1 }));
  });
});
