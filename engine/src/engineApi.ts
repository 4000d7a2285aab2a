import type { AuditService } from './audit/auditService.ts';
import type { PluginRegistry } from './plugins/pluginRegistry.ts';
import type { DeviceRegistry } from './devices/deviceRegistry.ts';
import type { EquipmentService } from './equipment/equipmentService.ts';
import type { MaterialService } from './materials/materialService.ts';
import type { CheckpointService } from './audit/checkpoints.ts';
import type { Processes } from './bpmn/service/processService.ts';
import type { Incidents } from './bpmn/service/incidents.ts';
import type { Jobs } from './bpmn/service/jobs.ts';
import type { Tasks } from './bpmn/service/tasks.ts';
import type { RunTimeChanges } from './changes/runTimeChanges.ts';
import type { Database } from './db/database.ts';
import type { ExceptionService } from './exceptions/exceptionService.ts';
import type { FormService } from './forms/formService.ts';
import type { IdentityService } from './identity/identityService.ts';
import type { Clock } from './kernel/clock.ts';
import type { Principal } from './kernel/permissions.ts';
import type { Dossier, ReviewQueue } from './records/dossier.ts';
import type { RecordService } from './records/recordService.ts';
import type { ReopenRecord } from './records/reopenRecord.ts';
import type { ReviewLeadTimeQuery } from './records/reviewLeadTimes.ts';
import type { StepReview } from './records/stepReview.ts';
import type { TemplateRecords } from './records/templateRecords.ts';
import type { Settings } from './kernel/settings.ts';
import type { SignatureService } from './signatures/signatureService.ts';
import type { StepService } from './steps/stepService.ts';
import type { DesignerChecks } from './templates/designerChecks.ts';
import type { TemplateService } from './templates/templateService.ts';
import type { VerifyReport } from './verify/verifyDatabase.ts';

/**
 * Records as people work with them: plain GMP records, records started from templates, a record's
 * dossier and the queue of records waiting for review.
 */
export interface Records extends RecordService {
  start: TemplateRecords['start'];
  list: TemplateRecords['list'];
  /** A record of a template, with its process and links. */
  view: TemplateRecords['get'];
  batchDeviations: TemplateRecords['batchDeviations'];
  dossier(principal: Principal, idOrNumber: string): Promise<Dossier>;
  /** Reopens a closed record: privileged, reasoned and e-signed (D4). */
  reopen: ReopenRecord;
  reviewQueue: ReviewQueue;
  /** Skipping, repeating or adding a step in a running record: an e-signed, reasoned exception (D7). */
  change: RunTimeChanges['apply'];
  /** How long review steps waited for their signature, for the dashboards of review by exception. */
  reviewLeadTimes: ReviewLeadTimeQuery;
}

/** User tasks: the lists and claiming, and the steps they are (form, values, signature). */
export type EngineTasks = Tasks &
  StepService & {
    /** What a review step (`attest:reviewOf`) shows of its record, for whoever may work it. */
    review(principal: Principal, taskId: string): Promise<StepReview>;
  };

/** The engine as the runtime, the CLI and the benchmarks use it: one service per concept. */
export interface Engine {
  database: Database;
  settings: Settings;
  clock: Clock;
  identity: IdentityService;
  signatures: SignatureService;
  records: Records;
  templates: TemplateService;
  /** The checks the designer runs while a model or a form is edited, before it is a template. */
  designer: DesignerChecks;
  audit: AuditService;
  /** Form versions; a form is pinned and run only through the processes and steps that use it. */
  forms: Pick<FormService, 'save' | 'list' | 'get'>;
  processes: Processes;
  tasks: EngineTasks;
  /** The exceptions of records and QA's signed decisions on them (F4, F5). */
  exceptions: ExceptionService;
  incidents: Incidents;
  jobs: Jobs;
  /** Plugins found in the workspace and the plant's folder, enabled by a signed act (G2, C4). */
  plugins: PluginRegistry;
  /** Devices (scales, PLCs): their plugin and settings, room, calibration and status (E6). */
  devices: DeviceRegistry;
  /** Rooms and equipment: status, logbook (21 CFR 211.182) and the gates a step asks (F2). */
  equipment: EquipmentService;
  /** Materials, suppliers, lots, containers and stock; the material gate of steps (F3). */
  materials: MaterialService;
  /** Signed checkpoints of the chain heads outside the database; null without a key and a sink. */
  checkpoints: CheckpointService | null;
  /** `attest verify`: the hash chains, the state that follows from them, and the checkpoints. */
  verify(options?: { pageSize?: number }): Promise<VerifyReport>;
  close(): Promise<void>;
}
