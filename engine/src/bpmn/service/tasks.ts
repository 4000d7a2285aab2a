import type { Knex } from 'knex';
import type { EventActor, EventDraft } from '../../audit/types.ts';
import { ConflictError, NotAllowedError, NotFoundError } from '../../kernel/errors.ts';
import { eventActor, requirePermission, type Principal } from '../../kernel/permissions.ts';
import type { Execution } from '../execution/execution.ts';
import type { Token } from '../execution/types.ts';
import type { ProcessGraph, UserTaskSpec } from '../model/graph.ts';
import { processRepository, type InstanceRow, type TaskRow, type Writes } from './processRepository.ts';
import type { Instances } from './instances.ts';
import type { Db, InstanceView, ProcessContext, TaskView } from './types.ts';

/**
 * What the steps of a process (a task with its form and its signature) use of the instances their
 * tasks are in: opening a task for a person, reading it, and moving its instance on.
 */
export interface TaskAccess {
  /** An open task the person may work on, with its instance as read; refused otherwise. */
  openTask(principal: Principal, taskId: string): Promise<{ task: TaskRow; instance: InstanceRow }>;
  findTask(taskId: string): Promise<{ task: TaskRow; instance: InstanceRow } | undefined>;
  /** A task as lists show it, open or not, with what the model says of its element. */
  describe(taskId: string): Promise<{ view: TaskView; spec: UserTaskSpec | null } | undefined>;
  tokenOf(instance: InstanceRow, task: TaskRow): Token;
  graphOf(instance: InstanceRow, db?: Db): Promise<ProcessGraph>;
  visibleVariables(db: Db, instance: InstanceRow, token: Token): Promise<Record<string, unknown>>;
  /** One move of the instance, written only if nobody moved it meanwhile; in `db` when given. */
  move(
    actor: EventActor,
    instance: InstanceRow,
    change: (execution: Execution) => EventDraft[],
    extra?: Partial<Pick<Writes, 'taskUpdates'>>,
    db?: Knex.Transaction,
  ): Promise<InstanceView>;
}

/** The user tasks a person may work on, and claiming one. */
export interface Tasks {
  list(principal: Principal, filter?: { instanceId?: string }): Promise<TaskView[]>;
  claim(principal: Principal, taskId: string): Promise<TaskView>;
}

/**
 * User tasks as the process sees them: who may work on them, the lists, claiming; completing them
 * is a step's (its form, its signature), made over the access given here.
 */
export function createTasks(ctx: ProcessContext, instances: Instances): Tasks & { access: TaskAccess } {
  const { knex } = ctx;
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
    const token = task.token_id === null ? undefined : instance.tokens.find((t) => t.taskId === task.id);
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

  const access: TaskAccess = {
    openTask,
    findTask: (taskId) => processRepository.findTaskWithInstance(knex, taskId),
    async describe(taskId) {
      const task = await processRepository.findTask(knex, taskId);
      if (!task) return undefined;
      const instance = (await processRepository.findInstance(knex, task.instance_id))!;
      const { graph } = await definition(instance.definition_id);
      return { view: toTaskView(task), spec: graph.nodes[task.element_id]?.userTask ?? null };
    },
    tokenOf,
    graphOf: async (instance, db) => (await definition(instance.definition_id, db)).graph,
    visibleVariables,
    move: (actor, instance, change, extra, db) => move(actor, instance, change, extra, db),
  };

  return { list: listTasks, claim, access };
}

export function toTaskView(t: TaskRow): TaskView {
  return {
    id: t.id,
    instanceId: t.instance_id,
    elementId: t.element_id,
    name: t.name,
    status: t.status,
    origin: t.origin,
    candidateRoles: t.candidate_roles,
    candidateUser: t.candidate_user,
    formKey: t.form_key,
    assignee: t.assignee,
    createdAt: t.created_at.toISOString(),
    dueAt: t.due_at?.toISOString() ?? null,
    record: t.record_id ? { id: t.record_id, number: t.record_number!, title: t.record_title! } : null,
  };
}
