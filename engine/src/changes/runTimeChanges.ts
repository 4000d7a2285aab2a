import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { EventDraft } from '../audit/types.ts';
import { refused } from '../bpmn/service/inputs.ts';
import { processRepository, type InstanceRow, type TaskRow } from '../bpmn/service/processRepository.ts';
import type { TaskAccess } from '../bpmn/service/tasks.ts';
import { exceptionSignedContent } from '../exceptions/exceptionService.ts';
import { treeRootOf } from '../exceptions/gate.ts';
import { exceptionRaised, formRepository, type ExceptionRow } from '../forms/formRepository.ts';
import type { Clock } from '../kernel/clock.ts';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '../kernel/errors.ts';
import { requirePermission, type Principal } from '../kernel/permissions.ts';
import { requireText } from '../kernel/textInput.ts';
import type { Reauthenticate } from '../signatures/signatureService.ts';
import { writeSignature } from '../signatures/signatureWriter.ts';

export type ChangeKind = 'skip' | 'repeat' | 'add' | 'outOfOrder';

/** A run-time change as it is asked for: what, on which step or with which form, why, and the password. */
export interface RunTimeChangeInput {
  kind: ChangeKind;
  /** skip: the open step; repeat: the completed step. */
  taskId?: string;
  /** add: the key of one of the template's forms, and the name of the step. */
  formKey?: string;
  name?: string;
  /** outOfOrder: the model's step (a user task with `attest:outOfOrder`) to do ahead of the flow. */
  elementId?: string;
  reason: string;
  password: string;
}

/** What a change did: the exception that records it, and the task it withdrew or made. */
export interface RunTimeChange {
  kind: ChangeKind;
  exceptionId: string;
  taskId: string;
  signatureId: string;
}

export interface RunTimeChanges {
  /**
   * Skips, repeats or adds a step in a running record (D7): an e-signed (Approved), reasoned act of
   * a person holding `records.change`, recorded as a high, blocking exception `run_time_change`
   * that QA dispositions like any other (a second person: nobody dispositions their own change).
   * - skip: the open step is withdrawn (status skipped, no values) and the flow goes on from it as
   *   if it were done with none;
   * - repeat: a completed step gets a new task of the same element and form, whose values are
   *   recorded beside the first ones; tokens and variables do not move;
   * - add: a step with one of the template's forms (by key) and a name; it changes no flow, and the
   *   record holds (no closing, review, approval or release) while it is open.
   * - outOfOrder: a later step of the model that the template allows to be done ahead of the flow
   *   (`attest:outOfOrder`) gets its task now; when the process reaches the step, the values done
   *   ahead complete it there (F1). Asked for and signed (Performed) by someone who may perform
   *   the step, not by `records.change`; recorded as a high, blocking exception `out_of_order`.
   * A record that is not running (closed, held, cancelled, voided, at an incident) is refused.
   */
  apply(principal: Principal, recordId: string, input: RunTimeChangeInput): Promise<RunTimeChange>;
  /**
   * The steps of a running process that may be done ahead of the flow now (F1): allowed by the
   * template, not reached by the flow, not being or done ahead already. Who may do one is theirs
   * to check (`candidateRoles`).
   */
  stepsAhead(instanceId: string | null): Promise<StepAhead[]>;
}

/** A step the person may do ahead of the flow, where their role is among its candidates. */
export interface StepAhead {
  elementId: string;
  name: string;
  candidateRoles: string[];
}

const KINDS: readonly ChangeKind[] = ['skip', 'repeat', 'add', 'outOfOrder'];

/** The model's step done ahead of the flow (F1), and the steps the process waits at meanwhile. */
interface AheadStep {
  elementId: string;
  name: string;
  formId: string;
  formKey: string | null;
  candidateRoles: string[];
  waitingAt: string[];
}

/** The element id of an added step: `added:` cannot begin a BPMN id (an NCName has no colon). */
export const addedElementId = (formKey: string) => `added:${formKey}`;

export function createRunTimeChanges(deps: {
  knex: Knex;
  clock: Clock;
  reauthenticate: Reauthenticate;
  tasks: TaskAccess;
}): RunTimeChanges {
  const { knex, clock, reauthenticate, tasks } = deps;

  async function apply(
    principal: Principal,
    recordId: string,
    input: RunTimeChangeInput,
  ): Promise<RunTimeChange> {
    const kind = input.kind;
    if (!KINDS.includes(kind)) {
      throw new InputError(`Unknown run-time change ${JSON.stringify(kind)}`, [
        { pointer: '/kind', keyword: 'enum', message: 'must be skip, repeat, add or outOfOrder' },
      ]);
    }
    const ahead = kind === 'outOfOrder';
    requirePermission(principal, ahead ? 'records.perform' : 'records.change');
    const reason = requireText(input.reason, '/reason', 1000);
    const target = kind === 'add' || ahead ? null : requireText(input.taskId, '/taskId', 100);
    const formKey = kind === 'add' ? requireText(input.formKey, '/formKey', 200) : null;
    const name = kind === 'add' ? requireText(input.name, '/name', 200) : null;
    const asked = {
      kind,
      taskId: target,
      formKey,
      elementId: ahead ? requireText(input.elementId, '/elementId', 200) : null,
    };
    // Everything that can be refused is refused before the password is checked, and again under lock.
    await knex.transaction(async (trx) => check(trx, principal, recordId, asked));
    const signer = await reauthenticate(principal, input.password);
    return knex.transaction(async (trx) => {
      const {
        record,
        instance,
        task,
        formId,
        step: spec,
      } = await check(trx, principal, recordId, asked, true);
      const at = clock.now();
      const exceptionId = randomUUID();
      const actor = { userId: signer.id, printedName: signer.printed_name };
      let made: TaskRow | null = null;
      if (kind !== 'skip') {
        made = {
          id: randomUUID(),
          instance_id: instance.id,
          token_id: null,
          element_id: spec ? spec.elementId : kind === 'add' ? addedElementId(formKey!) : task!.element_id,
          name: spec ? spec.name : kind === 'add' ? name : task!.name,
          status: 'open',
          origin: spec ? 'early' : kind === 'add' ? 'added' : 'repeat',
          form_id: formId,
          candidate_roles: spec ? spec.candidateRoles : kind === 'add' ? [] : task!.candidate_roles,
          candidate_user: spec || kind === 'add' ? null : task!.candidate_user,
          form_key: spec ? spec.formKey : kind === 'add' ? formKey : task!.form_key,
          assignee: null,
          created_at: at,
          due_at: null,
          completed_at: null,
          completed_by: null,
        };
        await processRepository.insertChangedTask(trx, made);
      }
      const step = made ?? task!;
      const stepName = step.name ?? step.element_id;
      const exception: ExceptionRow = {
        id: exceptionId,
        instance_id: step.instance_id,
        task_id: step.id,
        element_id: step.element_id,
        pointer: null,
        type: spec ? 'out_of_order' : 'run_time_change',
        severity: 'high',
        blocking: true,
        message: `${MESSAGE[kind]} “${stepName}” in ${record.number}${spec ? waitedAt(spec.waitingAt) : ''}: ${reason}`,
        details: {
          change: kind,
          reason,
          elementId: step.element_id,
          ...(kind === 'repeat' && { repeatOf: task!.id }),
          ...(kind === 'add' && { formKey, name }),
          ...(spec && { waitingAt: spec.waitingAt }),
        },
        status: 'open',
        raised_at: at,
        raised_by: signer.id,
      };
      await formRepository.insertExceptions(trx, [exception]);
      // The signature covers the change as the exception states it, before any decision on it.
      const signature = await writeSignature(
        trx,
        clock,
        { id: exceptionId, type: 'exception' },
        await exceptionSignedContent(trx, exceptionId),
        { userId: signer.id, username: signer.username, printedName: signer.printed_name },
        spec ? 'Performed' : 'Approved',
        reason,
      );
      const change = { change: kind, exceptionId, signatureId: signature.id };
      if (kind === 'skip') {
        const token = task!.token_id === null ? null : tasks.tokenOf(instance, task!);
        await tasks.move(
          actor,
          instance,
          (execution) => {
            const changes = token
              ? refused('The step cannot be skipped: the flow after it needs its values', () =>
                  execution.complete(token.id, {}),
                )
              : [];
            return [
              exceptionRaised(exception),
              {
                type: 'task.skipped',
                payload: { taskId: task!.id, elementId: task!.element_id, changes, ...change },
                reason,
              },
            ];
          },
          { taskUpdates: [{ id: task!.id, status: 'skipped', completedBy: signer.id, assignee: null }] },
          trx,
        );
      } else {
        const created: EventDraft = {
          type: 'task.created',
          payload: {
            taskId: made!.id,
            elementId: made!.element_id,
            name: made!.name,
            candidateRoles: made!.candidate_roles,
            ...(made!.candidate_user !== null && { assignee: made!.candidate_user }),
            formKey: made!.form_key,
            dueAt: null,
            origin: made!.origin,
            formId,
            ...(kind === 'repeat' && { repeatOf: task!.id }),
            ...change,
          },
          reason,
        };
        await tasks.move(actor, instance, () => [created, exceptionRaised(exception)], {}, trx);
      }
      return { kind, exceptionId, taskId: step.id, signatureId: signature.id };
    });
  }

  /** Whether the change may be made now; with `lock`, the instance is read and held for the move. */
  async function check(
    db: Knex.Transaction,
    principal: Principal,
    recordId: string,
    asked: { kind: ChangeKind; taskId: string | null; formKey: string | null; elementId: string | null },
    lock = false,
  ): Promise<{
    record: { id: string; number: string; instance_id: string };
    instance: InstanceRow;
    task: TaskRow | null;
    formId: string | null;
    step: AheadStep | null;
  }> {
    const { kind, taskId, formKey } = asked;
    const record = (await db('records').where({ id: recordId }).first()) as
      | {
          id: string;
          number: string;
          instance_id: string | null;
          status: string;
          template_version_id: string | null;
        }
      | undefined;
    if (!record) throw new NotFoundError(`There is no record ${recordId}`);
    if (!record.instance_id) throw new ConflictError(`Record ${record.number} runs no process to change`);
    if (record.status === 'voided') throw new ConflictError(`Record ${record.number} is void`);
    let task: TaskRow | null = null;
    let instanceId = record.instance_id;
    if (taskId !== null) {
      task = (await processRepository.findTask(db, taskId)) ?? null;
      if (!task || (await treeRootOf(db, task.instance_id)) !== record.instance_id)
        throw new NotFoundError(`Record ${record.number} has no step ${taskId}`);
      instanceId = task.instance_id;
    }
    const root = (await processRepository.findInstance(db, record.instance_id))!;
    if (root.status !== 'active') {
      throw new ConflictError(
        `Record ${record.number} is not running (its process is ${root.status}): its steps cannot be changed`,
      );
    }
    if (lock) await db('process_instances').where({ id: instanceId }).forUpdate().first('id');
    const instance = (await processRepository.findInstance(db, instanceId))!;
    if (instance.status !== 'active') {
      throw new ConflictError(`The process of this step is ${instance.status}: it cannot be changed`);
    }
    if (lock && task) task = (await processRepository.findTask(db, task.id))!;
    let formId: string | null = null;
    let step: AheadStep | null = null;
    if (kind === 'outOfOrder') {
      step = await aheadStep(db, principal, record.number, instance, asked.elementId!);
      formId = step.formId;
    } else if (kind === 'skip') {
      if (task!.status !== 'open')
        throw new ConflictError(`The step is ${task!.status} already: only an open step is skipped`);
    } else if (kind === 'repeat') {
      if (task!.status !== 'completed')
        throw new ConflictError(`The step is ${task!.status}: only a completed step is repeated`);
      if (task!.origin === 'added')
        throw new ConflictError('An added step is not repeated: add it again instead');
      const graph = await tasks.graphOf(instance, db);
      formId = task!.form_id ?? graph.nodes[task!.element_id]?.userTask?.formId ?? null;
      if (!formId) throw new ConflictError('The step has no form: there are no values to record again');
      const open = await db('tasks')
        .where({ instance_id: instance.id, element_id: task!.element_id, origin: 'repeat', status: 'open' })
        .first('id');
      if (open) throw new ConflictError(`A repeat of this step is open already (task ${open.id})`);
    } else {
      formId = await templateFormOf(db, record.template_version_id, formKey!);
      const open = await db('tasks')
        .where({ instance_id: instance.id, element_id: addedElementId(formKey!), status: 'open' })
        .first('id');
      if (open)
        throw new ConflictError(`A step added with the form ${formKey} is open already (task ${open.id})`);
    }
    return { record: { ...record, instance_id: record.instance_id }, instance, task, formId, step };
  }

  /**
   * The step to do ahead of the flow (F1): a user task of the record's process that its template
   * allows out of order, with a form, that the person may perform, which the flow has not reached
   * and which is not done ahead already.
   */
  async function aheadStep(
    db: Knex.Transaction,
    principal: Principal,
    number: string,
    instance: InstanceRow,
    elementId: string,
  ): Promise<AheadStep> {
    const graph = await tasks.graphOf(instance, db);
    const node = graph.nodes[elementId];
    const spec = node?.userTask;
    if (!node || !spec) {
      throw new InputError(`Record ${number} has no step ${elementId} in its process`, [
        { pointer: '/elementId', keyword: 'enum', message: 'must be a user task of the record’s process' },
      ]);
    }
    const name = node.name ?? elementId;
    if (!spec.outOfOrder)
      throw new ConflictError(`“${name}” may not be done out of order: its template keeps the model’s order`);
    if (!spec.formId) throw new ConflictError(`“${name}” has no form: there are no values to record ahead`);
    if (spec.candidateRoles.length > 0 && !spec.candidateRoles.some((r) => principal.roles.includes(r))) {
      throw new NotAllowedError(`Only ${spec.candidateRoles.join(' or ')} may do “${name}”`);
    }
    const waiting = await db('tasks')
      .where({ instance_id: instance.id, element_id: elementId, status: 'open' })
      .orderByRaw(`origin = 'flow' DESC`)
      .first('id', 'origin');
    if (waiting) {
      throw new ConflictError(
        waiting.origin === 'flow'
          ? `The process has reached “${name}”: do it from its task ${waiting.id}`
          : `“${name}” is being done ahead already (task ${waiting.id})`,
      );
    }
    const done = await processRepository.aheadDone(db, instance.id, elementId);
    if (done)
      throw new ConflictError(
        `“${name}” was done ahead already (task ${done.id}); the process has not reached it yet`,
      );
    const waitingAt = instance.tokens
      .filter((t) => t.wait === 'task')
      .map((t) => graph.nodes[t.node]?.name ?? t.node);
    return {
      elementId,
      name,
      formId: spec.formId,
      formKey: spec.formKey,
      candidateRoles: spec.candidateRoles,
      waitingAt,
    };
  }

  /** The version of a form that the record's template version brought, by its key. */
  async function templateFormOf(
    db: Knex.Transaction,
    versionId: string | null,
    formKey: string,
  ): Promise<string> {
    const effective = versionId
      ? ((await db('events')
          .where({ record_id: versionId, type: 'template.made_effective' })
          .first('payload')) as { payload: { forms?: Record<string, number> } } | undefined)
      : undefined;
    const version = effective?.payload.forms?.[formKey];
    const form = version === undefined ? undefined : await formRepository.byKey(db, formKey, version);
    if (!form) {
      const known =
        Object.keys(effective?.payload.forms ?? {})
          .sort()
          .join(', ') || 'none';
      throw new InputError(`The record’s template has no form ${formKey} (its forms: ${known})`, [
        { pointer: '/formKey', keyword: 'enum', message: `must be one of the template’s forms: ${known}` },
      ]);
    }
    return form.id;
  }

  async function stepsAhead(instanceId: string | null): Promise<StepAhead[]> {
    const instance = instanceId ? await processRepository.findInstance(knex, instanceId) : undefined;
    if (!instance || instance.status !== 'active') return [];
    const graph = await tasks.graphOf(instance);
    const allowed = Object.values(graph.nodes).filter((n) => n.userTask?.outOfOrder && n.userTask.formId);
    if (allowed.length === 0) return [];
    const open = new Set<string>(
      await knex('tasks')
        .where({ instance_id: instance.id, status: 'open' })
        .whereIn(
          'element_id',
          allowed.map((n) => n.id),
        )
        .pluck('element_id'),
    );
    const offered: StepAhead[] = [];
    for (const node of allowed) {
      if (open.has(node.id) || (await processRepository.aheadDone(knex, instance.id, node.id))) continue;
      offered.push({
        elementId: node.id,
        name: node.name ?? node.id,
        candidateRoles: node.userTask!.candidateRoles,
      });
    }
    return offered;
  }

  return { apply, stepsAhead };
}

/** Where the process stood when a step was done ahead of it. */
const waitedAt = (steps: string[]) =>
  steps.length === 0 ? '' : `, while the process waited at ${steps.map((s) => `“${s}”`).join(', ')}`;

const MESSAGE: Record<ChangeKind, string> = {
  skip: 'Step skipped by a run-time change:',
  repeat: 'Step repeated by a run-time change:',
  add: 'Step added by a run-time change:',
  outOfOrder: 'Step done ahead of the flow:',
};
