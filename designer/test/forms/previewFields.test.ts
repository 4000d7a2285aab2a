import assert from 'node:assert/strict';
import { compileForm } from '../../../engine/src/index.ts';
import { fieldStates, forPreview, valuesAt } from '../../src/forms/previewFields.ts';
import { shippedForms } from './support.ts';

describe('Feature: the preview knows the form’s fields as the server does', () => {
  it('Scenario: every shipped form — the same fields at the same pointers as the compiler’s', async () => {
    for (const { name, definition } of await shippedForms()) {
      const compiled = compileForm(definition).fields.map((f) => [f.pointer, f.label, f.type, f.required]);
      const previewed = fieldStates(definition).map((f) => [f.pointer, f.label, f.type, f.required]);
      assert.deepEqual(previewed.sort(), compiled.sort(), name);
    }
  });

  it('Scenario: a weighing — units, precision, numeric limits, verification, device, N/A, calculation', async () => {
    const dispensing = (await shippedForms()).find((f) => f.name.endsWith('dispensing.json'))!.definition;
    const fields = new Map(fieldStates(dispensing).map((f) => [f.key, f]));
    const weight = fields.get('weight')!;
    assert.equal(weight.pointer, '/weight');
    assert.equal(weight.unit, 'g');
    assert.equal(weight.decimals, 1);
    assert.equal(weight.critical, true);
    assert.equal(weight.capture, 'device');
    // Its limits are FEEL over the target: known only once a record runs, so not printed
    assert.equal(weight.limits, null);
    assert.equal(fields.get('target')!.calculated, true);
    assert.equal(fields.get('lot')!.critical, true);

    const granulation = (await shippedForms()).find((f) => f.name.endsWith('granulation.json'))!.definition;
    const inlet = fieldStates(granulation).find((f) => f.key === 'inletTemperature')!;
    assert.deepEqual(inlet.limits, {
      alert: { min: 57, max: 63 },
      action: { min: 55, max: 65 },
      reject: false,
      comment: false,
    });
    assert.equal(fieldStates(granulation).find((f) => f.key === 'lossOnDrying')!.naAllowed, true);
  });

  it('reads a currency’s unit and decimals, and a number’s decimal limit, as the compiler does', () => {
    const fields = fieldStates({
      components: [
        { type: 'currency', key: 'price', currency: 'EUR', input: true },
        { type: 'number', key: 'count', decimalLimit: 0, input: true },
      ],
    });
    assert.deepEqual(
      fields.map((f) => [f.unit, f.decimals]),
      [
        ['EUR', 2],
        [null, 0],
      ],
    );
  });

  it('finds every value at a pointer template, row by row', () => {
    const data = { samples: [{ mean: 1 }, { mean: 2 }, {}], total: 3 };
    assert.deepEqual(valuesAt('/samples/*/mean', data), [
      { pointer: '/samples/0/mean', value: 1 },
      { pointer: '/samples/1/mean', value: 2 },
    ]);
    assert.deepEqual(valuesAt('/total', data), [{ pointer: '/total', value: 3 }]);
    assert.deepEqual(valuesAt('/missing/x', data), []);
  });

  it('draws instructions as the server hands them out: no inline styles or handlers, no attributes but classes', () => {
    const [columns] = forPreview([
      {
        type: 'columns',
        key: 'c',
        columns: [
          {
            components: [
              { type: 'content', key: 'i', html: '<p style="color:red">Tare</p>' },
              {
                type: 'htmlelement',
                key: 'h',
                tag: 'p',
                content: '<b style="x" onmouseover=\'go()\'>Go</b>',
                attrs: [
                  { attr: 'class', value: 'lead' },
                  { attr: 'onclick', value: 'alert(1)' },
                ],
              },
            ],
          },
        ],
      },
    ]);
    const [content, element] = columns!.columns![0]!.components!;
    assert.equal(content!.html, '<p>Tare</p>');
    assert.equal(element!.content, '<b>Go</b>');
    assert.deepEqual(element!.attrs, [{ attr: 'class', value: 'lead' }]);
  });
});
