import assert from 'node:assert/strict';
import { compileForm } from '../../../engine/src/index.ts';
import { savedComponent } from '../../src/forms/attestOptions.ts';
import { GMP_TAB_TYPES, gmpPalette, gmpTab, GMP_TYPES, NUMERIC_TYPES } from '../../src/forms/gmpCatalogue.ts';
import { translator } from '../../src/forms/texts.ts';
import { fieldsOf, formOf, minimalComponent, refusal, withEditFormValues } from './support.ts';

const t = translator('en');

/** A value QA could enter in each GMP field, and what the compiled field then says. */
const SAMPLES: Record<string, { value: unknown; expect: Record<string, unknown> }> = {
  'attest.unit': { value: 'mL', expect: { unit: 'mL' } },
  'attest.decimals': { value: 2, expect: { decimals: 2 } },
  'attest.significantDigits': { value: 3, expect: { significantDigits: 3 } },
  'attest.rounding': { value: 'halfEven', expect: { rounding: 'halfEven' } },
  'attest.limits.alert.min': { value: '1', expect: { limits: { alert: { min: 1 } } } },
  'attest.limits.alert.max': { value: '9', expect: { limits: { alert: { max: 9 } } } },
  'attest.limits.action.min': { value: 'target - 1', expect: { limits: { action: { min: 'target - 1' } } } },
  'attest.limits.action.max': { value: '10', expect: { limits: { action: { max: 10 } } } },
  'attest.limits.reject': { value: true, expect: {} },
  'attest.limits.comment': { value: true, expect: {} },
  'attest.capture': { value: 'device', expect: { capture: 'device' } },
  'attest.critical': { value: true, expect: { critical: true } },
  'attest.naAllowed': { value: true, expect: { naAllowed: true } },
  'attest.reasonForChange': { value: true, expect: { reasonForChange: true } },
  'attest.calculate': { value: ' weight * 2 ', expect: { calculate: 'weight * 2' } },
};

/** What the edit form's GMP tab of a type lets QA enter: its input fields' keys. */
const inputsOf = (type: string) =>
  fieldsOf(gmpTab(type, t)?.components)
    .filter((f) => f.input === true)
    .map((f) => String(f.key));

describe('Feature: the GMP components write exactly the attest JSON the engine compiles', () => {
  describe('Scenario: each entry of the GMP group, set up in its edit dialog', () => {
    const palette = gmpPalette(t);
    for (const entry of Object.values(palette)) {
      it(`${entry.title}: dropped, given what its dialog requires, saved — compiles`, () => {
        // Given the component the palette drops, with what its dialog marks required
        const required = fieldsOf(gmpTab(String(entry.schema.type), t)?.components).filter(
          (f) => (f.validate as { required?: boolean } | undefined)?.required,
        );
        const values = Object.fromEntries(
          required.map((f) => [String(f.key), SAMPLES[String(f.key)]!.value]),
        );
        const component = savedComponent(withEditFormValues({ ...entry.schema, key: entry.key }, values));
        // When the engine compiles it
        const compiled = compileForm(formOf(component));
        // Then it is a field of its Attest type, with the GMP meaning the palette promised
        if (component.type === 'content') {
          assert.deepEqual(
            compiled.fields.map((f) => f.key),
            ['companion'],
          );
          return;
        }
        const field = compiled.fields.find((f) => f.key === entry.key)!;
        assert.equal(field.type, entry.schema.type);
        if (entry.key === 'deviceReading') assert.equal(field.capture, 'device');
        if (entry.key === 'verifiedValue') assert.equal(field.critical, true);
        if (entry.key === 'calculatedValue') assert.equal(field.calculate, 'weight * 2');
        if (entry.key === 'materialLot') assert.equal(field.identifies, 'materialLot');
        if (entry.key === 'equipmentId') assert.equal(field.identifies, 'equipment');
      });
    }

    it('a measured value saved without its unit is refused by the server, as its dialog says', () => {
      const component = savedComponent(structuredClone(palette.measuredValue!.schema));
      const error = refusal(formOf(component));
      assert.match(error.message, /a measured value needs its unit/);
    });
  });

  describe('Scenario: every GMP field of every input, set on its own', () => {
    for (const type of GMP_TAB_TYPES) {
      it(`${type}: each field of the GMP tab compiles into the field’s GMP semantics`, () => {
        const inputs = inputsOf(type);
        assert.ok(inputs.length > 0);
        for (const key of inputs) {
          // Each field writes under attest, and the test knows a value for it
          assert.ok(key.startsWith('attest.'), key);
          const sample = SAMPLES[key];
          assert.ok(sample, `no sample value for ${key}`);
          const extra: Record<string, unknown> =
            key === 'attest.rounding'
              ? { 'attest.decimals': 1 }
              : key === 'attest.limits.reject' || key === 'attest.limits.comment'
                ? { 'attest.limits.action.max': '5' }
                : {};
          const component = savedComponent(
            withEditFormValues(minimalComponent(type, 'probe'), { [key]: sample.value, ...extra }),
          );
          const field = compileForm(formOf(component)).fields.find((f) => f.key === 'probe')!;
          for (const [option, value] of Object.entries(sample.expect))
            assert.deepEqual(
              option === 'limits' ? field.limits && { ...field.limits } : field[option as keyof typeof field],
              value,
              `${type} ${key}`,
            );
          if (key === 'attest.limits.reject') assert.equal(field.limits?.reject, true);
          if (key === 'attest.limits.comment') assert.equal(field.limits?.comment, true);
        }
      });
    }

    it('offers units, precision and limits on numbers only, and no capture, verification or N/A on calculations', () => {
      for (const type of GMP_TAB_TYPES) {
        const inputs = inputsOf(type);
        assert.equal(inputs.includes('attest.unit'), NUMERIC_TYPES.has(type), type);
        assert.equal(inputs.includes('attest.limits.alert.min'), NUMERIC_TYPES.has(type), type);
        assert.equal(inputs.includes('attest.calculate'), type === 'calculatedValue', type);
        assert.equal(inputs.includes('attest.critical'), type !== 'calculatedValue', type);
      }
      assert.equal(gmpTab('panel', t), null);
      assert.equal(gmpTab('datagrid', t), null);
      assert.equal(gmpTab('content', t), null);
    });

    it('every Attest type has a GMP tab and a formio.js input to be drawn as', () => {
      for (const [type, base] of Object.entries(GMP_TYPES)) {
        assert.ok(GMP_TAB_TYPES.has(type));
        assert.ok(['number', 'textfield'].includes(base));
      }
    });
  });

  it('speaks Chinese to a Chinese QA user', () => {
    const zh = translator('zh-CN');
    assert.equal(gmpPalette(zh).measuredValue!.title, '测量值');
    assert.equal(gmpTab('measuredValue', zh)!.label, 'GMP');
    assert.ok(fieldsOf(gmpTab('measuredValue', zh)!.components).some((f) => f.label === '单位'));
  });
});
