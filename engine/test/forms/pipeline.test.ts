import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { compileForm } from '../../src/forms/compiler.ts';
import { decimalPlaces, decimalsForSignificant, formatNumber, roundTo } from '../../src/forms/numbers.ts';
import { FormRuntime, templateOf, type Processed, type SubmissionInput } from '../../src/forms/pipeline.ts';
import type { FormioComponent } from '../../src/forms/types.ts';

const fixture = async (name: string): Promise<unknown> =>
  JSON.parse(await readFile(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));

const form = (...components: FormioComponent[]) => new FormRuntime(compileForm({ components }));

/** Errors as [pointer, keyword, message], sorted by pointer then keyword, for order-free comparison. */
const errorList = (r: Processed) =>
  r.errors
    .map((e) => [e.pointer, e.keyword, e.message])
    .sort((a, b) => a[0]!.localeCompare(b[0]!) || a[1]!.localeCompare(b[1]!));

const valueAt = (r: Processed, pointer: string) => r.values.find((v) => v.pointer === pointer);

const noProblems = (r: Processed) => {
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.exceptions, []);
};

/** The dispensing task's variables: the batch record's target weight and its tolerance. */
const variables = { targetWeight: 100, tolerancePercent: 5 };

/** A reading taken from the scale over its interface (E2, E3). */
const fromScale = (raw = 'ST,GS,   100.0 g') => ({
  '/weight': { source: 'device' as const, deviceId: 'BAL-07', channel: 'COM3', raw },
});

const dispensingData = (extra: Record<string, unknown> = {}) => ({
  material: 'ABC-1234',
  lot: 'L-2026-001',
  scale: 'BAL-07',
  weight: 100,
  containerIntact: 'yes',
  submit: true,
  ...extra,
});

const yesNo = [
  { label: 'Yes', value: 'yes' },
  { label: 'No', value: 'no' },
];

describe('Feature: the form submission pipeline', () => {
  let dispensing: FormRuntime;
  let deviation: FormRuntime;

  before(async () => {
    dispensing = new FormRuntime(compileForm(await fixture('dispensing.json')));
    deviation = new FormRuntime(compileForm(await fixture('deviationReport.json')));
  });

  const weigh = (input: SubmissionInput, options: { partial?: boolean } = {}) =>
    dispensing.process(input, variables, options);

  describe('Scenario: a complete dispensing record', () => {
    it('E2: a weight from the scale within the alert limits passes with no error and no exception', () => {
      const r = weigh({ data: dispensingData(), sources: fromScale() });
      noProblems(r);
      assert.deepEqual(r.data, {
        material: 'ABC-1234',
        lot: 'L-2026-001',
        scale: 'BAL-07',
        target: 100,
        tolerance: 5,
        weight: 100,
        deviationPercent: 0,
        containerIntact: 'yes',
      });
      assert.deepEqual(
        r.values.map((v) => [v.pointer, v.value, v.source]),
        [
          ['/material', 'ABC-1234', 'manual'],
          ['/lot', 'L-2026-001', 'manual'],
          ['/scale', 'BAL-07', 'manual'],
          ['/target', 100, 'calculated'],
          ['/tolerance', 5, 'calculated'],
          ['/weight', 100, 'device'],
          ['/deviationPercent', 0, 'calculated'],
          ['/containerIntact', 'yes', 'manual'],
        ],
      );
    });

    it('Scenario: the pipeline is pure: the input is not changed', () => {
      const input = { data: dispensingData({ lot: '  L-1 ' }), sources: fromScale() };
      const before = structuredClone(input);
      weigh(input);
      assert.deepEqual(input, before);
    });
  });

  describe('Scenario: normalization of submitted data', () => {
    it('E4: strings are trimmed before they are validated and kept', () => {
      const r = weigh({
        data: dispensingData({ material: '  ABC-1234 ', lot: '\tL-1  ' }),
        sources: fromScale(),
      });
      noProblems(r);
      assert.equal(r.data.material, 'ABC-1234');
      assert.equal(r.data.lot, 'L-1');
    });

    it('E7: an empty or blank string, or null, is treated as no value', () => {
      const r = weigh({
        data: dispensingData({ lot: '', scale: '   ', comments: '', damage: null }),
        sources: fromScale(),
      });
      assert.deepEqual(errorList(r), [
        ['/lot', 'required', 'Lot is required'],
        ['/scale', 'required', 'Scale is required'],
      ]);
      assert.ok(!('comments' in r.data));
      assert.ok(!('damage' in r.data));
    });

    it('E4: a number given as text is read as a number; text that is not one is refused', () => {
      const ok = weigh({ data: dispensingData({ weight: ' 100.0 ' }), sources: fromScale() });
      noProblems(ok);
      assert.equal(ok.data.weight, 100);
      const bad = weigh({ data: dispensingData({ weight: '100 g' }), sources: fromScale() });
      assert.deepEqual(errorList(bad), [['/weight', 'type', 'Weight (g) must be a number']]);
    });

    it('Scenario: the submit button key is dropped without an error', () => {
      const r = weigh({ data: dispensingData({ submit: true }), sources: fromScale() });
      noProblems(r);
      assert.ok(!('submit' in r.data));
    });

    it('Scenario: a key that is not a field of the form is refused as additionalProperties', () => {
      const r = weigh({ data: dispensingData({ approvedBy: 'me' }), sources: fromScale() });
      assert.deepEqual(r.errors, [
        {
          pointer: '/approvedBy',
          keyword: 'additionalProperties',
          message: '"approvedBy" is not a field of this form',
        },
      ]);
      assert.ok(!('approvedBy' in r.data));
    });

    it('Scenario: unknown keys inside grid rows and containers are refused at their pointer', () => {
      const rt = form(
        { type: 'container', key: 'c', components: [{ type: 'textfield', key: 'a' }] },
        { type: 'datagrid', key: 'g', components: [{ type: 'textfield', key: 'b' }] },
      );
      const r = rt.process({ data: { c: { a: 'x', z: 1 }, g: [{ b: 'y' }, { b: 'z', extra: true }] } }, {});
      assert.deepEqual(errorList(r), [
        ['/c/z', 'additionalProperties', '"z" is not a field of this form'],
        ['/g/1/extra', 'additionalProperties', '"extra" is not a field of this form'],
      ]);
    });

    it('Scenario: data that is not an object is refused', () => {
      const r = form({ type: 'textfield', key: 'a' }).process({ data: ['a'] }, {});
      assert.deepEqual(r.errors, [
        { pointer: '/data', keyword: 'type', message: 'The data must be an object' },
      ]);
    });
  });

  describe('Scenario: rounding to the field’s decimals or significant digits', () => {
    const rounding = () =>
      form(
        { type: 'measuredValue', key: 'up', label: 'Up', attest: { unit: 'mg', decimals: 2 } },
        {
          type: 'measuredValue',
          key: 'even',
          label: 'Even',
          attest: { unit: 'mg', decimals: 2, rounding: 'halfEven' },
        },
        {
          type: 'measuredValue',
          key: 'strict',
          label: 'Strict',
          attest: { unit: 'mg', decimals: 1, rounding: 'refuse' },
        },
        { type: 'measuredValue', key: 'assay', label: 'Assay', attest: { unit: '%', significantDigits: 3 } },
      );

    it('E4: rounds a measured value half up to its decimals in decimal arithmetic (1.005 → 1.01)', () => {
      const r = rounding().process({ data: { up: 1.005 } }, {});
      noProblems(r);
      assert.equal(r.data.up, 1.01);
      assert.equal(valueAt(r, '/up')!.entered, 1.005);
      assert.equal(rounding().process({ data: { up: -1.005 } }, {}).data.up, -1.01);
    });

    it('E4: rounds the dispensing weight 103.04 to 103.0 and keeps the value as entered', () => {
      const r = weigh({ data: dispensingData({ weight: 103.04 }), sources: fromScale('103.04 g') });
      assert.deepEqual(r.errors, []);
      assert.equal(r.data.weight, 103);
      const weight = valueAt(r, '/weight')!;
      assert.equal(weight.value, 103);
      assert.equal(weight.entered, 103.04);
      assert.equal(weight.device!.raw, '103.04 g');
    });

    it('E4: a value already within its decimals is kept as it is, with no entered value', () => {
      const r = rounding().process({ data: { up: 2.5, strict: 1.2 } }, {});
      noProblems(r);
      assert.equal(valueAt(r, '/up')!.entered, null);
      assert.equal(r.data.strict, 1.2);
    });

    it('E4: rounds half to even when the field says halfEven', () => {
      const at = (even: number) => rounding().process({ data: { even } }, {}).data.even;
      assert.equal(at(0.125), 0.12);
      assert.equal(at(0.135), 0.14);
      assert.equal(at(2.345), 2.34);
      assert.equal(at(2.3451), 2.35);
    });

    it('E4: refuses a value with too many decimals when rounding is refuse (keyword decimals)', () => {
      const r = rounding().process({ data: { strict: 1.25 } }, {});
      assert.deepEqual(r.errors, [
        {
          pointer: '/strict',
          keyword: 'decimals',
          message: 'Strict (mg) must have at most 1 decimal places',
        },
      ]);
      assert.equal(r.data.strict, 1.25);
    });

    it('E4: rounds to significant digits', () => {
      const at = (assay: number) => rounding().process({ data: { assay } }, {});
      assert.equal(at(0.012345).data.assay, 0.0123);
      assert.equal(at(98.76).data.assay, 98.8);
      assert.equal(at(123.45).data.assay, 123);
      assert.equal(at(99.96).data.assay, 100);
      assert.equal(valueAt(at(98.76), '/assay')!.entered, 98.76);
    });

    it('E4: a Form.io number with decimalLimit refuses extra decimals', () => {
      const r = form({ type: 'number', key: 'n', label: 'Count', decimalLimit: 0 }).process(
        { data: { n: 2.5 } },
        {},
      );
      assert.deepEqual(errorList(r), [['/n', 'decimals', 'Count must have at most 0 decimal places']]);
    });

    it('E4: a currency is rounded to cents', () => {
      const r = form({ type: 'currency', key: 'price', label: 'Price', currency: 'EUR' }).process(
        { data: { price: '12.345' } },
        {},
      );
      assert.equal(r.data.price, 12.35);
    });
  });

  describe('Scenario: calculated values are computed by the server in FEEL', () => {
    it('E4: target, tolerance and deviation are calculated from the variables and the weight', () => {
      const r = weigh({ data: dispensingData({ weight: 101.3 }), sources: fromScale() });
      noProblems(r);
      assert.equal(r.data.target, 100);
      assert.equal(r.data.tolerance, 5);
      // (101.3 - 100) / 100 * 100 is 1.2999999999999972 in floating point: rounded to 2 decimals.
      assert.equal(r.data.deviationPercent, 1.3);
      assert.equal(valueAt(r, '/deviationPercent')!.source, 'calculated');
    });

    it('E4: a value the client sends for a calculated field is ignored, and so is a source for it', () => {
      const r = weigh({
        data: dispensingData({ target: 5, tolerance: 50, deviationPercent: 0 }),
        sources: { ...fromScale(), '/target': { source: 'device', deviceId: 'X', raw: '5' } },
      });
      noProblems(r);
      assert.equal(r.data.target, 100);
      assert.equal(r.data.tolerance, 5);
      const target = valueAt(r, '/target')!;
      assert.equal(target.source, 'calculated');
      assert.equal(target.device, null);
    });

    it('E4: a calculation that yields nothing leaves the value blank', () => {
      const r = weigh({ data: dispensingData({ weight: undefined }) }, { partial: true });
      assert.deepEqual(r.errors, []);
      assert.ok(!('deviationPercent' in r.data));
      assert.equal(valueAt(r, '/deviationPercent'), undefined);
    });

    it('E4: a calculated value in a grid row is computed from the fields of its row', () => {
      const rt = form({
        type: 'datagrid',
        key: 'containers',
        components: [
          { type: 'measuredValue', key: 'gross', attest: { unit: 'kg', decimals: 2 } },
          { type: 'measuredValue', key: 'tare', attest: { unit: 'kg', decimals: 2 } },
          {
            type: 'calculatedValue',
            key: 'net',
            label: 'Net',
            attest: { calculate: 'gross - tare', unit: 'kg', decimals: 2 },
          },
        ],
      });
      const r = rt.process(
        {
          data: {
            containers: [
              { gross: 12.5, tare: 0.35, net: 99 },
              { gross: 10, tare: 1.1 },
            ],
          },
        },
        {},
      );
      noProblems(r);
      assert.deepEqual(r.data.containers, [
        { gross: 12.5, tare: 0.35, net: 12.15 },
        { gross: 10, tare: 1.1, net: 8.9 },
      ]);
      assert.deepEqual(
        r.values.filter((v) => v.field.key === 'net').map((v) => [v.pointer, v.value, v.source]),
        [
          ['/containers/0/net', 12.15, 'calculated'],
          ['/containers/1/net', 8.9, 'calculated'],
        ],
      );
    });

    it('E4: a calculation never reads a value the client sent for another calculated field', () => {
      const rt = form(
        { type: 'number', key: 'base' },
        { type: 'calculatedValue', key: 'double', attest: { calculate: 'half * 2' } },
        { type: 'calculatedValue', key: 'half', attest: { calculate: 'base / 2' } },
      );
      const r = rt.process({ data: { base: 10, half: 1000 } }, {});
      assert.equal(r.data.half, 5);
      assert.notEqual(r.data.double, 2000);
      assert.equal(r.data.double, 10);
    });

    it('E4: calculated values of a grid row that use each other settle whatever their order', () => {
      const rt = form({
        type: 'datagrid',
        key: 'g',
        components: [
          { type: 'number', key: 'n' },
          { type: 'calculatedValue', key: 'total', attest: { calculate: 'doubled + 1' } },
          { type: 'calculatedValue', key: 'doubled', attest: { calculate: 'n * 2' } },
        ],
      });
      const r = rt.process({ data: { g: [{ n: 2, total: 99 }, { n: 5 }] } }, {});
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.data.g, [
        { n: 2, total: 5, doubled: 4 },
        { n: 5, total: 11, doubled: 10 },
      ]);
    });

    it('E4: a calculated value inside a container of a grid row is written into the container', () => {
      const rt = form({
        type: 'datagrid',
        key: 'g',
        components: [
          { type: 'number', key: 'n' },
          {
            type: 'container',
            key: 'c',
            components: [{ type: 'calculatedValue', key: 'd', attest: { calculate: 'n * 2' } }],
          },
        ],
      });
      const r = rt.process({ data: { g: [{ n: 2 }] } }, {});
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.data.g, [{ n: 2, c: { d: 4 } }]);
    });
  });

  describe('Scenario: visibility of conditional fields', () => {
    const chain = () =>
      form(
        { type: 'checkbox', key: 'spill', label: 'Spill?' },
        {
          type: 'radio',
          key: 'kind',
          label: 'Kind',
          values: [
            { label: 'Powder', value: 'powder' },
            { label: 'Liquid', value: 'liquid' },
          ],
          validate: { required: true },
          conditional: { show: true, when: 'spill', eq: true },
        },
        {
          type: 'textfield',
          key: 'solvent',
          label: 'Solvent',
          validate: { required: true },
          conditional: {
            show: true,
            conjunction: 'all',
            conditions: [{ component: 'kind', operator: 'isEqual', value: 'liquid' }],
          },
        },
      );

    it('E7: a hidden field is not required', () => {
      noProblems(chain().process({ data: {} }, {}));
      noProblems(chain().process({ data: { spill: false } }, {}));
    });

    it('E7: a shown field is required', () => {
      assert.deepEqual(errorList(chain().process({ data: { spill: true } }, {})), [
        ['/kind', 'required', 'Kind is required'],
      ]);
      assert.deepEqual(errorList(chain().process({ data: { spill: true, kind: 'liquid' } }, {})), [
        ['/solvent', 'required', 'Solvent is required'],
      ]);
      noProblems(chain().process({ data: { spill: true, kind: 'liquid', solvent: 'water' } }, {}));
    });

    it('Scenario: a hidden field’s value is cleared, and chained conditions clear what depends on it', () => {
      const r = chain().process({ data: { spill: false, kind: 'liquid', solvent: 'water' } }, {});
      noProblems(r);
      assert.deepEqual(r.data, { spill: false });
      assert.deepEqual(
        r.values.map((v) => v.pointer),
        ['/spill'],
      );
      const shown = chain().process({ data: { spill: true, kind: 'powder', solvent: 'water' } }, {});
      assert.deepEqual(shown.data, { spill: true, kind: 'powder' });
    });

    it('E7: in the dispensing form the damage is required only when the container is not intact', () => {
      const intact = weigh({ data: dispensingData({ damage: 'torn label' }), sources: fromScale() });
      noProblems(intact);
      assert.ok(!('damage' in intact.data));
      const damaged = weigh({ data: dispensingData({ containerIntact: 'no' }), sources: fromScale() });
      assert.deepEqual(errorList(damaged), [['/damage', 'required', 'Describe the damage is required']]);
      const described = weigh({
        data: dispensingData({ containerIntact: 'no', damage: 'torn label' }),
        sources: fromScale(),
      });
      noProblems(described);
      assert.equal(described.data.damage, 'torn label');
    });

    it('Scenario: a conditional panel hides the fields in it; show false hides when the condition holds', () => {
      const rt = form(
        { type: 'number', key: 'n', label: 'N' },
        {
          type: 'panel',
          key: 'p',
          conditional: {
            show: true,
            conjunction: 'any',
            conditions: [
              { component: 'n', operator: 'greaterThanOrEqual', value: 10 },
              { component: 'n', operator: 'isEmpty' },
            ],
          },
          components: [{ type: 'textfield', key: 'big', label: 'Big', validate: { required: true } }],
        },
        {
          type: 'textfield',
          key: 'reason',
          label: 'Reason',
          validate: { required: true },
          conditional: { show: false, conditions: [{ component: 'n', operator: 'lessThan', value: 5 }] },
        },
      );
      assert.deepEqual(errorList(rt.process({ data: {} }, {})), [
        ['/big', 'required', 'Big is required'],
        ['/reason', 'required', 'Reason is required'],
      ]);
      const small = rt.process({ data: { n: 3, big: 'x', reason: 'y' } }, {});
      noProblems(small);
      assert.deepEqual(small.data, { n: 3 });
      assert.deepEqual(errorList(rt.process({ data: { n: 7 } }, {})), [
        ['/reason', 'required', 'Reason is required'],
      ]);
      assert.deepEqual(errorList(rt.process({ data: { n: 12, reason: 'y' } }, {})), [
        ['/big', 'required', 'Big is required'],
      ]);
    });

    it('E7: in a grid, a field shown by a field of its row is required and cleared row by row', () => {
      const rt = form({
        type: 'datagrid',
        key: 'checks',
        label: 'Checks',
        components: [
          { type: 'radio', key: 'ok', label: 'OK?', values: yesNo, validate: { required: true } },
          {
            type: 'textfield',
            key: 'why',
            label: 'Why',
            validate: { required: true },
            conditional: {
              show: true,
              conditions: [{ component: 'row.ok', operator: 'isEqual', value: 'no' }],
            },
          },
        ],
      });
      const r = rt.process({ data: { checks: [{ ok: 'yes', why: 'not needed' }, { ok: 'no' }] } }, {});
      assert.deepEqual(r.data.checks, [{ ok: 'yes' }, { ok: 'no' }]);
      assert.deepEqual(errorList(r), [['/checks/1/why', 'required', 'Why in row 2 is required']]);
    });

    it('E7: an N/A answer for a hidden field is dropped with the field', () => {
      const rt = form(
        { type: 'checkbox', key: 'measured' },
        {
          type: 'measuredValue',
          key: 'ph',
          label: 'pH',
          validate: { required: true },
          attest: { unit: 'pH', naAllowed: true },
          conditional: { show: true, when: 'measured', eq: true },
        },
      );
      const r = rt.process({ data: { measured: false }, na: { '/ph': 'no probe' } }, {});
      noProblems(r);
      assert.deepEqual(r.data, { measured: false });
    });
  });

  describe('Scenario: every error at once, in plain language, at the pointer of the value', () => {
    it('E4: the dispensing form reports every problem of a submission together', () => {
      const r = weigh({
        data: { material: 'abc-1', weight: 105.1, containerIntact: 'no', submit: true },
        sources: fromScale('105.1 g'),
      });
      assert.deepEqual(errorList(r), [
        ['/damage', 'required', 'Describe the damage is required'],
        ['/lot', 'required', 'Lot is required'],
        ['/material', 'pattern', 'Material code does not have the required format'],
        ['/scale', 'required', 'Scale is required'],
        ['/weight', 'maximum', 'Weight (g) must be at most 105.0'],
      ]);
      assert.deepEqual(r.exceptions, []);
    });

    it('E4: typed values are checked: email, web address, time, day, checkbox, text and enumerations', () => {
      const rt = form(
        { type: 'email', key: 'e', label: 'E-mail' },
        { type: 'url', key: 'u', label: 'Link' },
        { type: 'time', key: 't', label: 'Start' },
        { type: 'day', key: 'd', label: 'Day' },
        { type: 'checkbox', key: 'c', label: 'Clean', validate: { required: true } },
        { type: 'textfield', key: 'tf', label: 'Name', validate: { minLength: 3 } },
        { type: 'textarea', key: 'ta', label: 'Notes', validate: { maxLength: 5 } },
        { type: 'radio', key: 'r', label: 'Intact', values: yesNo },
        { type: 'number', key: 'n', label: 'Count', validate: { min: 1, max: 3 } },
        { type: 'number', key: 'm', label: 'Level', validate: { min: 1 } },
      );
      const r = rt.process(
        {
          data: {
            e: 'nope',
            u: 'not a url',
            t: '25:00',
            d: '2026-11-24',
            c: false,
            tf: 7,
            ta: 'too long',
            r: 'maybe',
            n: 4,
            m: 0,
          },
        },
        {},
      );
      assert.deepEqual(errorList(r), [
        ['/c', 'const', 'Clean must be checked'],
        ['/d', 'pattern', 'Day must be a day like 24/11/2026'],
        ['/e', 'format', 'E-mail must be an email address'],
        ['/m', 'minimum', 'Level must be at least 1'],
        ['/n', 'maximum', 'Count must be at most 3'],
        ['/r', 'enum', 'Intact must be one of: Yes, No'],
        ['/t', 'pattern', 'Start must be a time like 14:30'],
        ['/ta', 'maxLength', 'Notes must have at most 5 characters'],
        ['/tf', 'type', 'Name must be text'],
        ['/u', 'format', 'Link must be a web address'],
      ]);
      noProblems(
        rt.process(
          {
            data: {
              e: 'qa@example.com',
              u: 'https://sop.example/QA-012',
              t: '14:30',
              d: '24/11/2026',
              c: true,
              tf: 'Ann',
              r: 'yes',
              n: 2,
            },
          },
          {},
        ),
      );
    });

    it('E4: an unknown choice of a multiple select is named in plain language', () => {
      const rt = form({
        type: 'select',
        key: 's',
        label: 'Tests',
        multiple: true,
        data: {
          values: [
            { label: 'Assay', value: 'assay' },
            { label: 'pH', value: 'ph' },
          ],
        },
      });
      const r = rt.process({ data: { s: ['assay', 'colour'] } }, {});
      assert.equal(r.errors.length, 1);
      assert.equal(r.errors[0]!.message, 'Tests must be one of: Assay, pH');
    });
  });

  describe('Scenario: partial saves', () => {
    it('E7: a partial save ignores required fields, but not wrong values', () => {
      noProblems(weigh({ data: {} }, { partial: true }));
      const r = weigh({ data: { material: 'abc' } }, { partial: true });
      assert.deepEqual(errorList(r), [
        ['/material', 'pattern', 'Material code does not have the required format'],
      ]);
      assert.equal(weigh({ data: {} }).errors.length, 5);
    });

    it('E7: a partial save ignores missing rows, unticked choices and an unchecked required checkbox', () => {
      const partial = deviation.process(
        {
          data: {
            batchAffected: 'yes',
            category: { quality: false },
            batches: [{ product: 'Tablets 10 mg' }],
          },
        },
        {},
        { partial: true },
      );
      assert.deepEqual(partial.errors, []);
      const rt = form({ type: 'checkbox', key: 'c', validate: { required: true } });
      assert.deepEqual(rt.process({ data: { c: false } }, {}, { partial: true }).errors, []);
    });
  });

  describe('Scenario: limit checks', () => {
    const temperature = (limits: Record<string, unknown>) =>
      form({
        type: 'measuredValue',
        key: 'temp',
        label: 'Temperature',
        attest: { unit: '°C', decimals: 1, limits },
      });
    const bands = { alert: { min: 18, max: 22 }, action: { min: 15, max: 25 } };

    it('F4: a value within the alert limits, or on them, raises nothing', () => {
      for (const temp of [18, 20, 22]) noProblems(temperature(bands).process({ data: { temp } }, {}));
    });

    it('F4: an alert breach raises a low-severity exception that does not block', () => {
      const r = temperature(bands).process({ data: { temp: 22.4 } }, {});
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.exceptions, [
        {
          pointer: '/temp',
          type: 'limit_breach',
          severity: 'low',
          blocking: false,
          message: 'Temperature (°C) 22.4 is above the alert limit 22.0',
          details: {
            value: 22.4,
            band: 'alert',
            limit: 22,
            end: 'max',
            unit: '°C',
            action: { min: 15, max: 25 },
            alert: { min: 18, max: 22 },
          },
        },
      ]);
    });

    it('F4: an action breach without reject raises a high-severity exception that blocks', () => {
      const r = temperature(bands).process({ data: { temp: 14.2 } }, {});
      assert.deepEqual(r.errors, []);
      assert.equal(r.exceptions.length, 1);
      const [e] = r.exceptions;
      assert.equal(e!.severity, 'high');
      assert.equal(e!.blocking, true);
      assert.equal(e!.message, 'Temperature (°C) 14.2 is below the action limit 15.0');
      assert.equal(e!.details.band, 'action');
      assert.equal(e!.details.end, 'min');
    });

    it('F4: with reject, a value outside the action limits is an error and raises no exception', () => {
      const rt = temperature({ ...bands, reject: true });
      const r = rt.process({ data: { temp: 25.3 } }, {});
      assert.deepEqual(r.errors, [
        { pointer: '/temp', keyword: 'maximum', message: 'Temperature (°C) must be at most 25.0' },
      ]);
      assert.deepEqual(r.exceptions, []);
      // An alert breach is still only an exception.
      const alert = rt.process({ data: { temp: 23 } }, {});
      assert.deepEqual(alert.errors, []);
      assert.equal(alert.exceptions[0]!.severity, 'low');
    });

    it('F4: the dispensing weight: alert breaches are exceptions, action breaches are refused', () => {
      const above = weigh({ data: dispensingData({ weight: 103.04 }), sources: fromScale() });
      assert.deepEqual(above.errors, []);
      assert.deepEqual(
        above.exceptions.map((e) => [e.pointer, e.type, e.severity, e.blocking, e.message]),
        [['/weight', 'limit_breach', 'low', false, 'Weight (g) 103.0 is above the alert limit 102.5']],
      );
      const below = weigh({ data: dispensingData({ weight: 96 }), sources: fromScale() });
      assert.equal(below.exceptions[0]!.message, 'Weight (g) 96.0 is below the alert limit 97.5');
      const tooLow = weigh({ data: dispensingData({ weight: 94.9 }), sources: fromScale() });
      assert.deepEqual(errorList(tooLow), [['/weight', 'minimum', 'Weight (g) must be at least 95.0']]);
      assert.deepEqual(tooLow.exceptions, []);
      // The limits follow the task's variables.
      const heavier = dispensing.process(
        { data: dispensingData({ weight: 200 }), sources: fromScale() },
        { targetWeight: 200, tolerancePercent: 5 },
      );
      noProblems(heavier);
    });

    it('F4: a value exactly on a FEEL limit is within it', () => {
      const r = weigh({ data: dispensingData({ weight: 102.5 }), sources: fromScale() });
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.exceptions, []);
    });

    it('F4: FEEL limits use other fields of the form and the task variables', () => {
      const rt = form(
        { type: 'number', key: 'fillVolume', label: 'Fill volume' },
        {
          type: 'measuredValue',
          key: 'fill',
          label: 'Fill weight',
          attest: {
            unit: 'g',
            decimals: 2,
            limits: {
              action: {
                min: 'fillVolume * density * (1 - tolerance)',
                max: 'fillVolume * density * (1 + tolerance)',
              },
            },
          },
        },
      );
      const vars = { density: 1.2, tolerance: 0.1 };
      noProblems(rt.process({ data: { fillVolume: 10, fill: 12 } }, vars));
      const high = rt.process({ data: { fillVolume: 10, fill: 13.3 } }, vars);
      assert.deepEqual(high.errors, []);
      assert.equal(high.exceptions[0]!.message, 'Fill weight (g) 13.30 is above the action limit 13.20');
      assert.equal(high.exceptions[0]!.blocking, true);
      const low = rt.process({ data: { fillVolume: 10, fill: 10.7 } }, vars);
      assert.equal(low.exceptions[0]!.message, 'Fill weight (g) 10.70 is below the action limit 10.80');
      // With more volume the same weight is within the limits.
      noProblems(rt.process({ data: { fillVolume: 11, fill: 13.3 } }, vars));
    });

    it('F4: a FEEL limit that cannot be worked out refuses the submission', () => {
      const rt = form(
        { type: 'number', key: 'fillVolume' },
        {
          type: 'measuredValue',
          key: 'fill',
          label: 'Fill weight',
          attest: { unit: 'g', limits: { action: { max: 'fillVolume * 1.2' } } },
        },
      );
      const r = rt.process({ data: { fill: 12 } }, {});
      assert.deepEqual(r.errors, [
        {
          pointer: '/fill',
          keyword: 'feel',
          message:
            'The action limit of Fill weight (g) could not be worked out: "fillVolume * 1.2" gave null',
        },
      ]);
      assert.deepEqual(r.exceptions, []);
    });

    it('F4: limits in grid rows name the row and may use the row’s fields', () => {
      const rt = form({
        type: 'datagrid',
        key: 'tablets',
        components: [
          { type: 'number', key: 'nominal' },
          {
            type: 'measuredValue',
            key: 'mass',
            label: 'Mass',
            attest: {
              unit: 'mg',
              decimals: 1,
              limits: { alert: { min: 'row.nominal * 0.95', max: 'nominal * 1.05' } },
            },
          },
        ],
      });
      const r = rt.process(
        {
          data: {
            tablets: [
              { nominal: 200, mass: 201 },
              { nominal: 100, mass: 106 },
            ],
          },
        },
        {},
      );
      assert.deepEqual(r.errors, []);
      assert.deepEqual(
        r.exceptions.map((e) => [e.pointer, e.message]),
        [['/tablets/1/mass', 'Mass (mg) in row 2 106.0 is above the alert limit 105.0']],
      );
    });
  });

  describe('Scenario: N/A answers', () => {
    const naForm = () =>
      form(
        {
          type: 'measuredValue',
          key: 'conductivity',
          label: 'Conductivity',
          validate: { required: true },
          attest: { unit: 'µS/cm', decimals: 1, naAllowed: true, limits: { action: { max: 1.3 } } },
        },
        { type: 'textfield', key: 'remark', label: 'Remark' },
        {
          type: 'datagrid',
          key: 'samples',
          components: [
            {
              type: 'number',
              key: 'v',
              label: 'Value',
              validate: { required: true },
              attest: { naAllowed: true },
            },
          ],
        },
      );

    it('E7: B3: an allowed N/A with a reason keeps null and raises an N/A exception', () => {
      const r = naForm().process({ data: {}, na: { '/conductivity': '  Probe out of service ' } }, {});
      assert.deepEqual(r.errors, []);
      assert.equal(r.data.conductivity, null);
      const value = valueAt(r, '/conductivity')!;
      assert.equal(value.value, null);
      assert.equal(value.naReason, 'Probe out of service');
      assert.deepEqual(r.exceptions, [
        {
          pointer: '/conductivity',
          type: 'na',
          severity: 'low',
          blocking: false,
          message: 'Conductivity (µS/cm) was answered N/A: Probe out of service',
          details: { reason: 'Probe out of service' },
        },
      ]);
    });

    it('E7: B3: N/A without a reason is refused at /na/<pointer>', () => {
      for (const reason of ['', '   ', 42, 'x'.repeat(1001)]) {
        const r = naForm().process({ data: {}, na: { '/conductivity': reason as string } }, {});
        assert.deepEqual(errorList(r), [
          ['/conductivity', 'required', 'Conductivity (µS/cm) is required'],
          [
            '/na/conductivity',
            'required',
            'A reason (up to 1000 characters) is required to answer Conductivity (µS/cm) N/A',
          ],
        ]);
        assert.deepEqual(r.exceptions, []);
      }
    });

    it('E7: N/A on a field that does not allow it, or that is not a field, is refused', () => {
      const r = naForm().process(
        { data: { conductivity: 1.1 }, na: { '/remark': 'nothing to say', '/nothing': 'x' } },
        {},
      );
      assert.deepEqual(errorList(r), [
        ['/na/nothing', 'naAllowed', '/nothing is not a field of this form'],
        ['/na/remark', 'naAllowed', 'Remark cannot be answered N/A'],
      ]);
    });

    it('E7: a value and an N/A answer for the same field are refused', () => {
      const r = naForm().process(
        { data: { conductivity: 1.1 }, na: { '/conductivity': 'Probe broken' } },
        {},
      );
      assert.deepEqual(r.errors, [
        {
          pointer: '/na/conductivity',
          keyword: 'value',
          message: 'Conductivity (µS/cm) has a value and an N/A answer; give one',
        },
      ]);
      assert.equal(r.data.conductivity, 1.1);
    });

    it('E7: N/A answers in grid rows are given by row pointer and named by row', () => {
      const r = naForm().process(
        { data: { conductivity: 1, samples: [{ v: 3 }, {}] }, na: { '/samples/1/v': 'Sample lost' } },
        {},
      );
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.data.samples, [{ v: 3 }, { v: null }]);
      assert.deepEqual(
        r.exceptions.map((e) => [e.pointer, e.type, e.message]),
        [['/samples/1/v', 'na', 'Value in row 2 was answered N/A: Sample lost']],
      );
      const missingRow = naForm().process({ data: { conductivity: 1 }, na: { '/samples/4/v': 'Lost' } }, {});
      assert.deepEqual(errorList(missingRow), [
        ['/na/samples/4/v', 'value', 'Value in row 5 is not in the data'],
      ]);
    });

    it('E7: N/A answers must be an object of pointer to reason', () => {
      const r = naForm().process(
        { data: { conductivity: 1 }, na: ['/conductivity'] as unknown as Record<string, string> },
        {},
      );
      assert.deepEqual(r.errors, [
        { pointer: '/na', keyword: 'type', message: 'N/A answers must be an object of pointer → reason' },
      ]);
    });

    it('E7: B3: a required checkbox that allows N/A can be answered N/A', () => {
      const rt = form({
        type: 'checkbox',
        key: 'lineClear',
        label: 'Line clear',
        validate: { required: true },
        attest: { naAllowed: true },
      });
      const r = rt.process({ data: {}, na: { '/lineClear': 'No previous product on this line' } }, {});
      assert.deepEqual(r.errors, []);
      assert.equal(r.exceptions[0]!.type, 'na');
    });
  });

  describe('Scenario: where values come from (E2, E3)', () => {
    it('E2: E3: a value from a device keeps the device id, channel and raw payload', () => {
      const r = weigh({
        data: dispensingData({ weight: '100.04' }),
        sources: fromScale('ST,GS,   100.04 g'),
      });
      noProblems(r);
      assert.deepEqual(valueAt(r, '/weight'), {
        pointer: '/weight',
        field: dispensing.fieldAt('/weight'),
        value: 100,
        source: 'device',
        device: { deviceId: 'BAL-07', channel: 'COM3', raw: 'ST,GS,   100.04 g' },
        naReason: null,
        entered: 100.04,
      });
    });

    it('E2: a value without a source, or with source manual, was entered by hand', () => {
      const rt = form({ type: 'textfield', key: 'a' }, { type: 'textfield', key: 'b' });
      const r = rt.process({ data: { a: 'x', b: 'y' }, sources: { '/b': { source: 'manual' } } }, {});
      noProblems(r);
      assert.deepEqual(
        r.values.map((v) => [v.pointer, v.source, v.device]),
        [
          ['/a', 'manual', null],
          ['/b', 'manual', null],
        ],
      );
    });

    it('E3: a device value without its raw reading or device id is refused', () => {
      for (const source of [
        { source: 'device', deviceId: 'BAL-07' },
        { source: 'device', raw: '100.0 g' },
        { source: 'device', deviceId: '  ', raw: '100.0 g' },
        { source: 'device', deviceId: 'BAL-07', raw: '100.0 g', channel: '' },
      ]) {
        const r = weigh({ data: dispensingData(), sources: { '/weight': source as never } });
        assert.deepEqual(r.errors, [
          {
            pointer: '/sources/weight',
            keyword: 'required',
            message: 'A value from a device needs the device id and the raw reading (Weight (g))',
          },
        ]);
      }
    });

    it('E2: a source other than manual or device is refused', () => {
      const r = weigh({ data: dispensingData(), sources: { '/weight': { source: 'keyboard' } as never } });
      assert.deepEqual(r.errors, [
        { pointer: '/sources/weight', keyword: 'enum', message: 'The source must be manual or device' },
      ]);
    });

    it('E2: a field captured by device but entered by hand raises a manual_entry exception', () => {
      for (const sources of [undefined, { '/weight': { source: 'manual' as const } }]) {
        const r = weigh({ data: dispensingData(), sources });
        assert.deepEqual(r.errors, []);
        assert.deepEqual(r.exceptions, [
          {
            pointer: '/weight',
            type: 'manual_entry',
            severity: 'medium',
            blocking: false,
            message: 'Weight (g) was entered by hand in place of the device',
            details: { value: 100 },
          },
        ]);
        assert.equal(valueAt(r, '/weight')!.source, 'manual');
      }
    });

    it('E2: a source for a pointer that is not a field, or for a field without a value, is refused', () => {
      const r = weigh({
        data: dispensingData(),
        sources: {
          ...fromScale(),
          '/operator': { source: 'manual' },
          '/comments': { source: 'device', deviceId: 'KB', raw: 'x' },
        },
      });
      assert.deepEqual(errorList(r), [
        ['/sources/comments', 'value', 'Comments has a source but no value'],
        ['/sources/operator', 'value', '/operator is not a field of this form'],
      ]);
    });

    it('E2: sources in grid rows are given by row pointer', () => {
      const rt = form({
        type: 'datagrid',
        key: 'g',
        components: [{ type: 'measuredValue', key: 'w', attest: { unit: 'g', capture: 'device' } }],
      });
      const r = rt.process(
        {
          data: { g: [{ w: 1 }, { w: 2 }] },
          sources: { '/g/1/w': { source: 'device', deviceId: 'BAL-1', raw: '2 g' } },
        },
        {},
      );
      assert.deepEqual(
        r.values.map((v) => [v.pointer, v.source]),
        [
          ['/g/0/w', 'manual'],
          ['/g/1/w', 'device'],
        ],
      );
      assert.deepEqual(
        r.exceptions.map((e) => [e.pointer, e.type, e.message]),
        [['/g/0/w', 'manual_entry', 'w (g) in row 1 was entered by hand in place of the device']],
      );
    });

    it('E2: sources must be an object of pointer to source', () => {
      const r = weigh({ data: dispensingData(), sources: 'scale' as never });
      assert.deepEqual(
        r.errors.filter((e) => e.pointer === '/sources'),
        [{ pointer: '/sources', keyword: 'type', message: 'Sources must be an object of pointer → source' }],
      );
    });
  });

  describe('Scenario: the deviation report', () => {
    const report = (extra: Record<string, unknown> = {}) => ({
      title: 'Scale out of calibration',
      occurredAt: '2026-11-24T08:30:00+01:00',
      area: 'dispensing',
      category: { quality: true, gmp: true, safety: false, documentation: false },
      description: 'The daily check of BAL-07 failed at 100 g by 0.3 g.',
      batchAffected: 'yes',
      batches: [
        { batchNumber: 'B-2026-0042', product: 'Paracetamol 500 mg' },
        { batchNumber: 'B-2026-0043' },
      ],
      equipmentAffected: true,
      equipment: 'BAL-07',
      immediateActions: 'Scale tagged out of service; weighing moved to BAL-08.',
      attachments: [
        { id: '0b6f7f5e-8c1a-4f7e-9a43-2d9c0c6b9a11', name: 'check.jpg', size: 182034, type: 'image/jpeg' },
      ],
      submit: true,
      ...extra,
    });

    it('E4: a valid full submission passes and is kept as submitted, without the button', () => {
      const r = deviation.process({ data: report() }, {});
      noProblems(r);
      const kept: Record<string, unknown> = report();
      delete kept.submit;
      assert.deepEqual(r.data, kept);
    });

    it('E7: the batches grid is shown only when a batch is affected', () => {
      const no = deviation.process({ data: report({ batchAffected: 'no' }) }, {});
      noProblems(no);
      assert.ok(!('batches' in no.data));
      assert.ok(!no.values.some((v) => v.pointer.startsWith('/batches')));
      for (const batches of [undefined, []]) {
        const yes = deviation.process({ data: report({ batchAffected: 'yes', batches }) }, {});
        assert.deepEqual(errorList(yes), [['/batches', 'required', 'Affected batches is required']]);
      }
      const unknown = deviation.process(
        { data: report({ batchAffected: 'unknown', batches: undefined }) },
        {},
      );
      noProblems(unknown);
    });

    it('E7: a missing value in a grid row is named by its row', () => {
      const r = deviation.process(
        {
          data: report({ batches: [{ batchNumber: 'B-1' }, { product: 'Tablets' }, { batchNumber: '  ' }] }),
        },
        {},
      );
      assert.deepEqual(errorList(r), [
        ['/batches/1/batchNumber', 'required', 'Batch number in row 2 is required'],
        ['/batches/2/batchNumber', 'required', 'Batch number in row 3 is required'],
      ]);
    });

    it('E4: the number of rows is bounded', () => {
      const batches = Array.from({ length: 21 }, (_, i) => ({ batchNumber: `B-${i}` }));
      const r = deviation.process({ data: report({ batches }) }, {});
      assert.deepEqual(errorList(r), [
        ['/batches', 'maxItems', 'Affected batches must have at most 20 rows'],
      ]);
    });

    it('E7: the equipment id is shown when equipment is involved (legacy conditional)', () => {
      const missing = deviation.process({ data: report({ equipment: undefined }) }, {});
      assert.deepEqual(errorList(missing), [['/equipment', 'required', 'Equipment id is required']]);
      const notInvolved = deviation.process({ data: report({ equipmentAffected: false }) }, {});
      noProblems(notInvolved);
      assert.ok(!('equipment' in notInvolved.data));
      const unset = deviation.process(
        { data: report({ equipmentAffected: undefined, equipment: undefined }) },
        {},
      );
      noProblems(unset);
    });

    it('E4: wrong values of the report are all named in plain language', () => {
      const r = deviation.process(
        {
          data: report({
            occurredAt: '2026-11-24 08:30',
            area: 'kitchen',
            description: 'Too short',
            attachments: [
              { id: '0b6f7f5e-8c1a-4f7e-9a43-2d9c0c6b9a11', name: 'a.jpg', size: 1 },
              { id: '1b6f7f5e-8c1a-4f7e-9a43-2d9c0c6b9a11', name: 'b.jpg', size: 2 },
            ],
          }),
        },
        {},
      );
      assert.deepEqual(errorList(r), [
        [
          '/area',
          'enum',
          'Area must be one of: Dispensing, Granulation, Compression, Packaging, Warehouse, QC laboratory',
        ],
        ['/description', 'minLength', 'What happened? must have at least 20 characters'],
        ['/occurredAt', 'format', 'When did it happen? must be a date and time with its time zone'],
      ]);
    });

    it('E7: required select boxes with no box ticked are refused: at least one choice is needed', () => {
      const r = deviation.process({ data: report({ category: undefined }) }, {});
      assert.deepEqual(errorList(r), [['/category', 'required', 'What is affected? is required']]);
      const unticked = deviation.process({ data: report({ category: { quality: false } }) }, {});
      assert.ok(
        unticked.errors.some(
          (e) =>
            e.pointer === '/category' &&
            e.keyword === 'anyOf' &&
            e.message === 'What is affected? needs at least one choice',
        ),
      );
    });

    it('E4: required select boxes with every box unticked give one plain-language error', () => {
      const r = deviation.process(
        { data: report({ category: { quality: false, gmp: false, safety: false, documentation: false } }) },
        {},
      );
      assert.deepEqual(errorList(r), [['/category', 'anyOf', 'What is affected? needs at least one choice']]);
    });

    it('E4: a choice that is not offered in select boxes is refused', () => {
      const r = deviation.process({ data: report({ category: { quality: true, fire: true } }) }, {});
      assert.deepEqual(errorList(r), [
        ['/category', 'additionalProperties', '"fire" is not a part of What is affected?'],
      ]);
    });

    it('E3: an attachment is a reference with a uuid, a name and a size', () => {
      const r = deviation.process({ data: report({ attachments: [{ name: 'x.jpg' }] }) }, {});
      assert.ok(r.errors.length > 0);
      assert.ok(r.errors.every((e) => e.pointer.startsWith('/attachments')));
    });
  });
});

describe('Feature: decimal rounding of numbers', () => {
  it('E4: roundTo rounds half up (away from zero) in decimal arithmetic', () => {
    assert.equal(roundTo(1.005, 2, 'halfUp'), 1.01);
    assert.equal(roundTo(1.0049, 2, 'halfUp'), 1);
    assert.equal(roundTo(-1.005, 2, 'halfUp'), -1.01);
    assert.equal(roundTo(2.5, 0, 'halfUp'), 3);
    assert.equal(roundTo(103.04, 1, 'halfUp'), 103);
    assert.equal(roundTo(0.000125, 5, 'halfUp'), 0.00013);
    assert.equal(roundTo(9.995, 2, 'halfUp'), 10);
  });

  it('E4: roundTo rounds exact halves to even with halfEven, other values to nearest', () => {
    assert.equal(roundTo(2.5, 0, 'halfEven'), 2);
    assert.equal(roundTo(3.5, 0, 'halfEven'), 4);
    assert.equal(roundTo(0.125, 2, 'halfEven'), 0.12);
    assert.equal(roundTo(0.135, 2, 'halfEven'), 0.14);
    assert.equal(roundTo(0.1251, 2, 'halfEven'), 0.13);
    assert.equal(roundTo(-2.5, 0, 'halfEven'), -2);
  });

  it('E4: roundTo rounds halves up for values of any size (67.475 → 67.48)', () => {
    assert.equal(roundTo(67.475, 2, 'halfUp'), 67.48);
    assert.equal(roundTo(99.695, 2, 'halfUp'), 99.7);
    assert.equal(roundTo(103.725, 2, 'halfUp'), 103.73);
  });

  it('E4: decimalPlaces counts the decimals of a value as written', () => {
    assert.equal(decimalPlaces(1.5), 1);
    assert.equal(decimalPlaces(1.25), 2);
    assert.equal(decimalPlaces(123.456), 3);
    assert.equal(decimalPlaces(100), 0);
    assert.equal(decimalPlaces(1e-7), 7);
    assert.equal(decimalPlaces(1.25e-5), 7);
    assert.equal(decimalPlaces(-0.001), 3);
    assert.equal(decimalPlaces(Number.NaN), 0);
  });

  it('E4: decimalsForSignificant gives the decimals that keep a number of significant digits', () => {
    assert.equal(decimalsForSignificant(0.012345, 3), 4);
    assert.equal(decimalsForSignificant(98.76, 3), 1);
    assert.equal(decimalsForSignificant(123.45, 3), 0);
    assert.equal(decimalsForSignificant(-4.5678, 2), 1);
    assert.equal(decimalsForSignificant(0, 3), 2);
    assert.equal(decimalsForSignificant(12345, 3), 0);
  });

  it('Scenario: formatNumber shows a number with the field’s decimals', () => {
    assert.equal(formatNumber(105, 1), '105.0');
    assert.equal(formatNumber(102.49999999999999, 1), '102.5');
    assert.equal(formatNumber(3.14159, null), '3.14159');
  });

  it('Scenario: templateOf turns row numbers into *', () => {
    assert.equal(templateOf('/samples/2/weight'), '/samples/*/weight');
    assert.equal(templateOf('/a/10'), '/a/*');
    assert.equal(templateOf('/a1/b'), '/a1/b');
  });
});
