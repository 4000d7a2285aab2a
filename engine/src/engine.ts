import { createAuditService } from './audit/auditService.ts';
import { createRunTimeChanges } from './changes/runTimeChanges.ts';
import { createPluginRegistry } from './plugins/pluginRegistry.ts';
import { createDeviceRegistry } from './devices/deviceRegistry.ts';
import { createEquipmentService } from './equipment/equipmentService.ts';
import { createMaterialService } from './materials/materialService.ts';
import { createExceptionService } from './exceptions/exceptionService.ts';
import { createCheckpointService, type CheckpointOptions } from './audit/checkpoints.ts';
import { createProcessService } from './bpmn/service/processService.ts';
import { JOBS_CHANNEL } from './bpmn/service/jobs.ts';
import { openDatabase, type Database, type DatabaseOptions } from './db/database.ts';
import type { Engine, EngineTasks } from './engineApi.ts';
import { createFormService } from './forms/formService.ts';
import { createIdentityService } from './identity/identityService.ts';
import { systemClock, type Clock } from './kernel/clock.ts';
import { createDossiers, createReviewQueue } from './records/dossier.ts';
import { createRecordService } from './records/recordService.ts';
import { createRecordReopening } from './records/reopenRecord.ts';
import { createReviewLeadTimes } from './records/reviewLeadTimes.ts';
import { createSignedSubjects } from './records/signedSubjects.ts';
import { createStepReviews } from './records/stepReview.ts';
import { createTemplateRecordHooks } from './records/templateRecordHooks.ts';
import { createTemplateRecords } from './records/templateRecords.ts';
import { resolveSettings, type DeepPartial, type Settings } from './kernel/settings.ts';
import { createSignatureService } from './signatures/signatureService.ts';
import { createStepService } from './steps/stepService.ts';
import type { StepGates } from './steps/gates.ts';
import { designerChecks } from './templates/designerChecks.ts';
import { createTemplateService } from './templates/templateService.ts';
import { verifyDatabase } from './verify/verifyDatabase.ts';

export interface EngineOptions {
  database: Database;
  settings?: DeepPartial<Settings>;
  clock?: Clock;
  /** The signing key and the sink of the audit trail's checkpoints; without them none are taken. */
  checkpoints?: CheckpointOptions;
}

/**
 * Wires the engine's services around one database, each made once its collaborators are: the
 * hooks of template records before the process service that calls them, the steps over the tasks
 * the process service opens, the records over both. Everything the runtime calls goes through it.
 */
export function createEngine(options: EngineOptions): Engine {
  const { knex } = options.database;
  const clock = options.clock ?? systemClock;
  const settings = resolveSettings(options.settings);
  const identity = createIdentityService({ knex, clock, settings });
  const forms = createFormService({ knex, clock });
  const {
    tasks: { access, ...taskLists },
    incidents,
    jobs,
    startIn,
    deployTemplate,
    ...processes
  } = createProcessService({
    knex,
    clock,
    forms,
    identity,
    hooks: createTemplateRecordHooks({ knex, clock }),
    development: settings.development,
  });
  const templates = createTemplateService({
    knex,
    clock,
    identity,
    forms,
    processes: { deploy: deployTemplate },
  });
  const changes = createRunTimeChanges({
    knex,
    clock,
    reauthenticate: identity.reauthenticate,
    tasks: access,
  });
  const templateRecords = createTemplateRecords({
    knex,
    clock,
    processes: { startIn },
    stepsAhead: changes.stepsAhead,
  });
  const signatures = createSignatureService({
    knex,
    clock,
    reauthenticate: identity.reauthenticate,
    subjects: createSignedSubjects({ clock }),
  });
  const exceptions = createExceptionService({
    knex,
    clock,
    reauthenticate: identity.reauthenticate,
    startDeviation: templateRecords.startDeviation,
  });
  const audit = createAuditService({ knex, clock });
  const devices = createDeviceRegistry({
    knex,
    clock,
    timeZone: settings.plant.timeZone,
    reauthenticate: identity.reauthenticate,
  });
  const equipment = createEquipmentService({
    knex,
    clock,
    timeZone: settings.plant.timeZone,
    reauthenticate: identity.reauthenticate,
  });
  const checkpoints = options.checkpoints
    ? createCheckpointService({ knex, clock, ...options.checkpoints })
    : null;
  const { dossier } = createDossiers({
    knex,
    clock,
    forms,
    view: templateRecords.get,
    signatures: signatures.list,
    trail: audit.trail,
  });
  const materials = createMaterialService({
    knex,
    clock,
    timeZone: settings.plant.timeZone,
    reauthenticate: identity.reauthenticate,
  });
  // The material and equipment gates steps pass their codes through (F3, F2).
  const gates: StepGates = { materials, equipment };
  const tasks: EngineTasks = {
    ...taskLists,
    ...createStepService({ knex, clock, forms, identity, tasks: access, devices, gates }),
    review: createStepReviews({ tasks: access, dossier }),
  };
  return {
    database: options.database,
    settings,
    clock,
    identity,
    signatures,
    records: {
      ...createRecordService({ knex, clock }),
      start: templateRecords.start,
      list: templateRecords.list,
      view: templateRecords.get,
      batchDeviations: templateRecords.batchDeviations,
      dossier,
      reopen: createRecordReopening({
        knex,
        clock,
        reauthenticate: identity.reauthenticate,
        view: templateRecords.get,
      }),
      reviewQueue: createReviewQueue({ knex, view: templateRecords.get, tasks }),
      change: changes.apply,
      reviewLeadTimes: createReviewLeadTimes({ knex }),
    },
    templates,
    designer: designerChecks,
    audit,
    forms: { save: forms.save, list: forms.list, get: forms.get },
    processes,
    tasks,
    exceptions,
    incidents,
    jobs: { ...jobs, onDue: (listener) => options.database.listen(JOBS_CHANNEL, listener) },
    plugins: createPluginRegistry({ knex, clock, reauthenticate: identity.reauthenticate }),
    devices,
    equipment,
    materials,
    checkpoints,
    verify: (opts) => verifyDatabase(knex, { ...opts, checkpoints }),
    close: () => options.database.close(),
  };
}

export async function openEngine(
  db: DatabaseOptions,
  rest: Omit<EngineOptions, 'database'> = {},
): Promise<Engine> {
  return createEngine({ ...rest, database: await openDatabase(db) });
}
