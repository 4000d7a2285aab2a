import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { appendEvents } from '../audit/auditTrail.ts';
import type { Subject } from '../audit/types.ts';
import type { Clock } from '../kernel/clock.ts';
import { NotFoundError } from '../kernel/errors.ts';
import { eventActor, type Principal } from '../kernel/permissions.ts';
import { exceptionRaised, formRepository, type ExceptionRow } from '../forms/formRepository.ts';
import { roleSignedContent, userSignedContent } from '../identity/signedContent.ts';
import { appendInstanceEvents } from '../bpmn/service/instanceEvents.ts';
import type { SignatureRow } from '../signatures/signatureRepository.ts';
import { withdrawal, type SignedSubjects } from '../signatures/signatureService.ts';
import type { SignedContentReader } from '../signatures/subjectContent.ts';
import { taskSignedContent } from '../steps/taskValues.ts';
import { templateSignedContent } from '../templates/signedContent.ts';
import { recordRepository } from './recordRepository.ts';
import { exceptionSignedContent } from '../exceptions/exceptionService.ts';
import { pluginSignedContent } from '../plugins/signedContent.ts';
import { equipmentSignedContent } from '../equipment/signedContent.ts';
import { checkNotSignedAlready, checkRecordSignable } from './recordSigning.ts';
import { recordSignedContent } from './signedContent.ts';
import { reopeningAfter, reopeningsOf } from './recordReopenings.ts';

/** What a signature of each kind of subject covers, read by the folder that owns it. */
export const signedContentOf: SignedContentReader = (db, subject) => {
  const read = {
    record: recordSignedContent,
    user: userSignedContent,
    role: roleSignedContent,
    template: templateSignedContent,
    exception: exceptionSignedContent,
    plugin: pluginSignedContent,
    equipment: equipmentSignedContent,
  }[subject.type as string];
  if (!read) throw new NotFoundError(`There is no ${subject.type} ${subject.id} to sign`);
  return read(db, subject.id);
};

/**
 * What the signature service is told of records and of the processes they run: what is signed,
 * the rules of a record's state, and how a withdrawal reaches the record's process.
 */
export function createSignedSubjects({ clock }: { clock: Clock }): SignedSubjects {
  const instanceOf = async (db: Knex | Knex.Transaction, recordId: string): Promise<string | null> =>
    (
      (await db('records').where({ id: recordId }).first('instance_id')) as
        { instance_id: string | null } | undefined
    )?.instance_id ?? null;

  /**
   * A step signature's withdrawal goes through its process instance like every move, so the
   * process goes on; the record is flagged with a high exception (signature withdrawn: the step
   * needs signing again or QA's attention) that review shows first.
   */
  async function withdrawInProcess(
    trx: Knex.Transaction,
    row: SignatureRow,
    principal: Principal,
    reason: string,
  ): Promise<{ at: string } | null> {
    const flag = await withdrawalException(trx, clock, row, principal, reason);
    if (!flag) return null;
    const draft = withdrawal(row, reason, {
      id: flag.id,
      type: flag.type,
      severity: flag.severity,
      message: flag.message,
    });
    // The flag is an exception of the record's process like any other: raised in its instance's chain.
    const raised = exceptionRaised(flag);
    let at: string;
    if (row.record_type === 'instance') {
      at = (
        await appendInstanceEvents(trx, row.record_id, eventActor(principal), clock.now(), [draft, raised])
      ).events[0]!.at;
    } else {
      at = (
        await appendEvents(
          trx,
          clock,
          { id: row.record_id, type: row.record_type as Subject['type'] },
          eventActor(principal),
          [draft],
        )
      )[0]!.at;
      await appendInstanceEvents(trx, flag.instance_id, eventActor(principal), new Date(at), [raised]);
    }
    await formRepository.insertExceptions(trx, [{ ...flag, raised_at: new Date(at) }]);
    return { at };
  }

  return {
    content: signedContentOf,
    taskContent: taskSignedContent,
    hasRecord: async (db, recordId) => Boolean(await recordRepository.find(db, recordId)),
    reopeningAfter: async (db, recordId) => {
      const reopenings = await reopeningsOf(db, recordId);
      return (signature) => reopeningAfter(reopenings, signature);
    },
    instanceOf,
    checkRecordSignable,
    checkNotSignedAlready,
    withdrawInProcess,
  };
}

/** The exception that flags a withdrawn signature on the record's process, if it has one. */
async function withdrawalException(
  trx: Knex.Transaction,
  clock: Clock,
  row: SignatureRow,
  principal: Principal,
  reason: string,
): Promise<ExceptionRow | null> {
  const instanceId =
    row.record_type === 'instance'
      ? row.record_id
      : row.record_type === 'record'
        ? ((await trx('records').where({ id: row.record_id }).first('instance_id'))?.instance_id ?? null)
        : null;
  if (!instanceId) return null;
  const task = row.task_id
    ? await trx('tasks').where({ id: row.task_id }).first('element_id', 'name')
    : undefined;
  const what = task ? `of step “${task.name ?? task.element_id}”` : 'on the record';
  return {
    id: randomUUID(),
    instance_id: instanceId,
    task_id: row.task_id ?? null,
    element_id: task?.element_id ?? null,
    pointer: null,
    type: 'signature_withdrawn',
    severity: 'high',
    // Flagged for review, never a stop: the process goes on and review decides.
    blocking: false,
    message:
      `${row.signer_name} withdrew their ${row.meaning} signature ${what}: ${reason}. ` +
      (task ? 'The step needs signing again or QA’s attention.' : 'It needs QA’s attention.'),
    details: { signatureId: row.id, meaning: row.meaning, signer: row.signer_username },
    status: 'open',
    raised_at: clock.now(),
    raised_by: principal.userId,
  };
}
