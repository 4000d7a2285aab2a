export * from './kernel/errors.ts';
export * from './kernel/canonicalJson.ts';
export * from './kernel/clock.ts';
export { FORBIDDEN_KEYS, findForbiddenKey, refuseForbiddenKeys } from './kernel/forbiddenKeys.ts';
export * from './kernel/settings.ts';
export {
  openDatabase,
  migrateOwner,
  schemaStatus,
  RUNTIME_ROLE,
  type Database,
  type DatabaseOptions,
} from './db/database.ts';
export * from './audit/types.ts';
export { eventHash, GENESIS_HASH } from './audit/eventHash.ts';
export type { EventFilter } from './audit/eventRepository.ts';
export type { ChainBreak } from './audit/verify.ts';
export {
  checkpointKey,
  generateCheckpointKeyPem,
  merkleRoot,
  CheckpointRefusedError,
  type Checkpoint,
  type CheckpointKey,
  type CheckpointOptions,
  type CheckpointProblem,
  type CheckpointReport,
  type CheckpointService,
} from './audit/checkpoints.ts';
export {
  directorySink,
  CHECKPOINT_NAME,
  checkpointName,
  CheckpointExistsError,
  type CheckpointSink,
} from './audit/checkpointSink.ts';
export { s3Sink, S3Error, type ObjectLockMode, type S3Sink, type S3SinkOptions } from './audit/s3Sink.ts';
export type { AwsCredentials } from './audit/sigV4.ts';
export * from './identity/permissions.ts';
export { GMP_APPROVAL } from './kernel/permissionConflicts.ts';
export { checkPassword } from './identity/passwordPolicy.ts';
export { generateOneTimePassword, hashPassword, verifyPassword } from './identity/passwords.ts';
export { segregation } from './signatures/segregation.ts';
export type { User } from './identity/userRepository.ts';
export type { SecurityChange } from './identity/securityChangeRepository.ts';
export type { LoginResult, NewUser, SignatureInput, IdentityService } from './identity/identityService.ts';
export { LANGUAGES } from './identity/identityService.ts';
export * from './signatures/types.ts';
export type { SignInput, SignatureService } from './signatures/signatureService.ts';
export type { GmpRecord } from './records/recordRepository.ts';
export type { ValueChange, RecordService } from './records/recordService.ts';
export type {
  Dossier,
  DossierStep,
  DossierValue,
  DossierException,
  DossierPerson,
} from './records/dossier.ts';
export type { RecordView, RecordDetail } from './records/templateRecords.ts';
export type { ChangeKind, RunTimeChange, RunTimeChangeInput } from './changes/runTimeChanges.ts';
export type { Reopening } from './records/recordReopenings.ts';
export type { ReopenInput, ReopenRecord } from './records/reopenRecord.ts';
export type {
  ReviewLeadTime,
  ReviewLeadTimeFilter,
  ReviewLeadTimes,
  ReviewLeadTimeQuery,
} from './records/reviewLeadTimes.ts';
export type { VerifyReport } from './verify/verifyDatabase.ts';
export type {
  ProcessGraph,
  FlowNode,
  SequenceFlow,
  ModelProblem,
  UserTaskSpec,
  EventTrigger,
  MultiInstanceSpec,
  Mapping,
  TimerSpec,
  ReviewOf,
} from './bpmn/model/graph.ts';
export { REVIEW_OF } from './bpmn/model/graph.ts';
export type { StepReview } from './records/stepReview.ts';
export { compileBpmn, parseBpmn, attestModdleDescriptor } from './bpmn/model/compile.ts';
export { ModelError } from './bpmn/model/modelError.ts';
export type { DeployedDefinition, InstanceView, TaskView, IncidentView } from './bpmn/service/types.ts';
export type { ProcessService, Processes } from './bpmn/service/processService.ts';
export { BpmnError, type ServiceContext, type ServiceHandler, type ServiceResult } from '@attest/plugin-api';
export type { Wait, JobKind } from './bpmn/execution/types.ts';
export { createEngine, openEngine, type EngineOptions } from './engine.ts';
export type { Engine, EngineTasks, Records } from './engineApi.ts';
export type { AuditService } from './audit/auditService.ts';
export type { FormService } from './forms/formService.ts';
export type { TemplateService } from './templates/templateService.ts';
export type { TemplateRecords, BatchDeviations } from './records/templateRecords.ts';
export type { ReviewQueue, ReviewItem } from './records/dossier.ts';
export type { Tasks } from './bpmn/service/tasks.ts';
export type { Incidents } from './bpmn/service/incidents.ts';
export { JOB_LEASE_MS, type Jobs, type FailedJob } from './bpmn/service/jobs.ts';
export { startJobWorker, type JobWorker, type JobWorkerOptions } from './bpmn/service/jobWorker.ts';
export { DEMO_USERS, seedDemoUsers } from './demo.ts';
export { appendEvents } from './audit/auditTrail.ts';
export { compileForm, FormError } from './forms/compiler.ts';
export { FormRuntime, type SubmissionInput, type Processed } from './forms/pipeline.ts';
export type * from './forms/types.ts';
export type { FormVersion, FormDetail } from './forms/formService.ts';
export type { TaskForm, StepSignature } from './steps/taskForms.ts';
export type { TaskDetail, StepService } from './steps/stepService.ts';
export type {
  ExceptionService,
  ExceptionView,
  ExceptionDisposition,
  DispositionInput,
  DispositionAction,
} from './exceptions/exceptionService.ts';
export { blockingExceptions } from './exceptions/gate.ts';
export type { LoadablePlugin, PluginRegistry, PluginState, PluginView } from './plugins/pluginRegistry.ts';
export { packageHash, type PluginRoot } from './plugins/discovery.ts';
export {
  DEVICE_KINDS,
  type DeviceInput,
  type DeviceKind,
  type DeviceRegistry,
  type DeviceStatus,
  type DeviceView,
  type DeviceReader,
  type DeviceEventType,
  type UsableDevice,
} from './devices/deviceRegistry.ts';
export type { ReadingView } from './devices/deviceReadings.ts';
export type { DeviceBinding } from './forms/types.ts';
export type { CaptureInput, DeviceChoice, TakenReading } from './steps/deviceCapture.ts';
export {
  EQUIPMENT_ACTS,
  IMPORT_COLUMNS,
  type EquipmentAct,
  type EquipmentActType,
  type EquipmentChange,
  type EquipmentInput,
  type EquipmentService,
  type EquipmentView,
} from './equipment/equipmentService.ts';
export { EQUIPMENT_STATUSES, type EquipmentStatus } from './equipment/equipmentFacts.ts';
export type { LogbookEntry, LogbookPrintout, LogbookPrintoutRow } from './equipment/logbook.ts';
export {
  ROOM_CLASSES,
  type RoomAction,
  type RoomChange,
  type RoomClass,
  type RoomInput,
  type RoomQuestion,
  type RoomStatus,
  type RoomView,
} from './equipment/rooms.ts';
export type { MaterialService } from './materials/materialService.ts';
export type {
  MaterialInput,
  MaterialView,
  SpecificationTest,
  SupplierView,
} from './materials/materialCatalogue.ts';
export type {
  ContainerView,
  LotDetail,
  LotView,
  MoveInput,
  ReceiptInput,
  StatusInput,
  TransactionView,
} from './materials/lotService.ts';
export {
  BASE_UNITS,
  LOT_STATUSES,
  MATERIAL_TYPES,
  SAMPLING_PLANS,
  SUPPLIER_STATUSES,
} from './materials/materialFacts.ts';
