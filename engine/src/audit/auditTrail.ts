import type { Knex } from 'knex';
import type { Clock } from '../kernel/clock.ts';
import { canonicalEventParts, eventHash } from './eventHash.ts';
import { eventRepository } from './eventRepository.ts';
import type { AuditEvent, EventActor, EventDraft, Subject } from './types.ts';

/** What a draft says once it is known who did it, to what and when; numbering and hashing follow. */
function unchained(subject: Subject, actor: EventActor, at: string, draft: EventDraft) {
  return {
    recordId: subject.id,
    recordType: subject.type,
    type: draft.type,
    actorId: actor.userId,
    actorName: actor.printedName,
    at,
    payload: draft.payload ?? {},
    reason: draft.reason ?? null,
  };
}

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
    const event = unchained(subject, actor, at, draft);
    appended.push(await eventRepository.append(db, event, canonicalEventParts(event)));
  }
  return appended;
}

/**
 * Chains drafts after a head the caller already holds (a subject that keeps its own head, such as
 * a process instance at version n): the events are numbered and hashed here and written by the
 * caller in the same statement as the state they explain.
 */
export function chainEvents(
  subject: Subject,
  head: { seq: number; hash: string },
  actor: EventActor,
  at: string,
  drafts: EventDraft[],
): Omit<AuditEvent, 'id'>[] {
  let { seq, hash } = head;
  return drafts.map((draft) => {
    const event = { ...unchained(subject, actor, at, draft), seq: ++seq, prevHash: hash };
    hash = eventHash(event);
    return { ...event, hash };
  });
}
