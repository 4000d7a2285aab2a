import type { Knex } from 'knex';
import { InputError, type FieldError } from '../kernel/errors.ts';
import { gatedValues, type GatedEquipment, type GatedLot } from '../forms/gatedValues.ts';
import type { ExceptionDraft, FormRuntime } from '../forms/pipeline.ts';
import { GateRefusal, type LotAnswer, type StepGates } from './gates.ts';

type Data = Record<string, unknown>;

/** The step a gate is asked for. */
export interface GatedStep {
  taskId: string;
  instanceId: string;
  runtime: FormRuntime;
  variables: Data;
  gates: StepGates;
}

/** What the gates let through: the exceptions they raise (FEFO overrides) and what completion does. */
export interface GatePass {
  exceptions: ExceptionDraft[];
  /** At completion: issues the lots' quantities and sets the equipment's status, in the step's transaction. */
  apply(trx: Knex.Transaction, actor: { userId: string; printedName: string }): Promise<void>;
  /** Problems that would refuse the step, when asked to report rather than refuse. */
  errors: FieldError[];
}

/**
 * Passes every material lot and equipment code a step holds through its gate (F3, F2), as a save,
 * a completion and the check before the signature all do: a code the gate refuses is an error at
 * its field, with the gate's reason, and nothing is written; the same code twice in one step is
 * refused; a lot other than the one FEFO proposes raises a `fefo_override` exception the operator
 * confirms with a reason. `report` collects the errors instead of refusing (the check).
 */
export async function passGates(
  db: Knex | Knex.Transaction,
  step: GatedStep,
  data: Data,
  mode: 'save' | 'complete' | 'report',
  at: Date,
): Promise<GatePass> {
  const { values, errors } = gatedValues(step.runtime, data, step.variables);
  const exceptions: ExceptionDraft[] = [];
  const lots: { value: GatedLot; answer: LotAnswer }[] = [];
  const equipment: GatedEquipment[] = [];
  const seen = new Map<string, string>();
  for (const value of values) {
    const name = step.runtime.nameOf(value.field, value.pointer);
    const key = `${value.kind}:${value.code}`;
    const first = seen.get(key);
    if (first) {
      errors.push({
        pointer: value.pointer,
        keyword: 'gate',
        message: `${name}: ${value.code} is scanned twice in this step (first at ${first})`,
      });
      continue;
    }
    seen.set(key, step.runtime.nameOf(value.field, value.pointer));
    try {
      if (value.kind === 'lot') {
        if (!step.gates.materials)
          throw new GateRefusal('material lots cannot be checked here', 'unavailable');
        const answer = await step.gates.materials.checkLot(db, {
          code: value.code,
          material: value.material,
          instanceId: step.instanceId,
          at,
        });
        lots.push({ value, answer });
        if (answer.fefo)
          exceptions.push({
            pointer: value.pointer,
            type: 'fefo_override',
            severity: 'low',
            blocking: false,
            message: `${name} ${answer.lotNumber} (expires ${answer.expiryDate}) is used although lot ${answer.fefo.lotNumber} expires first (${answer.fefo.expiryDate})`,
            details: {
              chosen: answer.lotNumber,
              chosenExpiry: answer.expiryDate,
              proposed: answer.fefo.lotNumber,
              proposedExpiry: answer.fefo.expiryDate,
              material: answer.material,
            },
          });
      } else {
        if (!step.gates.equipment) throw new GateRefusal('equipment cannot be checked here', 'unavailable');
        await step.gates.equipment.check(db, {
          code: value.code,
          action: value.action,
          instanceId: step.instanceId,
          taskId: step.taskId,
          at,
          ...(value.passed !== null && { passed: value.passed }),
        });
        if (mode === 'complete' && value.action === 'check' && value.passed === null)
          errors.push({
            pointer: value.pointer,
            keyword: 'gate',
            message: `${name}: whether the daily check passed cannot be worked out from the values`,
          });
        equipment.push(value);
      }
    } catch (error) {
      if (!(error instanceof GateRefusal)) throw error;
      // The gate's sentence names the lot or equipment itself: at the field it needs no other name.
      errors.push({ pointer: value.pointer, keyword: 'gate', message: error.message });
    }
  }
  if (errors.length > 0 && mode !== 'report')
    throw new InputError(
      `The step cannot take these codes: ${errors.map((e) => e.message).join('; ')}`,
      errors,
    );
  return {
    exceptions,
    errors,
    async apply(trx, actor) {
      for (const { value, answer } of lots) {
        if (!value.quantity) continue;
        try {
          await step.gates.materials!.issue(trx, {
            lot: answer,
            quantity: value.quantity.value,
            unit: value.quantity.unit,
            instanceId: step.instanceId,
            taskId: step.taskId,
            actor,
            at,
          });
        } catch (error) {
          if (!(error instanceof GateRefusal)) throw error;
          const name = step.runtime.nameOf(value.field, value.pointer);
          throw new InputError(`${name}: ${error.message}`, [
            { pointer: value.quantity.pointer, keyword: 'gate', message: error.message },
          ]);
        }
      }
      for (const value of equipment) {
        await step.gates.equipment!.apply(
          trx,
          {
            code: value.code,
            action: value.action,
            instanceId: step.instanceId,
            taskId: step.taskId,
            at,
            ...(value.passed !== null && { passed: value.passed }),
          },
          actor,
        );
      }
    },
  };
}
