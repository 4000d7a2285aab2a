import type { Knex } from 'knex';
import { appendEvents } from '../audit/auditTrail.ts';
import type { EventDraft, Subject } from '../audit/types.ts';
import { contentHash } from '../kernel/canonicalJson.ts';
import type { Clock } from '../kernel/clock.ts';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '../kernel/errors.ts';
import { eventActor, requirePermission, type Principal } from '../kernel/permissions.ts';
import { optionalText, requireText } from '../kernel/textInput.ts';
import { segregation } from './segregation.ts';
import { signatureRepository, type ReviewedTrail, type SignatureRow } from './signatureRepository.ts';
import { writeSignature } from './signatureWriter.ts';
import type { SignedContentReader } from './subjectContent.ts';
import { AUTHORITY, isMeaning, MEANINGS, type Meaning, type Signature } from './types.ts';

type Db = Knex | Knex.Transaction;

export interface SignInput {
  meaning: string;
  password: string;
  reason?: string | null;
  /** Signing to override a rule (a limit, the step order): a reason is then required (B3). */
  override?: boolean;
}

function formatManifestationTime(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function toSignature(
  row: SignatureRow,
  currentHash: string | null,
  precedesReopening: Signature['precedesReopening'] = null,
): Signature {
  const signedAt = row.signed_at.toISOString();
  return {
    id: row.id,
    recordId: row.record_id,
    recordType: row.record_type,
    eventSeq: row.event_seq,
    signerId: row.signer_id,
    meaning: row.meaning,
    reason: row.reason,
    signedAt,
    contentHash: row.content_hash,
    recordVersion: row.record_version,
    manifestation: {
      printedName: row.signer_name,
      userId: row.signer_username,
      signedAt,
      meaning: row.meaning,
      text: `${row.meaning} by ${row.signer_name} (${row.signer_username}) on ${formatManifestationTime(row.signed_at)}`,
    },
    contentChanged: currentHash !== null && currentHash !== row.content_hash,
    covers: row.task_id ? { taskId: row.task_id, pointers: row.pointers ?? [] } : null,
    withdrawn: row.withdrawn_at
      ? {
          at: row.withdrawn_at.toISOString(),
          by: row.withdrawn_by as string,
          reason: row.withdrawal_reason as string,
        }
      : null,
    precedesReopening,
  };
}

/** Signing records, withdrawing one's signature, and the signatures of a subject with their state. */
export interface SignatureService {
  sign(principal: Principal, recordId: string, input: SignInput): Promise<Signature>;
  withdraw(
    principal: Principal,
    signatureId: string,
    input: { password: string; reason: string },
  ): Promise<Signature>;
  list(principal: Principal, recordId: string, type?: Subject['type']): Promise<Signature[]>;
}

/**
 * What signing is told by the folders owning the subjects it signs: what a signature covers, the
 * rules a record's state sets, and where a withdrawal is written and flagged.
 */
export interface SignedSubjects {
  /** What a signature of a subject covers as it is now; the same for signing and for checking. */
  content: SignedContentReader;
  /** What a signature over values of one task covers as they are now (and the trail it reviewed). */
  taskContent(
    db: Db,
    taskId: string,
    pointers: string[],
    reviewed: ReviewedTrail | null,
  ): Promise<Record<string, unknown>>;
  /** Whether the record exists. */
  hasRecord(db: Db, recordId: string): Promise<boolean>;
  /**
   * Which reopening of the record (D4), if any, a signature given at a time precedes: a reopening's
   * own signature precedes only later ones.
   */
  reopeningAfter(
    db: Db,
    recordId: string,
  ): Promise<(signature: { id: string; signedAt: string }) => Signature['precedesReopening']>;
  /** The process instance a record runs, whose chain holds its steps' signatures; null: none. */
  instanceOf(db: Db, recordId: string): Promise<string | null>;
  /** Refuses a signature on a record that its state or segregation of duties forbids (D4, B5). */
  checkRecordSignable(db: Db, recordId: string, principal: Principal, meaning: Meaning): Promise<void>;
  /**
   * Refuses the same signature over the same content twice (B4), keeping the record locked until
   * the signature is written.
   */
  checkNotSignedAlready(
    trx: Knex.Transaction,
    recordId: string,
    signerId: string,
    meaning: Meaning,
    contentHash: string,
  ): Promise<void>;
  /**
   * Writes the withdrawal of a signature of a process instance or of a record that runs one: its
   * event in the instance's chain, and the exception that flags it on the process; null for a
   * signature of anything else, whose withdrawal goes into the subject's own chain.
   */
  withdrawInProcess(
    trx: Knex.Transaction,
    row: SignatureRow,
    principal: Principal,
    reason: string,
  ): Promise<{ at: string } | null>;
}

/** The signer, re-authenticated by the password they gave again (B1). */
export type Reauthenticate = (
  principal: Principal,
  password: unknown,
) => Promise<{ id: string; username: string; printed_name: string }>;

export function createSignatureService(deps: {
  knex: Knex;
  clock: Clock;
  reauthenticate: Reauthenticate;
  subjects: SignedSubjects;
}): SignatureService {
  const { knex, clock, reauthenticate, subjects } = deps;

  /** Segregation of duties for the record being signed (B5). */
  function checkSegregation(
    meaning: Meaning,
    principal: Principal,
    authorId: string | null,
    existing: SignatureRow[],
  ) {
    const active = existing.filter((s) => s.withdrawn_at === null);
    if (meaning === 'Verified') {
      for (const s of active.filter((s) => s.meaning === 'Performed'))
        segregation.verifierIsNotPerformer(s.signer_id, principal.userId);
    }
    if (
      meaning === 'Reviewed' ||
      meaning === 'Approved' ||
      meaning === 'Released' ||
      meaning === 'Rejected'
    ) {
      if (authorId) segregation.reviewerIsNotAuthor(authorId, principal.userId);
      for (const s of active.filter((s) => s.meaning === 'Performed'))
        segregation.approverIsNotAuthor(s.signer_id, principal.userId);
    }
  }

  /**
   * Signs a record (B1–B5): the signer re-enters the password, the meaning is one of the six, a
   * rejection or override carries a reason, the signer holds the authority for the meaning and is
   * not the author where a second person is required; the hash of the record's canonical content
   * is stored and the signature is an event in the record's own chain.
   */
  async function sign(principal: Principal, recordId: string, input: SignInput): Promise<Signature> {
    if (!isMeaning(input.meaning)) {
      throw new InputError(`Unknown meaning ${JSON.stringify(input.meaning)}`, [
        { pointer: '/meaning', keyword: 'enum', message: `must be one of ${MEANINGS.join(', ')}` },
      ]);
    }
    const meaning = input.meaning;
    const reason = optionalText(input.reason, '/reason', 1000);
    if ((meaning === 'Rejected' || input.override) && !reason) {
      throw new InputError(`A reason is required to sign ${input.override ? 'an override' : 'a rejection'}`, [
        { pointer: '/reason', keyword: 'required', message: 'is required for rejections and overrides' },
      ]);
    }
    requirePermission(principal, AUTHORITY[meaning]);
    const subject: Subject = { id: recordId, type: 'record' };
    const signed = await subjects.content(knex, subject);
    checkSegregation(
      meaning,
      principal,
      signed.authorId,
      await signatureRepository.forRecord(knex, recordId),
    );
    await subjects.checkRecordSignable(knex, recordId, principal, meaning);
    const signer = await reauthenticate(principal, input.password);
    const row = await knex.transaction(async (trx) => {
      const now = await subjects.content(trx, subject);
      await subjects.checkNotSignedAlready(trx, recordId, signer.id, meaning, contentHash(now.content));
      // Checked again inside the transaction: another signature may have landed meanwhile.
      checkSegregation(
        meaning,
        principal,
        signed.authorId,
        await signatureRepository.forRecord(trx, recordId),
      );
      await subjects.checkRecordSignable(trx, recordId, principal, meaning);
      return writeSignature(
        trx,
        clock,
        subject,
        now,
        { userId: signer.id, username: signer.username, printedName: signer.printed_name },
        meaning,
        reason,
      );
    });
    return toSignature(row, row.content_hash);
  }

  /**
   * Withdraws one's own signature (B7): a signed act (the password again, and a reason) and a new
   * event in the chain the signature is in; the signature itself stays, marked withdrawn. Only the
   * signer withdraws: a signature is a person's own statement, and QA who disagrees with it
   * rejects the step or the record instead. A step signature's event goes through its process
   * instance like every move, so the process goes on; the record is flagged with a high exception
   * (signature withdrawn: the step needs signing again or QA's attention) that review shows first.
   */
  async function withdraw(
    principal: Principal,
    signatureId: string,
    input: { password: string; reason: string },
  ): Promise<Signature> {
    if (typeof input.reason !== 'string' || !input.reason.trim()) {
      throw new InputError('A reason is required to withdraw a signature', [
        { pointer: '/reason', keyword: 'required', message: 'is required to withdraw a signature' },
      ]);
    }
    const reason = requireText(input.reason, '/reason', 1000);
    const row = await signatureRepository.find(knex, signatureId);
    if (!row) throw new NotFoundError(`There is no signature ${signatureId}`);
    if (row.signer_id !== principal.userId)
      throw new NotAllowedError('Only the signer may withdraw a signature');
    if (row.withdrawn_at) throw new ConflictError('The signature was withdrawn already');
    if (row.meaning === 'Reopened') {
      throw new ConflictError(
        'The signature of a reopening is not withdrawn: the reopening stands, and a new approval closes the record again',
      );
    }
    await reauthenticate(principal, input.password);
    await knex.transaction(async (trx) => {
      const at =
        (await subjects.withdrawInProcess(trx, row, principal, reason))?.at ??
        (
          await appendEvents(
            trx,
            clock,
            { id: row.record_id, type: row.record_type as Subject['type'] },
            eventActor(principal),
            [withdrawal(row, reason)],
          )
        )[0]!.at;
      if (!(await signatureRepository.withdraw(trx, signatureId, new Date(at), principal.userId, reason))) {
        throw new ConflictError('The signature was withdrawn already');
      }
    });
    return (await list(principal, row.record_id, row.record_type as Subject['type'])).find(
      (s) => s.id === signatureId,
    ) as Signature;
  }

  /** Signatures of a record with their manifestation and whether the content changed since (B2, B4). */
  async function list(
    principal: Principal,
    recordId: string,
    type: Subject['type'] = 'record',
  ): Promise<Signature[]> {
    requirePermission(principal, 'audit.read');
    const rows = await signatureRepository.forRecord(knex, recordId);
    if (type === 'record') {
      // A record started from a template: the signatures of its steps are its signatures too.
      const instanceId = await subjects.instanceOf(knex, recordId);
      if (instanceId) {
        rows.push(...(await signatureRepository.forRecord(knex, instanceId)));
        rows.sort((a, b) => a.signed_at.getTime() - b.signed_at.getTime());
      }
    }
    if (rows.length === 0 && type === 'record' && !(await subjects.hasRecord(knex, recordId))) {
      throw new NotFoundError(`There is no record ${recordId}`);
    }
    const hashes = new Map<string, string>();
    for (const t of new Set(rows.filter((r) => !r.task_id).map((r) => r.record_type))) {
      hashes.set(
        t,
        contentHash((await subjects.content(knex, { id: recordId, type: t as Subject['type'] })).content),
      );
    }
    // A signature over values of one task is checked against those values as they are now.
    for (const r of rows.filter((r) => r.task_id)) {
      hashes.set(
        r.id,
        contentHash(await subjects.taskContent(knex, r.task_id!, r.pointers ?? [], r.reviewed ?? null)),
      );
    }
    const precedes = type === 'record' ? await subjects.reopeningAfter(knex, recordId) : () => null;
    return rows.map((r) =>
      toSignature(
        r,
        hashes.get(r.task_id ? r.id : r.record_type) ?? null,
        precedes({ id: r.id, signedAt: r.signed_at.toISOString() }),
      ),
    );
  }

  return { sign, withdraw, list };
}

/** The event of a signature's withdrawal, in the chain the signature is in. */
export function withdrawal(row: SignatureRow, reason: string, flagged?: Record<string, unknown>): EventDraft {
  return {
    type: 'signature.withdrawn',
    payload: { signatureId: row.id, meaning: row.meaning, ...(flagged && { exception: flagged }) },
    reason,
  };
}
