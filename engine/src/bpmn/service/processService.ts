import type { Knex } from 'knex';
import type { Clock } from '../../kernel/clock.ts';
import type { FormService } from '../../forms/formService.ts';
import type { IdentityService } from '../../identity/identityService.ts';
import type { Principal } from '../../kernel/permissions.ts';
import { createMigration } from './migration.ts';
import { processRepository, type InstanceRow, type InstanceWrite, type Writes } from './processRepository.ts';
import { WriteBatcher } from './writeBatcher.ts';
import { createCorrelation } from './correlation.ts';
import { createDeployment } from './deployment.ts';
import { createIncidents } from './incidents.ts';
import { createInstances } from './instances.ts';
import { createJobs } from './jobs.ts';
import { createTasks } from './tasks.ts';
import type { ProcessHooks, ProcessContext } from './types.ts';

export type ProcessService = ReturnType<typeof createProcessService>;

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
  identity: IdentityService;
  hooks?: ProcessHooks;
  /** Processes may be deployed and started outside the template lifecycle (never in production). */
  development?: boolean;
}) {
  const ctx: ProcessContext = {
    knex,
    clock,
    forms,
    identity,
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
    /** Deploys a template version's process, inside the lifecycle that approved it. */
    deployTemplate: (
      principal: Principal,
      xml: string,
      options: { db?: Knex; formVersions?: ReadonlyMap<string, number> } = {},
    ) => deployment.deployDefinitions(principal, xml, options),
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
