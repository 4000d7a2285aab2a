import { evaluateFeel, ExpressionError } from '../feel/feel.ts';
import type { FieldError } from '../kernel/errors.ts';
import type { EquipmentAction } from './gateOptions.ts';
import type { FormRuntime } from './pipeline.ts';
import type { FieldSpec } from './types.ts';

type Data = Record<string, unknown>;

/** A scanned or typed material code a step holds, with what the step asks of its lot (F3). */
export interface GatedLot {
  kind: 'lot';
  pointer: string;
  field: FieldSpec;
  code: string;
  /** The material code the step names (its `material` worked out), or null. */
  material: string | null;
  /** The quantity the step issues from the lot when it completes, in the field's unit. */
  quantity: { pointer: string; value: number; unit: string } | null;
}

/** A scanned or typed equipment code a step holds, with what the step does with it (F2). */
export interface GatedEquipment {
  kind: 'equipment';
  pointer: string;
  field: FieldSpec;
  code: string;
  action: EquipmentAction;
  /** For a daily check: whether it passed, as its FEEL works it out; null while it cannot be. */
  passed: boolean | null;
}

export type GatedValue = GatedLot | GatedEquipment;

/**
 * The codes of a form's material lot and equipment fields in some data, each with what its gate is
 * asked: the material named (FEEL over the task's variables, the values and the grid row), the
 * quantity issued, the equipment action. An expression that cannot be worked out is an error at the
 * field: a gate is never passed by default.
 */
export function gatedValues(
  runtime: FormRuntime,
  data: Data,
  variables: Data,
): { values: GatedValue[]; errors: FieldError[] } {
  const values: GatedValue[] = [];
  const errors: FieldError[] = [];
  const base: Data = { ...variables, ...data };
  for (const field of runtime.compiled.fields) {
    if (!field.identifies) continue;
    for (const [pointer, value] of runtime.expand(field, data)) {
      if (typeof value !== 'string' || value.trim() === '') continue;
      const code = value.trim();
      const row = field.grid ? runtime.rowAt(data, pointer, field.grid) : null;
      const context = row ? { ...base, ...row, row } : base;
      const name = runtime.nameOf(field, pointer);
      const work = (text: string, what: string): unknown => {
        try {
          return evaluateFeel(text, context);
        } catch (error) {
          if (!(error instanceof ExpressionError)) throw error;
          errors.push({
            pointer,
            keyword: 'feel',
            message: `The ${what} of ${name} could not be worked out: ${error.message}`,
          });
          return undefined;
        }
      };
      if (field.identifies === 'equipment') {
        const passed = field.passed ? work(field.passed, 'check result') : null;
        values.push({
          kind: 'equipment',
          pointer,
          field,
          code,
          action: field.equipmentAction ?? 'use',
          passed: typeof passed === 'boolean' ? passed : null,
        });
        continue;
      }
      let material: string | null = null;
      if (field.material) {
        const named = work(field.material, 'material');
        if (typeof named !== 'string' || !named.trim()) {
          if (named !== undefined)
            errors.push({
              pointer,
              keyword: 'material',
              message: `${name} cannot be checked: the step's material ("${field.material}") is ${JSON.stringify(named ?? null)}, not a material code`,
            });
          continue;
        }
        material = named.trim();
      }
      let quantity: GatedLot['quantity'] = null;
      if (field.issues) {
        const at = `${pointer.slice(0, pointer.lastIndexOf('/'))}/${field.issues}`;
        const amount = (row ?? data)[field.issues];
        const spec = runtime.fieldAt(at);
        if (typeof amount === 'number' && spec?.unit)
          quantity = { pointer: at, value: amount, unit: spec.unit };
      }
      values.push({ kind: 'lot', pointer, field, code, material, quantity });
    }
  }
  return { values, errors };
}

/**
 * The material a lot field's step names, worked out over the values and variables as they are
 * (outside a grid: a row's material depends on the row); null where it names none or cannot yet.
 */
export function materialNamed(field: FieldSpec, data: Data, variables: Data): string | null {
  if (!field.material || field.grid) return null;
  try {
    const named = evaluateFeel(field.material, { ...variables, ...data });
    return typeof named === 'string' && named.trim() ? named.trim() : null;
  } catch (error) {
    if (error instanceof ExpressionError) return null;
    throw error;
  }
}
