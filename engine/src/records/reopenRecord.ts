import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { appendEvents } from '../audit/auditTrail.ts';
import type { Subject } from '../audit/types.ts';
import type { Clock } from '../kernel/clock.ts';
import { ConflictError, InputError, NotFoundError } from '../kernel/errors.ts';
import { requirePermission, type Principal } from '../kernel/permissions.ts';
import { requireText } from '../kernel/textInput.ts';
import type { Reauthenticate } from '../signatures/signatureService.ts';
import { writeSignature } from '../signatures/signatureWriter.ts';
import { openReopening } from './recordReopenings.ts';
import { recordSignedContent } from './signedContent.ts';
import { recordStatus, type RecordDetail } from './templateRecords.ts';

/** What a person gives to reopen a record: why, and their password (B1, B3). */
export interface ReopenInput {
  reason?: unknown;
  password?: unknown;
}

/**
 * Reopens a closed record (D4): a privileged act (`records.reopen`) with a reason, signed with the
 * meaning Reopened in the record's own chain, followed by its `record.reopened` event. The record
 * is then `reopened`: it takes signatures again, counts as open wherever open records count (a
 * reopened deviation holds its batches back), and is closed again only by a new Approved signature
 * of someone other than the person who reopened it. Earlier signatures stay, flagged as preceding
 * the reopening.
 */
export function createRecordReopening(deps: {
  knex: Knex;
  clock: Clock;
  reauthenticate: Reauthenticate;
  view: (principal: Principal, idOrNumber: string) => Promise<RecordDetail>;
}) {
  const { knex, clock, reauthenticate, view } = deps;

  async function refuseUnlessClosed(db: Knex | Knex.Transaction, record: RecordDetail): Promise<string> {
    const status = await recordStatus(db, record.id);
    if (status === undefined) throw new NotFoundError(`There is no record ${record.id}`);
    if (status === 'reopened') {
      const since = await openReopening(db, record.id);
      throw new ConflictError(
        `${record.number} is reopened already (by ${since?.by.printedName ?? 'someone'} on ${since?.at ?? 'an earlier date'}): it is closed again by a new Approved signature`,
      );
    }
    if (status !== 'closed') {
      throw new ConflictError(`${record.number} is ${status}, not closed: only a closed record is reopened`);
    }
    return status;
  }

  return async function reopen(
    principal: Principal,
    idOrNumber: string,
    input: ReopenInput,
  ): Promise<RecordDetail> {
    requirePermission(principal, 'records.reopen');
    if (typeof input.reason !== 'string' || !input.reason.trim()) {
      throw new InputError('A reason is required to reopen a record', [
        { pointer: '/reason', keyword: 'required', message: 'is required to reopen a record' },
      ]);
    }
    const reason = requireText(input.reason, '/reason', 1000);
    const record = await view(principal, idOrNumber);
    await refuseUnlessClosed(knex, record);
    const signer = await reauthenticate(principal, input.password);
    await knex.transaction(async (trx) => {
      await trx('records').where({ id: record.id }).forUpdate().first('id');
      // Checked again with the record locked: another reopening may have landed meanwhile.
      const previousStatus = await refuseUnlessClosed(trx, record);
      const subject: Subject = { id: record.id, type: 'record' };
      const signature = await writeSignature(
        trx,
        clock,
        subject,
        await recordSignedContent(trx, record.id),
        { userId: signer.id, username: signer.username, printedName: signer.printed_name },
        'Reopened',
        reason,
      );
      const reopeningId = randomUUID();
      await appendEvents(trx, clock, subject, { userId: signer.id, printedName: signer.printed_name }, [
        {
          type: 'record.reopened',
          payload: {
            reopeningId,
            signatureId: signature.id,
            previousStatus,
            status: 'reopened',
            at: signature.signed_at.toISOString(),
          },
          reason,
        },
      ]);
      await trx('record_reopenings').insert({
        id: reopeningId,
        record_id: record.id,
        reason,
        previous_status: previousStatus,
        signature_id: signature.id,
        at: signature.signed_at,
        by: signer.id,
      });
    });
    return view(principal, record.id);
  };
}

export type ReopenRecord = ReturnType<typeof createRecordReopening>;
