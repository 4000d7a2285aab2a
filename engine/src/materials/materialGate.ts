import type { Clock } from '../kernel/clock.ts';
import { ConflictError } from '../kernel/errors.ts';
import { convertUnit } from '../devices/units.ts';
import { GateRefusal, type LotAnswer, type MaterialGate } from '../steps/gates.ts';
import { amount } from './materialFacts.ts';
import { plantDate } from '../kernel/clock.ts';
import { findLot, lotRows, type LotRow } from './lotRows.ts';
import { holdings, recordTransactions, total, withdrawals } from './lotStock.ts';
import { usabilityRefusal } from './lotUsability.ts';

/** The material gate a step asks: scanned codes resolved to lots, refused with the reason, FEFO proposed. */
export function createMaterialGate(deps: { clock: Clock; timeZone: string }): MaterialGate {
  const { clock, timeZone } = deps;

  const propose: MaterialGate['propose'] = async (db, material, at) => {
    const today = plantDate(at, timeZone);
    const row = await lotRows(db)
      .join(
        db('lot_stock').select('lot_id').sum({ available: 'quantity' }).groupBy('lot_id').as('s'),
        's.lot_id',
        'l.id',
      )
      .select('s.available')
      .where('m.code', material)
      .where('l.status', 'released')
      .where('l.expiry_date', '>=', today)
      .where((q) => {
        void q.whereNull('l.retest_date').orWhere('l.retest_date', '>=', today);
      })
      .where('s.available', '>', 0)
      .orderBy([{ column: 'l.expiry_date' }, { column: 'l.received_at' }, { column: 'l.lot_number' }])
      .first();
    if (!row) return null;
    return {
      lotNumber: row.lot_number,
      expiryDate: row.expiry_date,
      available: amount(row.available),
      unit: row.unit,
    };
  };

  const checkLot: MaterialGate['checkLot'] = async (db, question) => {
    const code = typeof question.code === 'string' ? question.code.trim() : '';
    if (code === '' || code.length > 60)
      throw new GateRefusal('A lot number or container code is needed here', 'unknown');
    const container = await db('lot_containers').where({ code }).first();
    const lotNumber = container
      ? (await db('lots').where({ id: container.lot_id }).first('lot_number')).lot_number
      : code;
    const row = (await lotRows(db).where('l.lot_number', lotNumber).first()) as LotRow | undefined;
    if (!row) throw new GateRefusal(`No lot or container has the code ${code}`, 'unknown');
    if (question.material !== null && row.material_code !== question.material)
      throw new GateRefusal(
        `Lot ${row.lot_number} is ${row.material_code} (${row.material_name}), not the material ${question.material} this step asks for`,
        'wrong_material',
      );
    const refusal = usabilityRefusal(row, plantDate(question.at, timeZone));
    if (refusal) throw refusal;
    const available = total(await holdings(db, row.id), container?.id ?? null);
    if (available <= 0)
      throw new GateRefusal(
        container
          ? `Container ${container.code} of lot ${row.lot_number} is empty`
          : `Lot ${row.lot_number} has no stock left`,
        'empty',
      );
    const first = await propose(db, row.material_code, question.at);
    return {
      lotId: row.id,
      lotNumber: row.lot_number,
      containerId: container?.id ?? null,
      containerCode: container?.code ?? null,
      material: row.material_code,
      expiryDate: row.expiry_date,
      fefo:
        first && first.lotNumber !== row.lot_number
          ? { lotNumber: first.lotNumber, expiryDate: first.expiryDate }
          : null,
    } satisfies LotAnswer;
  };

  const issue: MaterialGate['issue'] = async (trx, input) => {
    // The lot row locked before the stock is summed: two issues of the last kilogram queue here.
    const row = await findLot(trx, input.lot.lotNumber, true);
    const refusal = usabilityRefusal(row, plantDate(input.at, timeZone));
    if (refusal) throw refusal;
    const quantity = convertUnit(input.quantity, input.unit, row.unit);
    if (typeof quantity !== 'number' || (input.unit !== row.unit && row.unit === 'pcs'))
      throw new GateRefusal(
        `Lot ${row.lot_number} is kept in ${row.unit}: a quantity in ${input.unit} cannot be issued from it`,
        'unit',
      );
    if (!(quantity > 0)) throw new GateRefusal('The quantity issued must be more than 0', 'quantity');
    let moves;
    try {
      moves = withdrawals(
        row,
        await holdings(trx, row.id),
        amount(quantity),
        input.lot.containerId,
        input.lot.containerCode,
      );
    } catch (error) {
      if (error instanceof ConflictError) throw new GateRefusal(error.message, 'empty');
      throw error;
    }
    await recordTransactions(
      trx,
      clock,
      row.id,
      input.actor as { userId: string; printedName: string },
      'lot.issue',
      moves.map((m) => ({
        ...m,
        kind: 'issue',
        quantity: -m.quantity,
        instanceId: input.instanceId,
        taskId: input.taskId,
      })),
      null,
    );
  };

  return { checkLot, propose, issue };
}
