import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { BpmnError, type ServiceContext, type ServiceHandler, type ServiceResult } from '@attest/plugin-api';
import { SYSTEM_ACTOR } from '../../audit/types.ts';
import { ConflictError } from '../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../kernel/permissions.ts';
import type { JobKind, Token } from '../execution/types.ts';
import { addDuration } from '../../feel/feel.ts';
import { processRepository, type InstanceRow, type JobRow } from './processRepository.ts';
import type { Correlation } from './correlation.ts';
import { checkVariables } from './inputs.ts';
import type { Instances } from './instances.ts';
import type { ProcessContext } from './types.ts';

/** Back-off after a failed attempt: 10 s, 40 s, 90 s ...; then the job gives up. */
const DEFAULT_ATTEMPTS = 5;
const retryDelayMs = (attempt: number) => 10_000 * attempt * attempt;
/**
 * How long a worker holds a service-task job while its handler runs. After it the job is taken
 * again (by any worker) and the first holder's result is refused: a handler runs at least once.
 */
export const JOB_LEASE_MS = 5 * 60_000;
/** A completion that meets a concurrent move of its instance is tried again, up to this often. */
const COMPLETION_TRIES = 3;
/** The channel every commit that leaves a job to be taken notifies (the job_leases migration). */
export const JOBS_CHANNEL = 'attest_jobs';

/** What became of one job taken: ran (or was found stale), met a concurrent move, or failed. */
type Outcome = 'ran' | 'conflict' | 'failed';

/** What a handler did: its result (variables or a BPMN error), or the failure it threw. */
type HandlerOutcome = { result: ServiceResult } | { failure: string };

/** A service-task job taken with a committed lease: its handler is called outside any transaction. */
interface Leased {
  job: JobRow;
  owner: string;
  type: string;
  handler: ServiceHandler;
  context: ServiceContext;
}

/**
 * Jobs: timers, service tasks, call activities, thrown messages and signals, run when due by the
 * job runner, with the registry of service-task handlers.
 */
/** A job that failed for good, as operations see it. */
export interface FailedJob {
  id: string;
  instanceId: string | null;
  elementId: string;
  kind: JobKind;
  attempts: number;
  error: string | null;
  failedAt: string;
}

/** The jobs of processes as operations run and watch them. */
export interface Jobs {
  /** Runs the jobs that are due, at most `limit`; how many ran. */
  runDue(limit?: number, signal?: AbortSignal): Promise<number>;
  failed(principal: Principal, instanceId?: string): Promise<FailedJob[]>;
  /**
   * Calls `listener` after every commit that leaves a job to be taken, made by this process or
   * (on a server) any other; resolves, once listening, to what stops it.
   */
  onDue(listener: () => void): Promise<() => Promise<void>>;
}

export function createJobs(
  ctx: ProcessContext,
  instances: Instances,
  correlation: Correlation,
): Omit<Jobs, 'onDue'> & { register(type: string, handler: ServiceHandler): void } {
  const { knex, clock, hooks } = ctx;
  const { startsDirectly, startOn, visibleVariables, move } = instances;
  const { correlate, broadcast } = correlation;
  const handlers = new Map<string, ServiceHandler>();

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

  /**
   * Runs one job inside its transaction: whatever it does to instances lands with the job closed,
   * or not at all. A service task's job is only leased here: its handler runs after the commit.
   */
  async function runJob(trx: Knex.Transaction, job: JobRow): Promise<Leased | void> {
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
        return lease(trx, job, instance, token);
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

  /** Holds a service-task job for this worker, with what its handler is to be given. */
  async function lease(
    trx: Knex.Transaction,
    job: JobRow,
    instance: InstanceRow,
    token: Token,
  ): Promise<Leased> {
    const { type } = job.payload as { type: string };
    const handler = handlers.get(type);
    if (!handler) throw new Error(`No handler is registered for attest:type "${type}"`);
    const variables = await visibleVariables(trx, instance, token);
    const owner = randomUUID();
    await processRepository.leaseJob(trx, job.id, owner, new Date(clock.now().getTime() + JOB_LEASE_MS));
    const context: ServiceContext = {
      instanceId: instance.id,
      businessKey: instance.business_key,
      elementId: token.node,
      variables,
      attempt: job.attempts + 1,
      idempotencyKey: job.id,
    };
    return { job, owner, type, handler, context };
  }

  /** Calls the handler of a leased job, outside any transaction: its result, or why it failed. */
  async function callHandler({ handler, context }: Leased): Promise<HandlerOutcome> {
    try {
      return { result: (await handler(context)) ?? {} };
    } catch (error) {
      if (error instanceof BpmnError)
        return { result: { error: { code: error.code, message: error.message } } };
      return { failure: messageOf(error) };
    }
  }

  /**
   * Lands a handler's result in a transaction of its own, only while the lease is still this
   * worker's: a lease that ran out or was taken over is refused (the job ran, or runs, elsewhere).
   * A job whose token moved on meanwhile is stale: closed, its result dropped. A concurrent move
   * of the instance is met by trying again; should it keep happening, the lease is given up so
   * that the job is taken again at once.
   */
  async function complete(leased: Leased, handled: HandlerOutcome): Promise<Outcome | 'lost'> {
    const { owner, type } = leased;
    for (let tries = 1; ; tries++) {
      const outcome = await knex.transaction(async (trx): Promise<Outcome | 'lost'> => {
        const job = await processRepository.lockLeasedJob(trx, leased.job.id, owner, clock.now());
        if (!job) return 'lost';
        if ('failure' in handled) {
          await recordFailure(trx, job, handled.failure);
          return 'failed';
        }
        const instance = (await processRepository.findInstance(trx, job.instance_id!))!;
        const token = waitingToken(instance, job);
        if (!token) {
          await processRepository.closeJob(trx, job.id, 'cancelled', clock.now());
          return 'ran';
        }
        return guarded(trx, job, async () => {
          await landResult(trx, job, instance, token, type, handled.result);
        });
      });
      if (outcome !== 'conflict') return outcome;
      if (tries === COMPLETION_TRIES) {
        await processRepository.releaseJob(knex, leased.job.id, owner);
        return outcome;
      }
    }
  }

  async function landResult(
    trx: Knex.Transaction,
    job: JobRow,
    instance: InstanceRow,
    token: Token,
    type: string,
    result: ServiceResult,
  ): Promise<void> {
    if ('error' in result) {
      const { code, message } = result.error;
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
    const output = checkVariables(result.variables, '/variables');
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
   * Runs `work` for a locked job behind a savepoint: a conflict (someone moved the instance
   * meanwhile) undoes it and leaves the job as it was; any other failure is undone and recorded in
   * the same transaction (see recordFailure).
   */
  async function guarded(trx: Knex.Transaction, job: JobRow, work: () => Promise<void>): Promise<Outcome> {
    await trx.raw('SAVEPOINT attest_job');
    try {
      await work();
      return 'ran';
    } catch (error) {
      await trx.raw('ROLLBACK TO SAVEPOINT attest_job');
      if (error instanceof ConflictError) return 'conflict';
      await recordFailure(trx, job, messageOf(error));
      return 'failed';
    }
  }

  /**
   * Runs the jobs that are due, one at a time. Each is taken in a transaction of its own: the job
   * row is locked (SKIP LOCKED, so other runtime processes take other jobs) and, for a timer, a
   * message, a call activity and the like, its token moves on as a system act and the job is
   * closed in the same write. A service task's job is instead leased in that transaction, its
   * handler called after the commit with no transaction open and no connection held, and its
   * result landed in a new transaction guarded by the lease (see complete): handlers may be slow,
   * and run at least once (the idempotency key tells a repetition). A conflict leaves the job due
   * for the next round; any other failure is recorded (see recordFailure). Returns how many jobs
   * ran. Once `signal` aborts (the server shuts down), no further job is taken; the one running
   * finishes.
   */
  async function runDueJobs(limit = 50, signal?: AbortSignal): Promise<number> {
    let ran = 0;
    for (let i = 0; i < limit && !signal?.aborted; i++) {
      const taken = await knex.transaction(async (trx): Promise<Outcome | Leased | 'none'> => {
        const job = await processRepository.lockDueJob(trx, clock.now());
        if (!job) return 'none';
        let leased: Leased | void = undefined;
        const outcome = await guarded(trx, job, async () => {
          leased = await runJob(trx, job);
        });
        return leased ?? outcome;
      });
      if (taken === 'none') break;
      const outcome = typeof taken === 'string' ? taken : await complete(taken, await callHandler(taken));
      if (outcome === 'ran') ran += 1;
    }
    return ran;
  }

  /** Jobs that gave up without an incident to show for it (a thrown message nobody received). */
  async function failedJobs(principal: Principal, instanceId?: string): Promise<FailedJob[]> {
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

  return { register: registerHandler, runDue: runDueJobs, failed: failedJobs };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
