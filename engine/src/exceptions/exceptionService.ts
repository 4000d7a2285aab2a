import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { appendEvents } from '../audit/auditTrail.ts';
import type { Subject } from '../audit/types.ts';
import type { Clock } from '../kernel/clock.ts';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '../kernel/errors.ts';
import { requirePermission, type Principal } from '../kernel/permissions.ts';
import { requireText } from '../kernel/textInput.ts';
import type { Reauthenticate } from '../signatures/signatureService.ts';
import { writeSignature } from '../signatures/signatureWriter.ts';
import type { SignedContent } from '../signatures/subjectContent.ts';
import { AUTHORITY, type Meaning } from '../signatures/types.ts';
import type { ExceptionStatus } from '../forms/formRepository.ts';
import { treeRootOf } from './gate.ts';

type Db = Knex | Knex.Transaction;

/** What QA decides about an exception, in the order it may be decided (F4, F5). */
export type DispositionAction = 'assessed' | 'accepted' | 'deviation';

/** The input of a disposition: what is decided, why, and the signer's password (B1). */
export interface DispositionInput {
  action: 'assess' | 'accept' | 'raiseDeviation';
  /** The assessment, the justification of acceptance, or why a deviation is raised. */
  comment: string;
  password: string;
  /** The title of the deviation raised; the exception's message when left out. */
  deviationTitle?: string;
}

const ACTS: Record<
  DispositionInput['action'],
  { action: DispositionAction; from: ExceptionStatus; to: ExceptionStatus; meaning: Meaning }
> = {
  assess: { action: 'assessed', from: 'open', to: 'assessed', meaning: 'Reviewed' },
  accept: { action: 'accepted', from: 'assessed', to: 'accepted', meaning: 'Approved' },
  raiseDeviation: {
    action: 'deviation',
    from: 'assessed',
    to: 'deviation',
    meaning: 'Reviewed',
  },
};

export interface ExceptionDisposition {
  id: string;
  action: DispositionAction;
  comment: string;
  deviation: { id: string; number: string } | null;
  at: string;
  by: { id: string; username: string; printedName: string };
  signature: { id: string; meaning: Meaning; text: string };
}

export interface ExceptionView {
  id: string;
  record: { id: string; number: string } | null;
  instanceId: string;
  taskId: string | null;
  pointer: string | null;
  type: string;
  severity: string;
  blocking: boolean;
  message: string;
  details: Record<string, unknown>;
  status: ExceptionStatus;
  raisedAt: string;
  raisedBy: string | null;
  dispositions: ExceptionDisposition[];
}

/** Starts a deviation raised from a record, inside the caller's transaction (the records' own start). */
export type StartDeviation = (
  trx: Knex.Transaction,
  principal: Principal,
  input: { title: string; raisedFrom: string },
) => Promise<{ id: string; number: string }>;

export interface ExceptionService {
  get(principal: Principal, exceptionId: string): Promise<ExceptionView>;
  /**
   * QA's signed decision about an exception: assessed with a comment, then accepted with a
   * justification or given a deviation raised from the record (F5). Each is an e-signed act in the
   * exception's own chain; nobody dispositions an exception their own entry raised.
   */
  dispose(principal: Principal, exceptionId: string, input: DispositionInput): Promise<ExceptionView>;
}

interface ExceptionFacts {
  id: string;
  instance_id: string;
  task_id: string | null;
  element_id: string | null;
  pointer: string | null;
  type: string;
  severity: string;
  blocking: boolean;
  message: string;
  details: Record<string, unknown>;
  status: ExceptionStatus;
  raised_at: Date;
  raised_by: string | null;
}

interface DispositionRow {
  id: string;
  exception_id: string;
  action: DispositionAction;
  comment: string;
  deviation_id: string | null;
  signature_id: string;
  at: Date;
  by: string;
}

const subjectOf = (id: string): Subject => ({ id, type: 'exception' });

/** What a disposition's signature covers: the exception's facts and every decision up to this one. */
function contentOf(
  e: ExceptionFacts,
  decisions: { action: string; comment: string; deviation: string | null }[],
) {
  return {
    exception: {
      id: e.id,
      type: e.type,
      severity: e.severity,
      blocking: e.blocking,
      message: e.message,
      pointer: e.pointer,
      details: e.details,
      raisedAt: e.raised_at.toISOString(),
    },
    decisions,
  };
}

/** What a signature of an exception covers as it is now: its facts and the decisions made on it. */
export async function exceptionSignedContent(db: Db, exceptionId: string): Promise<SignedContent> {
  const e = (await db('exceptions').where({ id: exceptionId }).first()) as ExceptionFacts | undefined;
  if (!e) throw new NotFoundError(`There is no exception ${exceptionId}`);
  const rows = (await db('exception_dispositions as d')
    .leftJoin('records as r', 'r.id', 'd.deviation_id')
    .where('d.exception_id', exceptionId)
    .orderBy('d.at')
    .orderBy('d.id')
    .select('d.action', 'd.comment', 'r.number as deviation')) as {
    action: string;
    comment: string;
    deviation: string | null;
  }[];
  return { content: contentOf(e, rows), version: rows.length, authorId: e.raised_by };
}

/** The decisions on each of some exceptions, oldest first, with who signed them and what for. */
export async function dispositionsOf(
  db: Db,
  exceptionIds: string[],
): Promise<Map<string, ExceptionDisposition[]>> {
  const byException = new Map<string, ExceptionDisposition[]>();
  if (exceptionIds.length === 0) return byException;
  const rows = (await db('exception_dispositions as d')
    .join('users as u', 'u.id', 'd.by')
    .join('signatures as s', 's.id', 'd.signature_id')
    .leftJoin('records as r', 'r.id', 'd.deviation_id')
    .whereIn('d.exception_id', exceptionIds)
    .orderBy('d.at')
    .orderBy('d.id')
    .select(
      'd.*',
      'u.username',
      'u.printed_name',
      's.meaning',
      's.signed_at',
      'r.number as deviation_number',
    )) as (DispositionRow & {
    username: string;
    printed_name: string;
    meaning: Meaning;
    signed_at: Date;
    deviation_number: string | null;
  })[];
  for (const d of rows) {
    const list = byException.get(d.exception_id) ?? [];
    list.push({
      id: d.id,
      action: d.action,
      comment: d.comment,
      deviation: d.deviation_id ? { id: d.deviation_id, number: d.deviation_number ?? d.deviation_id } : null,
      at: d.at.toISOString(),
      by: { id: d.by, username: d.username, printedName: d.printed_name },
      signature: {
        id: d.signature_id,
        meaning: d.meaning,
        text: `${d.meaning} by ${d.printed_name} (${d.username}) on ${d.signed_at.toISOString().slice(0, 19).replace('T', ' ')} UTC`,
      },
    });
    byException.set(d.exception_id, list);
  }
  return byException;
}

export function createExceptionService(deps: {
  knex: Knex;
  clock: Clock;
  reauthenticate: Reauthenticate;
  startDeviation: StartDeviation;
}): ExceptionService {
  const { knex, clock, reauthenticate, startDeviation } = deps;

  async function recordOf(db: Db, instanceId: string): Promise<{ id: string; number: string } | null> {
    const root = await treeRootOf(db, instanceId);
    return ((await db('records').where({ instance_id: root }).first('id', 'number')) ?? null) as {
      id: string;
      number: string;
    } | null;
  }

  async function view(db: Db, e: ExceptionFacts): Promise<ExceptionView> {
    return {
      id: e.id,
      record: await recordOf(db, e.instance_id),
      instanceId: e.instance_id,
      taskId: e.task_id,
      pointer: e.pointer,
      type: e.type,
      severity: e.severity,
      blocking: e.blocking,
      message: e.message,
      details: e.details,
      status: e.status,
      raisedAt: e.raised_at.toISOString(),
      raisedBy: e.raised_by,
      dispositions: (await dispositionsOf(db, [e.id])).get(e.id) ?? [],
    };
  }

  async function find(db: Db, exceptionId: string, lock = false): Promise<ExceptionFacts> {
    const q = db('exceptions').where({ id: exceptionId }).first();
    const e = (await (lock ? q.forUpdate() : q)) as ExceptionFacts | undefined;
    if (!e) throw new NotFoundError(`There is no exception ${exceptionId}`);
    return e;
  }

  async function get(principal: Principal, exceptionId: string): Promise<ExceptionView> {
    requirePermission(principal, 'audit.read');
    return view(knex, await find(knex, exceptionId));
  }

  async function dispose(
    principal: Principal,
    exceptionId: string,
    input: DispositionInput,
  ): Promise<ExceptionView> {
    const act = ACTS[input.action];
    if (!act) {
      throw new InputError(`Unknown disposition ${JSON.stringify(input.action)}`, [
        { pointer: '/action', keyword: 'enum', message: 'must be assess, accept or raiseDeviation' },
      ]);
    }
    const comment = requireText(input.comment, '/comment', 1000);
    requirePermission(principal, AUTHORITY[act.meaning]);
    if (act.action === 'deviation') requirePermission(principal, 'records.create');
    const before = await find(knex, exceptionId);
    check(before, act, principal);
    const signer = await reauthenticate(principal, input.password);
    const id = await knex.transaction(async (trx) => {
      const e = await find(trx, exceptionId, true);
      check(e, act, principal);
      const record = await recordOf(trx, e.instance_id);
      if (act.action === 'deviation' && !record) {
        throw new ConflictError(
          'A deviation is raised from a record; this exception is on a process that runs outside one',
        );
      }
      const deviation =
        act.action === 'deviation' && record
          ? await startDeviation(trx, principal, {
              title: input.deviationTitle?.trim() || e.message.slice(0, 200),
              raisedFrom: record.id,
            })
          : null;
      const earlier = (await exceptionSignedContent(trx, e.id)).content.decisions as {
        action: string;
        comment: string;
        deviation: string | null;
      }[];
      const decisions = [...earlier, { action: act.action, comment, deviation: deviation?.number ?? null }];
      const signature = await writeSignature(
        trx,
        clock,
        subjectOf(e.id),
        { content: contentOf(e, decisions), version: decisions.length, authorId: e.raised_by },
        { userId: signer.id, username: signer.username, printedName: signer.printed_name },
        act.meaning,
        comment,
      );
      const dispositionId = randomUUID();
      const [event] = await appendEvents(
        trx,
        clock,
        subjectOf(e.id),
        { userId: signer.id, printedName: signer.printed_name },
        [
          {
            type: 'exception.dispositioned',
            payload: {
              exceptionId: e.id,
              dispositionId,
              action: act.action,
              status: act.to,
              comment,
              deviationId: deviation?.id ?? null,
              deviationNumber: deviation?.number ?? null,
              signatureId: signature.id,
              recordId: record?.id ?? null,
            },
            reason: comment,
          },
        ],
      );
      await trx('exception_dispositions').insert({
        id: dispositionId,
        exception_id: e.id,
        action: act.action,
        comment,
        deviation_id: deviation?.id ?? null,
        signature_id: signature.id,
        at: new Date(event!.at),
        by: signer.id,
      });
      await trx('exceptions').where({ id: e.id }).update({ status: act.to });
      return e.id;
    });
    return view(knex, await find(knex, id));
  }

  function check(e: ExceptionFacts, act: (typeof ACTS)[keyof typeof ACTS], principal: Principal): void {
    if (e.raised_by !== null && e.raised_by === principal.userId) {
      throw new NotAllowedError(
        'Nobody dispositions an exception their own entry raised: a second person is required',
      );
    }
    if (e.status === act.from) return;
    if (e.status === 'accepted' || e.status === 'deviation') {
      throw new ConflictError(`The exception is ${ACTS_DONE[e.status]} already`);
    }
    throw new ConflictError(
      act.from === 'assessed'
        ? 'The exception is to be assessed first, with a comment, before it is accepted or given a deviation'
        : `The exception is ${e.status} already`,
    );
  }

  return { get, dispose };
}

const ACTS_DONE: Record<string, string> = { accepted: 'accepted', deviation: 'given a deviation' };
