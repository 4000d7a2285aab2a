import {
  RECORDED_MEANINGS,
  PERMISSIONS,
  type Engine,
  type InstanceView,
  type SubjectType,
  type TaskView,
  type Wait,
} from '@attest/engine';
import type { Schema } from '../schema.ts';

/**
 * What the API answers with. Closed like the request schemas, so the tests that check every
 * response against the document notice at once when the two drift apart.
 */
export const closed = <
  const P extends Record<string, Schema>,
  const O extends readonly (keyof P & string)[] = [],
>(
  properties: P,
  description: string,
  optional?: O,
) =>
  ({
    type: 'object',
    description,
    additionalProperties: false,
    required: Object.keys(properties).filter((key) => !optional?.includes(key)) as Exclude<
      keyof P & string,
      O[number]
    >[],
    properties,
  }) as const;

export const string = { type: 'string' } as const;
export const nullableString = { type: ['string', 'null'] } as const;
export const instant = { type: 'string', format: 'date-time' } as const;
export const id = { type: 'string', format: 'uuid' } as const;
export const integer = { type: 'integer' } as const;
export const boolean = { type: 'boolean' } as const;
export const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
export const permission = { type: 'string', enum: Object.keys(PERMISSIONS) } as const;
export const meaning = { type: 'string', enum: RECORDED_MEANINGS } as const;

/** Keyed by the engine's own types, so a new subject or status fails to compile until described here. */
export const SUBJECTS: Record<SubjectType, string> = {
  record: 'a GMP record',
  user: 'a user account',
  role: 'a role',
  security: 'the security log',
  ledger: 'the ledger of sealed heads',
  definition: 'a deployed process definition',
  instance: 'a process instance',
  form: 'a form version',
  template: 'a template version',
  exception: 'an exception on a record, with the decisions QA signed on it',
  plugin: 'a plugin: found, enabled or disabled by a signed act, refused, loaded',
  device: 'a device: registered and changed, with reasons',
  material: 'a material: its master data, specification and approved suppliers',
  lot: 'a material lot: received, its status, its containers and every quantity moved',
  room: 'a room: its class and status',
  equipment: 'a piece of equipment: its status and logbook (use, cleaning, maintenance, calibration)',
};
export const INSTANCE_STATUSES: Record<InstanceView['status'], string> = {
  active: 'waits for people or is moving',
  incident: 'stuck at an element until an incident is retried',
  completed: 'reached its end',
  terminated: 'ended by a terminate end event',
};
export const TASK_STATUSES: Record<TaskView['status'], string> = {
  open: 'waits for a person',
  completed: 'done',
  cancelled: 'withdrawn by the process, e.g. when it was terminated',
  skipped: 'withdrawn by a signed run-time change; the flow went on without its values (D7)',
};
export const TASK_ORIGINS: Record<TaskView['origin'], string> = {
  flow: 'created when the model’s flow reached it',
  repeat: 'a completed step done again by a signed run-time change; the flow is unchanged (D7)',
  added: 'a step added by a signed run-time change with one of the template’s forms (D7)',
  early:
    'a later step done ahead of the flow by a signed override the template allows (F1); when the flow reaches it, its values complete the step there',
};
export const WAITS: Record<Wait, string> = {
  task: 'a user task',
  join: 'the other branches of a joining gateway',
  incident: 'an incident to be retried',
  timer: 'a timer',
  message: 'a message',
  signal: 'a signal',
  job: 'a service handler',
  call: 'the instance a call activity started',
  scope: 'what runs inside a sub-process or multi-instance activity',
};
type JobKind = Awaited<ReturnType<Engine['jobs']['failed']>>[number]['kind'];
export const JOB_KINDS: Record<JobKind, string> = {
  timer: 'a timer',
  service: 'a service handler',
  call: 'starting a called process',
  throw: 'delivering a thrown message or signal',
  cancel: 'cancelling a called instance',
  resume: 'handing a called instance’s result back',
  escalate: 'handing a called instance’s escalation to its call activity',
  start: 'a timer start event',
};
export const enumOf = <K extends string>(descriptions: Record<K, string>, what: string) =>
  ({
    type: 'string',
    enum: Object.keys(descriptions) as K[],
    description: `${what}: ${Object.entries(descriptions)
      .map(([value, says]) => `${value} (${says})`)
      .join(', ')}`,
  }) as const;
export const nullableInstant = { type: ['string', 'null'], format: 'date-time' } as const;

type TemplateVersionView = Awaited<ReturnType<Engine['templates']['get']>>;
/** Where a template version is in its lifecycle (D1); keyed by the engine's type, so none is missed. */
export const TEMPLATE_STATUSES: Record<TemplateVersionView['status'], string> = {
  draft: 'imported or saved, may still be revised by importing or saving it again',
  in_review: 'submitted, waits for approval or rejection',
  approved: 'approved with an electronic signature, not yet effective',
  effective: 'the version new records start from',
  superseded: 'a later version became effective; its records finish on it',
  retired: 'no new record starts from it',
};
export const version = {
  type: 'string',
  pattern: '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)$',
  description: 'Semantic version major.minor.patch',
} as const;
export const nullableId = { oneOf: [{ type: 'null' }, id] } as const;
export const TEMPLATE_VERSION = {
  id,
  templateId: { type: 'string', description: 'The template’s id, the same in every version' },
  version,
  kind: { type: 'string', description: 'The kind of record it creates, e.g. deviation' },
  title: string,
  description: string,
  status: enumOf(TEMPLATE_STATUSES, 'Where the version is in its lifecycle'),
  contentHash: { ...sha256, description: 'SHA-256 over the package’s files, as imported' },
  compiles: {
    type: 'boolean',
    description:
      'The package passed every check of an import when it was last saved; only then may it be submitted',
  },
  numbering: { type: 'string', description: 'How records are numbered, e.g. DEV-{YYYY}-{seq:4}' },
  roles: { type: 'array', items: string },
  retention: { type: 'string', description: 'ISO 8601 duration records are kept' },
  recordDue: { ...nullableString, description: 'ISO 8601 duration from a record’s start to when it is due' },
  parameters: {
    type: 'object',
    additionalProperties: { type: ['string', 'number', 'boolean'] },
    description: 'Default process variables of its records',
  },
  parameterSets: {
    type: 'array',
    items: string,
    description:
      'The names of its parameter sets (e.g. product recipes); a record starts from one when there are any',
  },
  changeReason: { type: 'string', description: 'Why this version exists' },
  forms: { type: 'array', items: string, description: 'The keys of its forms' },
  createdAt: instant,
  createdBy: id,
  approvedAt: nullableInstant,
  approvedBy: nullableId,
  effectiveAt: nullableInstant,
  definitionId: {
    ...nullableId,
    description: 'The process definition deployed when it became effective',
  },
} as const;
export const valueChange = closed(
  { path: string, old: {}, new: {} },
  'A changed value: a JSON pointer and its old and new value (null: absent)',
);
export const elementSummary = closed(
  { id: string, kind: string, name: nullableString, process: string },
  'A process, flow node or sequence flow',
);
export const fieldSummary = closed(
  { key: string, pointer: string, label: string, type: string },
  'An input field of a form',
);
export const fieldError = closed(
  {
    pointer: { type: 'string', description: 'JSON pointer to the place' },
    keyword: string,
    message: string,
  },
  'What is wrong at one place',
);
export const limitValue = {
  type: ['number', 'string', 'null'],
  description: 'A number, FEEL, or null: open',
} as const;
export const limitBand = {
  oneOf: [{ type: 'null' }, closed({ min: limitValue, max: limitValue }, 'A band of limits')],
} as const satisfies Schema;
export const recordLink = closed({ id, number: string }, 'Another record, by id and number');
export const RECORD_VIEW = {
  id,
  number: string,
  kind: string,
  title: string,
  status: {
    type: 'string',
    description:
      'open, closed, held (its process ended, a blocking exception waits for QA’s decision: it closes when the last is decided, F4), reopened (closed, then reopened: a new Approved signature closes it again, D4), cancelled, voided, or the stage its process names; records without a process keep their own',
  },
  template: {
    oneOf: [
      { type: 'null' },
      closed(
        { id: string, version, versionId: id, title: string },
        'The template version the record started from, for life (D2)',
      ),
    ],
  },
  instanceId: { ...nullableId, description: 'The process instance that runs the record' },
  owner: {
    oneOf: [{ type: 'null' }, closed({ id, username: string, printedName: string }, 'Who owns the record')],
  },
  createdAt: instant,
  createdBy: id,
  dueAt: nullableInstant,
  overdue: { type: 'boolean', description: 'Due and not finished' },
  parent: { oneOf: [{ type: 'null' }, recordLink], description: 'The record whose process started this one' },
  raisedFrom: { oneOf: [{ type: 'null' }, recordLink], description: 'The record this one was raised from' },
} as const;

export const person = closed(
  { id, username: string, printedName: string },
  'A person: user name and printed name',
);
export const nullablePerson = { oneOf: [{ type: 'null' }, person] } as const;

/** Where a value came from (E1–E3). */
export const valueSource = { type: 'string', enum: ['manual', 'device', 'calculated'] } as const;
export const deviceReading = {
  oneOf: [
    { type: 'null' },
    closed(
      { deviceId: string, channel: nullableString, raw: string, readingId: id },
      'Device, channel and raw reading (E3), and the reading the server took',
      ['readingId'],
    ),
  ],
} as const satisfies Schema;

/** A record view with its links, open tasks and process variables. */
export const RECORD_DETAIL = {
  children: {
    type: 'array',
    items: closed(
      { id, number: string, kind: string, status: string },
      'A record its process started, e.g. a CAPA from a deviation',
    ),
  },
  openTasks: {
    type: 'array',
    description: 'Open user tasks of its process and of sub-processes that are not records of their own',
    items: closed(
      {
        id,
        elementId: string,
        name: nullableString,
        candidateRoles: { type: 'array', items: string },
        candidateUser: nullableString,
        assignee: nullableId,
        dueAt: nullableInstant,
      },
      'A user task the record waits on',
    ),
  },
  variables: { type: 'object', description: 'Its process variables; empty without a process' },
  stepsAhead: {
    type: 'array',
    description:
      'Steps its template allows to be done ahead of the flow (attest:outOfOrder) that may be done ahead now (F1)',
    items: closed(
      { elementId: string, name: string, candidateRoles: { type: 'array', items: string } },
      'A later step of the process that a person of one of its roles may do ahead, as a signed override',
    ),
  },
} as const;

export const TASK_VIEW = {
  id,
  instanceId: id,
  elementId: {
    type: 'string',
    description: 'The user task’s id in the model; `added:<form key>` for an added step',
  },
  name: nullableString,
  status: enumOf(TASK_STATUSES, 'Where the task is'),
  origin: enumOf(TASK_ORIGINS, 'What made the task'),
  candidateRoles: {
    type: 'array',
    items: string,
    description: 'Roles that may claim and complete it; empty: anyone who performs',
  },
  candidateUser: {
    ...nullableString,
    description: 'The one person who may work on it, by user name; null: anyone in the roles',
  },
  formKey: { ...nullableString, description: 'The form of the step (attest:formKey); null: it has none' },
  assignee: { oneOf: [{ type: 'null' }, id], description: 'Who claimed it' },
  createdAt: instant,
  dueAt: nullableInstant,
  record: {
    oneOf: [{ type: 'null' }, closed({ id, number: string, title: string }, 'The record', [])],
    description: 'The record the task is a step of (in lists and the step view); null otherwise',
  },
} as const;

/** How completing a step is signed (attest:signatureMeaning, attest:rejectWhen); null: it is not. */
export const stepSignature = {
  oneOf: [
    { type: 'null' },
    closed(
      {
        meaning,
        rejectable: {
          type: 'boolean',
          description: 'The completion may be a rejection instead (meaning Rejected, a reason required)',
        },
      },
      'The signature completing the step: its meaning, and whether it may be a rejection',
    ),
  ],
} as const satisfies Schema;

export const FORM_VERSION = {
  id,
  key: string,
  version: integer,
  title: nullableString,
  contentHash: sha256,
  createdAt: instant,
  updatedAt: instant,
  lockedAt: {
    ...nullableInstant,
    description: 'When a deployed process first used it; from then on it never changes (D3)',
  },
} as const;
