import type { Knex } from 'knex';
import { INSTANCE_TREE, TREE_ROOT } from '../bpmn/service/instanceTree.ts';
import { ConflictError } from '../kernel/errors.ts';

type Db = Knex | Knex.Transaction;

/** Statuses in which an exception still holds its record back; accepted or a deviation releases it. */
export const UNDISPOSITIONED = ['open', 'assessed'] as const;

/**
 * SQL: what holds a record back in the instance tree of `pi` (a record's process and what it
 * called), for a query that joins process_instances as pi: a blocking exception not yet
 * dispositioned, or a step a run-time change repeated or added that is still open (D7).
 */
export const BLOCKING_IN_TREE = `WITH RECURSIVE tree AS (SELECT pi.id
      UNION ALL SELECT c.id FROM process_instances c JOIN tree ON c.parent_instance_id = tree.id
        WHERE NOT EXISTS (SELECT 1 FROM records x WHERE x.instance_id = c.id))
    SELECT 1 FROM exceptions e JOIN tree ON e.instance_id = tree.id
    WHERE e.blocking AND e.status IN ('open', 'assessed')
    UNION ALL SELECT 1 FROM tasks t JOIN tree ON t.instance_id = tree.id
    WHERE t.origin <> 'flow' AND t.status = 'open'`;

/** Meanings that pass a record on: none is given while a blocking exception waits for QA (F4). */
export const RELEASING: readonly string[] = ['Reviewed', 'Approved', 'Released'];

export interface BlockingException {
  id: string;
  type: string;
  severity: string;
  message: string;
  status: string;
}

/** The blocking exceptions of a record's process not yet dispositioned, oldest first. */
export async function blockingExceptions(db: Db, recordInstanceId: string): Promise<BlockingException[]> {
  return (await db('exceptions')
    .whereRaw(`instance_id IN (${INSTANCE_TREE})`, [recordInstanceId])
    .where('blocking', true)
    .whereIn('status', UNDISPOSITIONED)
    .orderBy('raised_at')
    .orderBy('id')
    .select('id', 'type', 'severity', 'message', 'status')) as BlockingException[];
}

/** The instance whose tree (a record's process and what it called) holds this instance. */
export async function treeRootOf(db: Db, instanceId: string): Promise<string> {
  const { rows } = await db.raw<{ rows: { id: string }[] }>(TREE_ROOT, [instanceId]);
  return rows[0]?.id ?? instanceId;
}

/**
 * Refuses what a blocking exception stops until QA dispositions it (F4): the record's process
 * ending, a review, approval or release signature on it or on one of its steps. The refusal names
 * each exception, so the person knows what to take to QA.
 */
export async function refuseWhileBlocking(db: Db, recordInstanceId: string, what: string): Promise<void> {
  const steps = (await db('tasks')
    .whereRaw(`instance_id IN (${INSTANCE_TREE})`, [recordInstanceId])
    .whereNot('origin', 'flow')
    .where('status', 'open')
    .orderBy('created_at')
    .select('id', 'name', 'element_id')) as { id: string; name: string | null; element_id: string }[];
  if (steps.length > 0) {
    const listed = steps.map((t) => `“${t.name ?? t.element_id}” (task ${t.id})`).join('; ');
    throw new ConflictError(
      `${what} is refused while a step repeated or added by a run-time change is open: ${listed}. It is completed or skipped first.`,
    );
  }
  const open = await blockingExceptions(db, recordInstanceId);
  if (open.length === 0) return;
  const listed = open.map((e) => `“${e.message}” (${e.severity}, ${e.status}, exception ${e.id})`).join('; ');
  throw new ConflictError(
    `${what} is refused while ${open.length === 1 ? 'a blocking exception is' : `${open.length} blocking exceptions are`} not dispositioned: ${listed}. QA assesses it and accepts it or raises a deviation first.`,
  );
}
