import assert from 'node:assert/strict';
import { en, type MessageKey } from '../src/i18n/en.ts';
import type { FieldState, FormioComponent, TaskForm } from '../src/contract.ts';
import { componentPath, formDefinition, initialData, submissionOf, usesDates } from '../src/definition.ts';

/** The English catalogue, as the app's `t` reads it. */
const t = (key: MessageKey, params: Record<string, string | number> = {}) =>
  en[key].replace(/\{(\w+)\}/g, (_, name: string) => String(params[name]));

const field = (pointer: string, more: Partial<FieldState> = {}): FieldState => ({
  pointer,
  key: pointer.split('/').at(-1)!,
  label: pointer.split('/').at(-1)!,
  type: 'textfield',
  unit: null,
  decimals: null,
  required: false,
  critical: false,
  naAllowed: false,
  capture: 'either',
  device: null,
  calculated: false,
  limits: null,
  locked: false,
  gate: null,
  ...more,
});

/** A form with a measured value, a calculated one, a field that may be N/A, a select, a grid and a button. */
const contract = (status: TaskForm['status'] = 'open'): TaskForm => ({
  taskId: '00000000-0000-4000-8000-000000000001',
  status,
  signature: null,
  form: {
    id: '00000000-0000-4000-8000-000000000002',
    key: 'weighing',
    version: 1,
    title: 'Weighing',
    components: [
      {
        type: 'panel',
        key: 'weighing',
        components: [
          { type: 'number', key: 'weight', label: 'Weight', input: true, suffix: 'g' },
          { type: 'number', key: 'target', label: 'Target', input: true, disabled: true },
        ],
      },
      { type: 'textfield', key: 'sieve', label: 'Sieve', input: true },
      { type: 'select', key: 'room', label: 'Room', input: true },
      {
        type: 'datagrid',
        key: 'lots',
        label: 'Lots',
        input: true,
        components: [{ type: 'textfield', key: 'lot', label: 'Lot', input: true }],
      },
      { type: 'button', key: 'submit', action: 'submit', input: true },
    ],
  },
  data: { weight: 100.4, target: 100, room: 'R1', lots: [{ lot: 'L-1' }, {}] },
  values: [
    {
      pointer: '/weight',
      value: 100.4,
      source: 'manual',
      device: null,
      naReason: null,
      changedAfterEntry: true,
      originalValue: 100.2,
      changedAt: '2026-11-24T08:00:00.000Z',
      changeReason: 'Misread',
      verifiedBy: null,
      needsVerification: true,
    },
    {
      pointer: '/sieve',
      value: null,
      source: 'manual',
      device: null,
      naReason: 'Not sieved here',
      changedAfterEntry: false,
      originalValue: null,
      changedAt: null,
      changeReason: null,
      verifiedBy: null,
      needsVerification: false,
    },
  ],
  fields: [
    field('/weight', {
      type: 'measuredValue',
      unit: 'g',
      decimals: 1,
      critical: true,
      limits: { alert: { min: 99, max: 101 }, action: { min: 98, max: null }, reject: false, comment: false },
    }),
    field('/target', { type: 'calculatedValue', unit: 'g', decimals: 1, calculated: true, locked: true }),
    field('/sieve', { naAllowed: true }),
    field('/room', { type: 'select' }),
    field('/lots', { type: 'datagrid' }),
    field('/lots/*/lot', { naAllowed: true }),
  ],
  exceptions: [],
});

const flat = (components: FormioComponent[]): FormioComponent[] =>
  components.flatMap((c) => [c, ...flat(c.components ?? [])]);
const byKey = (components: FormioComponent[], key: string) => flat(components).find((c) => c.key === key)!;

describe('Feature: the renderer contract as formio.js draws it', () => {
  it('shows units and limits under each field, marks values changed after entry, locks what the server computes', () => {
    const components = formDefinition(contract(), t);
    const weight = byKey(components, 'weight');
    assert.equal(weight.suffix, 'g');
    assert.match(weight.description!, /Alert limits 99\.0–101\.0 g/);
    assert.match(weight.description!, /Action limits ≥ 98\.0 g/);
    assert.match(weight.description!, /Critical/);
    assert.match(weight.description!, /Changed after its first entry \(was 100\.2\): Misread/);
    assert.match(weight.customClass!, /attest-changed-field/);
    const target = byKey(components, 'target');
    assert.equal(target.disabled, true);
    assert.match(target.description!, /Unit: g/);
    assert.equal(byKey(components, 'room').widget, 'html5', 'a select is the device’s own picker');
    assert.equal(
      flat(components).some((c) => c.type === 'button'),
      false,
      'the step view has its own buttons',
    );
  });

  it('puts an N/A checkbox and its reason beside each field that allows it; the field steps aside while it is ticked', () => {
    const components = formDefinition(contract(), t);
    const keys = flat(components).map((c) => c.key);
    assert.deepEqual(keys.slice(keys.indexOf('sieve'), keys.indexOf('sieve') + 3), [
      'sieve',
      'attestNa__sieve',
      'attestNaReason__sieve',
    ]);
    const ticked = { component: 'attestNa__sieve', operator: 'isEqual', value: true };
    assert.deepEqual(byKey(components, 'sieve').conditional, {
      show: false,
      conjunction: 'all',
      conditions: [ticked],
    });
    assert.deepEqual(byKey(components, 'attestNaReason__sieve').conditional, {
      show: true,
      conjunction: 'all',
      conditions: [ticked],
    });
    // In a grid row, the condition names the row's checkbox by the grid's path
    assert.deepEqual(byKey(components, 'attestNaReason__lot').conditional?.conditions, [
      { component: 'lots.attestNa__lot', operator: 'isEqual', value: true },
    ]);
  });

  it('an N/A answer round-trips: shown ticked with its reason, sent as a reason by pointer without a value', () => {
    const data = initialData(contract());
    assert.equal(data.attestNa__sieve, true);
    assert.equal(data.attestNaReason__sieve, 'Not sieved here');
    assert.equal('sieve' in data, false);
    const lots = data.lots as Record<string, unknown>[];
    lots[1] = { lot: 'typed before ticking', attestNa__lot: true, attestNaReason__lot: ' No second lot ' };
    lots[0]!.attestNa__lot = false;
    const { data: sent, na } = submissionOf(data);
    assert.deepEqual(na, { '/sieve': 'Not sieved here', '/lots/1/lot': 'No second lot' });
    assert.deepEqual(sent, { weight: 100.4, target: 100, room: 'R1', lots: [{ lot: 'L-1' }, {}] });
  });

  it('maps the server’s error pointers to formio.js paths; what no field shows stays at the top', () => {
    const { fields } = contract();
    assert.equal(componentPath('/weight', fields), 'weight');
    assert.equal(componentPath('/lots/1/lot', fields), 'lots[1].lot');
    assert.equal(componentPath('/na/sieve', fields), 'attestNaReason__sieve');
    assert.equal(componentPath('/na/lots/0/lot', fields), 'lots[0].attestNaReason__lot');
    assert.equal(componentPath('/sources/weight', fields), 'weight');
    assert.equal(componentPath('/reason', fields), null);
    assert.equal(componentPath('/signature/password', fields), null);
    assert.equal(componentPath('/data', fields), null);
  });

  it('knows when a form has date fields (formio.js’s calendar needs time-zone data)', () => {
    assert.equal(usesDates(contract().form.components), false);
    assert.equal(
      usesDates([{ type: 'columns', columns: [{ components: [{ type: 'datetime', key: 'at' }] }] }]),
      true,
    );
  });
});
