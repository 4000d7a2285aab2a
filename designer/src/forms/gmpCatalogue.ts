import type { TextKey, Translate } from './texts.ts';
import type { FormComponent } from './types.ts';

/**
 * The GMP components of the builder: the Attest types the engine's compiler knows, the formio.js
 * inputs they are drawn as, the palette entries QA drags, and the GMP tab of their edit forms,
 * whose fields write the `attest` block straight into the component (`attest.unit` …).
 */

/** Attest's own component types and the formio.js input each is drawn as (as the compiler renders them). */
export const GMP_TYPES = {
  measuredValue: 'number',
  calculatedValue: 'number',
  materialLot: 'textfield',
  equipmentId: 'textfield',
} as const;

export type GmpType = keyof typeof GMP_TYPES;

export const isGmpType = (type: unknown): type is GmpType =>
  typeof type === 'string' && Object.hasOwn(GMP_TYPES, type);

/** Inputs whose value is a number: units, precision and limits apply (the compiler's NUMERIC). */
export const NUMERIC_TYPES = new Set(['number', 'currency', 'measuredValue', 'calculatedValue']);

/** Components that hold other fields: GMP options belong to the fields inside. */
const GROUPS = new Set(['container', 'datagrid', 'editgrid']);

/** Inputs that take the GMP tab: every data field the compiler accepts. */
export const GMP_TAB_TYPES = new Set([
  ...Object.keys(GMP_TYPES),
  'textfield',
  'textarea',
  'number',
  'currency',
  'select',
  'radio',
  'selectboxes',
  'checkbox',
  'datetime',
  'day',
  'time',
  'email',
  'url',
]);

/** An entry of a builder palette group, as formio.js's builder takes it. */
export interface PaletteEntry {
  title: string;
  key: string;
  icon: string;
  weight: number;
  schema: FormComponent;
}

const entry = (
  key: string,
  title: TextKey,
  weight: number,
  schema: FormComponent,
  t: Translate,
): PaletteEntry => ({ title: t(title), key, icon: '', weight, schema: { label: t(title), key, ...schema } });

/** The GMP group: each entry a component the compiler accepts once QA has filled in its settings. */
export function gmpPalette(t: Translate): Record<string, PaletteEntry> {
  const entries = [
    entry(
      'measuredValue',
      'gmp.measuredValue',
      0,
      { type: 'measuredValue', input: true, validate: { required: true }, attest: { unit: '' } },
      t,
    ),
    entry(
      'deviceReading',
      'gmp.deviceReading',
      10,
      {
        type: 'measuredValue',
        input: true,
        validate: { required: true },
        attest: { unit: '', capture: 'device' },
      },
      t,
    ),
    entry(
      'verifiedValue',
      'gmp.verifiedValue',
      20,
      {
        type: 'measuredValue',
        input: true,
        validate: { required: true },
        attest: { unit: '', critical: true },
      },
      t,
    ),
    entry(
      'calculatedValue',
      'gmp.calculatedValue',
      30,
      { type: 'calculatedValue', input: true, attest: { calculate: '' } },
      t,
    ),
    entry(
      'materialLot',
      'gmp.materialLot',
      40,
      { type: 'materialLot', input: true, validate: { required: true, maxLength: 40 } },
      t,
    ),
    entry(
      'equipmentId',
      'gmp.equipmentId',
      50,
      { type: 'equipmentId', input: true, validate: { required: true, maxLength: 40 } },
      t,
    ),
    entry(
      'instruction',
      'gmp.instruction',
      60,
      { type: 'content', input: false, html: t('gmp.instructionText') },
      t,
    ),
  ];
  return Object.fromEntries(entries.map((e) => [e.key, e]));
}

/** A field of an edit form (formio.js component JSON). */
type EditField = Record<string, unknown>;

/** What an edit-form override is to formio.js: a tab (by key) with fields to drop, add or change. */
export interface EditFormTab {
  key: string;
  label?: string;
  weight?: number;
  ignore?: boolean;
  components?: EditField[];
}

const column = (components: EditField[]) => ({ components, width: 6, size: 'md' });

function limitFields(t: Translate): EditField {
  const limit = (key: string, label: TextKey): EditField => ({
    type: 'textfield',
    input: true,
    key: `attest.limits.${key}`,
    label: t(label),
  });
  return {
    type: 'fieldset',
    key: 'attestLimits',
    legend: t('gmp.limits'),
    input: false,
    components: [
      {
        type: 'htmlelement',
        key: 'attestLimitsHelp',
        tag: 'p',
        className: 'form-text',
        content: t('gmp.limitsHelp'),
        input: false,
      },
      {
        type: 'columns',
        key: 'attestAlertLimits',
        input: false,
        columns: [column([limit('alert.min', 'gmp.alertMin')]), column([limit('alert.max', 'gmp.alertMax')])],
      },
      {
        type: 'columns',
        key: 'attestActionLimits',
        input: false,
        columns: [
          column([limit('action.min', 'gmp.actionMin')]),
          column([limit('action.max', 'gmp.actionMax')]),
        ],
      },
      { type: 'checkbox', input: true, key: 'attest.limits.reject', label: t('gmp.reject') },
      { type: 'checkbox', input: true, key: 'attest.limits.comment', label: t('gmp.limitComment') },
    ],
  };
}

function numericFields(type: string, t: Translate): EditField[] {
  return [
    {
      type: 'textfield',
      input: true,
      key: 'attest.unit',
      label: t('gmp.unit'),
      description: t('gmp.unitHelp'),
      validate: { required: type === 'measuredValue', maxLength: 20 },
    },
    {
      type: 'columns',
      key: 'attestPrecision',
      input: false,
      columns: [
        column([
          {
            type: 'number',
            input: true,
            key: 'attest.decimals',
            label: t('gmp.decimals'),
            decimalLimit: 0,
            validate: { min: 0, max: 10 },
          },
        ]),
        column([
          {
            type: 'number',
            input: true,
            key: 'attest.significantDigits',
            label: t('gmp.significantDigits'),
            decimalLimit: 0,
            validate: { min: 1, max: 15 },
          },
        ]),
      ],
    },
    {
      type: 'select',
      input: true,
      key: 'attest.rounding',
      label: t('gmp.rounding'),
      description: t('gmp.precisionHelp'),
      widget: 'html5',
      dataSrc: 'values',
      data: {
        values: (['halfUp', 'halfEven', 'refuse'] as const).map((value) => ({
          value,
          label: t(`rounding.${value}`),
        })),
      },
    },
    limitFields(t),
  ];
}

function entryFields(type: string, t: Translate): EditField[] {
  const flag = (key: 'critical' | 'naAllowed' | 'reasonForChange'): EditField => ({
    type: 'checkbox',
    input: true,
    key: `attest.${key}`,
    label: t(`gmp.${key}`),
  });
  return [
    {
      type: 'radio',
      input: true,
      key: 'attest.capture',
      label: t('gmp.capture'),
      inline: true,
      defaultValue: 'either',
      values: (['either', 'device', 'manual'] as const).map((value) => ({
        value,
        label: t(`capture.${value}`),
      })),
    },
    flag('critical'),
    flag('naAllowed'),
    ...(type === 'measuredValue' ? [] : [flag('reasonForChange')]),
  ];
}

/**
 * The GMP tab of an input's edit form, or null for components GMP options do not apply to (layout,
 * groups, instructions). A calculated value is computed by the server: no capture, no N/A, no check.
 */
export function gmpTab(type: string, t: Translate): EditFormTab | null {
  if (!GMP_TAB_TYPES.has(type) || GROUPS.has(type)) return null;
  const components: EditField[] = [];
  if (type === 'calculatedValue')
    components.push({
      type: 'textarea',
      input: true,
      key: 'attest.calculate',
      label: t('gmp.calculate'),
      description: t('gmp.calculateHelp'),
      rows: 2,
      validate: { required: true },
    });
  if (NUMERIC_TYPES.has(type)) components.push(...numericFields(type, t));
  if (type !== 'calculatedValue') components.push(...entryFields(type, t));
  return { key: 'gmp', label: t('tab.gmp'), weight: 5, components };
}
