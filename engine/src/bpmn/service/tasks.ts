import { ConflictError, InputError, NotAllowedError, NotFoundError } from '../../kernel/errors.ts';
import { eventActor, requirePermission, type Principal } from '../../kernel/permissions.ts';
import { createTaskForms, stepSignature } from '../../forms/taskForms.ts';
import { taskSignature, type Submission, type TaskSigning } from '../../forms/taskValues.ts';
import { AUTHORITY, type Meaning } from '../../signatures/types.ts';
import { optionalText } from '../../kernel/textInput.ts';
import type { Token } from '../execution/types.ts';
import { evaluateFeel } from '../../feel/feel.ts';
import { processRepository, type InstanceRow, type TaskRow } from '../processRepository.ts';
import { checkVariables, refused } from './inputs.ts';
import type { Instances } from './instances.ts';
import type {
  InstanceView,
  PendingSigning,
  ProcessContext,
  SignatureInput,
  TaskDetail,
  TaskView,
} from './types.ts';

/** User tasks: who may work on them, claiming, completing (signed when the model says so), forms. */
export function createTasks(ctx: ProcessContext, instances: Instances) {
  const { knex, clock, forms, identity } = ctx;
  const { definition, move, visibleVariables } = instances;

  async function openTask(
    principal: Principal,
    taskId: string,
  ): Promise<{ task: TaskRow; instance: InstanceRow }> {
    const found = await processRepository.findTaskWithInstance(knex, taskId);
    if (!found) throw new NotFoundError(`There is no task ${taskId}`);
    const { task, instance } = found;
    if (task.status !== 'open') throw new ConflictError(`The task is ${task.status} already`);
    if (task.candidate_user !== null) {
      // A task given to one person is theirs alone; they still need the authority to perform steps.
      if (task.candidate_user !== principal.username)
        throw new NotAllowedError(`Only ${task.candidate_user} may work on this task`);
      requirePermission(principal, 'records.perform');
    } else if (task.candidate_roles.length === 0) {
      // A task naming roles is authorised by them; one open to anyone needs the authority to perform steps.
      requirePermission(principal, 'records.perform');
    } else if (!task.candidate_roles.some((r) => principal.roles.includes(r))) {
      throw new NotAllowedError(`Only ${task.candidate_roles.join(' or ')} may work on this task`);
    }
    if (task.assignee && task.assignee !== principal.userId)
      throw new NotAllowedError('The task is claimed by someone else');
    await checkSeparation(principal, task, instance);
    return found;
  }

  /**
   * Segregation of duties the model asks for (B5): whoever performed one of the tasks named in
   * `attest:separateFrom`, or started the instance (`initiator`), may not work on this one.
   */
  async function checkSeparation(principal: Principal, task: TaskRow, instance: InstanceRow) {
    const { graph } = await definition(instance.definition_id);
    const separate = graph.nodes[task.element_id]?.userTask?.separateFrom ?? [];
    if (separate.length === 0) return;
    if (separate.includes('initiator') && instance.started_by === principal.userId) {
      throw new NotAllowedError(
        `${principal.username} started this record and may not also ${task.name ?? task.element_id}`,
      );
    }
    const done = await processRepository.completedBy(knex, instance.id, principal.userId, separate);
    if (done.length > 0) {
      const names = done.map((id) => `“${graph.nodes[id]?.name ?? id}”`).join(', ');
      throw new NotAllowedError(
        `${principal.username} performed ${names} of this record and may not also ${task.name ?? task.element_id}: a second person is required`,
      );
    }
  }

  const tokenOf = (instance: InstanceRow, task: TaskRow): Token => {
    const token = instance.tokens.find((t) => t.taskId === task.id);
    if (!token) throw new ConflictError('The task no longer waits in its instance; reload it');
    return token;
  };

  async function listTasks(principal: Principal, filter: { instanceId?: string } = {}): Promise<TaskView[]> {
    const rows = await processRepository.openTasks(knex, {
      roles: principal.roles,
      username: principal.username,
      ...filter,
    });
    return rows.map(toTaskView);
  }

  /** One task, open or not, with the signature completing it asks for; reading it needs audit access. */
  async function getTask(principal: Principal, taskId: string): Promise<TaskDetail> {
    requirePermission(principal, 'audit.read');
    const task = await processRepository.findTask(knex, taskId);
    if (!task) throw new NotFoundError(`There is no task ${taskId}`);
    const instance = (await processRepository.findInstance(knex, task.instance_id))!;
    const { graph } = await definition(instance.definition_id);
    return { ...toTaskView(task), signature: stepSignature(graph.nodes[task.element_id]?.userTask) };
  }

  async function claim(principal: Principal, taskId: string): Promise<TaskView> {
    const { task, instance } = await openTask(principal, taskId);
    if (task.assignee === principal.userId) return toTaskView(task);
    await move(
      eventActor(principal),
      instance,
      () => [{ type: 'task.claimed', payload: { taskId, elementId: task.element_id } }],
      {
        taskUpdates: [{ id: taskId, status: 'open', completedBy: null, assignee: principal.userId }],
      },
    );
    return toTaskView({ ...task, assignee: principal.userId });
  }

  /**
   * Completes a user task: a task with a form through the submission pipeline (values, provenance,
   * exceptions in the same transaction), one without with its output variables. The instance moves
   * on to its next wait states.
   */
  async function complete(
    principal: Principal,
    taskId: string,
    input: { variables?: Record<string, unknown>; signature?: SignatureInput } & Submission = {},
  ): Promise<InstanceView> {
    const variables = checkVariables(input.variables);
    const { task, instance } = await openTask(principal, taskId);
    const signing = await signingOf(principal, task, instance, input.signature);
    if (await taskForms.hasForm(task, instance)) {
      if (input.variables !== undefined) {
        throw new InputError('A task with a form is completed with its form data, not variables', [
          { pointer: '/variables', keyword: 'form', message: 'send the form data in data instead' },
        ]);
      }
      return taskForms.complete<InstanceView>(principal, { task, instance }, input, signing);
    }
    if (input.data !== undefined) {
      throw new InputError('This task has no form; complete it with variables', [
        { pointer: '/data', keyword: 'form', message: 'the task has no form' },
      ]);
    }
    const token = tokenOf(instance, task);
    const updates = {
      taskUpdates: [
        { id: taskId, status: 'completed' as const, completedBy: principal.userId, assignee: null },
      ],
    };
    if (!signing) {
      return move(
        eventActor(principal),
        instance,
        (execution) => {
          const changes = refused('The task cannot be completed with these values', () =>
            execution.complete(token.id, variables),
          );
          return [{ type: 'task.completed', payload: { taskId, elementId: task.element_id, changes } }];
        },
        updates,
      );
    }
    return knex.transaction(async (trx) => {
      const meaning = signing.meaningFor({ ...instance.variables, ...variables });
      const signature = await taskSignature(
        trx,
        { taskId, instanceId: instance.id, instanceVersion: instance.version },
        meaning,
        0,
      );
      const moved = await move(
        eventActor(principal),
        instance,
        (execution) => {
          const changes = refused('The task cannot be completed with these values', () =>
            execution.complete(token.id, variables),
          );
          return [
            signature.draft,
            { type: 'task.completed', payload: { taskId, elementId: task.element_id, changes } },
          ];
        },
        updates,
        trx,
      );
      await signature.afterMove(trx);
      return moved;
    });
  }

  /**
   * The signature a task's model asks for (B1): the signer's password, checked before anything is
   * written. Its meaning is settled with the completion data: the model's meaning, or Rejected
   * (reason required) when `attest:rejectWhen` holds; the signer must hold the authority for it.
   */
  async function signingOf(
    principal: Principal,
    task: TaskRow,
    instance: InstanceRow,
    input: SignatureInput | undefined,
  ): Promise<PendingSigning | null> {
    const { graph } = await definition(instance.definition_id);
    const spec = graph.nodes[task.element_id]?.userTask;
    const meaning = spec?.signatureMeaning as Meaning | null | undefined;
    if (!spec || !meaning) {
      if (input !== undefined && input !== null) {
        throw new InputError('This step is not signed; complete it without a signature', [
          { pointer: '/signature', keyword: 'signature', message: 'the step is not signed' },
        ]);
      }
      return null;
    }
    if (input === undefined || input === null || typeof input !== 'object') {
      throw new InputError(`This step is signed (${meaning}): your password is required`, [
        { pointer: '/signature/password', keyword: 'required', message: `is required to sign as ${meaning}` },
      ]);
    }
    const reason = optionalText(input.reason, '/signature/reason', 1000);
    const signer = await identity.reauthenticate(principal, input.password);
    const who = { userId: signer.id, username: signer.username, printedName: signer.printed_name };
    return {
      meaningFor(data: Record<string, unknown>): TaskSigning {
        const rejected =
          spec.rejectWhen !== null &&
          refused('The rejection condition cannot be worked out', () =>
            evaluateFeel(spec.rejectWhen!, data),
          ) === true;
        const settled: Meaning = rejected ? 'Rejected' : meaning;
        requirePermission(principal, AUTHORITY[settled]);
        if (rejected && !reason) {
          throw new InputError('A reason is required to reject', [
            { pointer: '/signature/reason', keyword: 'required', message: 'is required to sign a rejection' },
          ]);
        }
        return { signer: who, meaning: settled, reason };
      },
    };
  }

  const taskForms = createTaskForms({
    knex,
    clock,
    forms,
    identity,
    process: {
      openTask,
      findTask: (taskId) => processRepository.findTaskWithInstance(knex, taskId),
      tokenOf,
      graphOf: async (instance, db) => (await definition(instance.definition_id, db)).graph,
      visibleVariables,
      move: (actor, instance, change, extra, db) =>
        move(actor, instance, change, extra, db) as Promise<never>,
    },
  });

  return {
    list: listTasks,
    get: getTask,
    claim,
    complete,
    form: taskForms.form,
    saveValues: taskForms.save,
    verify: taskForms.verify,
  };
}

function toTaskView(t: TaskRow): TaskView {
  return {
    id: t.id,
    instanceId: t.instance_id,
    elementId: t.element_id,
    name: t.name,
    status: t.status,
    candidateRoles: t.candidate_roles,
    candidateUser: t.candidate_user,
    formKey: t.form_key,
    assignee: t.assignee,
    createdAt: t.created_at.toISOString(),
    dueAt: t.due_at?.toISOString() ?? null,
    record: t.record_id ? { id: t.record_id, number: t.record_number!, title: t.record_title! } : null,
  };
}
