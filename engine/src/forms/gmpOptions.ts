import { isObject } from '../kernel/isObject.ts';
import { feelText } from '../feel/feelCheck.ts';
import { isMassUnit } from '../devices/units.ts';
import { DEVICE_KINDS, type DeviceKind } from '../devices/kinds.ts';
import { GATE_OPTIONS, readGateOptions } from './gateOptions.ts';
import type { DeviceBinding, FieldSpec, FormioComponent, LimitBand, Limits } from './types.ts';

/**
 * The GMP options of a form field (its `attest` block: unit, precision, limits, capture,
 * criticality, calculation), checked against the component they are on.
 */

/** Where a problem is reported, and how FEEL is checked: the form compiler's. */
export interface Checks {
  refuse(at: string, key: string, problem: string, keyword?: string): void;
  feel(at: string, name: string, what: string, text: string, keep: (text: string) => void): void;
}

export const NUMERIC = new Set(['number', 'currency', 'measuredValue', 'calculatedValue']);

const ATTEST_OPTIONS = new Set([
  'unit',
  'decimals',
  'significantDigits',
  'rounding',
  'limits',
  'calculate',
  'capture',
  'critical',
  'naAllowed',
  'reasonForChange',
  'device',
  ...GATE_OPTIONS,
]);

const DEVICE_OPTIONS = new Set(['kind', 'channel', 'tare', 'zero']);

/** The `attest` block: GMP options, checked against the component they are on. */
export function readAttestOptions(
  r: Checks,
  c: FormioComponent,
  type: string,
  at: string,
  name: string,
  field: FieldSpec,
  copy: FormioComponent,
): void {
  const a = c.attest;
  const where = `${at}/attest`;
  if (a !== undefined && !isObject(a)) {
    r.refuse(where, name, 'attest options must be an object', 'type');
    return;
  }
  const o = a ?? {};
  for (const k of Object.keys(o))
    if (!ATTEST_OPTIONS.has(k)) r.refuse(where, name, `the attest option "${k}" is unknown`, 'attest');
  const numeric = NUMERIC.has(type);
  const numericOnly = ['unit', 'decimals', 'significantDigits', 'limits'];
  for (const k of numericOnly)
    if (o[k] !== undefined && !numeric) r.refuse(where, name, `${k} is only for numeric fields`, 'attest');
  if (type === 'measuredValue' && (typeof o.unit !== 'string' || !o.unit.trim()))
    r.refuse(where, name, 'a measured value needs its unit', 'attest');
  if (o.unit !== undefined && (typeof o.unit !== 'string' || o.unit.length > 20))
    r.refuse(where, name, 'the unit must be text of up to 20 characters', 'attest');
  if (
    o.decimals !== undefined &&
    !(Number.isInteger(o.decimals) && (o.decimals as number) >= 0 && (o.decimals as number) <= 10)
  )
    r.refuse(where, name, 'decimals must be a whole number from 0 to 10', 'attest');
  if (
    o.significantDigits !== undefined &&
    !(
      Number.isInteger(o.significantDigits) &&
      (o.significantDigits as number) >= 1 &&
      (o.significantDigits as number) <= 15
    )
  )
    r.refuse(where, name, 'significant digits must be a whole number from 1 to 15', 'attest');
  if (o.decimals !== undefined && o.significantDigits !== undefined)
    r.refuse(where, name, 'give either decimals or significant digits, not both', 'attest');
  if (o.rounding !== undefined && !['halfUp', 'halfEven', 'refuse'].includes(String(o.rounding)))
    r.refuse(where, name, 'rounding must be halfUp, halfEven or refuse', 'attest');
  if (o.capture !== undefined && !['manual', 'device', 'either'].includes(String(o.capture)))
    r.refuse(where, name, 'capture must be manual, device or either', 'attest');
  for (const flag of ['critical', 'naAllowed', 'reasonForChange'])
    if (o[flag] !== undefined && typeof o[flag] !== 'boolean')
      r.refuse(where, name, `${flag} must be true or false`, 'attest');
  if (o.reasonForChange === true && field.path.length !== 1)
    r.refuse(where, name, 'reasonForChange applies to fields at the top of the form only', 'attest');
  if (['container', 'datagrid', 'editgrid'].includes(type) && (o.critical || o.naAllowed))
    r.refuse(where, name, 'critical and N/A apply to the fields inside, not to the group', 'attest');
  if (type === 'calculatedValue') {
    const feel = typeof o.calculate === 'string' ? feelText(o.calculate) : '';
    if (!feel) r.refuse(where, name, 'a calculated value needs its FEEL expression in calculate', 'attest');
    else r.feel(where, name, 'calculate', feel, (text) => (field.calculate = text));
    if (o.capture !== undefined || o.critical === true || o.naAllowed === true)
      r.refuse(
        where,
        name,
        'a calculated value is computed by the server: it has no capture, verification or N/A',
        'attest',
      );
    field.capture = 'either';
  } else if (o.calculate !== undefined) {
    r.refuse(where, name, 'only a calculated value component has a calculation', 'attest');
  }
  if (o.limits !== undefined) field.limits = readLimits(r, o.limits, `${where}/limits`, name);
  field.device = readDevice(r, o, `${where}/device`, name, numeric, type, field);
  readGateOptions(r, o, type, where, name, field);
  // formio.js renders the Attest types as the plain inputs they are built on.
  if (type === 'measuredValue' || type === 'calculatedValue') {
    copy.type = 'number';
    if (typeof o.unit === 'string') copy.suffix = o.unit;
    if (typeof o.decimals === 'number') {
      copy.decimalLimit = o.decimals;
      copy.requireDecimal = o.decimals > 0;
    }
    if (type === 'calculatedValue') copy.disabled = true;
  } else if (type === 'materialLot' || type === 'equipmentId') {
    copy.type = 'textfield';
  }
  if (type !== copy.type) copy.attestType = type;
}

/**
 * The device a numeric field is read from: `attest.device` (kind, channel, tare, zero), or, for a
 * measured mass that may come from a device, the scale's weight. A text or a hand-only field has none.
 */
function readDevice(
  r: Checks,
  o: Record<string, unknown>,
  where: string,
  name: string,
  numeric: boolean,
  type: string,
  field: FieldSpec,
): DeviceBinding | null {
  const d = o.device;
  if (d === undefined) {
    const byDefault =
      numeric && type !== 'calculatedValue' && field.capture !== 'manual' && isMassUnit(field.unit);
    return byDefault ? { kind: 'scale', channel: 'weight', tare: false, zero: false } : null;
  }
  if (!isObject(d)) {
    r.refuse(where, name, 'device must be an object (kind, channel, tare, zero)', 'attest');
    return null;
  }
  for (const k of Object.keys(d))
    if (!DEVICE_OPTIONS.has(k)) r.refuse(where, name, `the device option "${k}" is unknown`, 'attest');
  if (!numeric || type === 'calculatedValue')
    r.refuse(where, name, 'only a number entered in the step may be read from a device', 'attest');
  if (field.capture === 'manual')
    r.refuse(where, name, 'a field captured by hand only is not read from a device', 'attest');
  if (d.kind !== undefined && !(DEVICE_KINDS as readonly unknown[]).includes(d.kind))
    r.refuse(where, name, `the device kind must be one of ${DEVICE_KINDS.join(', ')}`, 'attest');
  const kind = (DEVICE_KINDS as readonly unknown[]).includes(d.kind) ? (d.kind as DeviceKind) : null;
  const channel =
    typeof d.channel === 'string' && /^[A-Za-z0-9_.:;=/-]{1,200}$/.test(d.channel)
      ? d.channel
      : d.channel === undefined && (kind === 'scale' || (kind === null && isMassUnit(field.unit)))
        ? 'weight'
        : null;
  if (channel === null)
    r.refuse(where, name, 'the device channel must be named (letters, digits and _.:;=/-)', 'attest');
  for (const flag of ['tare', 'zero'])
    if (d[flag] !== undefined && typeof d[flag] !== 'boolean')
      r.refuse(where, name, `device ${flag} must be true or false`, 'attest');
  return channel === null
    ? null
    : {
        kind: kind ?? (channel === 'weight' ? 'scale' : null),
        channel,
        tare: d.tare === true,
        zero: d.zero === true,
      };
}

function readLimits(r: Checks, raw: unknown, where: string, name: string): Limits | null {
  if (!isObject(raw)) {
    r.refuse(where, name, 'limits must be an object with alert and action bands', 'attest');
    return null;
  }
  const limits: Limits = {};
  for (const k of Object.keys(raw)) {
    if (!['alert', 'action', 'reject', 'comment'].includes(k))
      r.refuse(where, name, `the limit "${k}" is unknown (alert, action, reject, comment)`, 'attest');
  }
  for (const flag of ['reject', 'comment'] as const) {
    if (raw[flag] !== undefined && typeof raw[flag] !== 'boolean')
      r.refuse(where, name, `${flag} must be true or false`, 'attest');
    if (raw[flag] === true) limits[flag] = true;
  }
  for (const band of ['alert', 'action'] as const) {
    const b = raw[band];
    if (b === undefined) continue;
    if (!isObject(b)) {
      r.refuse(
        `${where}/${band}`,
        name,
        `the ${band} limits must be an object with min and/or max`,
        'attest',
      );
      continue;
    }
    const out: LimitBand = {};
    for (const end of Object.keys(b)) {
      if (end !== 'min' && end !== 'max') {
        r.refuse(`${where}/${band}`, name, `the ${band} limit "${end}" is unknown (min, max)`, 'attest');
        continue;
      }
      const value = b[end];
      if (typeof value === 'number' && Number.isFinite(value)) out[end] = value;
      else if (typeof value === 'string' && feelText(value))
        r.feel(`${where}/${band}/${end}`, name, `the ${band} ${end}`, feelText(value), (t) => (out[end] = t));
      else
        r.refuse(
          `${where}/${band}/${end}`,
          name,
          `the ${band} ${end} must be a number or a FEEL expression`,
          'attest',
        );
    }
    limits[band] = out;
  }
  if (limits.reject && !limits.action)
    r.refuse(where, name, 'reject needs action limits to reject values outside of', 'attest');
  if (limits.comment && !limits.action && !limits.alert)
    r.refuse(where, name, 'comment needs alert or action limits to comment a value outside of', 'attest');
  return limits;
}
