import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { appendEvents, chainEvents } from '../audit/auditTrail.ts';
import { eventRepository } from '../audit/eventRepository.ts';
import {
  SYSTEM_ACTOR,
  type AuditEvent,
  type EventActor,
  type EventDraft,
  type Subject,
} from '../audit/types.ts';
import { canonicalize, sha256Hex } from '../canonicalJson.ts';
import type { Clock } from '../clock.ts';
import { ConflictError, InputError, NotAllowedError, NotFoundError, type FieldError } from '../errors.ts';
import { eventActor, requirePermission, type Principal } from '../identity/permissions.ts';
import { compileBpmn } from './compile.ts';
import { Execution, type InstanceStatus, type Step, type Token } from './executor.ts';
import type { ProcessGraph } from './graph.ts';
import { isUniqueViolation } from '../db/database.ts';
import {
  processRepository,
  type DefinitionRow,
  type InstanceRow,
  type InstanceWrite,
  type TaskRow,
  type Writes,
} from './processRepository.ts';
import { WriteBatcher } from './writeBatcher.ts';

export interface DeployedDefinition {
  id: string;
  key: string;
  version: number;
  name: string | null;
  contentHash: string;
  deployedAt: string;
  /** False when identical content was deployed before: deploying it again changes nothing. */
  created: boolean;
}

export interface TaskView {
  id: string;
  instanceId: string;
  elementId: string;
  name: string | null;
  status: 'open' | 'completed' | 'cancelled';
  candidateRoles: string[];
  formKey: string | null;
  assignee: string | null;
  createdAt: string;
  dueAt: string | null;
}

export interface InstanceView {
  id: string;
  definitionId: string;
  key: string;
  /** The definition version the instance is pinned to for life. */
  version: number;
  status: InstanceStatus;
  businessKey: string | null;
  variables: Record<string, unknown>;
  startedAt: string;
  endedAt: string | null;
  openTasks: { id: string; elementId: string; name: string | null; status: 'open' }[];
  incidents: { id: string; elementId: string }[];
}

export interface IncidentView {
  id: string;
  instanceId: string;
  elementId: string;
  message: string;
  createdAt: string;
}

/**
 * GMP attributes the engine cannot enforce yet are refused at deployment rather than ignored:
 * a model that asks for a qualification check must get one.
 */
const NOT_YET_ENFORCED: [keyof NonNullable<ProcessGraph['nodes'][string]['userTask']>, string][] = [
  ['formKey', 'forms'],
  ['qualifications', 'qualification checks'],
  ['signatureMeaning', 'signing a task'],
  ['secondPersonVerification', 'second-person verification'],
];

function unenforced(graph: ProcessGraph): FieldError[] {
  const errors: FieldError[] = [];
  for (const node of Object.values(graph.nodes)) {
    for (const [attribute, feature] of NOT_YET_ENFORCED) {
      const value = node.userTask?.[attribute];
      if (value && (!Array.isArray(value) || value.length > 0)) {
        errors.push({
          pointer: `/elements/${node.id}`,
          keyword: 'unsupported',
          message: `attest:${attribute} needs ${feature}, which this version of Attest cannot enforce yet`,
        });
      }
    }
  }
  return errors;
}

/** Variables are a JSON object; anything else is refused before it reaches an instance. */
function checkVariables(variables: unknown, pointer = '/variables'): Record<string, unknown> {
  if (variables === undefined) return {};
  if (variables === null || typeof variables !== 'object' || Array.isArray(variables)) {
    throw new InputError('Variables must be a JSON object', [
      { pointer, keyword: 'type', message: 'must be an object' },
    ]);
  }
  try {
    if (canonicalize(variables).length > 1_000_000) {
      throw new InputError('Variables are too large', [
        { pointer, keyword: 'maxLength', message: 'must be under 1 MB as JSON' },
      ]);
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError('Variables must be JSON values', [
      { pointer, keyword: 'type', message: (error as Error).message },
    ]);
  }
  return variables as Record<string, unknown>;
}

export type ProcessService = ReturnType<typeof createProcessService>;

export function createProcessService({ knex, clock }: { knex: Knex; clock: Clock }) {
  const graphs = new Map<string, { graph: ProcessGraph; version: number }>();
  // Concurrent starts and moves share statements and commits; each instance stays version-guarded.
  const starts = new WriteBatcher<{ instance: InstanceRow; writes: Writes }, void>(
    async (items) => {
      await processRepository.start(knex, items);
      return items.map(() => undefined);
    },
    (item) => item.instance.id,
  );
  const moves = new WriteBatcher<InstanceWrite, boolean>(
    async (items) => {
      const written = await processRepository.move(knex, items);
      return items.map((item) => written.has(item.instance.id));
    },
    (item) => item.instance.id,
  );

  /** The compiled graph of a definition, read once and kept: definitions never change. */
  async function definition(
    id: string,
    db: Knex | Knex.Transaction = knex,
  ): Promise<{ graph: ProcessGraph; version: number }> {
    let found = graphs.get(id);
    if (!found) {
      found = await processRepository.definitionGraph(db, id);
      if (!found) throw new NotFoundError(`There is no process definition ${id}`);
      graphs.set(id, found);
    }
    return found;
  }

  const toDeployed = (row: DefinitionRow, created: boolean): DeployedDefinition => ({
    id: row.id,
    key: row.key,
    version: row.version,
    name: row.name,
    contentHash: row.content_hash,
    deployedAt: row.deployed_at.toISOString(),
    created,
  });

  /**
   * Deploys every executable process of a BPMN file: version n+1 of its key, unless the same
   * content was deployed before. Compilation refuses the whole file on any problem (nothing is
   * deployed), and deployment is an audited configuration change (C4).
   */
  async function deploy(principal: Principal, xml: string): Promise<{ definitions: DeployedDefinition[] }> {
    requirePermission(principal, 'templates.manage');
    if (typeof xml !== 'string' || xml.trim() === '') {
      throw new InputError('The BPMN XML is empty', [
        { pointer: '/xml', keyword: 'required', message: 'is required' },
      ]);
    }
    const { processes } = await compileBpmn(xml);
    const problems = processes.flatMap((graph) => unenforced(graph));
    if (problems.length > 0)
      throw new InputError(
        `The model cannot be deployed: ${problems.map((p) => p.message).join('; ')}`,
        problems,
      );
    const contentHash = sha256Hex(xml);
    return knex.transaction(async (trx) => {
      const definitions: DeployedDefinition[] = [];
      for (const graph of processes) {
        const existing = await processRepository.findDefinitionByHash(trx, graph.key, contentHash);
        if (existing) {
          definitions.push(toDeployed(existing, false));
          continue;
        }
        const latest = await processRepository.latestDefinition(trx, graph.key);
        const row: DefinitionRow = {
          id: randomUUID(),
          key: graph.key,
          version: (latest?.version ?? 0) + 1,
          name: graph.name,
          content_hash: contentHash,
          deployed_at: clock.now(),
          deployed_by: principal.userId,
        };
        await processRepository.insertDefinition(trx, { ...row, xml, graph });
        await appendEvents(trx, clock, { id: row.id, type: 'definition' }, eventActor(principal), [
          { type: 'definition.deployed', payload: { key: row.key, version: row.version, contentHash } },
        ]);
        definitions.push(toDeployed(row, true));
      }
      return { definitions };
    });
  }

  async function listDefinitions(principal: Principal): Promise<DeployedDefinition[]> {
    requirePermission(principal, 'audit.read');
    return (await processRepository.listDefinitions(knex)).map((r) => toDeployed(r, false));
  }

  function view(instance: InstanceRow, graph: ProcessGraph, version: number): InstanceView {
    return {
      id: instance.id,
      definitionId: instance.definition_id,
      key: instance.key,
      version,
      status: instance.status,
      businessKey: instance.business_key,
      variables: instance.variables,
      startedAt: instance.started_at.toISOString(),
      endedAt: instance.ended_at?.toISOString() ?? null,
      openTasks: instance.tokens
        .filter((t) => t.taskId)
        .map((t) => ({
          id: t.taskId!,
          elementId: t.node,
          name: graph.nodes[t.node]?.name ?? null,
          status: 'open',
        })),
      incidents: instance.tokens
        .filter((t) => t.incidentId)
        .map((t) => ({ id: t.incidentId!, elementId: t.node })),
    };
  }

  function writesOf(
    step: Step,
    actor: EventActor,
    instance: Subject,
    head: { seq: number; hash: string },
    extra: EventDraft[],
    at: Date,
  ): Writes {
    return {
      at,
      taskUpdates: step.cancelledTasks.map((id) => ({
        id,
        status: 'cancelled' as const,
        completedBy: null,
        assignee: null,
      })),
      newTasks: step.newTasks,
      newJobs: step.newJobs,
      jobUpdates: step.cancelledJobs.map((id) => ({ id, status: 'cancelled' as const })),
      incidents: step.incidents,
      resolvedIncidents: [],
      resolvedBy: null,
      events: chainEvents(instance, head, actor, at.toISOString(), [...extra, ...step.events]),
    };
  }

  /** Starts an instance of the latest version of a process: its first move is one atomic write. */
  async function start(
    principal: Principal,
    key: string,
    input: { variables?: Record<string, unknown>; businessKey?: string | null } = {},
  ): Promise<InstanceView> {
    requirePermission(principal, 'records.create');
    const variables = checkVariables(input.variables);
    const latest = await processRepository.latestDefinition(knex, key);
    if (!latest) throw new NotFoundError(`No process with key ${key} is deployed`);
    const { graph, version } = await definition(latest.id);
    const at = clock.now();
    const execution = new Execution(graph, [], variables, at, randomUUID);
    execution.start();
    const step = execution.result();
    const id = randomUUID();
    const started: EventDraft = {
      type: 'process.started',
      payload: { key, version, definitionId: latest.id, businessKey: input.businessKey ?? null, variables },
    };
    const writes = writesOf(
      step,
      eventActor(principal),
      { id, type: 'instance' },
      { seq: 0, hash: '0'.repeat(64) },
      [started],
      at,
    );
    const head = writes.events[writes.events.length - 1]!;
    const instance: InstanceRow = {
      id,
      definition_id: latest.id,
      key,
      business_key: input.businessKey ?? null,
      status: step.status,
      tokens: step.tokens,
      variables: step.variables,
      version: head.seq,
      head_hash: head.hash,
      started_at: at,
      started_by: principal.userId,
      ended_at: step.status === 'completed' || step.status === 'terminated' ? at : null,
    };
    await starts.submit({ instance, writes });
    return view(instance, graph, version);
  }

  async function get(principal: Principal, id: string): Promise<InstanceView> {
    requirePermission(principal, 'audit.read');
    const instance = await processRepository.findInstance(knex, id);
    if (!instance) throw new NotFoundError(`There is no process instance ${id}`);
    const { graph, version } = await definition(instance.definition_id);
    return view(instance, graph, version);
  }

  async function history(principal: Principal, id: string): Promise<AuditEvent[]> {
    await get(principal, id);
    return eventRepository.list(knex, { recordId: id });
  }

  /**
   * Applies a change to an instance read at version n: the executor computes the move, the
   * repository writes it only if the instance is still at n. Otherwise: a clean conflict.
   */
  async function move(
    actor: EventActor,
    instance: InstanceRow,
    change: (execution: Execution) => EventDraft[],
    extraWrites: Partial<Pick<Writes, 'taskUpdates' | 'resolvedIncidents' | 'jobUpdates'>> = {},
    db: Knex | Knex.Transaction = knex,
  ): Promise<InstanceView> {
    const { graph, version } = await definition(instance.definition_id, db);
    const at = clock.now();
    const execution = new Execution(graph, instance.tokens, instance.variables, at, randomUUID);
    const drafts = change(execution);
    const step = execution.result();
    const writes = writesOf(
      step,
      actor,
      { id: instance.id, type: 'instance' },
      { seq: instance.version, hash: instance.head_hash },
      drafts,
      at,
    );
    writes.taskUpdates.unshift(...(extraWrites.taskUpdates ?? []));
    writes.resolvedIncidents = extraWrites.resolvedIncidents ?? [];
    writes.jobUpdates.unshift(...(extraWrites.jobUpdates ?? []));
    writes.resolvedBy = writes.resolvedIncidents.length > 0 ? actor.userId : null;
    const next = {
      id: instance.id,
      status: step.status,
      tokens: step.tokens,
      variables: step.variables,
      ended_at: step.status === 'completed' || step.status === 'terminated' ? at : null,
    };
    const item: InstanceWrite = { instance: next, oldVersion: instance.version, writes };
    let written: boolean;
    try {
      written =
        db === knex ? await moves.submit(item) : (await processRepository.move(db, [item])).has(instance.id);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      written = false;
    }
    if (!written) {
      throw new ConflictError(
        'The process instance was changed by someone else at the same time; reload and try again',
      );
    }
    return view({ ...instance, ...next, version: instance.version + writes.events.length }, graph, version);
  }

  async function openTask(
    principal: Principal,
    taskId: string,
  ): Promise<{ task: TaskRow; instance: InstanceRow }> {
    const found = await processRepository.findTaskWithInstance(knex, taskId);
    if (!found) throw new NotFoundError(`There is no task ${taskId}`);
    const { task } = found;
    if (task.status !== 'open') throw new ConflictError(`The task is ${task.status} already`);
    // A task naming roles is authorised by them; one open to anyone needs the authority to perform steps.
    if (task.candidate_roles.length === 0) requirePermission(principal, 'records.perform');
    else if (!task.candidate_roles.some((r) => principal.roles.includes(r))) {
      throw new NotAllowedError(`Only ${task.candidate_roles.join(' or ')} may work on this task`);
    }
    if (task.assignee && task.assignee !== principal.userId)
      throw new NotAllowedError('The task is claimed by someone else');
    return found;
  }

  const tokenOf = (instance: InstanceRow, task: TaskRow): Token => {
    const token = instance.tokens.find((t) => t.taskId === task.id);
    if (!token) throw new ConflictError('The task no longer waits in its instance; reload it');
    return token;
  };

  async function listTasks(principal: Principal, filter: { instanceId?: string } = {}): Promise<TaskView[]> {
    const rows = await processRepository.openTasks(knex, { roles: principal.roles, ...filter });
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

  /** Completes a user task with its output variables; the instance moves on to its next wait states. */
  async function complete(
    principal: Principal,
    taskId: string,
    input: { variables?: Record<string, unknown> } = {},
  ): Promise<InstanceView> {
    const variables = checkVariables(input.variables);
    const { task, instance } = await openTask(principal, taskId);
    const token = tokenOf(instance, task);
    return move(
      eventActor(principal),
      instance,
      (execution) => {
        const changes = execution.setVariables(variables);
        execution.leave(token.id);
        return [{ type: 'task.completed', payload: { taskId, elementId: task.element_id, changes } }];
      },
      { taskUpdates: [{ id: taskId, status: 'completed', completedBy: principal.userId, assignee: null }] },
    );
  }

  async function listIncidents(principal: Principal, instanceId?: string): Promise<IncidentView[]> {
    requirePermission(principal, 'audit.read');
    return (await processRepository.openIncidents(knex, instanceId)).map((i) => ({
      id: i.id,
      instanceId: i.instance_id,
      elementId: i.element_id,
      message: i.message,
      createdAt: i.created_at.toISOString(),
    }));
  }

  /** Retries an incident, optionally after correcting variables: the element runs again. */
  async function retryIncident(
    principal: Principal,
    incidentId: string,
    input: { variables?: Record<string, unknown> } = {},
  ): Promise<InstanceView> {
    requirePermission(principal, 'records.edit');
    const variables = checkVariables(input.variables);
    const incident = await processRepository.findIncident(knex, incidentId);
    if (!incident) throw new NotFoundError(`There is no incident ${incidentId}`);
    if (incident.resolved_at) throw new ConflictError('The incident was resolved already');
    const instance = (await processRepository.findInstance(knex, incident.instance_id))!;
    const token = instance.tokens.find((t) => t.incidentId === incidentId);
    if (!token) throw new ConflictError('The incident no longer holds a token; reload the instance');
    return move(
      eventActor(principal),
      instance,
      (execution) => {
        const changes = execution.setVariables(variables);
        execution.retry(token.id);
        return [
          { type: 'incident.retried', payload: { incidentId, elementId: incident.element_id, changes } },
        ];
      },
      { resolvedIncidents: [incidentId] },
    );
  }

  /** Back-off after a failed attempt: 10 s, 40 s, 90 s ...; then the job gives up and shows as failed. */
  const MAX_ATTEMPTS = 5;
  const retryDelayMs = (attempt: number) => 10_000 * attempt * attempt;

  /**
   * Runs the timers that are due, one transaction each: the job row is locked (SKIP LOCKED, so
   * other runtime processes take other jobs), its token moves on as a system act, and the job is
   * closed in the same write. A conflict (someone moved the instance meanwhile) leaves the job due
   * for the next round; any other failure is retried with back-off. Returns how many fired.
   */
  async function runDueJobs(limit = 50): Promise<number> {
    type Outcome =
      | { kind: 'none' | 'fired' | 'conflict' }
      | { kind: 'failed'; id: string; attempts: number; error: string };
    let fired = 0;
    for (let i = 0; i < limit; i++) {
      const outcome = await knex.transaction(async (trx): Promise<Outcome> => {
        const job = await processRepository.lockDueJob(trx, clock.now());
        if (!job) return { kind: 'none' };
        try {
          const instance = (await processRepository.findInstance(trx, job.instance_id))!;
          const token = instance.tokens.find((t) => t.jobId === job.id);
          if (!token) throw new Error(`job ${job.id} has no waiting token in instance ${instance.id}`);
          await move(
            SYSTEM_ACTOR,
            instance,
            (execution) => {
              execution.leave(token.id);
              return [{ type: 'timer.fired', payload: { jobId: job.id, elementId: job.element_id } }];
            },
            { jobUpdates: [{ id: job.id, status: 'done' }] },
            trx,
          );
          return { kind: 'fired' };
        } catch (error) {
          if (error instanceof ConflictError) return { kind: 'conflict' };
          return { kind: 'failed', id: job.id, attempts: job.attempts + 1, error: (error as Error).message };
        }
      });
      if (outcome.kind === 'none') break;
      if (outcome.kind === 'fired') fired += 1;
      if (outcome.kind === 'failed') {
        const now = clock.now();
        const retryAt =
          outcome.attempts < MAX_ATTEMPTS ? new Date(now.getTime() + retryDelayMs(outcome.attempts)) : null;
        await processRepository.failJob(knex, outcome.id, outcome.error, retryAt, now);
      }
    }
    return fired;
  }

  return {
    deploy,
    listDefinitions,
    start,
    get,
    history,
    tasks: { list: listTasks, claim, complete },
    incidents: { list: listIncidents, retry: retryIncident },
    jobs: { runDue: runDueJobs },
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
    formKey: t.form_key,
    assignee: t.assignee,
    createdAt: t.created_at.toISOString(),
    dueAt: t.due_at?.toISOString() ?? null,
  };
}
