import type { Knex } from 'knex';
import type { AuditEvent } from '../../audit/types.ts';
import { chainsOf, firstDifference, iso, type Findings } from './findings.ts';

/**
 * QA's decisions on exceptions against `exception.dispositioned` in each exception's chain: every
 * disposition row is stated by its event, and an exception's status is the last decision's (open
 * without one). A status moved or a decision written past the trail shows here.
 */
export async function checkDispositions(knex: Knex, findings: Findings): Promise<void> {
  const chains = await chainsOf(
    knex,
    ['exception'],
    (q) => q.where('type', 'exception.dispositioned'),
    'exceptions',
  );
  const events = new Map<string, AuditEvent>();
  const statusOf = new Map<string, string>();
  for (const [exceptionId, chain] of chains) {
    for (const e of chain) {
      events.set(e.payload.dispositionId as string, e);
      statusOf.set(exceptionId, e.payload.status as string);
    }
  }
  for (const row of await knex('exception_dispositions').select('*').orderBy('id')) {
    const e = events.get(row.id);
    if (!e) {
      findings.differs(
        'exception_dispositions',
        row.id,
        `${row.action} has no exception.dispositioned event`,
      );
      continue;
    }
    const column = firstDifference([
      ['exception_id', row.exception_id, e.recordId],
      ['action', row.action, e.payload.action],
      ['comment', row.comment, e.payload.comment],
      ['deviation_id', row.deviation_id, e.payload.deviationId ?? null],
      ['signature_id', row.signature_id, e.payload.signatureId],
      ['at', iso(row.at), e.at],
      ['by', row.by, e.actorId],
    ]);
    if (column)
      findings.differs(
        'exception_dispositions',
        row.id,
        `${row.action}: ${column} differs from its audit trail`,
      );
  }
  for (const row of await knex('exceptions').select('id', 'type', 'status').orderBy('id')) {
    const expected = statusOf.get(row.id) ?? 'open';
    if (row.status !== expected)
      findings.differs(
        'exceptions',
        row.id,
        `${row.type}: status ${row.status} differs from its audit trail (${expected})`,
      );
  }
}
