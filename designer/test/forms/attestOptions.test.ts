import assert from 'node:assert/strict';
import {
  limitValue,
  normalizeAttest,
  savedComponent,
  withoutInlineAttributes,
} from '../../src/forms/attestOptions.ts';

describe('Feature: the GMP tab’s fields become the attest block the compiler reads', () => {
  describe('Scenario: what formio.js’s edit form leaves', () => {
    it('drops blanks, unticked boxes and empty limits', () => {
      // Given what the edit form saves when only the unit was filled in
      const saved = {
        unit: 'g',
        decimals: null,
        significantDigits: '',
        rounding: 'halfUp',
        limits: { alert: { min: '', max: '' }, action: { min: '', max: '' }, reject: false },
        capture: 'either',
        critical: false,
        naAllowed: false,
        reasonForChange: false,
      };
      // Then only the unit remains: rounding says nothing without decimals, either is the default
      assert.deepEqual(normalizeAttest(saved), { unit: 'g' });
    });

    it('is nothing at all when nothing is set', () => {
      assert.equal(normalizeAttest({ unit: ' ', critical: false, limits: {} }), undefined);
      assert.equal(normalizeAttest(undefined), undefined);
    });

    it('reads limits typed as text as numbers, and keeps FEEL as FEEL', () => {
      const saved = {
        unit: 'g',
        decimals: '1',
        limits: {
          alert: { min: ' 99.5 ', max: '1e2' },
          action: { min: '98', max: 'target * 1.02' },
          reject: true,
        },
      };
      assert.deepEqual(normalizeAttest(saved), {
        unit: 'g',
        decimals: 1,
        limits: { alert: { min: 99.5, max: 100 }, action: { min: 98, max: 'target * 1.02' }, reject: true },
      });
    });

    it('drops reject without action limits (it has nothing to reject outside of)', () => {
      assert.deepEqual(normalizeAttest({ unit: 'g', limits: { alert: { min: 1 }, reject: true } }), {
        unit: 'g',
        limits: { alert: { min: 1 } },
      });
    });

    it('keeps the flags that are ticked and a capture other than either', () => {
      assert.deepEqual(
        normalizeAttest({ capture: 'device', critical: true, naAllowed: true, reasonForChange: false }),
        {
          capture: 'device',
          critical: true,
          naAllowed: true,
        },
      );
    });

    it('keeps what it does not know, for the server to refuse by name', () => {
      assert.deepEqual(normalizeAttest({ unit: 'g', decimals: 'two', colour: 'red' }), {
        unit: 'g',
        decimals: 'two',
        colour: 'red',
      });
    });

    it('trims the FEEL of a calculation', () => {
      assert.deepEqual(normalizeAttest({ calculate: '  (weight - tare)  ', unit: '%' }), {
        calculate: '(weight - tare)',
        unit: '%',
      });
    });
  });

  it('reads a limit: numbers as numbers, anything else as FEEL text', () => {
    assert.equal(limitValue('-0.5'), -0.5);
    assert.equal(limitValue(12), 12);
    assert.equal(limitValue(' target '), 'target');
  });

  describe('Scenario: a component saved from its edit dialog', () => {
    it('carries the cleaned block, or none', () => {
      const component = savedComponent({ type: 'textfield', key: 'lot', attest: { critical: false } });
      assert.ok(!('attest' in component));
      assert.deepEqual(
        savedComponent({ type: 'number', key: 'n', attest: { unit: 'mL', critical: true } }).attest,
        {
          unit: 'mL',
          critical: true,
        },
      );
    });

    it('keeps an instruction’s HTML without inline styles or handlers (the server drops them, the CSP refuses them)', () => {
      const content = savedComponent({
        type: 'content',
        key: 'instruction',
        html: '<p style="color: red" class="lead">Tare <b style=\'x\' onclick="go()">first</b></p>',
      });
      assert.equal(content.html, '<p class="lead">Tare <b>first</b></p>');
      assert.equal(withoutInlineAttributes('<td STYLE=width:2em>1</td>'), '<td>1</td>');
    });
  });
});
