import type { Schema } from '../schema.ts';
import {
  closed,
  string,
  nullableString,
  boolean,
  sha256,
  enumOf,
  TEMPLATE_STATUSES,
  version,
  TEMPLATE_VERSION,
  valueChange,
  elementSummary,
  fieldSummary,
  fieldError,
  limitBand,
} from './shared.ts';

/** Template versions, their files, checks and differences. */
export const TEMPLATE_COMPONENTS = {
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
                  { alert: limitBand, action: limitBand, reject: boolean, comment: boolean },
                  'Its limits: alert and action bands; reject refuses a value outside the action band (F4); comment asks the operator to comment on a value outside them',
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
            type: { type: 'string', enum: ['limit_breach', 'na', 'manual_entry', 'fefo_override'] },
            severity: { type: 'string', enum: ['low', 'medium', 'high'] },
            blocking: { type: 'boolean', description: 'Would block release until resolved' },
            message: string,
            commentRequired: {
              type: 'boolean',
              description:
                'The operator must comment on it before completing (the field’s limits.comment; always the reason for a FEFO override)',
            },
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
} satisfies Record<string, Schema>;
