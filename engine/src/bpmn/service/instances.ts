import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { chainEvents } from '../../audit/auditTrail.ts';
import { instanceStateDigest } from '../../audit/stateDigest.ts';
import { eventRepository } from '../../audit/eventRepository.ts';
import type { AuditEvent, EventActor, EventDraft } from '../../audit/types.ts';
import { isUniqueViolation } from '../../db/database.ts';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '../../kernel/errors.ts';
import { eventActor, requirePermission, type Principal } from '../../kernel/permissions.ts';
import { Execution } from '../execution/execution.ts';
import type { NewJob, NewTask, Step, Token } from '../execution/types.ts';
import { feelAct } from '../../feel/feelGuard.ts';
import type { ProcessGraph } from '../model/graph.ts';
import {
  processRepository,
  type DefinitionRow,
  type InstanceRow,
  type InstanceWrite,
  type Writes,
} from './processRepository.ts';
import { checkVariables, RAW_REFUSED, refused } from './inputs.ts';
import type { Db, InstanceView, ProcessContext, StartOptions } from './types.ts';

/**
 * Instances: starting them, reading them, and moving them on. Every change to an instance is one
 * move, written only if nobody else moved it meanwhile.
 */
export function createInstances(ctx: ProcessContext) {
  const { knex, clock, hooks, development, graphs, starts, moves } = ctx;

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

  /** Whether a key may start without a record: a process of development mode, never a template's. */
  async function startsDirectly(db: Db, key: string): Promise<boolean> {
    return development && !(await hooks.isTemplateProcess?.(db, key));
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
    if (step.status === 'terminated' && instance.status !== 'terminated') {
      // A repeated or added step waits on no token (D7): the process's termination withdraws it too.
      step.cancelledTasks.push(...(await processRepository.openChangedTasks(db, instance.id)));
    }
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
    const arrived = step.newTasks.filter((t) => graph.nodes[t.elementId]?.userTask?.outOfOrder);
    const taken = arrived.length > 0 ? await takeUpAhead(actor, instance.id, arrived, db) : null;
    return (
      taken ??
      view({ ...instance, ...next, version: instance.version + writes.events.length }, graph, version)
    );
  }

  /**
   * The process reached steps that may be done ahead (F1): where one was done ahead already, the
   * task the flow made there is completed with its values, in a move of its own (in the caller's
   * transaction, or one of its own). Values the flow refuses leave the task open for a person.
   */
  async function takeUpAhead(
    actor: EventActor,
    instanceId: string,
    arrived: NewTask[],
    db: Db,
  ): Promise<InstanceView | null> {
    let last: InstanceView | null = null;
    for (const task of arrived) {
      const takeUp = async (trx: Knex.Transaction): Promise<InstanceView | null> => {
        const ahead = await processRepository.aheadDone(trx, instanceId, task.elementId);
        const current = await processRepository.findInstance(trx, instanceId);
        const waits = current?.tokens.some((t) => t.id === task.tokenId && t.taskId === task.id);
        if (!ahead || !current || !waits) return null;
        const output = await processRepository.aheadOutput(trx, instanceId, ahead.id);
        const doneAhead = { taskId: ahead.id, by: ahead.completed_by };
        const moved = await move(
          actor,
          current,
          (execution) => [
            {
              type: 'task.completed',
              payload: {
                taskId: task.id,
                elementId: task.elementId,
                changes: refused('The step done ahead cannot complete the step the process reached', () =>
                  execution.complete(task.tokenId, output),
                ),
                doneAhead,
              },
            },
          ],
          {
            taskUpdates: [
              { id: task.id, status: 'completed', completedBy: ahead.completed_by, assignee: null },
            ],
          },
          trx,
        );
        await processRepository.markDoneAhead(trx, task.id, ahead.id);
        return moved;
      };
      try {
        last = (db === knex ? await knex.transaction(takeUp) : await takeUp(db as Knex.Transaction)) ?? last;
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
      }
    }
    return last;
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

  return { definition, startsDirectly, view, start, startOn, startIn, visibleVariables, get, history, move };
}

export type Instances = ReturnType<typeof createInstances>;
