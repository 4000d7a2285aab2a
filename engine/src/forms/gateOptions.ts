import { feelText } from '../feel/feelCheck.ts';
import type { Checks } from './gmpOptions.ts';
import type { FieldSpec } from './types.ts';

/** What a step does with a piece of equipment it names (the steps' equipment gate does it, F2). */
export const EQUIPMENT_ACTIONS = ['use', 'measure', 'release', 'clean', 'check', 'identify'] as const;
export type EquipmentAction = (typeof EQUIPMENT_ACTIONS)[number];

/** The options of the fields the material and equipment gates read (F3, F2). */
export const GATE_OPTIONS = ['material', 'issues', 'equipment', 'passed'] as const;

const KEY = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/;

/**
 * A material lot field may name the material its lot must be of (`material`, FEEL such as
 * `line.material` or `"API-PCM"`) and the quantity beside it that the step issues from the lot
 * (`issues`); an equipment field says what the step does with it (`equipment`: use, release,
 * clean or check; use when not given) and, for a daily check, whether it passed (`passed`, FEEL).
 */
export function readGateOptions(
  r: Checks,
  o: Record<string, unknown>,
  type: string,
  where: string,
  name: string,
  field: FieldSpec,
): void {
  const lot = type === 'materialLot';
  const equipment = type === 'equipmentId';
  for (const k of ['material', 'issues'])
    if (o[k] !== undefined && !lot) r.refuse(where, name, `${k} is only for a material lot field`, 'attest');
  for (const k of ['equipment', 'passed'])
    if (o[k] !== undefined && !equipment)
      r.refuse(where, name, `${k} is only for an equipment field`, 'attest');
  if (lot && o.material !== undefined) {
    const feel = typeof o.material === 'string' ? feelText(o.material) : '';
    if (!feel)
      r.refuse(
        where,
        name,
        'material must be FEEL naming the material code, e.g. line.material or "API-PCM"',
        'attest',
      );
    else r.feel(`${where}/material`, name, 'material', feel, (text) => (field.material = text));
  }
  if (lot && o.issues !== undefined) {
    if (typeof o.issues === 'string' && KEY.test(o.issues)) field.issues = o.issues;
    else r.refuse(where, name, 'issues must be the key of the quantity field beside the lot', 'attest');
  }
  if (!equipment) return;
  const action = o.equipment ?? 'use';
  if (!(EQUIPMENT_ACTIONS as readonly unknown[]).includes(action)) {
    r.refuse(where, name, `equipment must be one of ${EQUIPMENT_ACTIONS.join(', ')}`, 'attest');
    return;
  }
  field.equipmentAction = action as EquipmentAction;
  if (action !== 'check') {
    if (o.passed !== undefined) r.refuse(where, name, 'passed is only for a daily check', 'attest');
    return;
  }
  const passed = typeof o.passed === 'string' ? feelText(o.passed) : '';
  if (!passed)
    r.refuse(where, name, 'a daily check needs passed: FEEL saying whether the check passed', 'attest');
  else r.feel(`${where}/passed`, name, 'passed', passed, (text) => (field.passed = text));
}

/** A lot's `issues` names a measured quantity with a unit beside it: in its form level or grid row. */
export function checkIssues(
  fields: FieldSpec[],
  byPath: ReadonlyMap<string, FieldSpec>,
  refuse: (at: string, key: string, problem: string) => void,
): void {
  for (const f of fields) {
    if (!f.issues) continue;
    const quantity = byPath.get([...f.path.slice(0, -1), f.issues].join('.'));
    if (!quantity || quantity.valueType !== 'number' || !quantity.unit || quantity.calculate)
      refuse(
        f.pointer,
        f.key,
        `issues must name a number with a unit entered beside the lot (here, "${f.issues}" is not one)`,
      );
  }
}
