import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { BpmnError, type ServiceHandler, type ServiceResult } from '@attest/plugin-api';
import { appendEvents, chainEvents } from '../../audit/auditTrail.ts';
import { instanceStateDigest, jsonDigest } from '../../audit/stateDigest.ts';
import { eventRepository } from '../../audit/eventRepository.ts';
import {
  SYSTEM_ACTOR,
  type AuditEvent,
  type EventActor,
  type EventDraft,
  type FieldChange,
} from '../../audit/types.ts';
import { canonicalize, sha256Hex } from '../../canonicalJson.ts';
import type { Clock } from '../../clock.ts';
import { ConflictError, InputError, NotAllowedError, NotFoundError, type FieldError } from '../../errors.ts';
import { eventActor, requirePermission, type Principal } from '../../identity/permissions.ts';
import { compileBpmn } from '../compile.ts';
import { addDuration, evaluateFeel, ExpressionError } from '../feel.ts';
import { feelAct } from '../feelGuard.ts';
import {
  Execution,
  scheduleTimer,
  type InstanceStatus,
  type NewJob,
  type Step,
  type Token,
  type Wait,
} from '../executor.ts';
import type { ProcessGraph } from '../graph.ts';
import { isUniqueViolation } from '../../db/database.ts';
import {
  processRepository,
  type DefinitionRow,
  type InstanceRow,
  type InstanceWrite,
  type JobRow,
  type TaskRow,
  type Writes,
} from '../processRepository.ts';
import { createMigration, type MigrationRecords } from '../migration.ts';
import type { FormService } from '../../forms/formService.ts';
import { createTaskForms, stepSignature, type StepSignature } from '../../forms/taskForms.ts';
import { taskSignature, type Submission, type TaskSigning } from '../../forms/taskValues.ts';
import { AUTHORITY, type Meaning } from '../../signatures/types.ts';
import { optionalText } from '../../textInput.ts';
import type { IdentityService } from '../../identity/identityService.ts';
import { WriteBatcher } from '../writeBatcher.ts';

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
  /** The one person who may work on it, by user name (`attest:assignee`); null: anyone in the roles. */
  candidateUser: string | null;
  formKey: string | null;
  assignee: string | null;
  createdAt: string;
  dueAt: string | null;
  /** The record the task is a step of, for lists; null for an instance without a record. */
  record: { id: string; number: string; title: string } | null;
}

/** One task as the step view opens it: the task, and how completing it is signed. */
export interface TaskDetail extends TaskView {
  signature: StepSignature | null;
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
  /** Where its tokens are and what each waits for. */
  activeElements: { elementId: string; waitsFor: Wait }[];
  /** The instance whose call activity started this one, if any. */
  parentInstanceId: string | null;
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
  ['qualifications', 'qualification checks'],
  ['secondPersonVerification', 'second-person verification'],
];

export function unenforced(graph: ProcessGraph): FieldError[] {
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

type Db = Knex | Knex.Transaction;

/** How an instance comes to be: its definition, who or what started it, and from where. */
interface StartOptions {
  variables: Record<string, unknown>;
  businessKey: string | null;
  /** A start event with a trigger (message, signal, timer); the none start when absent. */
  startNode?: string;
  parent?: { instanceId: string; tokenId: string; elementId: string };
  /** Recorded with the start: the message or signal that started it, the timer that fired. */
  cause?: Record<string, unknown>;
}

/** What a person gives to sign a task: their password, and a reason (required to reject). */
export interface SignatureInput {
  password?: unknown;
  reason?: unknown;
}

/** A signer re-authenticated; the meaning is settled once the completion data is known. */
export interface PendingSigning {
  meaningFor(data: Record<string, unknown>): TaskSigning;
}

/** Back-off after a failed attempt: 10 s, 40 s, 90 s ...; then the job gives up. */
const DEFAULT_ATTEMPTS = 5;
const retryDelayMs = (attempt: number) => 10_000 * attempt * attempt;
/** How often a correlation or broadcast is tried again when an instance moved under it. */
const CONFLICT_RETRIES = 5;

/**
 * What the records of templates add to execution, bound after the services are made: which
 * definition a call activity starts and the record that goes with it, and which processes start
 * only as records.
 */
export interface ProcessHooks {
  /** Null: not a template's process; the latest definition of the key is called. */
  call?(
    trx: Knex.Transaction,
    key: string,
    caller: InstanceRow,
    variables: Record<string, unknown>,
  ): Promise<{
    definition: DefinitionRow;
    businessKey: string | null;
    /** What the called instance starts with: the caller's variables and the record's own. */
    variables: Record<string, unknown>;
    started(child: InstanceView): Promise<void>;
  } | null>;
  /** Why a key cannot be started directly (a template's process starts as a record), or null. */
  refuseStart?(key: string): Promise<string | null>;
  /** Whether a process key is a template's: it runs only as records, from effective versions. */
  isTemplateProcess?(db: Db, key: string): Promise<boolean>;
  /** The records of templates, for migrations: which record an instance runs, and moving its pin. */
  records?: MigrationRecords;
}

/** Outside development mode processes come only from the template lifecycle. */
const RAW_REFUSED =
  'Processes are deployed and started only through the template lifecycle (import, review, approval, ' +
  'effective version); deploying or starting a process directly needs development mode';

export function createProcessService({
  knex,
  clock,
  forms,
  identity,
  hooks = {},
  development = false,
}: {
  knex: Knex;
  clock: Clock;
  forms: FormService;
  identity: IdentityService;
  hooks?: ProcessHooks;
  /** Processes may be deployed and started outside the template lifecycle (never in production). */
  development?: boolean;
}) {
  const graphs = new Map<string, { graph: ProcessGraph; version: number }>();
  const handlers = new Map<string, ServiceHandler>();
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
  async function definition(id: string, db: Db = knex): Promise<{ graph: ProcessGraph; version: number }> {
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

  /** Whether a key may start without a record: a process of development mode, never a template's. */
  async function startsDirectly(db: Db, key: string): Promise<boolean> {
    return development && !(await hooks.isTemplateProcess?.(db, key));
  }

  /**
   * Deploys a BPMN file outside the template lifecycle: only in development mode, and never under
   * the key of a template, whose process comes only from its effective version.
   */
  async function deploy(principal: Principal, xml: string): Promise<{ definitions: DeployedDefinition[] }> {
    requirePermission(principal, 'templates.manage');
    if (!development) throw new NotAllowedError(RAW_REFUSED);
    return deployDefinitions(principal, xml, { raw: true });
  }

  /**
   * Deploys every executable process of a BPMN file: version n+1 of its key, unless the same
   * content was deployed before. Compilation refuses the whole file on any problem (nothing is
   * deployed), and deployment is an audited configuration change (C4). Timer start events of the
   * new version are scheduled; those of earlier versions end.
   */
  async function deployDefinitions(
    principal: Principal,
    xml: string,
    options: { db?: Knex; formVersions?: ReadonlyMap<string, number>; raw?: boolean } = {},
  ): Promise<{ definitions: DeployedDefinition[] }> {
    requirePermission(principal, 'templates.manage');
    if (typeof xml !== 'string' || xml.trim() === '') {
      throw new InputError('The BPMN XML is empty', [
        { pointer: '/xml', keyword: 'required', message: 'is required' },
      ]);
    }
    // Compiled graphs are frozen; deployment pins forms into its own copies.
    const processes = (await compileBpmn(xml)).processes.map((g) => structuredClone(g));
    const problems = processes.flatMap((graph) => unenforced(graph));
    if (problems.length > 0)
      throw new InputError(
        `The model cannot be deployed: ${problems.map((p) => p.message).join('; ')}`,
        problems,
      );
    const at = clock.now();
    const startJobs = processes.map((graph) => timerStarts(graph, at));
    return (options.db ?? knex).transaction(async (trx) => {
      if (options.raw) {
        const owned: FieldError[] = [];
        for (const graph of processes) {
          if (await hooks.isTemplateProcess?.(trx, graph.key)) {
            owned.push({
              pointer: `/elements/${graph.key}`,
              keyword: 'template',
              message: `${graph.key} is the process of template ${graph.key}: change it as a new template version`,
            });
          }
        }
        if (owned.length > 0)
          throw new InputError(
            `The model cannot be deployed: ${owned.map((p) => p.message).join('; ')}`,
            owned,
          );
      }
      const pins = await pinForms(trx, principal, processes, options.formVersions);
      // The same XML pinned to other form versions is other content.
      const contentHash = sha256Hex(pins.length === 0 ? xml : `${xml}\n${canonicalize(pins)}`);
      const definitions: DeployedDefinition[] = [];
      for (const [index, graph] of processes.entries()) {
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
          deployed_at: at,
          deployed_by: principal.userId,
        };
        await processRepository.insertDefinition(trx, { ...row, xml, graph });
        await processRepository.cancelStartJobs(trx, graph.key, row.id, at);
        await processRepository.insertStartJobs(
          trx,
          startJobs[index]!.map((j) => ({ ...j, definitionId: row.id })),
          at,
        );
        await appendEvents(trx, clock, { id: row.id, type: 'definition' }, eventActor(principal), [
          {
            type: 'definition.deployed',
            payload: {
              key: row.key,
              version: row.version,
              contentHash,
              xmlHash: sha256Hex(xml),
              graphHash: jsonDigest(graph),
            },
          },
        ]);
        definitions.push(toDeployed(row, true));
      }
      return { definitions };
    });
  }

  /**
   * Pins the form of every user task to one version (`key@n`, or the latest of `key`) and freezes
   * that version: a deployed process always shows the form it was deployed with. An unknown form
   * refuses the deployment, naming the task.
   */
  async function pinForms(
    trx: Knex.Transaction,
    principal: Principal,
    processes: ProcessGraph[],
    formVersions?: ReadonlyMap<string, number>,
  ) {
    const pins: { elementId: string; formId: string }[] = [];
    const problems: FieldError[] = [];
    for (const graph of processes) {
      for (const node of Object.values(graph.nodes)) {
        const named = node.userTask?.formKey;
        if (!named) continue;
        // A template's process uses exactly the form versions its package brought.
        const exact = formVersions?.get(named);
        const reference = exact === undefined ? named : `${named}@${exact}`;
        const pinned = await forms.pin(trx, principal, reference);
        if (typeof pinned === 'string') {
          problems.push({ pointer: `/elements/${node.id}`, keyword: 'reference', message: pinned });
          continue;
        }
        node.userTask!.formId = pinned.id;
        node.userTask!.formVersion = pinned.version;
        pins.push({ elementId: `${graph.key}/${node.id}`, formId: pinned.id });
      }
    }
    if (problems.length > 0)
      throw new InputError(
        `The model cannot be deployed: ${problems.map((p) => p.message).join('; ')}`,
        problems,
      );
    return pins;
  }

  /** The first jobs of a process's timer start events; a timer that cannot be scheduled refuses the model. */
  function timerStarts(graph: ProcessGraph, at: Date) {
    const jobs: { id: string; elementId: string; dueAt: Date; payload: Record<string, unknown> }[] = [];
    for (const id of graph.triggeredStarts) {
      const event = graph.nodes[id]!.event;
      if (event?.type !== 'timer') continue;
      try {
        const { dueAt, cycle } = scheduleTimer(event.timer, {}, at);
        jobs.push({ id: randomUUID(), elementId: id, dueAt, payload: { cycle: cycle ?? null } });
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        throw new InputError(`The timer of start event ${id} cannot be scheduled: ${error.message}`, [
          { pointer: `/elements/${id}`, keyword: 'value', message: error.message },
        ]);
      }
    }
    return jobs;
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
      activeElements: instance.tokens.map((t) => ({ elementId: t.node, waitsFor: t.wait })),
      parentInstanceId: instance.parent_instance_id,
    };
  }

  /**
   * What a move writes besides the instance row. A called instance that ends hands its result
   * (its variables, or the error nothing in it caught) to its caller as a job, in the same write.
   */
  function writesOf(
    step: Step,
    actor: EventActor,
    instance: InstanceRow,
    head: { seq: number; hash: string },
    extra: EventDraft[],
    at: Date,
  ): Writes {
    const newJobs: NewJob[] = [...step.newJobs];
    const ended = step.status === 'completed' || step.status === 'terminated';
    const cancelled = step.events.some((e) => e.type === 'process.cancelled');
    const caller = instance.parent_instance_id
      ? {
          tokenId: instance.parent_token_id!,
          elementId: instance.parent_element_id!,
          instanceId: instance.parent_instance_id,
          dueAt: at,
        }
      : null;
    if (caller) {
      for (const code of step.uncaughtEscalations) {
        newJobs.push({
          ...caller,
          id: randomUUID(),
          kind: 'escalate',
          payload: { childInstanceId: instance.id, code },
        });
      }
    }
    if (ended && !cancelled && instance.parent_instance_id && instance.status !== step.status) {
      newJobs.push({
        id: randomUUID(),
        tokenId: instance.parent_token_id!,
        elementId: instance.parent_element_id!,
        instanceId: instance.parent_instance_id,
        dueAt: at,
        kind: 'resume',
        payload: step.uncaughtError
          ? { childInstanceId: instance.id, error: step.uncaughtError }
          : { childInstanceId: instance.id, variables: step.variables },
      });
    }
    return {
      at,
      taskUpdates: step.cancelledTasks.map((id) => ({
        id,
        status: 'cancelled' as const,
        completedBy: null,
        assignee: null,
      })),
      newTasks: step.newTasks,
      newJobs,
      jobUpdates: [
        ...step.cancelledJobs.map((id) => ({ id, status: 'cancelled' as const })),
        ...step.rescheduledJobs.map((id) => ({ id, status: 'scheduled' as const })),
      ],
      newSubscriptions: step.newSubscriptions,
      closedSubscriptions: step.closedSubscriptions,
      incidents: step.incidents,
      resolvedIncidents: step.cancelledIncidents,
      resolvedBy: null,
      events: chainEvents(
        { id: instance.id, type: 'instance' },
        head,
        actor,
        at.toISOString(),
        attested([...extra, ...step.events], instance.definition_id, step),
      ),
    };
  }

  /**
   * The last event of a move attests what the move leaves behind: the digest of the instance's
   * state and the tasks it cancelled, so `attest verify` can prove the rows against the trail.
   */
  function attested(drafts: EventDraft[], definitionId: string, step: Step): EventDraft[] {
    const last = drafts[drafts.length - 1];
    if (!last) return drafts;
    const state = instanceStateDigest({ definitionId, ...step });
    const cancelled = step.cancelledTasks.length > 0 ? { cancelledTasks: step.cancelledTasks } : {};
    return [...drafts.slice(0, -1), { ...last, payload: { ...last.payload, ...cancelled, state } }];
  }

  /** Starts an instance of the latest version of a process: its first move is one atomic write. */
  async function start(
    principal: Principal,
    key: string,
    input: { variables?: Record<string, unknown>; businessKey?: string | null } = {},
  ): Promise<InstanceView> {
    requirePermission(principal, 'records.create');
    if (!development) throw new NotAllowedError(RAW_REFUSED);
    const variables = checkVariables(input.variables);
    const refusal = await hooks.refuseStart?.(key);
    if (refusal) throw new ConflictError(refusal);
    const latest = await processRepository.latestDefinition(knex, key);
    if (!latest) throw new NotFoundError(`No process with key ${key} is deployed`);
    const graph = (await definition(latest.id)).graph;
    if (graph.startNodes.length === 0) {
      throw new ConflictError(`Process ${key} starts only by a message, a signal or a timer`);
    }
    return startOn(latest, eventActor(principal), principal.userId, {
      variables,
      businessKey: input.businessKey ?? null,
    });
  }

  async function startOn(
    latest: DefinitionRow,
    actor: EventActor,
    startedBy: string | null,
    options: StartOptions,
    db: Db = knex,
  ): Promise<InstanceView> {
    const { graph, version } = await definition(latest.id, db);
    const at = clock.now();
    const execution = new Execution(graph, [], options.variables, at, randomUUID, {
      called: options.parent !== undefined,
    });
    // One move is one act: its FEEL together stays within FEEL_LIMITS.actSteps.
    feelAct(() => execution.start(options.startNode));
    const step = execution.result();
    const id = randomUUID();
    const started: EventDraft = {
      type: 'process.started',
      payload: {
        key: latest.key,
        version,
        definitionId: latest.id,
        businessKey: options.businessKey,
        startedBy,
        variables: options.variables,
        ...(options.parent && { calledBy: options.parent }),
        ...options.cause,
      },
    };
    const instance: InstanceRow = {
      id,
      definition_id: latest.id,
      key: latest.key,
      business_key: options.businessKey,
      status: 'active',
      tokens: step.tokens,
      scopes: step.scopes,
      variables: step.variables,
      version: 0,
      head_hash: '0'.repeat(64),
      started_at: at,
      started_by: startedBy,
      ended_at: null,
      parent_instance_id: options.parent?.instanceId ?? null,
      parent_token_id: options.parent?.tokenId ?? null,
      parent_element_id: options.parent?.elementId ?? null,
    };
    const writes = writesOf(step, actor, instance, { seq: 0, hash: '0'.repeat(64) }, [started], at);
    const head = writes.events[writes.events.length - 1]!;
    Object.assign(instance, {
      status: step.status,
      version: head.seq,
      head_hash: head.hash,
      ended_at: step.status === 'completed' || step.status === 'terminated' ? at : null,
    });
    if (db === knex) await starts.submit({ instance, writes });
    else await processRepository.start(db, [{ instance, writes }]);
    return view(instance, graph, version);
  }

  /** The executor over an instance as it was read. */
  const executionOf = (instance: InstanceRow, graph: ProcessGraph, at: Date) =>
    new Execution(graph, instance.tokens, instance.variables, at, randomUUID, {
      scopes: instance.scopes,
      called: instance.parent_instance_id !== null,
    });

  /** What a waiting token sees: for a handler, or for the process a call activity starts. */
  async function visibleVariables(db: Db, instance: InstanceRow, token: Token) {
    const { graph } = await definition(instance.definition_id, db);
    return executionOf(instance, graph, clock.now()).visibleVariables(token.id);
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
    db: Db = knex,
  ): Promise<InstanceView> {
    const { graph, version } = await definition(instance.definition_id, db);
    const at = clock.now();
    const execution = executionOf(instance, graph, at);
    const drafts = feelAct(() => change(execution));
    const step = execution.result();
    const writes = writesOf(
      step,
      actor,
      instance,
      { seq: instance.version, hash: instance.head_hash },
      drafts,
      at,
    );
    writes.taskUpdates.unshift(...(extraWrites.taskUpdates ?? []));
    writes.resolvedIncidents.unshift(...(extraWrites.resolvedIncidents ?? []));
    writes.jobUpdates.unshift(...(extraWrites.jobUpdates ?? []));
    writes.resolvedBy = (extraWrites.resolvedIncidents ?? []).length > 0 ? actor.userId : null;
    const next = {
      id: instance.id,
      status: step.status,
      tokens: step.tokens,
      scopes: step.scopes,
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

  /** An expression the model evaluates on a person's input failed: the input is refused, nothing changes. */
  function refused<T>(what: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      throw new InputError(`${what}: ${error.message}`, [
        { pointer: '/variables', keyword: 'feel', message: error.message },
      ]);
    }
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

  /**
   * Retries an incident: the element runs again. Correcting variables first is a change of the
   * process's data outside any step: it needs its own authority and a reason, and the audit trail
   * keeps each variable's old and new value.
   */
  async function retryIncident(
    principal: Principal,
    incidentId: string,
    input: { variables?: Record<string, unknown>; reason?: unknown } = {},
  ): Promise<InstanceView> {
    requirePermission(principal, 'records.edit');
    const variables = checkVariables(input.variables);
    const reason = optionalText(input.reason, '/reason', 1000);
    if (Object.keys(variables).length > 0) {
      requirePermission(principal, 'incidents.retry');
      if (!reason) throw reasonRequired('to correct variables');
    }
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
          {
            type: 'incident.retried',
            payload: { incidentId, elementId: incident.element_id, changes },
            reason,
          },
        ];
      },
      { resolvedIncidents: [incidentId] },
    );
  }

  // ---------------------------------------------------------------- messages and signals

  /** The latest definitions with a start event triggered by this message or signal. */
  async function triggeredStarts(db: Db, type: 'message' | 'signal', name: string) {
    const found: { definition: DefinitionRow; startNode: string }[] = [];
    for (const latest of await processRepository.latestDefinitions(db)) {
      // A template's process starts only as a record.
      if (!(await startsDirectly(db, latest.key))) continue;
      const { graph } = await definition(latest.id, db);
      const startNode = graph.triggeredStarts.find((id) => {
        const event = graph.nodes[id]!.event;
        return event?.type === type && event.name === name;
      });
      if (startNode) found.push({ definition: latest, startNode });
    }
    return found;
  }

  /** Moves one instance, reading it again when someone else moved it first. */
  async function moveFresh(
    db: Db,
    instanceId: string,
    attempt: (instance: InstanceRow) => Promise<InstanceView | null>,
  ): Promise<InstanceView | null> {
    for (let i = 0; ; i++) {
      const instance = await processRepository.findInstance(db, instanceId);
      if (!instance) return null;
      try {
        return await attempt(instance);
      } catch (error) {
        if (!(error instanceof ConflictError) || i >= CONFLICT_RETRIES || db !== knex) throw error;
      }
    }
  }

  /**
   * Delivers a message to the one token waiting for its name and correlation key (the longest
   * waiting first), or else starts the process whose start event it triggers. Nothing waiting for
   * it is an error: a message is never dropped silently.
   */
  async function correlate(
    actor: EventActor,
    startedBy: string | null,
    input: {
      name: string;
      correlationKey: string | null;
      variables: Record<string, unknown>;
      reason?: string | null;
    },
    db: Db = knex,
    guard?: (instance: InstanceRow) => Promise<void>,
  ): Promise<{ instance: InstanceView; started: boolean }> {
    const { name, correlationKey, variables } = input;
    for (let i = 0; i <= CONFLICT_RETRIES; i++) {
      const [subscription] = await processRepository.openSubscriptions(db, 'message', name, correlationKey);
      if (!subscription) break;
      try {
        const moved = await moveFresh(db, subscription.instance_id, async (instance) => {
          const token = instance.tokens.find((t) => t.id === subscription.token_id);
          if (!token) throw new ConflictError('The subscription ended meanwhile');
          await guard?.(instance);
          return move(
            actor,
            instance,
            (execution) => {
              const changes = refused('The message cannot be delivered', () =>
                execution.fire(token.id, variables),
              );
              return [
                {
                  type: 'message.correlated',
                  payload: { name, correlationKey, elementId: token.node, changes },
                  reason: input.reason ?? null,
                },
              ];
            },
            {},
            db,
          );
        });
        if (moved) return { instance: moved, started: false };
      } catch (error) {
        if (!(error instanceof ConflictError) || db !== knex) throw error;
      }
    }
    const [target] = await triggeredStarts(db, 'message', name);
    if (!target) {
      const key = correlationKey === null ? '' : ` with correlation key "${correlationKey}"`;
      throw new NotFoundError(`Nothing waits for message "${name}"${key}`);
    }
    const instance = await startOn(
      target.definition,
      actor,
      startedBy,
      {
        variables,
        businessKey: correlationKey,
        startNode: target.startNode,
        cause: { message: name },
      },
      db,
    );
    return { instance, started: true };
  }

  /**
   * Broadcasts a signal: every token waiting for it fires, each instance in its own move, and
   * every process with a start event for it starts.
   */
  async function broadcast(
    actor: EventActor,
    startedBy: string | null,
    input: {
      name: string;
      variables: Record<string, unknown>;
      waitingSince?: Date;
      reason?: string | null;
    },
    db: Db = knex,
    guard?: (instance: InstanceRow) => Promise<void>,
  ): Promise<{ triggered: number; started: number }> {
    const { name, variables, waitingSince } = input;
    const subscriptions = (await processRepository.openSubscriptions(db, 'signal', name)).filter(
      (s) => !waitingSince || s.created_at <= waitingSince,
    );
    const instances = [...new Set(subscriptions.map((s) => s.instance_id))];
    // Every instance it would reach is allowed before any moves: a refusal changes nothing.
    if (guard) {
      for (const instanceId of instances) {
        const instance = await processRepository.findInstance(db, instanceId);
        if (instance) await guard(instance);
      }
    }
    let triggered = 0;
    for (const instanceId of instances) {
      const moved = await moveFresh(db, instanceId, async (instance) => {
        const waiting = subscriptions.filter((s) => s.instance_id === instanceId).map((s) => s.token_id);
        if (!instance.tokens.some((t) => waiting.includes(t.id))) return null;
        await guard?.(instance);
        return move(
          actor,
          instance,
          (execution) => {
            const fired: string[] = [];
            const changes: FieldChange[] = [];
            for (const tokenId of waiting) {
              // An earlier firing may have ended this one (an interrupting event sub-process).
              if (!execution.result().tokens.some((t) => t.id === tokenId)) continue;
              changes.push(...execution.fire(tokenId, variables));
              fired.push(tokenId);
            }
            return [
              {
                type: 'signal.received',
                payload: { name, tokens: fired.length, changes },
                reason: input.reason ?? null,
              },
            ];
          },
          {},
          db,
        );
      });
      if (moved) triggered += 1;
    }
    let started = 0;
    for (const target of await triggeredStarts(db, 'signal', name)) {
      await startOn(
        target.definition,
        actor,
        startedBy,
        { variables, businessKey: null, startNode: target.startNode, cause: { signal: name } },
        db,
      );
      started += 1;
    }
    return { triggered, started };
  }

  /** Whether an instance runs a GMP record: a template's process, or one called by it. */
  async function runsRecord(db: Db, instance: InstanceRow): Promise<boolean> {
    for (let at: InstanceRow | undefined = instance; at;) {
      if (await hooks.isTemplateProcess?.(db, at.key)) return true;
      at = at.parent_instance_id
        ? await processRepository.findInstance(db, at.parent_instance_id)
        : undefined;
    }
    return false;
  }

  /**
   * What a person's message or signal may reach: the process of a GMP record takes one only from
   * someone with the authority to send them there, with a reason (the variables it changes are in
   * the audit trail with their old and new values).
   */
  const correlationGuard = (principal: Principal, reason: string | null) => async (instance: InstanceRow) => {
    if (!(await runsRecord(knex, instance))) return;
    requirePermission(principal, 'processes.correlate');
    if (!reason) throw reasonRequired('to send a message or signal into a record');
  };

  async function correlateMessage(
    principal: Principal,
    input: {
      name: string;
      correlationKey?: string | null;
      variables?: Record<string, unknown>;
      reason?: unknown;
    },
  ): Promise<{ instance: InstanceView; started: boolean }> {
    requirePermission(principal, 'records.edit');
    const name = eventName(input.name, '/name');
    const variables = checkVariables(input.variables);
    const reason = optionalText(input.reason, '/reason', 1000);
    return correlate(
      eventActor(principal),
      principal.userId,
      { name, correlationKey: input.correlationKey ?? null, variables, reason },
      knex,
      correlationGuard(principal, reason),
    );
  }

  async function broadcastSignal(
    principal: Principal,
    input: { name: string; variables?: Record<string, unknown>; reason?: unknown },
  ): Promise<{ triggered: number; started: number }> {
    requirePermission(principal, 'records.edit');
    const name = eventName(input.name, '/name');
    const reason = optionalText(input.reason, '/reason', 1000);
    return broadcast(
      eventActor(principal),
      principal.userId,
      { name, variables: checkVariables(input.variables), reason },
      knex,
      correlationGuard(principal, reason),
    );
  }

  // ---------------------------------------------------------------- jobs

  function registerHandler(type: string, handler: ServiceHandler): void {
    if (handlers.has(type)) throw new Error(`A handler for ${type} is registered already`);
    handlers.set(type, handler);
  }

  /** The job's token, if it still waits for this job; a job whose token moved on is stale. */
  function waitingToken(instance: InstanceRow, job: JobRow): Token | undefined {
    const token = instance.tokens.find((t) => t.id === job.token_id);
    if (!token) return undefined;
    if (job.kind === 'resume' || job.kind === 'escalate') {
      const child = (job.payload as { childInstanceId: string }).childInstanceId;
      return token.wait === 'call' && token.childInstanceId === child && !token.incidentId
        ? token
        : undefined;
    }
    return token.jobId === job.id ? token : undefined;
  }

  /** Runs one job inside its transaction: whatever it does to instances lands with the job closed, or not at all. */
  async function runJob(trx: Knex.Transaction, job: JobRow): Promise<void> {
    const done = { jobUpdates: [{ id: job.id, status: 'done' as const }] };
    const close = () => processRepository.closeJob(trx, job.id, 'done', clock.now());
    if (job.kind === 'start') {
      const row = await processRepository.findDefinition(trx, job.definition_id!);
      if (!(await startsDirectly(trx, row!.key))) {
        await processRepository.closeJob(trx, job.id, 'cancelled', clock.now());
        return;
      }
      await startOn(
        row!,
        SYSTEM_ACTOR,
        null,
        {
          variables: {},
          businessKey: null,
          startNode: job.element_id,
          cause: { timer: job.element_id },
        },
        trx,
      );
      const cycle = (job.payload as { cycle: Token['cycle'] | null }).cycle;
      if (cycle && cycle.remaining !== 0) {
        const next = { remaining: cycle.remaining === null ? null : cycle.remaining - 1, every: cycle.every };
        await processRepository.insertStartJobs(
          trx,
          [
            {
              id: randomUUID(),
              definitionId: job.definition_id!,
              elementId: job.element_id,
              // From when this one was due, not when it ran: no drift after downtime.
              dueAt: addDuration(job.due_at, cycle.every),
              payload: { cycle: next },
            },
          ],
          clock.now(),
        );
      }
      await close();
      return;
    }
    if (job.kind === 'throw') {
      const payload = job.payload as {
        signal?: string;
        message?: string;
        correlationKey?: string | null;
        variables?: Record<string, unknown>;
      };
      if (payload.signal !== undefined) {
        // Only those that waited when it was thrown: the job runs a little later.
        const thrownAt = new Date((payload as { thrownAt: string }).thrownAt);
        await broadcast(
          SYSTEM_ACTOR,
          null,
          { name: payload.signal, variables: {}, waitingSince: thrownAt },
          trx,
        );
      } else {
        await correlate(
          SYSTEM_ACTOR,
          null,
          {
            name: payload.message!,
            correlationKey: payload.correlationKey ?? null,
            variables: payload.variables ?? {},
          },
          trx,
        );
      }
      await close();
      return;
    }
    const instance = (await processRepository.findInstance(trx, job.instance_id!))!;
    if (job.kind === 'cancel') {
      if (instance.status === 'completed' || instance.status === 'terminated') await close();
      else {
        await move(
          SYSTEM_ACTOR,
          instance,
          (execution) => {
            execution.cancel('The calling instance ended its call activity');
            return [];
          },
          done,
          trx,
        );
      }
      return;
    }
    const token = waitingToken(instance, job);
    if (!token) {
      await processRepository.closeJob(trx, job.id, 'cancelled', clock.now());
      return;
    }
    switch (job.kind) {
      case 'timer':
        await move(
          SYSTEM_ACTOR,
          instance,
          (execution) => {
            execution.fire(token.id);
            return [{ type: 'timer.fired', payload: { jobId: job.id, elementId: job.element_id } }];
          },
          done,
          trx,
        );
        return;
      case 'service':
        await runService(trx, job, instance, token);
        return;
      case 'call': {
        const { processKey } = job.payload as { processKey: string };
        // What the caller sees now, not when the call was scheduled: a retry passes corrections on.
        const variables = await visibleVariables(trx, instance, token);
        // A template's process starts its effective version, as a record of its own.
        const record = await hooks.call?.(trx, processKey, instance, variables);
        // Outside development mode a record calls only templates: no process of its own making.
        const latest =
          record?.definition ??
          ((await startsDirectly(trx, processKey))
            ? await processRepository.latestDefinition(trx, processKey)
            : undefined);
        if (!latest) throw new Error(`No process with key ${processKey} is deployed to be called`);
        const child = await startOn(
          latest,
          SYSTEM_ACTOR,
          instance.started_by,
          {
            variables: record?.variables ?? variables,
            businessKey: record ? record.businessKey : instance.business_key,
            parent: { instanceId: instance.id, tokenId: token.id, elementId: token.node },
          },
          trx,
        );
        await record?.started(child);
        await move(
          SYSTEM_ACTOR,
          instance,
          (execution) => {
            execution.callStarted(token.id, child.id);
            return [
              {
                type: 'call.started',
                payload: {
                  elementId: token.node,
                  childInstanceId: child.id,
                  key: child.key,
                  version: child.version,
                },
              },
            ];
          },
          done,
          trx,
        );
        return;
      }
      case 'escalate': {
        const { childInstanceId, code } = job.payload as { childInstanceId: string; code: string };
        await move(
          SYSTEM_ACTOR,
          instance,
          (execution) => {
            execution.escalate(token.id, code);
            return [{ type: 'call.escalated', payload: { elementId: token.node, childInstanceId, code } }];
          },
          done,
          trx,
        );
        return;
      }
      case 'resume': {
        const { childInstanceId, variables, error } = job.payload as {
          childInstanceId: string;
          variables?: Record<string, unknown>;
          error?: { code: string; message: string };
        };
        await move(
          SYSTEM_ACTOR,
          instance,
          (execution) => {
            if (error) {
              execution.throwError(token.id, error.code, error.message);
              return [
                {
                  type: 'call.failed',
                  payload: { elementId: token.node, childInstanceId, code: error.code },
                },
              ];
            }
            const changes = execution.complete(token.id, variables ?? {});
            return [{ type: 'call.completed', payload: { elementId: token.node, childInstanceId, changes } }];
          },
          done,
          trx,
        );
        return;
      }
    }
  }

  async function runService(
    trx: Knex.Transaction,
    job: JobRow,
    instance: InstanceRow,
    token: Token,
  ): Promise<void> {
    const { type } = job.payload as { type: string };
    const handler = handlers.get(type);
    if (!handler) throw new Error(`No handler is registered for attest:type "${type}"`);
    const variables = await visibleVariables(trx, instance, token);
    let result: ServiceResult | void;
    try {
      result = await handler({
        instanceId: instance.id,
        businessKey: instance.business_key,
        elementId: token.node,
        variables,
        attempt: job.attempts + 1,
      });
    } catch (error) {
      if (!(error instanceof BpmnError)) throw error;
      result = { error: { code: error.code, message: error.message } };
    }
    const outcome = result ?? {};
    if ('error' in outcome) {
      const { code, message } = outcome.error;
      await move(
        SYSTEM_ACTOR,
        instance,
        (execution) => {
          execution.throwError(token.id, code, message ?? `BPMN error ${code}`);
          return [{ type: 'service.failed', payload: { jobId: job.id, elementId: token.node, type, code } }];
        },
        { jobUpdates: [{ id: job.id, status: 'done' }] },
        trx,
      );
      return;
    }
    const output = checkVariables(outcome.variables, '/variables');
    await move(
      SYSTEM_ACTOR,
      instance,
      (execution) => {
        const changes = execution.complete(token.id, output);
        return [
          { type: 'service.completed', payload: { jobId: job.id, elementId: token.node, type, changes } },
        ];
      },
      { jobUpdates: [{ id: job.id, status: 'done' }] },
      trx,
    );
  }

  /**
   * Records a failed attempt in the job's own transaction, while its row is still locked, so no
   * other worker takes it in between: tried again after a back-off, or, when its attempts are spent,
   * marked failed with its token (a service task or call activity) turned into an incident, visible
   * in the API; retrying the incident takes the same job up again. Should the instance move under
   * it, the job is tried once more shortly rather than fail without an incident to show for it.
   */
  async function recordFailure(trx: Knex.Transaction, job: JobRow, error: string): Promise<void> {
    const now = clock.now();
    const attempts = job.attempts + 1;
    const allowed =
      job.kind === 'service' ? ((job.payload as { retries?: number }).retries ?? 3) + 1 : DEFAULT_ATTEMPTS;
    if (attempts < allowed) {
      await processRepository.failJob(
        trx,
        job.id,
        error,
        new Date(now.getTime() + retryDelayMs(attempts)),
        now,
      );
      return;
    }
    const instance = job.instance_id ? await processRepository.findInstance(trx, job.instance_id) : undefined;
    const token =
      instance && ['service', 'call', 'resume'].includes(job.kind) ? waitingToken(instance, job) : undefined;
    await trx.raw('SAVEPOINT attest_give_up');
    try {
      await processRepository.failJob(trx, job.id, error, null, now);
      if (instance && token && (token.wait === 'job' || token.wait === 'call')) {
        await move(
          SYSTEM_ACTOR,
          instance,
          (execution) => {
            execution.jobFailed(token.id, `${job.kind} job failed ${attempts} times: ${error}`, job.id);
            return [{ type: 'job.failed', payload: { jobId: job.id, elementId: job.element_id, error } }];
          },
          {},
          trx,
        );
      }
    } catch (failure) {
      if (!(failure instanceof ConflictError)) throw failure;
      await trx.raw('ROLLBACK TO SAVEPOINT attest_give_up');
      await processRepository.failJob(trx, job.id, error, new Date(now.getTime() + 1000), now);
    }
  }

  /**
   * Runs the jobs that are due, one transaction each: the job row is locked (SKIP LOCKED, so
   * other runtime processes take other jobs), its token moves on as a system act, and the job is
   * closed in the same write. A conflict (someone moved the instance meanwhile) leaves the job due
   * for the next round; any other failure is undone and recorded in the same transaction (see
   * recordFailure). Returns how many jobs ran. Handlers run while the job is locked: they should be
   * quick, and must not call the engine themselves. Once `signal` aborts (the server shuts down), no
   * further job is taken; the one running finishes.
   */
  async function runDueJobs(limit = 50, signal?: AbortSignal): Promise<number> {
    let ran = 0;
    for (let i = 0; i < limit && !signal?.aborted; i++) {
      const outcome = await knex.transaction(async (trx): Promise<'none' | 'ran' | 'conflict' | 'failed'> => {
        const job = await processRepository.lockDueJob(trx, clock.now());
        if (!job) return 'none';
        await trx.raw('SAVEPOINT attest_job');
        try {
          await runJob(trx, job);
          return 'ran';
        } catch (error) {
          await trx.raw('ROLLBACK TO SAVEPOINT attest_job');
          if (error instanceof ConflictError) return 'conflict';
          await recordFailure(trx, job, (error as Error).message);
          return 'failed';
        }
      });
      if (outcome === 'none') break;
      if (outcome === 'ran') ran += 1;
    }
    return ran;
  }

  /** Jobs that gave up without an incident to show for it (a thrown message nobody received). */
  async function failedJobs(principal: Principal, instanceId?: string) {
    requirePermission(principal, 'audit.read');
    return (await processRepository.failedJobs(knex, instanceId)).map((j) => ({
      id: j.id,
      instanceId: j.instance_id,
      elementId: j.element_id,
      kind: j.kind,
      attempts: j.attempts,
      error: j.last_error,
      failedAt: j.done_at.toISOString(),
    }));
  }

  /** Starts an instance of one definition inside the caller's transaction (a record's start). */
  async function startIn(
    trx: Knex.Transaction,
    definitionId: string,
    principal: Principal,
    input: { variables: Record<string, unknown>; businessKey: string | null },
  ): Promise<InstanceView> {
    const row = await processRepository.findDefinition(trx, definitionId);
    if (!row) throw new NotFoundError(`There is no process definition ${definitionId}`);
    const { graph } = await definition(row.id, trx);
    if (graph.startNodes.length === 0) {
      throw new ConflictError(`Process ${row.key} starts only by a message, a signal or a timer`);
    }
    return startOn(
      row,
      eventActor(principal),
      principal.userId,
      { variables: checkVariables(input.variables), businessKey: input.businessKey },
      trx,
    );
  }

  return {
    startIn,
    deploy,
    /** Deploys a template version's process, inside the lifecycle that approved it. */
    deployTemplate: (
      principal: Principal,
      xml: string,
      options: { db?: Knex; formVersions?: ReadonlyMap<string, number> } = {},
    ) => deployDefinitions(principal, xml, options),
    listDefinitions,
    start,
    get,
    history,
    messages: { correlate: correlateMessage },
    signals: { broadcast: broadcastSignal },
    handlers: { register: registerHandler },
    tasks: {
      list: listTasks,
      get: getTask,
      claim,
      complete,
      form: taskForms.form,
      saveValues: taskForms.save,
      verify: taskForms.verify,
    },
    incidents: { list: listIncidents, retry: retryIncident },
    jobs: { runDue: runDueJobs, failed: failedJobs },
    migrate: createMigration({ knex, clock, view, identity, hooks, development }).migrate,
  };
}

/** A reason the act needs, missing. */
function reasonRequired(what: string): InputError {
  return new InputError(`A reason is required ${what}`, [
    { pointer: '/reason', keyword: 'required', message: `is required ${what}` },
  ]);
}

/** A message or signal name: required text. */
function eventName(value: unknown, pointer: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InputError('A name is required', [
      { pointer, keyword: 'required', message: 'must be a non-empty name' },
    ]);
  }
  return value.trim();
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
