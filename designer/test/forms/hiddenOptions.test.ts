import assert from 'node:assert/strict';
import { compileForm } from '../../../engine/src/index.ts';
import { editFormOverride, HIDDEN_OPTIONS, withoutEditors } from '../../src/forms/hiddenOptions.ts';
import { FORM_TYPES } from '../../src/forms/palette.ts';
import { translator } from '../../src/forms/texts.ts';
import { formOf, minimalComponent, refusal } from './support.ts';

const t = translator('en');

/** Options that are code but that the engine does not read at all (nothing to refuse, nothing runs). */
const NOT_READ_BY_THE_ENGINE = new Set(['panel-disable-function']);

describe('Feature: the JavaScript-based options are hidden, and the engine refuses each of them', () => {
  describe('Scenario: one list of what the edit forms hide', () => {
    it('hides logic, custom validation, calculated and default values in JavaScript, and JavaScript conditions', () => {
      const keys = HIDDEN_OPTIONS.map((o) => o.key ?? `${o.tab} tab`);
      for (const key of [
        'logic tab',
        'custom-validation-js',
        'json-validation-json',
        'calculateValuePanel',
        'customDefaultValuePanel',
        'customConditionalPanel',
        'layout tab',
      ])
        assert.ok(keys.includes(key), key);
    });

    it('names what each refused option writes, except the one the engine never reads', () => {
      for (const option of HIDDEN_OPTIONS.filter((o) => o.because !== 'inert'))
        assert.equal(
          option.sample === undefined,
          NOT_READ_BY_THE_ENGINE.has(option.key ?? ''),
          `${option.tab}/${option.key ?? ''}`,
        );
    });
  });

  describe('Scenario: a definition holding a hidden option (written by hand, or by another tool)', () => {
    for (const option of HIDDEN_OPTIONS.filter((o) => o.sample)) {
      it(`${option.key ?? option.tab}: refused by compileForm, naming the component`, () => {
        // Given a component of a type the option belongs to, holding it
        const type = String(option.sample!.type ?? option.only?.[0] ?? 'textfield');
        const component = { ...minimalComponent(type, 'probe'), ...option.sample };
        // Then the engine refuses the form, at that component
        const error = refusal(formOf(component));
        assert.ok(
          error.errors.some(
            (e) => e.pointer === '/components/0' && e.message.startsWith('Component "probe": '),
          ),
          JSON.stringify(error.errors),
        );
      });
    }

    it('while the same component without it compiles (the refusal is the option’s)', () => {
      for (const option of HIDDEN_OPTIONS.filter((o) => o.sample)) {
        const type = String(option.sample!.type ?? option.only?.[0] ?? 'textfield');
        assert.doesNotThrow(() => compileForm(formOf(minimalComponent(type, 'probe'))), option.key);
      }
    });
  });

  describe('Scenario: the edit form of each type the builder handles', () => {
    for (const type of FORM_TYPES) {
      it(`${type}: drops the logic and layout tabs, the JavaScript panels and the options the engine refuses`, () => {
        const override = editFormOverride(type, t);
        const tab = (key: string) => override.find((o) => o.key === key);
        assert.equal(tab('logic')?.ignore, true);
        assert.equal(tab('layout')?.ignore, true);
        const ignored = (tabKey: string, key: string) =>
          tab(tabKey)?.components?.some((c) => c.key === key && c.ignore === true) ?? false;
        assert.ok(ignored('validation', 'custom-validation-js'));
        assert.ok(ignored('data', 'calculateValuePanel'));
        assert.ok(ignored('data', 'customDefaultValuePanel'));
        assert.ok(ignored('conditional', 'customConditionalPanel'));
        assert.ok(ignored('display', 'hidden'));
        assert.equal(ignored('data', 'multiple'), !['select', 'file'].includes(type));
        // Keys are held to the engine's rule
        const key = tab('api')?.components?.find((c) => c.key === 'key');
        assert.equal((key?.validate as { pattern?: string }).pattern, '^[A-Za-z_][A-Za-z0-9_-]{0,99}$');
        // No tab is added that the type does not have
        for (const o of override)
          assert.ok(
            [
              'display',
              'data',
              'validation',
              'api',
              'conditional',
              'logic',
              'layout',
              'gmp',
              'date',
            ].includes(o.key),
            o.key,
          );
        assert.equal(Boolean(tab('date')), type === 'datetime');
      });
    }

    it('draws the text areas it keeps as plain text areas (their editors would come from a CDN)', () => {
      const display = editFormOverride('textfield', t).find((o) => o.key === 'display')!;
      const description = display.components!.find((c) => c.key === 'description')!;
      assert.deepEqual(description, {
        key: 'description',
        editor: '',
        wysiwyg: false,
        overrideEditForm: true,
      });
      assert.deepEqual(withoutEditors({ type: 'textarea', key: 'html', editor: 'ckeditor' }), {
        type: 'textarea',
        key: 'html',
        editor: '',
        wysiwyg: false,
      });
      const plain = { type: 'textfield', key: 'label' };
      assert.equal(withoutEditors(plain), plain);
    });

    it('adds the GMP tab to inputs only', () => {
      assert.ok(editFormOverride('measuredValue', t).some((o) => o.key === 'gmp'));
      assert.ok(editFormOverride('select', t).some((o) => o.key === 'gmp'));
      assert.ok(!editFormOverride('panel', t).some((o) => o.key === 'gmp'));
      assert.ok(!editFormOverride('datagrid', t).some((o) => o.key === 'gmp'));
    });
  });
});
