import type { Knex } from 'knex';
import { NotFoundError } from '../kernel/errors.ts';
import type { LotStatus } from './materialFacts.ts';

export interface LotRow {
  id: string;
  lot_number: string;
  material_id: string;
  material_code: string;
  material_name: string;
  supplier_code: string;
  supplier_lot: string;
  status: LotStatus;
  unit: string;
  received_at: Date;
  received_by: string;
  expiry_date: string;
  retest_date: string | null;
  location: string;
  version: number;
  signature_id: string | null;
  updated_at: Date;
}

/** Lots with their material's code and name, dates as the plant writes them. */
export const lotRows = (db: Knex | Knex.Transaction) =>
  db('lots as l')
    .join('materials as m', 'm.id', 'l.material_id')
    .select(
      ...['l.id', 'l.lot_number', 'l.material_id', 'l.supplier_code', 'l.supplier_lot', 'l.status', 'l.unit'],
      ...['l.received_at', 'l.received_by', 'l.location', 'l.version', 'l.signature_id', 'l.updated_at'],
      'm.code as material_code',
      'm.name as material_name',
      db.raw(`to_char(l.expiry_date, 'YYYY-MM-DD') AS expiry_date`),
      db.raw(`to_char(l.retest_date, 'YYYY-MM-DD') AS retest_date`),
    );

/** The lot of a number, its row locked when asked (before stock is summed, so two issues queue). */
export async function findLot(db: Knex | Knex.Transaction, lotNumber: string, lock = false): Promise<LotRow> {
  const q = lotRows(db)
    .where('l.lot_number', typeof lotNumber === 'string' ? lotNumber : '')
    .first();
  const row = (await (lock ? q.forUpdate('l') : q)) as LotRow | undefined;
  if (!row) throw new NotFoundError(`There is no lot ${lotNumber}`);
  return row;
}
