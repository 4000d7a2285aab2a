import type { Knex } from 'knex';
import type { Clock } from '../clock.ts';
import { canonicalEventParts } from './eventHash.ts';
import { eventRepository } from './eventRepository.ts';
import type { AuditEvent, EventActor, EventDraft, Subject } from './types.ts';

/**
 * Appends events to a subject's hash chain. Inside a caller's transaction the audit trail and the
 * state it explains are written together or not at all; on its own an append of one event is a
 * single atomic statement. Two writers appending to the same subject at once collide on the
 * unique (record_id, seq) key: one wins, the other gets a conflict.
 */
export async function appendEvents(
  db: Knex | Knex.Transaction,
  clock: Clock,
  subject: Subject,
  actor: EventActor,
  drafts: EventDraft[],
): Promise<AuditEvent[]> {
  if (drafts.length > 1 && !db.isTransaction) {
    return db.transaction((trx) => appendEvents(trx, clock, subject, actor, drafts));
  }
  const at = clock.now().toISOString();
  const appended: AuditEvent[] = [];
  for (const draft of drafts) {
    const event = {
      recordId: subject.id,
      recordType: subject.type,
      type: draft.type,
      actorId: actor.userId,
      actorName: actor.printedName,
      at,
      payload: draft.payload ?? {},
      reason: draft.reason ?? null,
    };
    appended.push(await eventRepository.append(db, event, canonicalEventParts(event)));
  }
  return appended;
}
