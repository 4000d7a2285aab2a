import type { Engine } from '@attest/engine';
import { ref } from '../components.ts';
import { created, json, ok, operation } from '../operation.ts';
import { object, requiredText, type Schema } from '../schema.ts';
import { definition, FORM_BODY_LIMIT_KB, formKeyName, submission } from './forms.ts';
import { MOST_XML, variables, variablesOf } from './processes.ts';
import { PACKAGE_BODY_LIMIT_KB, packageFileTexts, versionParams } from './templates.ts';

/** The template's forms by key, as the modeler knows them: a user task's form must be among them. */
const forms = {
  type: 'object',
  maxProperties: 50,
  propertyNames: formKeyName,
  additionalProperties: definition,
  description: 'The template’s forms by key; a user task whose form is not among them is a problem',
} as const satisfies Schema;

const baseHash = {
  type: ['string', 'null'],
  pattern: '^[0-9a-f]{64}$',
  maxLength: 64,
  description: 'The content hash the edit started from; null to create the version',
} as const;

/**
 * What the designer asks before anything is saved, answered by the engine's own checks, and the
 * draft it saves as QA edits a template. The browser decides nothing.
 */
export function designerOperations(engine: Engine) {
  return [
    operation({
      id: 'checkProcess',
      method: 'post',
      path: '/api/designer/process-check',
      tag: 'designer',
      summary: 'Check a BPMN model as a template’s process, every problem at its element; nothing is stored',
      description:
        'The checks an import runs: the compiler’s (unsupported elements, references, FEEL, structure) and ' +
        'a template’s (one process, started only as a record, only what is enforced); with `forms`, a user ' +
        'task whose form is not among them. A model with problems is an answer (200), not a refusal. ' +
        'Needs the authority to manage templates.',
      access: 'session',
      body: object({ xml: requiredText(MOST_XML, 'The BPMN 2.0 XML, as the modeler exports it'), forms }, [
        'xml',
      ]),
      bodyLimitKb: PACKAGE_BODY_LIMIT_KB,
      responses: { 200: json('The problems, none when ok', ref('ProcessCheck')) },
      handle: async ({ principal, body }) =>
        ok(
          await engine.designer.checkProcess(principal, {
            xml: body.xml,
            ...(body.forms !== undefined && { forms: body.forms as Record<string, unknown> }),
          }),
        ),
    }),
    operation({
      id: 'checkForm',
      method: 'post',
      path: '/api/designer/form-check',
      tag: 'designer',
      summary: 'Compile a Form.io definition as an import does: its problems, or what it enforces',
      description:
        'Each problem points into the definition (JavaScript validation, logic and other features the ' +
        'engine cannot enforce). A form that compiles lists its fields with the units, limits and ' +
        'verification the server will enforce. Needs the authority to manage templates.',
      access: 'session',
      body: object({ definition }, ['definition']),
      bodyLimitKb: FORM_BODY_LIMIT_KB,
      responses: { 200: json('The problems, or the fields', ref('FormCheck')) },
      handle: async ({ principal, body }) => ok(engine.designer.checkForm(principal, body.definition)),
    }),
    operation({
      id: 'previewForm',
      method: 'post',
      path: '/api/designer/form-preview',
      tag: 'designer',
      summary:
        'Run sample values through the submission pipeline, as completing a task does; nothing is stored',
      description:
        'Values are normalized and rounded, calculations worked out, the schema checked and limits applied ' +
        'exactly as at completion: the errors that would refuse it and the exceptions it would raise. A ' +
        'definition that does not compile is refused (400) with its problems. Needs the authority to ' +
        'manage templates.',
      access: 'session',
      body: object(
        {
          definition,
          data: submission.data,
          na: submission.na,
          variables: { ...variables, description: 'Process variables calculations and limits may use' },
        },
        ['definition', 'data'],
      ),
      bodyLimitKb: FORM_BODY_LIMIT_KB + 1024,
      responses: { 200: json('The pipeline’s verdict', ref('FormPreview')) },
      handle: async ({ principal, body }) =>
        ok(
          engine.designer.previewForm(principal, {
            definition: body.definition,
            data: body.data,
            ...(body.na ? { na: body.na as Record<string, string> } : {}),
            ...(body.variables !== undefined && { variables: variablesOf(body) }),
          }),
        ),
    }),
    operation({
      id: 'saveTemplateDraft',
      method: 'put',
      path: '/api/templates/{templateId}/versions/{version}/draft',
      tag: 'templates',
      summary: 'Save a draft as it is edited, even before it compiles (D1, G1)',
      description:
        'Without a base hash the version is created; with one, the draft’s files are replaced if it still ' +
        'holds that content, else 409 names who saved it meanwhile. The same content again changes ' +
        'nothing. A draft is saved even while it does not compile: `problems` lists what keeps it from ' +
        'review, and submitting it is refused until there are none. What cannot be a package at all ' +
        '(unknown files, a missing part, JSON that does not parse, a manifest of another id or version) is ' +
        'refused (400). A version past draft never changes (409). Every save is audited. Needs the ' +
        'authority to manage templates.',
      access: 'session',
      params: versionParams,
      body: object({ files: packageFileTexts, baseHash }, ['files', 'baseHash']),
      bodyLimitKb: PACKAGE_BODY_LIMIT_KB,
      responses: {
        201: json('The draft, created', ref('TemplateDraft')),
        200: json('The draft, revised or unchanged', ref('TemplateDraft')),
      },
      problems: [409],
      handle: async ({ principal, params, body }) => {
        const saved = await engine.templates.saveDraft(principal, params.templateId, params.version, {
          files: body.files as Record<string, string>,
          baseHash: body.baseHash,
        });
        const path = `/api/templates/${saved.templateId}/versions/${saved.version}`;
        return saved.created ? created(saved, path) : ok(saved);
      },
    }),
  ];
}
