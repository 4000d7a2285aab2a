import { randomUUID } from 'node:crypto';
import { RELEASING, refuseWhileBlocking, treeRootOf } from '../exceptions/gate.ts';
import type { Knex } from 'knex';
import type { EventDraft } from '../audit/types.ts';
import { canonicalize } from '../kernel/canonicalJson.ts';
import { ConflictError, InputError, type FieldError } from '../kernel/errors.ts';
import { recordChains } from '../audit/auditService.ts';
import { eventRepository } from '../audit/eventRepository.ts';
import type { ReviewOf } from '../bpmn/model/graph.ts';
import { segregation } from '../signatures/segregation.ts';
import type { ReviewedTrail } from '../signatures/signatureRepository.ts';
import type { Signer } from '../signatures/signatureWriter.ts';
import { signTaskValues, type SignedTask, type TaskSigning } from '../signatures/taskSigning.ts';
import {
  exceptionRaised,
  formRepository,
  type ExceptionRow,
  type ValueRow,
} from '../forms/formRepository.ts';
import type { FormRuntime, ProcessedValue, SubmissionInput } from '../forms/pipeline.ts';
import { acknowledged, type Acknowledgement } from './exceptionConfirmation.ts';
import { resolveDeviceSources } from './deviceSources.ts';
import type { StepGates } from './gates.ts';
import { passGates } from './stepGates.ts';

/** The task a submission or verification is for, as the process service hands it over. */
export interface TaskContext {
  taskId: string;
  elementId: string;
  instanceId: string;
  /** The instance's version as read: the first event written is version + 1. */
  instanceVersion: number;
  formId: string;
  runtime: FormRuntime;
  /** Variables the task sees, for calculations and limits. */
  variables: Record<string, unknown>;
  /** The material and equipment gates its lot and equipment codes pass (F3, F2). */
  gates: StepGates;
}

export interface Submission extends SubmissionInput, Acknowledgement {
  /** Why values entered before are changed (B3). */
  reason?: string | null;
}

const same = (a: unknown, b: unknown) => canonicalize(a ?? null) === canonicalize(b ?? null);

/** A value as the audit trail and the renderer show it. */
function provenance(v: ValueRow) {
  return {
    source: v.source,
    ...(v.device && { device: v.device }),
    ...(v.na_reason !== null && { naReason: v.na_reason }),
    ...(v.entered !== null && { entered: v.entered }),
  };
}

/**
 * Writes a submission of a task's form inside the caller's transaction, before the instance moves:
 * new values with their provenance (E1–E3), corrections with old value, new value and reason (B3,
 * C1), and, on completion, the check that every critical hand-entered value was verified by
 * someone else (E5, B5) and the exceptions the values raise (E7, F4). Returns the events to chain
 * into the instance's move and the data the process goes on with.
 */
export async function recordSubmission(
  trx: Knex.Transaction,
  task: TaskContext,
  performer: { userId: string; printedName: string },
  input: Submission,
  mode: 'save' | 'complete',
  at: Date,
): Promise<{ data: Record<string, unknown>; drafts: EventDraft[] }> {
  input = await resolveDeviceSources(trx, task.taskId, task.runtime, input);
  const processed = task.runtime.process(input, task.variables, { partial: mode === 'save' });
  if (processed.errors.length > 0) {
    throw new InputError(
      `The values are not valid: ${processed.errors
        .slice(0, 5)
        .map((e) => e.message)
        .join('; ')}${processed.errors.length > 5 ? ` and ${processed.errors.length - 5} more` : ''}`,
      processed.errors,
    );
  }
  const gate = await passGates(trx, task, processed.data, mode, at);
  const reason = typeof input.reason === 'string' && input.reason.trim() ? input.reason.trim() : null;
  if (reason && reason.length > 1000) {
    throw new InputError('The reason is too long', [
      { pointer: '/reason', keyword: 'maxLength', message: 'must have at most 1000 characters' },
    ]);
  }
  const existing = new Map((await formRepository.values(trx, task.taskId)).map((v) => [v.pointer, v]));
  const now = new Map(processed.values.map((v) => [v.pointer, v]));
  const fresh: ValueRow[] = [];
  const changed: { row: ValueRow; before: ValueRow }[] = [];
  const needReason: string[] = [];

  const apply = (before: ValueRow, v: ProcessedValue | null): ValueRow => ({
    ...before,
    value: v ? v.value : null,
    source: v ? v.source : before.source,
    device: v ? v.device : null,
    na_reason: v ? v.naReason : null,
    entered: v ? v.entered : null,
    changed_at: at,
    changed_by: performer.userId,
    change_reason: reason,
    corrections: before.corrections + 1,
    // A verification covers the value it saw; a changed value needs verifying again.
    verified_by: null,
    verified_at: null,
    verification_id: null,
  });

  for (const v of processed.values) {
    const before = existing.get(v.pointer);
    if (!before) {
      fresh.push({
        task_id: task.taskId,
        pointer: v.pointer,
        instance_id: task.instanceId,
        form_id: task.formId,
        value: v.value,
        source: v.source,
        device: v.device,
        na_reason: v.naReason,
        entered: v.entered,
        original_value: v.value,
        entered_at: at,
        entered_by: performer.userId,
        changed_at: null,
        changed_by: null,
        change_reason: null,
        corrections: 0,
        verified_by: null,
        verified_at: null,
        verification_id: null,
      });
      continue;
    }
    if (same(before.value, v.value) && before.na_reason === v.naReason && same(before.device, v.device))
      continue;
    const row = apply(before, v);
    if (v.source !== 'calculated') needReason.push(v.pointer);
    changed.push({ row, before });
  }
  for (const before of existing.values()) {
    if (now.has(before.pointer) || (before.value === null && before.na_reason === null)) continue;
    changed.push({ row: apply(before, null), before });
    if (before.source !== 'calculated') needReason.push(before.pointer);
  }
  if (needReason.length > 0 && !reason) {
    const names = needReason.map((p) => {
      const field = task.runtime.fieldAt(p);
      return field ? task.runtime.nameOf(field, p) : p;
    });
    throw new InputError(`A reason is required to change ${names.join(', ')} after the first entry`, [
      {
        pointer: '/reason',
        keyword: 'required',
        message: `is required to change ${names.join(', ')} after the first entry`,
      },
      ...needReason.map((p) => ({ pointer: p, keyword: 'reason', message: 'changed after its first entry' })),
    ]);
  }

  // A decision the record holds already changes only with a reason (B3), e.g. a reclassification.
  const decisions = mode === 'complete' ? changedDecisions(task, processed.values) : [];
  if (decisions.length > 0 && !reason) {
    const names = decisions.map((d) => `${d.name} from ${JSON.stringify(d.old)} to ${JSON.stringify(d.new)}`);
    throw new InputError(`A reason is required to change ${names.join(', ')}`, [
      { pointer: '/reason', keyword: 'required', message: `is required to change ${names.join(', ')}` },
      ...decisions.map((d) => ({
        pointer: d.path,
        keyword: 'reason',
        message: 'changes a recorded decision',
      })),
    ]);
  }

  const exceptions: ExceptionRow[] = [];
  if (mode === 'complete') {
    const rows = new Map(existing);
    for (const r of [...fresh, ...changed.map((c) => c.row)]) rows.set(r.pointer, r);
    const unverified: FieldError[] = [];
    for (const v of processed.values) {
      const row = rows.get(v.pointer)!;
      if (!v.field.critical || v.source !== 'manual' || v.value === null) continue;
      const name = task.runtime.nameOf(v.field, v.pointer);
      if (!row.verified_by) {
        unverified.push({
          pointer: v.pointer,
          keyword: 'verification',
          message: `${name} was entered by hand and needs verification by a second person`,
        });
      } else {
        segregation.verifierIsNotPerformer(performer.userId, row.verified_by);
      }
    }
    if (unverified.length > 0) {
      throw new InputError(
        `The task cannot be completed before a second person verifies: ${unverified.map((u) => u.message.split(' was ')[0]).join(', ')}`,
        unverified,
      );
    }
    for (const e of acknowledged(task.runtime, [...processed.exceptions, ...gate.exceptions], input)) {
      exceptions.push({
        id: randomUUID(),
        instance_id: task.instanceId,
        task_id: task.taskId,
        element_id: task.elementId,
        pointer: e.pointer,
        type: e.type,
        severity: e.severity,
        blocking: e.blocking,
        message: e.message,
        details: e.details,
        status: 'open',
        raised_at: at,
        raised_by: performer.userId,
      });
    }
  }

  await formRepository.insertValues(trx, fresh);
  for (const c of changed) await formRepository.updateValue(trx, c.row);
  await formRepository.insertExceptions(trx, exceptions);
  if (mode === 'complete') await gate.apply(trx, performer);

  const drafts: EventDraft[] = [];
  if (fresh.length > 0) {
    drafts.push({
      type: 'form.values_entered',
      payload: {
        taskId: task.taskId,
        formId: task.formId,
        changes: fresh.map((r) => ({ path: r.pointer, old: null, new: r.value, ...provenance(r) })),
      },
    });
  }
  if (changed.length > 0) {
    drafts.push({
      type: 'form.values_corrected',
      payload: {
        taskId: task.taskId,
        formId: task.formId,
        changes: changed.map(({ row, before }) => ({
          path: row.pointer,
          old: before.value,
          new: row.value,
          ...provenance(row),
          ...(before.verified_by && { verificationVoided: before.verification_id }),
        })),
      },
      reason,
    });
  }
  if (decisions.length > 0) {
    drafts.push({
      type: 'form.decision_changed',
      payload: {
        taskId: task.taskId,
        changes: decisions.map(({ path, old, new: value }) => ({ path, old, new: value })),
      },
      reason,
    });
  }
  drafts.push(...exceptions.map(exceptionRaised));
  return { data: processed.data, drafts };
}

/**
 * Second-person verification of hand-entered critical values (E5): the verifier signs with the
 * meaning Verified; they must not have entered or changed any value they verify (B5). The
 * signature covers exactly those values of that task; its row is written by `afterMove` once the
 * signature event has its place in the instance's chain.
 */
export async function recordVerification(
  trx: Knex.Transaction,
  task: TaskContext,
  verifier: Signer,
  pointers: string[] | undefined,
  at: Date,
): Promise<{ drafts: EventDraft[]; afterMove: (trx: Knex.Transaction) => Promise<string> }> {
  const values = await formRepository.values(trx, task.taskId);
  const waiting = values.filter((v) => {
    const field = task.runtime.fieldAt(v.pointer);
    return field?.critical && v.source === 'manual' && v.value !== null && !v.verified_by;
  });
  const chosen = pointers ? waiting.filter((v) => pointers.includes(v.pointer)) : waiting;
  const unknown = (pointers ?? []).filter((p) => !waiting.some((v) => v.pointer === p));
  if (unknown.length > 0) {
    throw new InputError(
      'Only critical values entered by hand and not yet verified can be verified',
      unknown.map((p) => ({
        pointer: p,
        keyword: 'verification',
        message: 'does not wait for verification',
      })),
    );
  }
  if (chosen.length === 0) throw new ConflictError('No value of this task waits for verification');
  for (const v of chosen) {
    segregation.verifierIsNotPerformer(v.entered_by, verifier.userId);
    if (v.changed_by) segregation.verifierIsNotPerformer(v.changed_by, verifier.userId);
  }
  const covered = chosen.map((v) => ({ pointer: v.pointer, value: v.value, source: v.source }));
  const { signatureId, draft, afterMove } = signTaskValues(
    task,
    { signer: verifier, meaning: 'Verified', reason: null },
    { pointers: chosen.map((v) => v.pointer), content: { taskId: task.taskId, values: covered } },
    0,
  );
  for (const v of chosen) {
    await formRepository.updateValue(trx, {
      ...v,
      verified_by: verifier.userId,
      verified_at: at,
      verification_id: signatureId,
    });
  }
  const drafts: EventDraft[] = [
    draft,
    {
      type: 'form.values_verified',
      payload: { taskId: task.taskId, signatureId, values: covered },
    },
  ];
  return { drafts, afterMove };
}

/** A signer re-authenticated; the meaning is settled once the completion data is known. */
export interface PendingSigning {
  meaningFor(data: Record<string, unknown>): TaskSigning;
  /** What the step reviews beside its form: an audit-trail review signs the extent it reviewed. */
  reviewOf: ReviewOf | null;
}

/**
 * The signature completing a task (B1, B4): it covers the task's values as they are at completion
 * (a task without a form: the task alone), and its event takes its place among the move's drafts,
 * `offset` events after the instance's head. `afterMove` writes its row once the event exists.
 */
export async function taskSignature(
  trx: Knex.Transaction,
  task: SignedTask,
  signing: TaskSigning,
  offset: number,
  reviewOf: ReviewOf | null = null,
): Promise<{ draft: EventDraft; afterMove: (trx: Knex.Transaction) => Promise<string> }> {
  if (RELEASING.includes(signing.meaning)) {
    const root = await treeRootOf(trx, task.instanceId);
    await refuseWhileBlocking(trx, root, `Completing this step signed as ${signing.meaning}`);
  }
  const pointers = (await formRepository.values(trx, task.taskId))
    .filter((v) => v.value !== null || v.na_reason !== null)
    .map((v) => v.pointer);
  const reviewed = reviewOf === 'auditTrail' ? await reviewedTrail(trx, task.instanceId) : null;
  const content = await taskSignedContent(trx, task.taskId, pointers, reviewed);
  return signTaskValues(task, signing, { pointers, content, reviewed }, offset);
}

/**
 * What an audit-trail review signs (C6): the record under review and its trail as it stands when
 * signed, before this signature's own events, which the trail shows the reviewer in full.
 */
async function reviewedTrail(trx: Knex.Transaction, instanceId: string): Promise<ReviewedTrail> {
  const root = await treeRootOf(trx, instanceId);
  const record = (await trx('records').where({ instance_id: root }).first('id')) as
    { id: string } | undefined;
  if (!record)
    throw new ConflictError('This step reviews the audit trail of a record, and its process has none');
  return { recordId: record.id, ...(await eventRepository.extent(trx, await recordChains(trx, record.id))) };
}

/** Fields marked reasonForChange whose new value differs from the process variable of the same key. */
function changedDecisions(task: TaskContext, values: ProcessedValue[]) {
  const changes: { path: string; name: string; old: unknown; new: unknown }[] = [];
  for (const v of values) {
    if (!v.field.reasonForChange) continue;
    const old = task.variables[v.field.key];
    if (old === undefined || old === null || same(old, v.value)) continue;
    changes.push({ path: v.pointer, name: task.runtime.nameOf(v.field, v.pointer), old, new: v.value });
  }
  return changes;
}

/** The content a task signature covers, as it is now: for checking a signature against changes (B4). */
export async function taskSignedContent(
  db: Knex | Knex.Transaction,
  taskId: string,
  pointers: string[],
  reviewed: ReviewedTrail | null = null,
): Promise<Record<string, unknown>> {
  const values = (await formRepository.values(db, taskId)).filter((v) => pointers.includes(v.pointer));
  const byPointer = new Map(values.map((v) => [v.pointer, v]));
  return {
    taskId,
    values: pointers.map((p) => ({
      pointer: p,
      value: byPointer.get(p)?.value ?? null,
      source: byPointer.get(p)?.source ?? null,
    })),
    ...(reviewed && { reviewed }),
  };
}
