import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { appendEvents } from '../audit/auditTrail.ts';
import type { EventActor } from '../audit/types.ts';
import type { Clock } from '../kernel/clock.ts';
import { ConflictError } from '../kernel/errors.ts';
import type { LotRow } from './lotRows.ts';
import { amount, lotSubject, type TransactionKind } from './materialFacts.ts';

/** A transaction as its event states it and its row holds it. */
export interface TransactionFacts {
  id: string;
  containerId: string | null;
  kind: TransactionKind;
  quantity: number;
  location: string;
  instanceId: string | null;
  taskId: string | null;
}

/** What a lot holds now, per container (null: held by the lot, not in one of its containers). */
export interface Holding {
  containerId: string | null;
  number: number | null;
  location: string;
  quantity: number;
}

/** The lot's stock per container and location, from its transactions; containers in their order. */
export async function holdings(db: Knex | Knex.Transaction, lotId: string): Promise<Holding[]> {
  const rows = await db('lot_stock as s')
    .leftJoin('lot_containers as c', 'c.id', 's.container_id')
    .where('s.lot_id', lotId)
    .select('s.container_id', 'c.number', 's.location', 's.quantity')
    .orderByRaw('c.number NULLS FIRST, s.location');
  return rows.map((r) => ({
    containerId: r.container_id,
    number: r.number,
    location: r.location,
    quantity: amount(r.quantity),
  }));
}

export const total = (hs: Holding[], containerId?: string | null): number =>
  amount(
    hs
      .filter((h) => containerId === undefined || containerId === null || h.containerId === containerId)
      .reduce((sum, h) => sum + h.quantity, 0),
  );

/**
 * Takes a quantity out of a lot: from the container named, or from its holdings in container order
 * until it is covered. The caller holds the lot row locked, so what it summed is what there is.
 */
export function drawFrom(hs: Holding[], quantity: number, containerId: string | null) {
  const draws: { containerId: string | null; location: string; quantity: number }[] = [];
  let left = quantity;
  for (const h of hs) {
    if (left <= 0) break;
    if (containerId !== null && h.containerId !== containerId) continue;
    if (h.quantity <= 0) continue;
    const take = amount(Math.min(h.quantity, left));
    draws.push({ containerId: h.containerId, location: h.location, quantity: take });
    left = amount(left - take);
  }
  return draws;
}

/** Writes transactions and the one event on the lot's trail that states them, in the caller's transaction. */
export async function recordTransactions(
  trx: Knex.Transaction,
  clock: Clock,
  lotId: string,
  actor: EventActor & { userId: string },
  type: string,
  moves: Omit<TransactionFacts, 'id'>[],
  reason: string | null,
  payload: Record<string, unknown> = {},
): Promise<{ at: string; transactions: TransactionFacts[] }> {
  const transactions = moves.map((m) => ({ id: randomUUID(), ...m }));
  const [event] = await appendEvents(trx, clock, lotSubject(lotId), actor, [
    { type, payload: { ...payload, transactions }, reason },
  ]);
  if (transactions.length > 0)
    await trx('lot_transactions').insert(
      transactions.map((t) => ({
        id: t.id,
        lot_id: lotId,
        container_id: t.containerId,
        kind: t.kind,
        quantity: t.quantity,
        location: t.location,
        instance_id: t.instanceId,
        task_id: t.taskId,
        reason,
        at: event!.at,
        by: actor.userId,
      })),
    );
  return { at: event!.at, transactions };
}

/**
 * The draws that take a quantity out of a lot (or one of its containers); refused when there is
 * not that much. The lot row is locked by the caller.
 */
export function withdrawals(
  row: Pick<LotRow, 'lot_number' | 'unit'>,
  stock: Holding[],
  quantity: number,
  containerId: string | null,
  containerCode: string | null,
) {
  const available = total(stock, containerId);
  if (quantity > available)
    throw new ConflictError(
      `${containerCode ? `Container ${containerCode}` : `Lot ${row.lot_number}`} holds ${available} ${row.unit}: ` +
        `${quantity} ${row.unit} cannot be taken from it`,
    );
  return drawFrom(stock, quantity, containerId);
}
