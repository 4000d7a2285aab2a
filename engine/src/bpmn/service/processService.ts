import type { Knex } from 'knex';
import type { Clock } from '../../kernel/clock.ts';
import type { FormService } from '../../forms/formService.ts';
import type { IdentityService } from '../../identity/identityService.ts';
import type { Principal } from '../../kernel/permissions.ts';
import type { ServiceHandler } from '@attest/plugin-api';
import type { AuditEvent } from '../../audit/types.ts';
import { createMigration, type MigrationInput, type MigrationResult } from './migration.ts';
import { processRepository, type InstanceRow, type InstanceWrite, type Writes } from './processRepository.ts';
import { WriteBatcher } from './writeBatcher.ts';
import { createCorrelation } from './correlation.ts';
import { createDeployment } from './deployment.ts';
import { createIncidents, type Incidents } from './incidents.ts';
import { createInstances } from './instances.ts';
import { createJobs, type Jobs } from './jobs.ts';
import { createTasks, type TaskAccess, type Tasks } from './tasks.ts';
import type { DeployedDefinition, InstanceView, ProcessHooks, ProcessContext } from './types.ts';

/**
 * Processes as people use them: deployment (outside the template lifecycle only in development),
 * instances and their history, messages and signals, service task handlers, migration.
 */
export interface Processes {
  deploy(principal: Principal, xml: string): Promise<{ definitions: DeployedDefinition[] }>;
  listDefinitions(principal: Principal): Promise<DeployedDefinition[]>;
  start(
    principal: Principal,
    key: string,
    input?: { variables?: Record<string, unknown>; businessKey?: string | null },
  ): Promise<InstanceView>;
  get(principal: Principal, id: string): Promise<InstanceView>;
  history(principal: Principal, id: string): Promise<AuditEvent[]>;
  messages: {
    correlate(
      principal: Principal,
      input: {
        name: string;
        correlationKey?: string | null;
        variables?: Record<string, unknown>;
        reason?: unknown;
      },
    ): Promise<{ instance: InstanceView; started: boolean }>;
  };
  signals: {
    broadcast(
      principal: Principal,
      input: { name: string; variables?: Record<string, unknown>; reason?: unknown },
    ): Promise<{ triggered: number; started: number }>;
  };
  handlers: { register(type: string, handler: ServiceHandler): void };
  migrate(
    principal: Principal,
    instanceId: string,
    input: MigrationInput,
  ): Promise<MigrationResult<InstanceView>>;
}

/** The process service: what people use, and what the engine's other services build on. */
export interface ProcessService extends Processes {
  tasks: Tasks & { access: TaskAccess };
  incidents: Incidents;
  jobs: Omit<Jobs, 'onDue'>;
  /** Starts an instance inside the caller's transaction (a record starting with its process). */
  startIn(
    trx: Knex.Transaction,
    definitionId: string,
    principal: Principal,
    input: { variables: Record<string, unknown>; businessKey: string | null },
  ): Promise<InstanceView>;
  /** Deploys a template version's process, inside the lifecycle that approved it. */
  deployTemplate(
    principal: Principal,
    xml: string,
    options?: { db?: Knex; formVersions?: ReadonlyMap<string, number> },
  ): Promise<{ definitions: DeployedDefinition[] }>;
}

/**
 * The process service: deployment, instances, tasks, incidents, messages and signals, and jobs,
 * each made over one shared context.
 */
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
  /** Re-authenticates whoever signs a migration. */
  identity: Pick<IdentityService, 'reauthenticate'>;
  hooks?: ProcessHooks;
  /** Processes may be deployed and started outside the template lifecycle (never in production). */
  development?: boolean;
}): ProcessService {
  const ctx: ProcessContext = {
    knex,
    clock,
    forms,
    hooks,
    development,
    graphs: new Map(),
    // Concurrent starts and moves share statements and commits; each instance stays version-guarded.
    starts: new WriteBatcher<{ instance: InstanceRow; writes: Writes }, void>(
      async (items) => {
        await processRepository.start(knex, items);
        return items.map(() => undefined);
      },
      (item) => item.instance.id,
    ),
    moves: new WriteBatcher<InstanceWrite, boolean>(
      async (items) => {
        const written = await processRepository.move(knex, items);
        return items.map((item) => written.has(item.instance.id));
      },
      (item) => item.instance.id,
    ),
  };
  const deployment = createDeployment(ctx);
  const instances = createInstances(ctx);
  const correlation = createCorrelation(ctx, instances);
  const jobs = createJobs(ctx, instances, correlation);

  return {
    startIn: instances.startIn,
    deploy: deployment.deploy,
    deployTemplate: (principal, xml, options = {}) => deployment.deployDefinitions(principal, xml, options),
    listDefinitions: deployment.listDefinitions,
    start: instances.start,
    get: instances.get,
    history: instances.history,
    messages: { correlate: correlation.correlateMessage },
    signals: { broadcast: correlation.broadcastSignal },
    handlers: { register: jobs.register },
    tasks: createTasks(ctx, instances),
    incidents: createIncidents(ctx, instances),
    jobs: { runDue: jobs.runDue, failed: jobs.failed },
    migrate: createMigration({ knex, clock, view: instances.view, identity, hooks, development }).migrate,
  };
}
