import assert from 'node:assert/strict';
import { compileForm } from '../../../engine/src/index.ts';
import { builderGroups, FORM_TYPES, PALETTE_TYPES, WITHHELD_TYPES } from '../../src/forms/palette.ts';
import { translator } from '../../src/forms/texts.ts';
import { formOf, minimalComponent, refusal } from './support.ts';

/** formio.js 5's component catalogue: each type and the palette group its builder info names. */
const FORMIO = {
  textfield: 'basic',
  textarea: 'basic',
  number: 'basic',
  password: 'basic',
  checkbox: 'basic',
  selectboxes: 'basic',
  select: 'basic',
  radio: 'basic',
  button: 'basic',
  email: 'advanced',
  url: 'advanced',
  phoneNumber: 'advanced',
  tags: 'advanced',
  address: 'advanced',
  datetime: 'advanced',
  day: 'advanced',
  time: 'advanced',
  currency: 'advanced',
  survey: 'advanced',
  signature: 'advanced',
  htmlelement: 'layout',
  content: 'layout',
  columns: 'layout',
  fieldset: 'layout',
  panel: 'layout',
  table: 'layout',
  tabs: 'layout',
  well: 'layout',
  hidden: 'data',
  container: 'data',
  datamap: 'data',
  datagrid: 'data',
  editgrid: 'data',
  file: 'premium',
  form: 'premium',
  unknown: 'premium',
};

describe('Feature: the palette offers only what the engine accepts', () => {
  describe('Scenario: each component the palette offers, dragged onto a form', () => {
    for (const type of PALETTE_TYPES)
      it(`${type} compiles`, () => {
        assert.doesNotThrow(() => compileForm(formOf(minimalComponent(type, 'probe'))));
      });
  });

  describe('Scenario: formio.js components the palette leaves out', () => {
    const left = Object.keys(FORMIO).filter((type) => !PALETTE_TYPES.has(type) && !WITHHELD_TYPES.has(type));
    for (const type of left)
      it(`${type}: the engine refuses it`, () => {
        const error = refusal(formOf(minimalComponent(type, 'probe')));
        assert.match(error.message, new RegExp(`the component type "${type}" is not supported`));
      });

    for (const type of WITHHELD_TYPES)
      it(`${type}: held back from the palette, though a form that has one compiles and opens`, () => {
        assert.doesNotThrow(() => compileForm(formOf(minimalComponent(type, 'probe'))));
        assert.ok(FORM_TYPES.has(type));
      });
  });

  describe('Scenario: the builder’s groups', () => {
    const groups = builderGroups(FORMIO, translator('en'));

    it('opens on the GMP group, first', () => {
      const gmp = groups.gmp;
      assert.ok(gmp);
      assert.equal(gmp.default, true);
      assert.equal(gmp.weight, 0);
      assert.deepEqual(Object.keys(gmp.components), [
        'measuredValue',
        'deviceReading',
        'verifiedValue',
        'calculatedValue',
        'materialLot',
        'equipmentId',
        'instruction',
      ]);
      for (const name of ['basic', 'advanced', 'layout', 'data']) {
        const group = groups[name];
        assert.ok(group && group.default === false && group.weight > 0);
      }
    });

    it('switches off by name every registered type outside the palette, in its own group', () => {
      for (const [type, group] of Object.entries(FORMIO)) {
        const entries = groups[group];
        if (entries === false || entries === undefined) {
          assert.equal(group, 'premium');
          continue;
        }
        assert.equal(entries.components[type], PALETTE_TYPES.has(type), type);
      }
      assert.equal(groups.premium, false);
      assert.equal(groups.resource, false);
    });

    it('names its groups in Chinese for a Chinese QA user', () => {
      const zh = builderGroups(FORMIO, translator('zh-CN'));
      assert.equal((zh.basic as { title: string }).title, '基本');
    });
  });
});
