import type { Knex } from 'knex';
import type { AuditEvent } from '../../audit/types.ts';
import { writeEventsOnly } from './instanceEvents.ts';
import type { InstanceRow } from './processRepository.ts';

/** A token whose element changes: the rows that name its element follow it. */
export interface MovedToken {
  tokenId: string;
  elementId: string;
  /** The element's name in the target version, shown on its open task. */
  name: string | null;
}

export interface MigrationWrite {
  /** The instance as read: its row is written only if it is still at this version. */
  instance: InstanceRow;
  definitionId: string;
  tokens: InstanceRow['tokens'];
  scopes: InstanceRow['scopes'];
  /** The events chained after the instance's head; the last one becomes its new head. */
  events: Omit<AuditEvent, 'id'>[];
  movedTokens: MovedToken[];
  at: Date;
}

/**
 * Moves an instance to another version of its definition inside the caller's transaction: the row
 * and its audit events in the one statement every move uses (guarded by the version read), then
 * the definition, then the open tasks, scheduled jobs, open subscriptions and open incidents of
 * tokens whose element changed. A stale version writes nothing and is a conflict.
 */
export async function writeMigration(trx: Knex.Transaction, m: MigrationWrite): Promise<void> {
  const { instance, events, at } = m;
  await writeEventsOnly(trx, instance, m, at, events);
  const head = events[events.length - 1]!;
  await trx('process_instances')
    .where({ id: instance.id, version: head.seq })
    .update({ definition_id: m.definitionId });
  if (m.movedTokens.length === 0) return;
  const moved = JSON.stringify(
    m.movedTokens.map((t) => ({ token_id: t.tokenId, element_id: t.elementId, name: t.name })),
  );
  const recordset = 'jsonb_to_recordset(?::jsonb) AS m(token_id text, element_id text, name text)';
  await trx.raw(
    `UPDATE tasks SET element_id = m.element_id, name = m.name FROM ${recordset}
      WHERE tasks.instance_id = ? AND tasks.status = 'open' AND tasks.token_id = m.token_id`,
    [moved, instance.id],
  );
  // A failed job an incident holds is taken up again when the incident is retried: it moves too.
  // A cancel job names the calling instance's element, not one of the instance it cancels.
  await trx.raw(
    `UPDATE jobs SET element_id = m.element_id FROM ${recordset}
      WHERE jobs.instance_id = ? AND jobs.status IN ('scheduled', 'failed') AND jobs.kind <> 'cancel'
        AND jobs.token_id = m.token_id`,
    [moved, instance.id],
  );
  await trx.raw(
    `UPDATE subscriptions SET element_id = m.element_id FROM ${recordset}
      WHERE subscriptions.instance_id = ? AND subscriptions.closed_at IS NULL
        AND subscriptions.token_id = m.token_id`,
    [moved, instance.id],
  );
  await trx.raw(
    `UPDATE incidents SET element_id = m.element_id FROM ${recordset}
      WHERE incidents.instance_id = ? AND incidents.resolved_at IS NULL AND incidents.token_id = m.token_id`,
    [moved, instance.id],
  );
  // Instances its call activities started name the call activity they return to.
  await trx.raw(
    `UPDATE process_instances SET parent_element_id = m.element_id FROM ${recordset}
      WHERE process_instances.parent_instance_id = ? AND process_instances.parent_token_id = m.token_id
        AND process_instances.status IN ('active', 'incident')`,
    [moved, instance.id],
  );
}
