import type { Knex } from 'knex';
import type { Clock } from '../../kernel/clock.ts';
import type { FormService } from '../../forms/formService.ts';
import type { InstanceStatus, Wait } from '../execution/types.ts';
import type { ProcessGraph } from '../model/graph.ts';
import type { MigrationRecords } from './migration.ts';
import type {
  DefinitionRow,
  InstanceRow,
  InstanceWrite,
  TaskOrigin,
  TaskStatus,
  Writes,
} from './processRepository.ts';
import type { WriteBatcher } from './writeBatcher.ts';

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
  status: TaskStatus;
  /** flow: the model's token made it; repeat or added: a run-time change did (D7). */
  origin: TaskOrigin;
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

export type Db = Knex | Knex.Transaction;

/** How an instance comes to be: its definition, who or what started it, and from where. */
export interface StartOptions {
  variables: Record<string, unknown>;
  businessKey: string | null;
  /** A start event with a trigger (message, signal, timer); the none start when absent. */
  startNode?: string;
  parent?: { instanceId: string; tokenId: string; elementId: string };
  /** Recorded with the start: the message or signal that started it, the timer that fired. */
  cause?: Record<string, unknown>;
}

/**
 * What the records of templates add to execution, given to the process service when it is made:
 * which definition a call activity starts and the record that goes with it, and which processes
 * start only as records.
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

/**
 * What the parts of the process service share, passed to each explicitly: the database, the
 * services execution needs, the hooks of the records of templates, the compiled graphs and the
 * write batchers.
 */
export interface ProcessContext {
  knex: Knex;
  clock: Clock;
  forms: FormService;
  hooks: ProcessHooks;
  /** Processes may be deployed and started outside the template lifecycle (never in production). */
  development: boolean;
  /** The compiled graph of each definition read so far, by id: definitions never change. */
  graphs: Map<string, { graph: ProcessGraph; version: number }>;
  /** Concurrent starts share statements and commits. */
  starts: WriteBatcher<{ instance: InstanceRow; writes: Writes }, void>;
  /** Concurrent moves share statements and commits; each instance stays version-guarded. */
  moves: WriteBatcher<InstanceWrite, boolean>;
}
