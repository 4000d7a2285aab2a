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

export function createAuditService({ knex, clock }: { knex: Knex; clock: Clock }): AuditService {
  /** The audit trail, filterable by record, user, time and field (C5). */
  async function trail(principal: Principal, filter: EventFilter): Promise<AuditEvent[]> {
    requirePermission(principal, 'audit.read');
    if (filter.recordId) {
      // A record started from a template: its own chain and its process instance's, together.
      const record = await knex('records').where({ id: filter.recordId }).first('instance_id');
      if (record?.instance_id) {
        const { recordId, ...rest } = filter;
        // And the chains of its exceptions, which hold QA's signed decisions on them.
        const exceptions = (await knex('exceptions')
          .where({ instance_id: record.instance_id })
          .pluck('id')) as string[];
        return eventRepository.list(knex, {
          ...rest,
          recordIds: [recordId, record.instance_id, ...exceptions],
        });
      }
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
