import type { EquipmentInput, Principal, RoomInput } from '../../src/index.ts';
import type { TestContext } from '../support/testEngine.ts';

export const granulationRoom = (over: Partial<RoomInput> = {}): RoomInput => ({
  code: 'R-104',
  name: 'Granulation 1',
  class: 'D',
  status: 'cleared',
  reason: 'Room qualified, IQ/OQ-R104',
  ...over,
});

export const mixer = (over: Partial<EquipmentInput> = {}): EquipmentInput => ({
  code: 'MX-01',
  name: 'Mixer',
  type: 'high-shear mixer',
  room: 'R-104',
  status: 'clean',
  calibrationDue: '2099-06-30',
  qualificationDue: '2099-12-31',
  cleanHoldHours: 72,
  dailyCheckRequired: false,
  reason: 'Installed and qualified, IQ/OQ-MX01',
  ...over,
});

/** A step's question about a piece of equipment, asked now by a batch. */
export const asked = (
  ctx: TestContext,
  code: string,
  action: 'use' | 'release' | 'clean' | 'check',
  instanceId: string,
  passed?: boolean,
) => ({ code, action, instanceId, taskId: instanceId, at: ctx.clock.now(), passed });

/** Applies a step's action as the step's transaction would: checked, then applied, together. */
export async function stepDoes(
  ctx: TestContext,
  operator: Principal,
  question: ReturnType<typeof asked>,
): Promise<void> {
  await ctx.engine.database.knex.transaction(async (trx) => {
    await ctx.engine.equipment.check(trx, question);
    await ctx.engine.equipment.apply(trx, question, {
      userId: operator.userId,
      printedName: operator.printedName,
    });
  });
}
