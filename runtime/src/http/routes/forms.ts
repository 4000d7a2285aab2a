import type { Engine, TaskForm } from '@attest/engine';
import { listOf, ref, type Wire } from '../components.ts';
import type { valueSource } from '../components/shared.ts';
import { created, json, ok, operation } from '../operation.ts';
import {
  LIMITS,
  list,
  nullableText,
  object,
  password,
  requiredText,
  text,
  uuid,
  type Schema,
} from '../schema.ts';

/** A value whose source holds only the words the schema lists. */
type StoredValue = TaskForm['values'][number] & { source: Wire<typeof valueSource> };

/**
 * The engine hands a field's capture, a value's source and an exception's severity over as plain
 * text; they only ever hold the words the schema lists, so the form is read as carrying those words.
 */
const withStoredWords = <F extends TaskForm>(form: F) =>
  form as F & {
    fields: (TaskForm['fields'][number] & { capture: 'manual' | 'device' | 'either' })[];
    values: StoredValue[];
    exceptions: (TaskForm['exceptions'][number] & { severity: 'low' | 'medium' | 'high' })[];
  };

/** A Form.io definition: the builder's JSON; the engine's compiler checks every component. */
export const definition = {
  type: 'object',
  required: ['components'],
  maxProperties: 200,
  properties: { components: { type: 'array', maxItems: 2000 } },
  description: 'A Form.io form definition (its components); JavaScript logic is refused',
} as const satisfies Schema;

/** A form's key, as user tasks name it in attest:formKey. */
export const formKeyName = {
  type: 'string',
  pattern: '^[A-Za-z][A-Za-z0-9_.-]{0,79}$',
  maxLength: 80,
} as const;

/** A request carrying a whole Form.io definition, in kB. */
export const FORM_BODY_LIMIT_KB = 4096;

const formImport = object(
  {
    key: { ...formKeyName, description: 'Form key, as user tasks name it in attest:formKey' },
    definition,
  },
  ['key', 'definition'],
);

const formKey = object({ key: formKeyName }, ['key']);
const formVersion = object(
  {
    version: {
      type: 'string',
      pattern: '^[1-9][0-9]{0,5}$',
      maxLength: 6,
      description: 'A version; the latest when absent',
    },
  },
  [],
);
const taskId = object({ id: uuid('Task id') }, ['id']);
export const pointerKey = {
  type: 'string',
  pattern: '^(/[A-Za-z0-9_-]+)+$',
  maxLength: LIMITS.pointer,
} as const;

/** What a person submits in a task's form: the data, where values came from, N/A answers, why values changed. */
export const submission = {
  data: { type: 'object', maxProperties: 2000, description: 'The form data, as formio.js submits it' },
  sources: {
    type: 'object',
    maxProperties: 2000,
    propertyNames: pointerKey,
    additionalProperties: object(
      {
        source: { type: 'string', enum: ['manual', 'device'] },
        reading: uuid(
          'For a value from a device: the reading the server took for it (POST /api/tasks/{id}/readings); ' +
            'the device and its answer come from that reading and cannot be stated',
        ),
      },
      ['source'],
    ),
    description:
      'Provenance by value pointer; a value without one was entered by hand (E2). A device value names ' +
      'the reading the server took; its value must be the one read.',
  },
  na: {
    type: 'object',
    maxProperties: 2000,
    propertyNames: pointerKey,
    additionalProperties: text(LIMITS.reason),
    description: 'Values answered N/A, by pointer, with the reason (E7)',
  },
  reason: nullableText(LIMITS.reason, 'Why values entered before are changed (B3)'),
} as const;

type SubmissionBody = { data?: unknown; sources?: unknown; na?: unknown; reason?: string | null };
/** The submission of a body, for the engine; the schema has admitted only these shapes. */
export const submissionOf = (body: SubmissionBody) => ({
  data: body.data,
  sources: body.sources as Record<string, { source: 'manual' | 'device'; reading?: string }> | undefined,
  na: body.na as Record<string, string> | undefined,
  reason: body.reason,
});

export function formOperations(engine: Engine) {
  return [
    operation({
      id: 'importForm',
      method: 'post',
      path: '/api/forms',
      tag: 'forms',
      summary: 'Import a Form.io form: a new version of its key, or a revision of a version not yet used',
      description:
        'The definition is compiled to JSON Schema; a component the engine cannot enforce (JavaScript ' +
        'validation, conditionals, calculations or defaults, logic, url or resource data) refuses the ' +
        'whole form with one error per component naming the feature. Importing the same content again ' +
        'changes nothing. Needs the authority to manage templates.',
      access: 'session',
      body: formImport,
      bodyLimitKb: FORM_BODY_LIMIT_KB,
      responses: {
        201: json('A new version', ref('ImportedForm')),
        200: json(
          'The same content as an existing version, or a revision of a version not yet used',
          ref('ImportedForm'),
        ),
      },
      problems: [409],
      handle: async ({ principal, body }) => {
        const saved = await engine.forms.save(principal, { key: body.key, definition: body.definition });
        return saved.created ? created(saved, `/api/forms/${saved.key}?version=${saved.version}`) : ok(saved);
      },
    }),
    operation({
      id: 'listForms',
      method: 'get',
      path: '/api/forms',
      tag: 'forms',
      summary: 'Every version of every form, newest first per key',
      access: 'session',
      responses: { 200: json('The form versions', listOf('forms', 'FormVersion', 'Form versions')) },
      handle: async ({ principal }) => ok({ forms: await engine.forms.list(principal) }),
    }),
    operation({
      id: 'getForm',
      method: 'get',
      path: '/api/forms/{key}',
      tag: 'forms',
      summary: 'A form version with its definition, its compiled schema and the definition for formio.js',
      access: 'session',
      params: formKey,
      query: formVersion,
      responses: { 200: json('The form version', ref('FormDetail')) },
      handle: async ({ principal, params, query }) =>
        ok(await engine.forms.get(principal, params.key, query.version ? Number(query.version) : undefined)),
    }),
    operation({
      id: 'getTaskForm',
      method: 'get',
      path: '/api/tasks/{id}/form',
      tag: 'tasks',
      summary: 'The form of a task with its current values, limits, locked fields and exceptions',
      description: 'The renderer contract: what the operator UI needs to render the form with formio.js.',
      access: 'session',
      params: taskId,
      responses: { 200: json('The task’s form', ref('TaskForm')) },
      problems: [409],
      handle: async ({ principal, params }) =>
        ok(withStoredWords(await engine.tasks.form(principal, params.id))),
    }),
    operation({
      id: 'saveTaskValues',
      method: 'put',
      path: '/api/tasks/{id}/values',
      tag: 'tasks',
      summary: 'Save the values of a task before completing it: each is entered when saved (E1, E2)',
      description:
        'Values are validated as at completion, except that fields may still be blank. Changing a value ' +
        'saved before needs a reason (B3); the audit trail keeps old and new.',
      access: 'session',
      params: taskId,
      body: object(submission, []),
      bodyLimitKb: 1024,
      responses: { 200: json('The task’s form with the values saved', ref('TaskForm')) },
      problems: [409],
      handle: async ({ principal, params, body }) =>
        ok(withStoredWords(await engine.tasks.saveValues(principal, params.id, submissionOf(body)))),
    }),
    operation({
      id: 'checkTaskValues',
      method: 'post',
      path: '/api/tasks/{id}/check',
      tag: 'tasks',
      summary:
        'What completing a task with these values would meet: errors and exceptions; nothing is stored',
      description:
        'The values run through the submission pipeline exactly as at completion: the errors that would ' +
        'refuse it, and the exceptions it would raise, each with whether the template asks for the ' +
        'operator’s comment on it. Completing over a value outside its limits needs the value confirmed ' +
        '(and commented where asked) in the completion; this is what the step view shows for that.',
      access: 'session',
      params: taskId,
      body: object({ data: submission.data, sources: submission.sources, na: submission.na }, []),
      bodyLimitKb: 1024,
      responses: { 200: json('The pipeline’s verdict', ref('FormPreview')) },
      problems: [409],
      handle: async ({ principal, params, body }) =>
        ok(await engine.tasks.check(principal, params.id, submissionOf(body))),
    }),
    operation({
      id: 'takeTaskReading',
      method: 'post',
      path: '/api/tasks/{id}/readings',
      tag: 'tasks',
      summary:
        'Take reading: the server reads the device into a field of the step (E2, E3, E6), or tares or zeroes it',
      description:
        'The server reads the device now, checks the reading (stable, status good, a number, a unit it can ' +
        'convert to the field’s), keeps it with the device’s raw answer, and enters the value as the caller’s, ' +
        'from that device. A device out of service, past its calibration date or whose plugin is not enabled ' +
        'as it is is refused with 409; a device that does not answer, or a reading that is refused, with 502 ' +
        'and an audit event on the device; nothing is entered then. Replacing a value entered before needs a ' +
        'reason (B3). The answer is the reading and the field’s value with its provenance; the rest of the ' +
        'form is as it was (GET /api/tasks/{id}/form gives it).',
      access: 'session',
      params: taskId,
      body: object(
        {
          pointer: { ...pointerKey, description: 'The field, e.g. /netWeight' },
          deviceId: uuid('The device to read'),
          action: {
            type: 'string',
            enum: ['read', 'tare', 'zero'],
            description: 'read (default), tare or zero',
          },
          reason: nullableText(LIMITS.reason, 'Why a value entered before is replaced (B3)'),
        },
        ['pointer', 'deviceId'],
      ),
      responses: {
        200: json(
          'The reading and the field’s value as the step now holds it, with its provenance (both null for tare and zero)',
          object(
            {
              reading: { oneOf: [{ type: 'null' }, ref('DeviceReading')] },
              value: { oneOf: [{ type: 'null' }, ref('TaskValue')] },
            },
            ['reading', 'value'],
          ),
        ),
      },
      problems: [404, 409, 502],
      handle: async ({ principal, params, body }) => {
        const { reading, value } = await engine.tasks.takeReading(principal, params.id, body);
        return ok({ reading, value: value as StoredValue | null });
      },
    }),
    operation({
      id: 'taskDeviceChoices',
      method: 'get',
      path: '/api/tasks/{id}/devices',
      tag: 'tasks',
      summary: 'The devices the step’s fields may be read from, each with whether it may be read now',
      access: 'session',
      params: taskId,
      responses: { 200: json('The devices', listOf('devices', 'DeviceChoice', 'By code')) },
      problems: [409],
      handle: async ({ principal, params }) =>
        ok({ devices: await engine.tasks.deviceChoices(principal, params.id) }),
    }),
    operation({
      id: 'verifyTaskValues',
      method: 'post',
      path: '/api/tasks/{id}/verification',
      tag: 'tasks',
      summary: 'A second person verifies the critical values entered by hand, signing with their own id (E5)',
      description:
        'The verifier types their own user id and password at the performer’s device (A7, B1); they must ' +
        'hold the authority to verify and must not have entered the values (B5). The signature has the ' +
        'meaning Verified and covers exactly those values.',
      access: 'session',
      params: taskId,
      body: object(
        {
          username: requiredText(LIMITS.name, 'The verifier’s user id'),
          password: password('The verifier’s password'),
          pointers: list(pointerKey, 2000, 'The values to verify; all that wait when absent'),
        },
        ['username', 'password'],
      ),
      responses: { 200: json('The task’s form, the values verified', ref('TaskForm')) },
      problems: [409, 423],
      handle: async ({ principal, params, body }) =>
        ok(withStoredWords(await engine.tasks.verify(principal, params.id, body))),
    }),
  ];
}
