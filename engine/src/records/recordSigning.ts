import type { Knex } from 'knex';
import { ConflictError, NotAllowedError } from '../kernel/errors.ts';
import type { Principal } from '../kernel/permissions.ts';
import { INSTANCE_TREE } from '../bpmn/service/instanceTree.ts';
import type { Meaning } from '../signatures/types.ts';
import { RELEASING, refuseWhileBlocking } from '../exceptions/gate.ts';
import { openReopening } from './recordReopenings.ts';

type Db = Knex | Knex.Transaction;

/** Meanings that judge the work of others: nobody gives them to a record they took part in (B5). */
const JUDGING: readonly Meaning[] = ['Reviewed', 'Approved', 'Released', 'Rejected'];

/** How a record ended, as its process tells it: it then takes no signature but through reopening. */
const FINISHED: Record<string, string> = {
  voided: 'is voided',
  completed: 'is closed',
  terminated: 'was cancelled',
};

/**
 * The rules a signature given directly on a record obeys, the same as those its steps obey:
 * the record is still open or reopened (D4) — a reopened record is approved again by someone other
 * than the person who reopened it — and whoever started it or performed any of its steps does not
 * review, approve, release or reject it (B5) — for a record of a template, every step its process
 * ran, whatever the model's `separateFrom` names, for a signature on the whole record judges
 * all of them.
 */
export async function checkRecordSignable(
  db: Db,
  recordId: string,
  principal: Principal,
  meaning: Meaning,
): Promise<void> {
  const record = (await db('records as r')
    .leftJoin('process_instances as pi', 'pi.id', 'r.instance_id')
    .where('r.id', recordId)
    .first(
      'r.number',
      'r.status',
      'r.created_by',
      'r.instance_id',
      'pi.status as process_status',
      'pi.started_by',
    )) as
    | {
        number: string;
        status: string;
        created_by: string;
        instance_id: string | null;
        process_status: string | null;
        started_by: string | null;
      }
    | undefined;
  if (!record) return;
  const reopened = record.status === 'voided' ? null : await openReopening(db, recordId);
  const finished = FINISHED[record.status] ?? FINISHED[record.process_status ?? ''];
  if (finished && !reopened) {
    throw new ConflictError(`${record.number} ${finished}: it takes no further signature`);
  }
  if (reopened && meaning === 'Approved' && reopened.by.id === principal.userId) {
    throw new NotAllowedError(
      `${principal.username} reopened ${record.number} and may not approve it again: a second person is required`,
    );
  }
  if (record.instance_id && RELEASING.includes(meaning)) {
    await refuseWhileBlocking(db, record.instance_id, `Signing ${record.number} as ${meaning}`);
  }
  if (!JUDGING.includes(meaning)) return;
  if (record.created_by === principal.userId || record.started_by === principal.userId) {
    throw new NotAllowedError(
      `${principal.username} started ${record.number} and may not sign it as ${meaning}: a second person is required`,
    );
  }
  if (!record.instance_id) return;
  const steps = (await db('tasks')
    .whereRaw(`instance_id IN (${INSTANCE_TREE})`, [record.instance_id])
    .where({ completed_by: principal.userId, status: 'completed' })
    .distinct('element_id', 'name')) as { element_id: string; name: string | null }[];
  if (steps.length > 0) {
    const names = steps.map((s) => `“${s.name ?? s.element_id}”`).join(', ');
    throw new NotAllowedError(
      `${principal.username} performed ${names} of ${record.number} and may not sign it as ${meaning}: a second person is required`,
    );
  }
}

/**
 * One signature per signer, meaning and content (B4): the same request again is a conflict naming
 * the signature already given, never a second one. The record row stays locked until the
 * signature is written, so two identical requests at once give one signature and one conflict.
 */
export async function checkNotSignedAlready(
  trx: Knex.Transaction,
  recordId: string,
  signerId: string,
  meaning: Meaning,
  contentHash: string,
): Promise<void> {
  await trx('records').where({ id: recordId }).forUpdate().first('id');
  const same = await trx('signatures')
    .where({ record_id: recordId, signer_id: signerId, meaning, content_hash: contentHash })
    .whereNull('withdrawn_at')
    .whereNull('task_id')
    .first('id', 'signed_at');
  if (same) {
    throw new ConflictError(
      `You signed this record as ${meaning} already, over the same content (signature ${same.id})`,
    );
  }
}
