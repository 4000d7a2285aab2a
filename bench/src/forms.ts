import { readFileSync } from 'node:fs';
import { compileForm, FormRuntime } from '@attest/engine';
import { positiveInteger, round } from './figures.ts';
import { formioPeer } from './formioPeer.ts';

/** Seconds each side validates each form for, after a warm-up. */
const SECONDS = positiveInteger('FORMS_BENCH_SECONDS', 3);
const TARGET = 50;

type Definition = { components: Record<string, unknown>[] };

/**
 * A 240-field batch-record form: 24 process steps, each a panel of ten fields of the kinds a batch
 * record holds — a measured value with unit, decimals and alert/action limits, a calculated value
 * in FEEL, a number with a range, a required text with a pattern, a select, a radio, a checkbox, a
 * date and time and an email — plus a nonconformity text shown by a simple conditional.
 */
export function batchRecordForm(): { definition: Definition; data: Record<string, unknown> } {
  const components: Record<string, unknown>[] = [];
  const data: Record<string, unknown> = {};
  for (let s = 1; s <= 24; s++) {
    const k = (name: string) => `${name}${s}`;
    components.push({
      type: 'panel',
      key: k('step'),
      title: `Step ${s}`,
      components: [
        {
          type: 'measuredValue',
          key: k('temperature'),
          label: `Temperature ${s}`,
          input: true,
          validate: { required: true, min: 0, max: 200 },
          attest: {
            unit: '°C',
            decimals: 1,
            limits: { alert: { min: 57, max: 63 }, action: { min: 55, max: 65 } },
          },
        },
        {
          type: 'calculatedValue',
          key: k('kelvin'),
          label: `Temperature ${s} in K`,
          input: true,
          attest: { unit: 'K', decimals: 2, calculate: `${k('temperature')} + 273.15` },
        },
        {
          type: 'number',
          key: k('speed'),
          label: `Mixer speed ${s}`,
          input: true,
          validate: { required: true, min: 10, max: 300 },
        },
        {
          type: 'textfield',
          key: k('operatorNote'),
          label: `Observation ${s}`,
          input: true,
          validate: { required: true, maxLength: 200, pattern: '^[A-Za-z0-9 .,-]+$' },
        },
        {
          type: 'select',
          key: k('granulator'),
          label: `Granulator ${s}`,
          input: true,
          dataSrc: 'values',
          data: {
            values: [
              { label: 'GR-01', value: 'gr-01' },
              { label: 'GR-02', value: 'gr-02' },
              { label: 'GR-03', value: 'gr-03' },
            ],
          },
          validate: { required: true },
        },
        {
          type: 'radio',
          key: k('appearance'),
          label: `Appearance ${s}`,
          input: true,
          values: [
            { label: 'Conforms', value: 'conforms' },
            { label: 'Does not conform', value: 'nonconforming' },
          ],
          validate: { required: true },
        },
        {
          type: 'textarea',
          key: k('nonconformity'),
          label: `Describe the nonconformity ${s}`,
          input: true,
          validate: { required: true, maxLength: 2000 },
          conditional: {
            show: true,
            conjunction: 'all',
            conditions: [{ component: k('appearance'), operator: 'isEqual', value: 'nonconforming' }],
          },
        },
        {
          type: 'checkbox',
          key: k('cleaned'),
          label: `Equipment clean ${s}`,
          input: true,
          validate: { required: true },
        },
        {
          type: 'datetime',
          key: k('completedAt'),
          label: `Completed at ${s}`,
          input: true,
          validate: { required: true },
        },
        {
          type: 'email',
          key: k('contact'),
          label: `Contact ${s}`,
          input: true,
          validate: { maxLength: 254 },
        },
      ],
    });
    Object.assign(data, {
      [k('temperature')]: 58 + (s % 5),
      [k('speed')]: 120 + s,
      [k('operatorNote')]: `Granule looks uniform, step ${s}`,
      [k('granulator')]: `gr-0${(s % 3) + 1}`,
      [k('appearance')]: 'conforms',
      [k('cleaned')]: true,
      [k('completedAt')]: `2026-11-24T${String(6 + (s % 12)).padStart(2, '0')}:15:00.000Z`,
      [k('contact')]: `operator${s}@plant.example`,
    });
  }
  return { definition: { components }, data };
}

interface Case {
  name: string;
  definition: Definition;
  data: Record<string, unknown>;
  variables: Record<string, unknown>;
  sources?: Record<string, { source: 'device'; deviceId: string; raw: string }>;
}

/** Runs `validate` repeatedly for about `seconds`; returns validations per second. */
function throughput(validate: () => void, seconds: number): number {
  for (let i = 0; i < 200; i++) validate();
  let count = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 20; i++) validate();
    count += 20;
  }
  return count / ((performance.now() - started) / 1000);
}

function measure(c: Case) {
  const runtime = new FormRuntime(compileForm(c.definition));
  // The peer validates the same form as formio.js knows it: the GMP types as the inputs they are.
  const peer = formioPeer(runtime.compiled.render as unknown as { components: unknown[] });
  const ours = runtime.process({ data: c.data, sources: c.sources }, c.variables);
  const theirs = peer.validate(c.data);
  if (ours.errors.length > 0 || theirs.errors.length > 0) {
    throw new Error(
      `The ${c.name} data must be valid for both: Attest ${JSON.stringify(ours.errors)}, ` +
        `Form.io ${JSON.stringify(theirs.errors)}`,
    );
  }
  // Both must refuse the same broken submission, or the comparison means nothing.
  const broken = {};
  const ourErrors = runtime.process({ data: broken }, c.variables).errors.length;
  // @formio/core prints a line for every blank number it meets; those lines are not results.
  const print = console.error;
  console.error = () => undefined;
  const theirErrors = peer.validate(broken).errors.length;
  console.error = print;
  if (ourErrors === 0 || theirErrors === 0) throw new Error(`Both must refuse blank ${c.name} data`);

  const formio = throughput(() => peer.validate(c.data), SECONDS);
  const attest = throughput(
    () => runtime.process({ data: c.data, sources: c.sources }, c.variables),
    SECONDS,
  );
  const fields = runtime.compiled.fields.length;
  console.log(
    `${c.name} (${fields} fields): Attest ${round(attest, 0)}/s, @formio/core ${round(formio, 0)}/s, ` +
      `ratio ${round(attest / formio, 1)} (blank data: ${ourErrors} vs ${theirErrors} errors)`,
  );
  return { fields, attest: round(attest, 0), formio: round(formio, 0), ratio: round(attest / formio, 2) };
}

/**
 * `npm run bench -w bench -- forms`: the realistic dispensing form and a 240-field batch-record form,
 * each validated by the Attest submission pipeline (normalize, FEEL calculations, visibility, ajv,
 * limits) and by @formio/core's server-side processing on the same data in the same run.
 */
export async function runFormsBenchmark(): Promise<Record<string, unknown>> {
  const dispensing = JSON.parse(
    readFileSync(new URL('../../engine/test/forms/fixtures/dispensing.json', import.meta.url), 'utf8'),
  ) as Definition;
  const big = batchRecordForm();
  console.log(`Validating each form for ${SECONDS} s per side (FORMS_BENCH_SECONDS)`);
  const small = measure({
    name: 'dispensing',
    definition: dispensing,
    data: { material: 'API-0001', lot: 'L-2026-117', scale: 'SC-01', weight: 101.2, containerIntact: 'yes' },
    variables: { targetWeight: 100, tolerancePercent: 5 },
    sources: { '/weight': { source: 'device', deviceId: 'SC-01', raw: 'S S     101.20 g' } },
  });
  const large = measure({ name: 'batch record', definition: big.definition, data: big.data, variables: {} });
  return {
    bench: 'forms',
    dispensing: small,
    batchRecord: large,
    ratio: large.ratio,
    target: TARGET,
    ok: large.ratio >= TARGET,
  };
}
