import {
  MEANINGS,
  PERMISSIONS,
  type Engine,
  type InstanceView,
  type SubjectType,
  type TaskView,
  type Wait,
} from '@attest/engine';
import type { Schema } from './schema.ts';

/**
 * What the API answers with. Closed like the request schemas, so the tests that check every
 * response against the document notice at once when the two drift apart.
 */
const closed = (
  properties: Record<string, Schema>,
  description: string,
  optional: string[] = [],
): Schema => ({
  type: 'object',
  description,
  additionalProperties: false,
  required: Object.keys(properties).filter((key) => !optional.includes(key)),
  properties,
});

const string = { type: 'string' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const instant = { type: 'string', format: 'date-time' } as const;
const id = { type: 'string', format: 'uuid' } as const;
const integer = { type: 'integer' } as const;
const boolean = { type: 'boolean' } as const;
const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const permission = { type: 'string', enum: Object.keys(PERMISSIONS) } as const;
const meaning = { type: 'string', enum: MEANINGS } as const;

/** Keyed by the engine's own types, so a new subject or status fails to compile until described here. */
const SUBJECTS: Record<SubjectType, string> = {
  record: 'a GMP record',
  user: 'a user account',
  role: 'a role',
  security: 'the security log',
  ledger: 'the ledger of sealed heads',
  definition: 'a deployed process definition',
  instance: 'a process instance',
  form: 'a form version',
  template: 'a template version',
};
const INSTANCE_STATUSES: Record<InstanceView['status'], string> = {
  active: 'waits for people or is moving',
  incident: 'stuck at an element until an incident is retried',
  completed: 'reached its end',
  terminated: 'ended by a terminate end event',
};
const TASK_STATUSES: Record<TaskView['status'], string> = {
  open: 'waits for a person',
  completed: 'done',
  cancelled: 'withdrawn by the process, e.g. when it was terminated',
};
const WAITS: Record<Wait, string> = {
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
const JOB_KINDS: Record<JobKind, string> = {
  timer: 'a timer',
  service: 'a service handler',
  call: 'starting a called process',
  throw: 'delivering a thrown message or signal',
  cancel: 'cancelling a called instance',
  resume: 'handing a called instance’s result back',
  escalate: 'handing a called instance’s escalation to its call activity',
  start: 'a timer start event',
};
const enumOf = (descriptions: Record<string, string>, what: string): Schema => ({
  type: 'string',
  enum: Object.keys(descriptions),
  description: `${what}: ${Object.entries(descriptions)
    .map(([value, says]) => `${value} (${says})`)
    .join(', ')}`,
});
const nullableInstant = { type: ['string', 'null'], format: 'date-time' } as const;

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
const version = {
  type: 'string',
  pattern: '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)$',
  description: 'Semantic version major.minor.patch',
} as const;
const nullableId = { oneOf: [{ type: 'null' }, id] } as const;
const TEMPLATE_VERSION = {
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
};
const valueChange = closed(
  { path: string, old: {}, new: {} },
  'A changed value: a JSON pointer and its old and new value (null: absent)',
);
const elementSummary = closed(
  { id: string, kind: string, name: nullableString, process: string },
  'A process, flow node or sequence flow',
);
const fieldSummary = closed(
  { key: string, pointer: string, label: string, type: string },
  'An input field of a form',
);
const fieldError = closed(
  {
    pointer: { type: 'string', description: 'JSON pointer to the place' },
    keyword: string,
    message: string,
  },
  'What is wrong at one place',
);
const limitValue = {
  type: ['number', 'string', 'null'],
  description: 'A number, FEEL, or null: open',
} as const;
const limitBand = {
  oneOf: [{ type: 'null' }, closed({ min: limitValue, max: limitValue }, 'A band of limits')],
} as const satisfies Schema;
const recordLink = closed({ id, number: string }, 'Another record, by id and number');
const RECORD_VIEW = {
  id,
  number: string,
  kind: string,
  title: string,
  status: {
    type: 'string',
    description:
      'open, closed, cancelled, voided, or the stage its process names; records without a process keep their own',
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
};

const person = closed({ id, username: string, printedName: string }, 'A person: user name and printed name');
const nullablePerson = { oneOf: [{ type: 'null' }, person] } as const;

/** Where a value came from (E1–E3). */
const valueSource = { type: 'string', enum: ['manual', 'device', 'calculated'] } as const;
const deviceReading = {
  oneOf: [
    { type: 'null' },
    closed(
      { deviceId: string, channel: nullableString, raw: string },
      'Device, channel and raw reading (E3)',
    ),
  ],
} as const satisfies Schema;

/** A record view with its links, open tasks and process variables. */
const RECORD_DETAIL = {
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
};

const TASK_VIEW = {
  id,
  instanceId: id,
  elementId: { type: 'string', description: 'The user task’s id in the model' },
  name: nullableString,
  status: enumOf(TASK_STATUSES, 'Where the task is'),
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
};

/** How completing a step is signed (attest:signatureMeaning, attest:rejectWhen); null: it is not. */
const stepSignature = {
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

const FORM_VERSION = {
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
};

export const COMPONENTS = {
  Problem: closed(
    {
      type: { type: 'string', pattern: '^urn:attest:problem:[a-z-]+$' },
      title: string,
      status: { type: 'integer', minimum: 400, maximum: 599 },
      detail: string,
      instance: string,
      requestId: string,
      errors: {
        type: 'array',
        items: closed(
          {
            pointer: { type: 'string', description: 'JSON pointer into the body, query or path' },
            keyword: string,
            message: string,
          },
          'What is wrong at one place of the input',
        ),
      },
    },
    'An RFC 9457 problem document',
    ['errors'],
  ),
  User: closed(
    {
      id,
      username: string,
      printedName: string,
      email: nullableString,
      active: boolean,
      locked: boolean,
      mustChangePassword: boolean,
      passwordChangedAt: instant,
      language: string,
      createdAt: instant,
      roles: { type: 'array', items: string },
      version: integer,
    },
    'A user; users are deactivated, never deleted (A1)',
  ),
  UserWithOneTimePassword: closed(
    {
      user: { $ref: '#/components/schemas/User' },
      oneTimePassword: {
        type: 'string',
        description: 'To be given to the user; it must be changed at first use',
      },
    },
    'A user and the one-time password an administrator hands over (A6)',
  ),
  Role: closed(
    {
      id,
      name: string,
      title: string,
      description: string,
      permissions: { type: 'array', items: permission },
      version: integer,
    },
    'A role and the permissions it grants',
  ),
  SecurityChange: closed(
    {
      id,
      kind: {
        type: 'string',
        enum: ['role', 'user-roles'],
        description: 'role: define or change a role; user-roles: grant or revoke roles',
      },
      target: { type: 'string', description: 'The role name, or the id of the user whose roles change' },
      proposal: {
        type: 'object',
        description: 'What takes effect on approval: the role definition, or the roles (and those before)',
      },
      baseVersion: {
        type: ['integer', 'null'],
        description: 'Version proposed against; null for a new role',
      },
      status: { type: 'string', enum: ['pending', 'approved', 'rejected'] },
      proposedBy: id,
      proposedAt: instant,
      proposalReason: nullableString,
      decidedBy: nullableId,
      decidedAt: nullableInstant,
      decisionReason: nullableString,
      version: integer,
    },
    'A change to access proposed by one administrator, effective once a second approves it (dual control, A3)',
  ),
  Session: closed(
    {
      token: { type: 'string', description: 'Bearer token, valid for 15 minutes; refresh it before then' },
      expiresAt: instant,
      mustChangePassword: boolean,
      user: { $ref: '#/components/schemas/User' },
    },
    'An open session',
  ),
  Me: closed(
    {
      user: { $ref: '#/components/schemas/User' },
      roles: { type: 'array', items: string },
      permissions: { type: 'array', items: permission },
      mustChangePassword: boolean,
      plant: closed(
        {
          timeZone: { type: 'string', description: 'IANA time zone times are shown in, e.g. Asia/Shanghai' },
          dualControl: {
            type: 'boolean',
            description:
              'Dual control (A3): a change of a role’s permissions, and a grant of GMP approval authority, are proposed and take effect once a second administrator approves',
          },
          gmpApproval: {
            type: 'array',
            items: permission,
            description:
              'The permissions that are GMP approval authority; under dual control granting them is proposed',
          },
        },
        'The plant’s settings every screen needs',
      ),
    },
    'The person behind the token and what they may do',
  ),
  RecordSummary: closed(
    RECORD_VIEW,
    'A record as lists show it: number, template version, status, owner, due date',
  ),
  Record: closed(
    {
      ...RECORD_VIEW,
      content: { type: 'object' },
      version: integer,
      updatedAt: instant,
      ...RECORD_DETAIL,
    },
    'A GMP record with its template version, process, owner, due date, links and open tasks',
  ),
  BatchDeviations: closed(
    {
      batch: string,
      openDeviations: {
        type: 'array',
        items: closed(
          { ...RECORD_VIEW, classification: nullableString },
          'An open deviation that names the batch, with its classification',
        ),
      },
      criticalOpen: {
        type: 'boolean',
        description: 'A critical deviation is open: the batch may not be released (F5)',
      },
    },
    'The open deviations affecting a batch',
  ),
  TemplateVersion: closed(TEMPLATE_VERSION, 'A version of a template and where it is in its lifecycle (D1)'),
  ImportedTemplate: closed(
    {
      ...TEMPLATE_VERSION,
      created: { type: 'boolean', description: 'A new version was created' },
      revised: { type: 'boolean', description: 'A draft was revised with new content' },
    },
    'The template version an import created, revised or found unchanged',
  ),
  TemplateFiles: closed(
    {
      templateId: string,
      version,
      status: enumOf(TEMPLATE_STATUSES, 'Where the version is in its lifecycle'),
      contentHash: sha256,
      files: {
        type: 'object',
        additionalProperties: { type: 'string' },
        description:
          'Path in the version folder → its text (manifest.json, process.bpmn, README.md, forms/<key>.json)',
      },
    },
    'The files of a template version, as the designer opens them',
  ),
  TemplateDraft: closed(
    {
      ...TEMPLATE_VERSION,
      created: { type: 'boolean', description: 'This save created the version' },
      revised: { type: 'boolean', description: 'This save changed the draft’s content' },
      problems: {
        type: 'array',
        items: fieldError,
        description:
          'Every problem keeping it from review, at pointers into the package (/manifest/…, /process/…, /forms/<key>/…)',
      },
    },
    'A draft as saved, with what keeps it from review; it is saved even while it does not compile',
  ),
  ProcessCheck: closed(
    {
      ok: { type: 'boolean', description: 'No problems: the engine would accept the model' },
      problems: {
        type: 'array',
        items: closed(
          {
            elementId: {
              ...nullableString,
              description: 'The element to highlight; null: the file as a whole',
            },
            elementType: { type: 'string', description: 'BPMN type, e.g. bpmn:ComplexGateway' },
            name: nullableString,
            keyword: {
              type: 'string',
              description: 'xml, reference, unsupported, structure, feel or value',
            },
            problem: string,
          },
          'One problem, at the element it is about',
        ),
      },
    },
    'A BPMN model checked as a template’s process, as an import checks it; nothing is stored',
  ),
  FormCheck: closed(
    {
      ok: { type: 'boolean', description: 'The form compiles' },
      problems: { type: 'array', items: fieldError, description: 'At pointers into the definition' },
      fields: {
        type: 'array',
        description: 'What the engine enforces of each input field; empty while the form does not compile',
        items: closed(
          {
            key: string,
            pointer: {
              type: 'string',
              description: 'Where its value is in a submission, e.g. /samples/*/weight',
            },
            label: string,
            type: { type: 'string', description: 'The component type, e.g. measuredValue' },
            unit: nullableString,
            required: boolean,
            critical: {
              type: 'boolean',
              description: 'Needs second-person verification when entered by hand (E5)',
            },
            calculate: { ...nullableString, description: 'FEEL the server computes it with (E4)' },
            limits: {
              oneOf: [
                { type: 'null' },
                closed(
                  { alert: limitBand, action: limitBand, reject: boolean },
                  'Its limits: alert and action bands; reject refuses a value outside the action band (F4)',
                ),
              ],
            },
          },
          'A field of the compiled form',
        ),
      },
    },
    'A Form.io definition compiled as an import compiles it; nothing is stored',
  ),
  FormPreview: closed(
    {
      ok: { type: 'boolean', description: 'Completing a task with these values would be accepted' },
      errors: { type: 'array', items: fieldError, description: 'At pointers into the data' },
      exceptions: {
        type: 'array',
        items: closed(
          {
            pointer: string,
            type: { type: 'string', enum: ['limit_breach', 'na', 'manual_entry'] },
            severity: { type: 'string', enum: ['low', 'medium', 'high'] },
            blocking: { type: 'boolean', description: 'Would block release until resolved' },
            message: string,
          },
          'An exception the values would raise (E7, F4)',
        ),
      },
      data: {
        type: 'object',
        description: 'The data as it would be kept: normalized, calculated values worked out',
      },
    },
    'Sample values run through the submission pipeline; nothing is stored',
  ),
  TemplateDiff: closed(
    {
      from: version,
      to: version,
      manifest: { type: 'array', items: valueChange, description: 'Changed manifest values' },
      process: closed(
        {
          added: { type: 'array', items: elementSummary },
          removed: { type: 'array', items: elementSummary },
          changed: {
            type: 'array',
            items: closed(
              { id: string, name: nullableString, changes: { type: 'array', items: valueChange } },
              'A changed element and what changed in it, as the engine executes it',
            ),
          },
        },
        'Process elements added, removed and changed, by id',
      ),
      forms: closed(
        {
          added: { type: 'array', items: string },
          removed: { type: 'array', items: string },
          changed: {
            type: 'array',
            items: closed(
              {
                key: string,
                fields: closed(
                  {
                    added: { type: 'array', items: fieldSummary },
                    removed: { type: 'array', items: fieldSummary },
                    changed: {
                      type: 'array',
                      items: closed(
                        {
                          key: string,
                          pointer: string,
                          label: string,
                          changes: { type: 'array', items: valueChange },
                        },
                        'A changed field',
                      ),
                    },
                  },
                  'Fields added, removed and changed, by pointer',
                ),
              },
              'A changed form',
            ),
          },
        },
        'Forms added and removed by key, and the fields of changed forms',
      ),
      readme: { type: 'boolean', description: 'The README differs' },
      identical: { type: 'boolean', description: 'Nothing differs' },
    },
    'What changed between two versions of a template (G1)',
  ),
  Dossier: closed(
    {
      record: closed({ ...RECORD_VIEW, ...RECORD_DETAIL }, 'The record with its template version'),
      generatedAt: instant,
      generatedBy: person,
      steps: {
        type: 'array',
        description: 'Every user task of its process, oldest first, with its values',
        items: closed(
          {
            taskId: id,
            elementId: string,
            name: string,
            status: enumOf(TASK_STATUSES, 'Where the step is'),
            createdAt: instant,
            completedAt: nullableInstant,
            completedBy: nullablePerson,
            form: {
              oneOf: [
                { type: 'null' },
                closed({ key: string, version: integer, title: nullableString }, 'The form version'),
              ],
            },
            values: {
              type: 'array',
              items: closed(
                {
                  pointer: string,
                  label: string,
                  unit: nullableString,
                  critical: boolean,
                  type: { type: 'string', description: 'The component type, e.g. datetime, radio, select' },
                  value: {},
                  choice: {
                    ...nullableString,
                    description: 'The label(s) of the chosen option(s) of a choice; null for other fields',
                  },
                  source: valueSource,
                  device: deviceReading,
                  naReason: nullableString,
                  enteredBy: nullablePerson,
                  enteredAt: instant,
                  changedAfterEntry: {
                    type: 'boolean',
                    description: 'Changed after its original entry (D5)',
                  },
                  originalValue: {},
                  originalChoice: nullableString,
                  changedBy: nullablePerson,
                  changedAt: nullableInstant,
                  changeReason: nullableString,
                  corrections: integer,
                  verifiedBy: nullablePerson,
                  verifiedAt: nullableInstant,
                },
                'A value with its provenance and history',
              ),
            },
            exceptions: { type: 'array', items: { $ref: '#/components/schemas/DossierException' } },
            signatureIds: { type: 'array', items: id, description: 'Signatures over this step' },
          },
          'A step with its values, exceptions and signatures',
        ),
      },
      exceptions: { type: 'array', items: { $ref: '#/components/schemas/DossierException' } },
      signatures: { type: 'array', items: { $ref: '#/components/schemas/Signature' } },
      audit: { type: 'array', items: { $ref: '#/components/schemas/AuditEvent' } },
    },
    'Everything a reviewer reads of a record, as its printout holds it (D5, D6)',
  ),
  DossierException: closed(
    {
      id,
      taskId: nullableId,
      step: nullableString,
      pointer: nullableString,
      type: string,
      severity: string,
      blocking: boolean,
      message: string,
      status: string,
      raisedAt: instant,
    },
    'An exception on the record: a value out of limits, N/A, entered by hand in place of a device (E7), or a signature withdrawn (B7)',
  ),
  Manifestation: closed(
    {
      printedName: string,
      userId: string,
      signedAt: instant,
      meaning,
      text: {
        type: 'string',
        description: 'e.g. "Approved by Anna Li (anna.li) on 2026-11-24 08:12:03 UTC"',
      },
    },
    'How a signature shows itself: printed name, user id, date and time with zone, meaning (B2)',
  ),
  Signature: closed(
    {
      id,
      recordId: id,
      recordType: string,
      eventSeq: integer,
      signerId: id,
      meaning,
      reason: nullableString,
      signedAt: instant,
      contentHash: sha256,
      recordVersion: integer,
      manifestation: { $ref: '#/components/schemas/Manifestation' },
      contentChanged: { type: 'boolean', description: 'The record changed after it was signed (B4)' },
      covers: {
        oneOf: [
          { type: 'null' },
          closed(
            { taskId: id, pointers: { type: 'array', items: string } },
            'A verification: the task and the values it covers',
          ),
        ],
      },
      withdrawn: {
        oneOf: [
          { type: 'null' },
          closed({ at: instant, by: id, reason: string }, 'When, by whom and why it was withdrawn (B7)'),
        ],
      },
    },
    'An electronic signature',
  ),
  AuditEvent: closed(
    {
      id: integer,
      recordId: id,
      recordType: enumOf(SUBJECTS, 'What the trail is kept for'),
      seq: integer,
      type: string,
      actorId: { oneOf: [{ type: 'null' }, id] },
      actorName: string,
      at: instant,
      payload: { type: 'object' },
      reason: nullableString,
      prevHash: sha256,
      hash: sha256,
    },
    'One entry of an audit trail (C1)',
  ),
  ProcessDefinition: closed(
    {
      id,
      key: { type: 'string', description: 'The process id in the XML; every version shares it' },
      version: { type: 'integer', minimum: 1 },
      name: nullableString,
      contentHash: { ...sha256, description: 'SHA-256 of the BPMN XML as deployed' },
      deployedAt: instant,
      created: {
        type: 'boolean',
        description: 'Deployed by this request; false when the same XML was deployed before, and in lists',
      },
    },
    'A deployed version of a BPMN process; a version never changes, a change is a new version',
  ),
  ProcessInstance: closed(
    {
      id,
      definitionId: id,
      key: string,
      version: { type: 'integer', description: 'The definition version the instance keeps for life' },
      status: enumOf(INSTANCE_STATUSES, 'Where the instance is'),
      businessKey: nullableString,
      variables: { type: 'object', description: 'The process variables' },
      startedAt: instant,
      endedAt: nullableInstant,
      openTasks: {
        type: 'array',
        items: closed(
          { id, elementId: string, name: nullableString, status: { const: 'open' } },
          'A user task the instance waits on',
        ),
      },
      incidents: {
        type: 'array',
        items: closed({ id, elementId: string }, 'An open incident that holds the instance'),
      },
      activeElements: {
        type: 'array',
        description: 'Where the instance’s tokens are, one entry per token',
        items: closed(
          { elementId: string, waitsFor: enumOf(WAITS, 'What the token waits for') },
          'An element a token of the instance waits at',
        ),
      },
      parentInstanceId: {
        oneOf: [{ type: 'null' }, id],
        description: 'The instance whose call activity started this one',
      },
    },
    'A running or finished process instance',
  ),
  CorrelatedMessage: closed(
    {
      instance: { $ref: '#/components/schemas/ProcessInstance' },
      started: { type: 'boolean', description: 'The message started a new instance rather than moving one' },
    },
    'The instance a message was delivered to, or the one it started',
  ),
  BroadcastSignal: closed(
    {
      triggered: { type: 'integer', minimum: 0, description: 'Running instances the signal moved on' },
      started: { type: 'integer', minimum: 0, description: 'Instances the signal started' },
    },
    'What a signal did',
  ),
  FailedJob: closed(
    {
      id,
      instanceId: { oneOf: [{ type: 'null' }, id], description: 'None for a timer start event' },
      elementId: string,
      kind: enumOf(JOB_KINDS, 'What the job did'),
      attempts: integer,
      error: nullableString,
      failedAt: instant,
    },
    'Work for the job workers that gave up after its retries',
  ),
  Migration: closed(
    {
      instanceId: id,
      fromDefinitionId: id,
      toDefinitionId: id,
      fromVersion: integer,
      toVersion: integer,
      mappable: { type: 'boolean', description: 'Nothing stands in the way of the migration' },
      moves: {
        type: 'array',
        items: closed({ from: string, to: string }, 'Where the tokens at an element go'),
      },
      problems: {
        type: 'array',
        items: closed({ elementId: string, problem: string }, 'Why an element cannot be migrated'),
      },
      instance: {
        $ref: '#/components/schemas/ProcessInstance',
        description: 'The instance on its new version; absent from a dry run',
      },
    },
    'A migration of a process instance to another version of its process, or a dry run of one',
    ['instance'],
  ),
  FormVersion: closed(FORM_VERSION, 'A version of a form'),
  ImportedForm: closed(
    {
      ...FORM_VERSION,
      created: { type: 'boolean', description: 'A new version was created' },
      revised: { type: 'boolean', description: 'The latest version, not yet used, was changed' },
    },
    'The form version an import created, revised or found unchanged',
  ),
  FormDetail: closed(
    {
      ...FORM_VERSION,
      definition: { type: 'object', description: 'The Form.io definition as imported' },
      schema: {
        type: 'object',
        description: 'JSON Schema 2020-12 with x-attest keywords every submission meets',
      },
      render: {
        type: 'object',
        description: 'The definition for formio.js: instructions sanitized, GMP types as inputs',
      },
    },
    'A form version with its definition and the schema it compiles to',
  ),
  TaskForm: closed(
    {
      taskId: id,
      status: enumOf(TASK_STATUSES, 'Where the task is'),
      signature: stepSignature,
      form: closed(
        { id, key: string, version: integer, title: nullableString, components: { type: 'array' } },
        'The form version the task is pinned to, ready for formio.js',
      ),
      data: { type: 'object', description: 'Current values as form data, calculated values worked out' },
      values: {
        type: 'array',
        items: closed(
          {
            pointer: string,
            value: {},
            source: valueSource,
            device: deviceReading,
            naReason: nullableString,
            entered: {
              type: ['number', 'null'],
              description: 'The number as entered, when rounding changed it',
            },
            enteredBy: id,
            enteredAt: instant,
            changedAfterEntry: { type: 'boolean', description: 'Changed after its original entry (D5)' },
            originalValue: {},
            changedBy: { oneOf: [{ type: 'null' }, id] },
            changedAt: nullableInstant,
            changeReason: nullableString,
            verifiedBy: { oneOf: [{ type: 'null' }, id] },
            verifiedAt: nullableInstant,
            verificationId: { oneOf: [{ type: 'null' }, id] },
            needsVerification: {
              type: 'boolean',
              description: 'Needs a second person before completion (E5)',
            },
          },
          'A value with its provenance and history',
        ),
      },
      fields: {
        type: 'array',
        items: closed(
          {
            pointer: string,
            key: string,
            label: string,
            type: string,
            unit: nullableString,
            decimals: { type: ['integer', 'null'] },
            required: boolean,
            critical: boolean,
            naAllowed: boolean,
            capture: { type: 'string', enum: ['manual', 'device', 'either'] },
            calculated: boolean,
            limits: {
              oneOf: [
                { type: 'null' },
                closed(
                  {
                    alert: {
                      oneOf: [
                        { type: 'null' },
                        closed(
                          { min: { type: ['number', 'null'] }, max: { type: ['number', 'null'] } },
                          'A band',
                        ),
                      ],
                    },
                    action: {
                      oneOf: [
                        { type: 'null' },
                        closed(
                          { min: { type: ['number', 'null'] }, max: { type: ['number', 'null'] } },
                          'A band',
                        ),
                      ],
                    },
                    reject: boolean,
                  },
                  'Limits as they apply now',
                ),
              ],
            },
            locked: { type: 'boolean', description: 'Not editable here: calculated, or the task is closed' },
          },
          'A field of the form with its GMP properties',
        ),
      },
      exceptions: {
        type: 'array',
        items: closed(
          {
            id,
            pointer: nullableString,
            type: string,
            severity: { type: 'string', enum: ['low', 'medium', 'high'] },
            blocking: boolean,
            message: string,
            raisedAt: instant,
          },
          'An exception the values raised',
        ),
      },
      signatureId: { ...id, description: 'After a verification: the signature (meaning Verified) it made' },
    },
    'The renderer contract: a task’s form with its values, limits, locks and exceptions',
    ['signatureId'],
  ),
  Task: closed(TASK_VIEW, 'A user task: work waiting for a person'),
  ReviewItem: closed(
    {
      task: { $ref: '#/components/schemas/Task' },
      meaning,
      rejectable: { type: 'boolean', description: 'The decision may be a rejection (meaning Rejected)' },
      record: {
        oneOf: [
          { type: 'null' },
          closed(
            { id, number: string, title: string, status: string, overdue: boolean },
            'The record the step belongs to',
          ),
        ],
      },
      exceptions: closed(
        { total: integer, high: integer, medium: integer, low: integer, blocking: integer },
        'Exceptions the record’s values raised, by severity',
      ),
      changedValues: { type: 'integer', description: 'Values changed after their first entry (D5)' },
    },
    'A step waiting for this person’s review or approval, with what to look at first (F4)',
  ),
  TaskDetail: closed(
    { ...TASK_VIEW, signature: stepSignature },
    'A user task as the step view opens it, with the signature completing it asks for',
  ),
  Incident: closed(
    {
      id,
      instanceId: id,
      elementId: { type: 'string', description: 'Where the instance is stuck' },
      message: string,
      createdAt: instant,
    },
    'Where an instance cannot go on by itself, e.g. no outgoing flow matches; retried by a person',
  ),
  Health: closed(
    {
      status: { const: 'ok' },
      database: { type: 'string', enum: ['postgres', 'embedded'] },
      version: string,
    },
    'The service is up',
  ),
  Readiness: closed(
    {
      status: { const: 'ready' },
      checks: { type: 'array', items: string, description: 'What was checked, each in order' },
    },
    'The runtime is ready to serve',
  ),
} satisfies Record<string, Schema>;

export type ComponentName = keyof typeof COMPONENTS;

export const ref = (name: ComponentName): Schema => ({ $ref: `#/components/schemas/${name}` });

export const listOf = (
  key: string,
  name: ComponentName,
  description: string,
  more: Record<string, Schema> = {},
): Schema => closed({ [key]: { type: 'array', items: ref(name) }, ...more }, description);

export const CSV = { type: 'string', description: 'RFC 4180 CSV with a header row' } as const;
export const TGZ = {
  type: 'string',
  contentMediaType: 'application/gzip',
  description: 'A gzipped tar archive',
} as const;
