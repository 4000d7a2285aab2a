import type { Knex } from 'knex';
import type { AuditEvent, SubjectType } from '../../audit/types.ts';
import { chainsOf, firstDifference, iso, type Findings } from './findings.ts';

/**
 * Every column of every signature against its `signature.applied` event (signer id, user name and
 * printed name, meaning, reason, time, content hash, version, the values and the audit trail it
 * covers) and its withdrawal against `signature.withdrawn`.
 */
export async function checkSignatures(knex: Knex, findings: Findings): Promise<void> {
  const chains = await chainsOf(
    knex,
    [
      ...['record', 'user', 'role', 'template', 'instance', 'definition', 'form', 'exception', 'plugin'],
      ...['equipment', 'material', 'lot'],
    ] as SubjectType[],
    (q) => q.whereIn('type', ['signature.applied', 'signature.withdrawn']),
    { table: 'signatures', column: 'record_id' },
  );
  const applied = new Map<string, AuditEvent>();
  const withdrawn = new Map<string, AuditEvent>();
  for (const events of chains.values()) {
    for (const e of events) {
      const id = e.payload.signatureId as string;
      if (e.type === 'signature.applied') applied.set(id, e);
      else if (!withdrawn.has(id)) withdrawn.set(id, e);
    }
  }
  for (const row of await knex('signatures').select('*').orderBy('id')) {
    const e = applied.get(row.id);
    if (!e) {
      findings.differs(
        'signatures',
        row.id,
        `${row.meaning} by ${row.signer_username} has no signature.applied event`,
      );
      continue;
    }
    const w = withdrawn.get(row.id);
    const p = e.payload;
    const column = firstDifference([
      ['record_id', row.record_id, e.recordId],
      ['record_type', row.record_type, e.recordType],
      ['event_seq', row.event_seq, e.seq],
      ['signer_id', row.signer_id, e.actorId],
      ['signer_username', row.signer_username, p.signer],
      ['signer_name', row.signer_name, e.actorName],
      ['meaning', row.meaning, p.meaning],
      ['reason', row.reason, e.reason],
      ['signed_at', iso(row.signed_at), e.at],
      ['content_hash', row.content_hash, p.contentHash],
      ['record_version', row.record_version, p.recordVersion],
      ['task_id', row.task_id, p.taskId ?? null],
      ['pointers', row.pointers, p.pointers ?? null],
      ['reviewed', row.reviewed, p.reviewed ?? null],
      ['withdrawn_at', iso(row.withdrawn_at), w?.at ?? null],
      ['withdrawn_by', row.withdrawn_by, w?.actorId ?? null],
      ['withdrawal_reason', row.withdrawal_reason, w?.reason ?? null],
    ]);
    if (column) {
      findings.differs(
        'signatures',
        row.id,
        `${row.meaning} by ${row.signer_username}: ${column} differs from event ${e.seq} of ${e.recordId}`,
      );
    }
  }
}
