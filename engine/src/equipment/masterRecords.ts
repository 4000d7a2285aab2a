import type { Knex } from 'knex';
import { appendEvents } from '../audit/auditTrail.ts';
import type { AuditEvent, EventActor, FieldChange, SubjectType } from '../audit/types.ts';
import type { Clock } from '../kernel/clock.ts';
import { ConflictError } from '../kernel/errors.ts';

/**
 * How a master record (a room, a piece of equipment) is kept: a row whose every fact an event of
 * its own trail states. Registering states all facts at version 1; every later event, a person's
 * change or a logbook entry alike, carries old and new of each fact it changes (C1) and the
 * version it leaves, so `attest verify` replays one rule for all of them.
 */
export interface MasterTable<F extends object> {
  table: 'rooms' | 'equipment';
  subject: SubjectType;
  /** The facts in the order the trail names them; each is stored in the column of its snake_case name. */
  facts: readonly (keyof F & string)[];
}

/** The column a fact is stored in: `cleanUntil` in `clean_until`. */
export const columnOf = (fact: string): string => fact.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The columns of the facts given, as stored. */
function columns<F extends object>(table: MasterTable<F>, facts: Partial<F>): Record<string, unknown> {
  return Object.fromEntries(table.facts.filter((k) => k in facts).map((k) => [columnOf(k), facts[k]]));
}

/** What a master row holds besides its facts. */
export interface MasterRow {
  id: string;
  code: string;
  version: number;
}

/** The facts that differ between two states, old and new, in the order the table names them. */
export function factChanges<F extends object>(
  table: MasterTable<F>,
  before: F,
  after: Partial<F>,
): FieldChange[] {
  return table.facts
    .filter((k) => k in after && JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null))
    .map((k) => ({ path: `/${k}`, old: before[k] ?? null, new: after[k] ?? null }));
}

/** Registers a row with its facts, stated whole by its first event, in the caller's transaction. */
export async function registerRow<F extends object>(
  trx: Knex.Transaction,
  clock: Clock,
  table: MasterTable<F>,
  id: string,
  actor: EventActor & { userId: string },
  facts: F,
  reason: string,
): Promise<AuditEvent> {
  const [event] = await appendEvents(trx, clock, { id, type: table.subject }, actor, [
    { type: `${table.subject}.registered`, payload: { ...facts, version: 1 }, reason },
  ]);
  await trx(table.table).insert({
    id,
    ...columns(table, facts),
    version: 1,
    created_at: event!.at,
    created_by: actor.userId,
    updated_at: event!.at,
  });
  return event!;
}

/**
 * Writes one event of a row and the row as the event leaves it, in the caller's transaction (which
 * holds the row locked): the facts it changes with old and new, what else the event says
 * (`details`: the batch, the certificate), and the next version.
 */
export async function writeRowEvent<F extends object>(
  trx: Knex.Transaction,
  clock: Clock,
  table: MasterTable<F>,
  row: MasterRow & F,
  actor: EventActor,
  draft: { type: string; next: Partial<F>; details?: Record<string, unknown>; reason?: string | null },
): Promise<AuditEvent> {
  const version = row.version + 1;
  const changes = factChanges(table, row, draft.next);
  const [event] = await appendEvents(trx, clock, { id: row.id, type: table.subject }, actor, [
    {
      type: draft.type,
      payload: { ...draft.details, changes, version },
      reason: draft.reason ?? null,
    },
  ]);
  await trx(table.table)
    .where({ id: row.id })
    .update({ ...columns(table, draft.next), version, updated_at: event!.at });
  return event!;
}

/** Refuses a change made on a version the row has left: someone changed it since it was read. */
export function requireVersion(row: MasterRow, version: number, what: string): void {
  if (version !== row.version)
    throw new ConflictError(
      `${what} ${row.code} was changed since version ${version} was read (it is at version ${row.version}); reload it`,
    );
}
