import type { Knex } from 'knex';
import type { Clock } from '../kernel/clock.ts';
import { requirePermission, type Principal } from '../kernel/permissions.ts';
import { appendEvents } from './auditTrail.ts';
import { eventRepository, type EventFilter } from './eventRepository.ts';
import { LEDGER_SUBJECT, SYSTEM_ACTOR, type AuditEvent } from './types.ts';

export interface AuditService {
  /** The audit trail, filterable by record, user, time and field (C5). */
  trail(principal: Principal, filter: EventFilter): Promise<AuditEvent[]>;
  /** Seals the heads of the chains changed since the last seal into the ledger; null: nothing changed. */
  seal(marginMs?: number): Promise<AuditEvent | null>;
}

/**
 * The chains a record's audit trail is made of: its own; for a record started from a template its
 * process instance's too, and those of its exceptions, which hold QA's signed decisions on them.
 */
export async function recordChains(db: Knex | Knex.Transaction, recordId: string): Promise<string[]> {
  const record = await db('records').where({ id: recordId }).first('instance_id');
  if (!record?.instance_id) return [recordId];
  const exceptions = (await db('exceptions')
    .where({ instance_id: record.instance_id })
    .pluck('id')) as string[];
  return [recordId, record.instance_id, ...exceptions];
}

export function createAuditService({ knex, clock }: { knex: Knex; clock: Clock }): AuditService {
  /** The audit trail, filterable by record, user, time and field (C5). */
  async function trail(principal: Principal, filter: EventFilter): Promise<AuditEvent[]> {
    requirePermission(principal, 'audit.read');
    if (filter.recordId) {
      const chains = await recordChains(knex, filter.recordId);
      if (chains.length > 1)
        return eventRepository.list(knex, { ...filter, recordId: undefined, recordIds: chains });
    }
    return eventRepository.list(knex, filter);
  }

  /**
   * Seals into the ledger the heads of every record changed since the last seal (with a margin for
   * transactions that committed late), so removing the newest events of a record is detected.
   */
  async function seal(marginMs = 5 * 60_000): Promise<AuditEvent | null> {
    return knex.transaction(async (trx) => {
      const last = await eventRepository.lastOfType(trx, LEDGER_SUBJECT.id, 'ledger.sealed');
      const since = last ? new Date(new Date(last.at).getTime() - marginMs) : new Date(0);
      const heads = await eventRepository.headsChangedSince(trx, since);
      if (heads.length === 0) return null;
      const [event] = await appendEvents(trx, clock, LEDGER_SUBJECT, SYSTEM_ACTOR, [
        { type: 'ledger.sealed', payload: { heads: heads.map((h) => [h.recordId, h.seq, h.hash]) } },
      ]);
      return event ?? null;
    });
  }

  return { trail, seal };
}
