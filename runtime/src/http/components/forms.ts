import type { Schema } from '../schema.ts';
import {
  closed,
  string,
  nullableString,
  instant,
  id,
  integer,
  boolean,
  meaning,
  TASK_STATUSES,
  enumOf,
  nullableInstant,
  valueSource,
  deviceReading,
  TASK_VIEW,
  stepSignature,
  FORM_VERSION,
} from './shared.ts';

const reviewOf = enumOf(
  {
    record: 'the record under review: values with provenance, exceptions with dispositions, signatures',
    auditTrail: 'the record’s audit trail, reviewed and signed as a step of its own (C6)',
  },
  'What a review step shows of its record',
);

/** A value of a step with its provenance and history, as the step view shows it. */
const taskValue = closed(
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
);

/** Forms, task forms, tasks and the review list. */
export const FORM_AND_TASK_COMPONENTS = {
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
  TaskValue: taskValue,
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
        items: { $ref: '#/components/schemas/TaskValue' },
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
            device: {
              oneOf: [
                { type: 'null' },
                closed(
                  {
                    kind: { type: ['string', 'null'], enum: ['scale', 'plc', 'sensor', 'instrument', null] },
                    channel: string,
                    tare: boolean,
                    zero: boolean,
                  },
                  'The device the server reads it from: its kind (null: any), channel, and whether the step may tare or zero it',
                ),
              ],
            },
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
                    comment: {
                      type: 'boolean',
                      description: 'A value outside them needs the operator’s comment at completion',
                    },
                  },
                  'Limits as they apply now',
                ),
              ],
            },
            locked: { type: 'boolean', description: 'Not editable here: calculated, or the task is closed' },
            gate: {
              oneOf: [
                { type: 'null' },
                closed(
                  {
                    kind: { type: 'string', enum: ['lot'] },
                    material: nullableString,
                    proposal: {
                      oneOf: [
                        { type: 'null' },
                        closed(
                          {
                            lotNumber: string,
                            expiryDate: string,
                            available: { type: 'number' },
                            unit: string,
                          },
                          'The lot first-expiry-first-out proposes: released, unexpired, with stock, expiring first',
                        ),
                      ],
                    },
                  },
                  'A material lot field: the material the step names (null: none) and the lot FEFO proposes',
                ),
                closed(
                  {
                    kind: { type: 'string', enum: ['equipment'] },
                    action: {
                      type: 'string',
                      enum: ['use', 'measure', 'release', 'clean', 'check', 'identify'],
                    },
                  },
                  'An equipment field: what the step does with it',
                ),
              ],
            },
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
            comment: {
              ...nullableString,
              description: 'The operator’s comment on a value outside its limits',
            },
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
        {
          total: integer,
          high: integer,
          medium: integer,
          low: integer,
          blocking: integer,
          undecided: { type: 'integer', description: 'Not yet accepted or given a deviation by QA' },
          holding: {
            type: 'integer',
            description: 'Blocking and undecided: they hold the review back until QA decides (F4)',
          },
          open: closed(
            { high: integer, medium: integer, low: integer },
            'The undecided ones by severity: what review by exception still has to look at',
          ),
        },
        'Exceptions the record’s values raised, by severity',
      ),
      changedValues: { type: 'integer', description: 'Values changed after their first entry (D5)' },
    },
    'A step waiting for this person’s review or approval, with what to look at first (F4)',
  ),
  TaskDetail: closed(
    {
      ...TASK_VIEW,
      signature: stepSignature,
      reviewOf: {
        oneOf: [{ type: 'null' }, reviewOf],
        description: 'What the step reviews beside its own form (attest:reviewOf); null: nothing',
      },
    },
    'A user task as the step view opens it, with the signature completing it asks for',
  ),
  StepReview: closed(
    { reviewOf, dossier: { $ref: '#/components/schemas/Dossier' } },
    'What a review step shows of its record without leaving the step',
  ),
} satisfies Record<string, Schema>;
