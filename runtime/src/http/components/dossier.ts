import type { Schema } from '../schema.ts';
import {
  closed,
  string,
  nullableString,
  instant,
  id,
  integer,
  boolean,
  sha256,
  meaning,
  SUBJECTS,
  TASK_STATUSES,
  TASK_ORIGINS,
  enumOf,
  nullableInstant,
  nullableId,
  RECORD_VIEW,
  person,
  nullablePerson,
  valueSource,
  deviceReading,
  RECORD_DETAIL,
} from './shared.ts';

const EXCEPTION_STATUSES = {
  open: 'raised, not yet assessed',
  assessed: 'assessed by QA, not yet decided; a blocking one still holds the record back',
  accepted: 'accepted by QA with a justification',
  deviation: 'QA raised a deviation for it',
} as const;
const DISPOSITION_ACTIONS = {
  assessed: 'assessed, with a comment',
  accepted: 'accepted, with a justification',
  deviation: 'a deviation raised for it',
} as const;

export const CHANGE_KINDS = {
  skip: 'the open step was withdrawn; the flow went on without its values',
  repeat: 'a completed step is done again beside the first time; the flow is unchanged',
  add: 'a step was added with one of the template’s forms; the flow is unchanged',
  outOfOrder:
    'a later step was done ahead of the flow, as the template allows (F1); its values complete it when the flow gets there',
} as const;

/** A record's dossier, its signatures and audit trail. */
export const DOSSIER_COMPONENTS = {
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
            origin: enumOf(TASK_ORIGINS, 'What made the step'),
            change: {
              oneOf: [
                { type: 'null' },
                closed(
                  {
                    kind: enumOf(CHANGE_KINDS, 'What the change did to the step'),
                    reason: string,
                    exceptionId: id,
                    by: nullablePerson,
                    at: instant,
                    repeatOf: { ...nullableId, description: 'For a repeat: the step done again' },
                  },
                  'The signed run-time change that skipped, repeated or added the step (D7)',
                ),
              ],
            },
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
                  decimals: {
                    type: ['integer', 'null'],
                    description:
                      'The decimals the field keeps (a number prints with them); null when it has none',
                  },
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
      reopenings: {
        type: 'array',
        description: 'Its reopenings after it was closed, oldest first (D4)',
        items: { $ref: '#/components/schemas/Reopening' },
      },
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
      comment: { ...nullableString, description: 'The operator’s comment on a value outside its limits' },
      status: enumOf(EXCEPTION_STATUSES, 'Where QA’s decision on it stands'),
      raisedAt: instant,
      raisedBy: { ...nullablePerson, description: 'Whose entry or act raised it; they may not decide on it' },
      dispositions: {
        type: 'array',
        description: 'QA’s signed decisions on it, oldest first (F4, F5)',
        items: { $ref: '#/components/schemas/ExceptionDisposition' },
      },
    },
    'An exception on the record: a value out of limits, N/A, entered by hand in place of a device (E7), or a signature withdrawn (B7)',
  ),
  ExceptionDisposition: closed(
    {
      id,
      action: enumOf(DISPOSITION_ACTIONS, 'What was decided'),
      comment: string,
      deviation: {
        oneOf: [closed({ id, number: string }, 'The deviation raised for it'), { type: 'null' }],
      },
      at: instant,
      by: person,
      signature: closed(
        { id, meaning, text: string },
        'The e-signature of the decision, with its manifestation (B2)',
      ),
    },
    'A decision QA signed on an exception: assessed, accepted with a justification, or given a deviation',
  ),
  Exception: closed(
    {
      id,
      record: { oneOf: [closed({ id, number: string }, 'The record it is on'), { type: 'null' }] },
      instanceId: id,
      taskId: nullableId,
      pointer: nullableString,
      type: string,
      severity: string,
      blocking: boolean,
      message: string,
      details: { type: 'object', description: 'The value, the limits and other facts' },
      status: enumOf(EXCEPTION_STATUSES, 'Where QA’s decision on it stands'),
      raisedAt: instant,
      raisedBy: nullableId,
      dispositions: {
        type: 'array',
        description: 'QA’s signed decisions on it, oldest first',
        items: { $ref: '#/components/schemas/ExceptionDisposition' },
      },
    },
    'An exception with what QA decided about it (F4, F5)',
  ),
  Reopening: closed(
    {
      id,
      recordId: id,
      reason: string,
      previousStatus: { type: 'string', description: 'The status it had when reopened: closed' },
      signatureId: { ...id, description: 'The signature of the reopening (meaning Reopened)' },
      at: instant,
      by: person,
      closedBy: {
        oneOf: [
          { type: 'null' },
          closed(
            { signatureId: id, at: instant, printedName: string, username: string },
            'The Approved signature that closed the record again',
          ),
        ],
      },
    },
    'A reopening of a closed record: privileged, reasoned and e-signed (D4)',
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
      precedesReopening: {
        oneOf: [
          { type: 'null' },
          closed(
            { reopeningId: id, at: instant },
            'Given before the record was reopened: the first reopening after it (D4)',
          ),
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
} satisfies Record<string, Schema>;
