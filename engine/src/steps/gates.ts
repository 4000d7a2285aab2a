import type { Knex } from 'knex';
import type { EquipmentAction } from '../forms/gateOptions.ts';
export { EQUIPMENT_ACTIONS, type EquipmentAction } from '../forms/gateOptions.ts';

/**
 * The material and equipment gates (F3, F2) as the step service asks them, at save and at
 * completion, inside the step's transaction. The materials and equipment services implement them;
 * a refusal is a `GateRefusal`, which the step turns into an error at the field, and nothing of the
 * step is written.
 */

/** Why a scanned code may not be used here, in words for the person at the field. */
export class GateRefusal extends Error {
  constructor(
    message: string,
    /** A short word for the cause: unknown, wrong_material, status, expired, retest_due, in_use, … */
    readonly refusal: string,
  ) {
    super(message);
    this.name = 'GateRefusal';
  }
}

/** What a step asks of a scanned material code. */
export interface LotQuestion {
  /** The code as scanned or typed: a lot number, or a container id. */
  code: string;
  /** The material code the step (or its recipe) names; null when the step names none. */
  material: string | null;
  /** The process instance (the batch) the step belongs to. */
  instanceId: string;
  at: Date;
}

/** A lot the gate lets a step use, and the lot first-expiry-first-out would have proposed. */
export interface LotAnswer {
  lotId: string;
  lotNumber: string;
  /** The container scanned, when the code was a container's. */
  containerId: string | null;
  containerCode: string | null;
  material: string;
  /** YYYY-MM-DD in the plant's zone. */
  expiryDate: string;
  /** The released lot of the same material with stock that expires first, when it is another lot. */
  fefo: { lotNumber: string; expiryDate: string } | null;
}

export interface MaterialGate {
  /** Refuses (GateRefusal) a code that is not a released, unexpired, not retest-due lot of the material. */
  checkLot(db: Knex | Knex.Transaction, question: LotQuestion): Promise<LotAnswer>;
  /** The lot FEFO proposes for a material now: released, unexpired, with stock, expiring first; null if none. */
  propose(
    db: Knex | Knex.Transaction,
    material: string,
    at: Date,
  ): Promise<{ lotNumber: string; expiryDate: string; available: number; unit: string } | null>;
  /**
   * Issues a quantity of the lot (or its container) to the batch, as a recorded transaction, when
   * the step completes; refused beyond the stock there is (two issues of the last kilogram: one
   * succeeds). The transaction's event is written on the lot's trail.
   */
  issue(
    trx: Knex.Transaction,
    input: {
      lot: LotAnswer;
      quantity: number;
      unit: string;
      instanceId: string;
      taskId: string;
      actor: { userId: string; printedName: string };
      at: Date;
    },
  ): Promise<void>;
}

export interface EquipmentQuestion {
  code: string;
  action: EquipmentAction;
  instanceId: string;
  taskId: string;
  at: Date;
  /** For `check`: whether the daily check passed; a failed check takes the equipment out of service. */
  passed?: boolean;
}

export interface EquipmentAnswer {
  equipmentId: string;
  code: string;
}

export interface EquipmentGate {
  /**
   * `use`: clean (within its clean-hold time), qualified, calibrated, within its daily check, not
   * in use by another batch. `measure` (an instrument such as a balance, which measures for many
   * batches and is neither held nor dirtied): qualified, calibrated, within its daily check, in
   * service. `release`: in use by this batch. `clean`: not in use by another batch. `check`: not
   * out of service. `identify` (a deviation naming the equipment it is about): registered, whatever
   * its state, and nothing is logged. Refuses with a GateRefusal otherwise.
   */
  check(db: Knex | Knex.Transaction, question: EquipmentQuestion): Promise<EquipmentAnswer>;
  /**
   * At completion: `use` sets it in use for this batch, `measure` logs the use, `release` sets it dirty, `clean` sets it
   * clean until its clean-hold time, `check` records the daily check; each a logbook event on the
   * equipment's trail with who, when and which batch, written in the step's transaction.
   */
  apply(
    trx: Knex.Transaction,
    question: EquipmentQuestion,
    actor: { userId: string; printedName: string },
  ): Promise<void>;
}

/** The gates a step passes its scanned codes through; each is there once its service is. */
export interface StepGates {
  materials: MaterialGate | null;
  equipment: EquipmentGate | null;
}
