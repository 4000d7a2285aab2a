import type { Knex } from 'knex';
import type { AuditEvent } from '../../audit/types.ts';
import { chainsOf, firstDifference, iso, type Findings } from './findings.ts';

/**
 * Reopenings of records (D4) against `record.reopened` in each record's chain: every row is stated
 * by its event, column by column, and every event has its row. Its signature is checked with the
 * other signatures.
 */
export async function checkReopenings(knex: Knex, findings: Findings): Promise<void> {
  const chains = await chainsOf(knex, ['record'], (q) => q.where('type', 'record.reopened'));
  const events = new Map<string, AuditEvent>();
  for (const chain of chains.values()) for (const e of chain) events.set(e.payload.reopeningId as string, e);
  const rows = await knex('record_reopenings').select('*').orderBy('id');
  for (const row of rows) {
    const e = events.get(row.id);
    events.delete(row.id);
    if (!e) {
      findings.differs('record_reopenings', row.id, `the reopening has no record.reopened event`);
      continue;
    }
    const column = firstDifference([
      ['record_id', row.record_id, e.recordId],
      ['reason', row.reason, e.reason],
      ['previous_status', row.previous_status, e.payload.previousStatus],
      ['signature_id', row.signature_id, e.payload.signatureId],
      ['at', iso(row.at), e.payload.at],
      ['by', row.by, e.actorId],
    ]);
    if (column) findings.differs('record_reopenings', row.id, `${column} differs from its audit trail`);
  }
  for (const [id, e] of events) {
    findings.differs(
      'record_reopenings',
      id,
      `the record.reopened event ${e.seq} of ${e.recordId} has no row`,
    );
  }
}
