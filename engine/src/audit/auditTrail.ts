import type { Knex } from 'knex';
import type { Clock } from '../clock.ts';
import { eventHash, GENESIS_HASH } from './eventHash.ts';
import { eventRepository } from './eventRepository.ts';
import type { AuditEvent, EventActor, EventDraft, Subject } from './types.ts';

/**
 * Appends events to a subject's hash chain inside the caller's transaction, so the audit trail
 * and the state it explains are written together or not at all. Two writers appending to the same
 * subject at once collide on the unique (record_id, seq) key: one wins, the other gets a conflict.
 */
export async function appendEvents(
  trx: Knex.Transaction,
  clock: Clock,
  subject: Subject,
  actor: EventActor,
  drafts: EventDraft[],
): Promise<AuditEvent[]> {
  const head = await eventRepository.head(trx, subject.id);
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  const at = clock.now().toISOString();
  const events: Omit<AuditEvent, 'id'>[] = drafts.map((draft) => {
    seq += 1;
    const event = {
      recordId: subject.id,
      recordType: subject.type,
      seq,
      type: draft.type,
      actorId: actor.userId,
      actorName: actor.printedName,
      at,
      payload: draft.payload ?? {},
      reason: draft.reason ?? null,
      prevHash,
    };
    prevHash = eventHash(event);
    return { ...event, hash: prevHash };
  });
  const ids = await eventRepository.insert(trx, events);
  return events.map((e, i) => ({ ...e, id: ids[i] as number }));
}
