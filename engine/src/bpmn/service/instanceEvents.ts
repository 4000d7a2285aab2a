import type { Knex } from 'knex';
import { chainEvents } from '../../audit/auditTrail.ts';
import type { AuditEvent, EventActor, EventDraft } from '../../audit/types.ts';
import { isUniqueViolation } from '../../db/database.ts';
import { ConflictError, NotFoundError } from '../../kernel/errors.ts';
import { processRepository, type InstanceRow, type Writes } from './processRepository.ts';

const CONFLICT = 'The process instance was changed by someone else at the same time; reload and try again';

/** A move that changes nothing but the instance's audit trail. */
export const eventsOnly = (at: Date, events: Omit<AuditEvent, 'id'>[]): Writes => ({
  at,
  taskUpdates: [],
  newTasks: [],
  newJobs: [],
  jobUpdates: [],
  newSubscriptions: [],
  closedSubscriptions: [],
  incidents: [],
  resolvedIncidents: [],
  resolvedBy: null,
  events,
});

/**
 * Appends events to a process instance's chain inside the caller's transaction, through the same
 * version-guarded write every move uses: the instance's version and head follow its chain, so the
 * next step of its process finds the chain where it left it. An instance moved meanwhile writes
 * nothing and is a conflict.
 */
export async function appendInstanceEvents(
  trx: Knex.Transaction,
  instanceId: string,
  actor: EventActor,
  at: Date,
  drafts: EventDraft[],
): Promise<{ instance: InstanceRow; events: Omit<AuditEvent, 'id'>[] }> {
  const instance = await processRepository.findInstance(trx, instanceId);
  if (!instance) throw new NotFoundError(`There is no process instance ${instanceId}`);
  const events = chainEvents(
    { id: instance.id, type: 'instance' },
    { seq: instance.version, hash: instance.head_hash },
    actor,
    at.toISOString(),
    drafts,
  );
  await writeEventsOnly(trx, instance, instance, at, events);
  return { instance, events };
}

/**
 * Writes an instance's new events, and its tokens and scopes where they moved, in the one statement
 * every move uses, guarded by the version read: a stale version writes nothing and is a conflict.
 */
export async function writeEventsOnly(
  trx: Knex.Transaction,
  instance: InstanceRow,
  state: Pick<InstanceRow, 'tokens' | 'scopes'>,
  at: Date,
  events: Omit<AuditEvent, 'id'>[],
): Promise<void> {
  let written: Set<string>;
  try {
    written = await processRepository.move(trx, [
      {
        instance: {
          id: instance.id,
          status: instance.status,
          tokens: state.tokens,
          scopes: state.scopes,
          variables: instance.variables,
          ended_at: instance.ended_at,
        },
        oldVersion: instance.version,
        writes: eventsOnly(at, events),
      },
    ]);
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(CONFLICT);
    throw error;
  }
  if (!written.has(instance.id)) throw new ConflictError(CONFLICT);
}
