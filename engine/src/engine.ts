import { createAuditService } from './audit/auditService.ts';
import { createProcessService } from './bpmn/service/processService.ts';
import { createDossiers, createReviewQueue } from './records/dossier.ts';
import { createTemplateRecords } from './records/templateRecords.ts';
import { createTemplateRecordHooks } from './records/templateRecordHooks.ts';
import { createTemplateService } from './templates/templateService.ts';
import { designerChecks } from './templates/designerChecks.ts';
import { createFormService } from './forms/formService.ts';
import { createStepService } from './steps/stepService.ts';
import { systemClock, type Clock } from './kernel/clock.ts';
import { openDatabase, type Database, type DatabaseOptions } from './db/database.ts';
import { createIdentityService } from './identity/identityService.ts';
import { createRecordService } from './records/recordService.ts';
import { resolveSettings, type DeepPartial, type Settings } from './settings.ts';
import { createSignatureService } from './signatures/signatureService.ts';
import { createSignedSubjects } from './records/signedSubjects.ts';
import { verifyDatabase } from './verify/verifyDatabase.ts';
import { createCheckpointService, type CheckpointOptions } from './audit/checkpoints.ts';

export interface EngineOptions {
  database: Database;
  settings?: DeepPartial<Settings>;
  clock?: Clock;
  /** The signing key and the sink of the audit trail's checkpoints; without them none are taken. */
  checkpoints?: CheckpointOptions;
}

/** Wires the engine's services around one database; everything the runtime calls goes through it. */
export function createEngine(options: EngineOptions) {
  const { knex } = options.database;
  const clock = options.clock ?? systemClock;
  const settings = resolveSettings(options.settings);
  const identity = createIdentityService({ knex, clock, settings });
  const forms = createFormService({ knex, clock });
  const hooks = createTemplateRecordHooks({ knex, clock });
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
    hooks,
    development: settings.development,
  });
  const tasks = { ...taskLists, ...createStepService({ knex, clock, forms, identity, tasks: access }) };
  const templates = createTemplateService({
    knex,
    clock,
    identity,
    forms,
    processes: { deploy: deployTemplate },
  });
  const templateRecords = createTemplateRecords({ knex, clock, processes: { startIn } });
  const signatures = createSignatureService({
    knex,
    clock,
    reauthenticate: identity.reauthenticate,
    subjects: createSignedSubjects({ clock }),
  });
  const audit = createAuditService({ knex, clock });
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
      reviewQueue: createReviewQueue({ knex, view: templateRecords.get, tasks }),
    },
    templates,
    designer: designerChecks,
    audit,
    forms: { save: forms.save, list: forms.list, get: forms.get },
    processes,
    tasks,
    incidents,
    jobs,
    checkpoints,
    verify: (opts?: { pageSize?: number }) => verifyDatabase(knex, { ...opts, checkpoints }),
    close: () => options.database.close(),
  };
}

export type Engine = ReturnType<typeof createEngine>;

export async function openEngine(
  db: DatabaseOptions,
  rest: Omit<EngineOptions, 'database'> = {},
): Promise<Engine> {
  return createEngine({ ...rest, database: await openDatabase(db) });
}
