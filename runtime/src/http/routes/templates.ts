import type { Engine } from '@attest/engine';
import { listOf, ref, TEMPLATE_STATUSES, TGZ } from '../components.ts';
import { created, download, json, ok, operation } from '../operation.ts';
import { LIMITS, name, object, oneOf, password, requiredText, text, type Schema } from '../schema.ts';

/** A template's id, as in its manifest and the name of its folder. */
export const templateId = name('^[a-z][a-z0-9-]{1,39}$', 40, 'Template id, e.g. deviation');

const templateVersion = (description: string) =>
  ({
    type: 'string',
    maxLength: 32,
    pattern: '^(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})$',
    description,
  }) as const;

export const versionParams = object({ templateId, version: templateVersion('Version, e.g. 1.0.0') }, [
  'templateId',
  'version',
]);

const STATUSES = Object.keys(TEMPLATE_STATUSES) as (keyof typeof TEMPLATE_STATUSES)[];

/** The largest base64 text of a .tgz: about 6 MB of archive, within the body limit. */
const TGZ_BASE64_CHARS = 8_000_000;
/** A package file read as UTF-8 text; the engine refuses one over 2 MB. */
const FILE_CHARS = 2 * 1024 * 1024;

/** A version folder's files by path, as text; the engine checks the paths and what is in them. */
export const packageFileTexts = {
  type: 'object',
  minProperties: 1,
  maxProperties: 60,
  propertyNames: { ...text(200), minLength: 1 },
  additionalProperties: text(FILE_CHARS, 'The file’s text (UTF-8)'),
  description:
    'The version folder’s files by path: manifest.json, process.bpmn, README.md and forms/<key>.json',
} as const satisfies Schema;

/** Request bodies of a whole package, in kB: an archive or its files, as base64 or JSON text. */
export const PACKAGE_BODY_LIMIT_KB = 8192;

/**
 * A template package: a .tgz of a version folder, or the folder's files as text. Exactly one of
 * the two; the engine checks everything in them (paths, manifest, process, forms).
 */
const packageUpload = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: {
    tgz: {
      type: 'string',
      minLength: 4,
      maxLength: TGZ_BASE64_CHARS,
      pattern: '^[A-Za-z0-9+/]+={0,2}$',
      description: 'Base64 of a .tgz holding the version folder (as GET …/export gives it)',
    },
    files: packageFileTexts,
  },
  description: 'A template package: exactly one of tgz or files',
} as const satisfies Schema;

export function templateOperations(engine: Engine) {
  const versionPath = (t: { templateId: string; version: string }) =>
    `/api/templates/${t.templateId}/versions/${t.version}`;
  const version = (description: string) => json(description, ref('TemplateVersion'));

  return [
    operation({
      id: 'importTemplate',
      method: 'post',
      path: '/api/templates',
      tag: 'templates',
      summary: 'Import a template package as a draft version (D1)',
      description:
        'The package is checked as the engine will run it: the manifest against its schema, the process ' +
        'compiled (its id is the template’s id; no JavaScript), every user task’s form in the package, ' +
        'every form compiled, every role known. All problems come back at once, their pointers into the ' +
        'package (`/manifest/…`, `/process/…`, `/forms/<key>/…`, `/files/<path>`). The same content again ' +
        'changes nothing; new content revises a draft; a version past draft never changes (409): a change ' +
        'is a new version (D3). Needs the authority to manage templates.',
      access: 'session',
      body: packageUpload,
      bodyLimitKb: PACKAGE_BODY_LIMIT_KB,
      responses: {
        201: json('A new draft version', ref('ImportedTemplate')),
        200: json('The same content as the version holds, or a revised draft', ref('ImportedTemplate')),
      },
      problems: [409],
      handle: async ({ principal, body }) => {
        const source =
          body.tgz !== undefined
            ? { tgz: Buffer.from(body.tgz, 'base64') }
            : {
                files: Object.entries(body.files as Record<string, string>).map(([path, content]) => ({
                  path,
                  content: Buffer.from(content, 'utf8'),
                })),
              };
        const saved = await engine.templates.import(principal, source);
        return saved.created ? created(saved, versionPath(saved)) : ok(saved);
      },
    }),
    operation({
      id: 'listTemplates',
      method: 'get',
      path: '/api/templates',
      tag: 'templates',
      summary: 'Template versions, filtered by template and status',
      access: 'session',
      query: object(
        {
          templateId: { ...templateId, description: 'Only the versions of this template' },
          status: oneOf(STATUSES, 'Only versions in this status'),
        },
        [],
      ),
      responses: {
        200: json('The template versions', listOf('templates', 'TemplateVersion', 'Template versions')),
      },
      handle: async ({ principal, query }) =>
        ok({
          templates: await engine.templates.list(principal, {
            ...(query.templateId !== undefined && { templateId: query.templateId }),
            ...(query.status !== undefined && { status: query.status }),
          }),
        }),
    }),
    operation({
      id: 'getTemplateVersion',
      method: 'get',
      path: '/api/templates/{templateId}/versions/{version}',
      tag: 'templates',
      summary: 'One version of a template',
      access: 'session',
      params: versionParams,
      responses: { 200: version('The template version') },
      handle: async ({ principal, params }) =>
        ok(await engine.templates.get(principal, params.templateId, params.version)),
    }),
    operation({
      id: 'templateHistory',
      method: 'get',
      path: '/api/templates/{templateId}/versions/{version}/history',
      tag: 'templates',
      summary: 'The audit trail of a template version: import, revisions, review, approval, release',
      access: 'session',
      params: versionParams,
      responses: {
        200: json('The audit trail, oldest first', listOf('events', 'AuditEvent', 'An audit trail')),
      },
      handle: async ({ principal, params }) =>
        ok({ events: await engine.templates.history(principal, params.templateId, params.version) }),
    }),
    operation({
      id: 'submitTemplate',
      method: 'post',
      path: '/api/templates/{templateId}/versions/{version}/submit',
      tag: 'templates',
      summary: 'Submit a draft for review: from then on it never changes',
      description:
        'The package is checked again as an import checks it: a draft saved before it compiled, or whose ' +
        'roles changed since, is refused (400) with every problem at its pointer into the package.',
      access: 'session',
      params: versionParams,
      responses: { 200: version('The version, in review') },
      problems: [409],
      handle: async ({ principal, params }) =>
        ok(await engine.templates.submit(principal, params.templateId, params.version)),
    }),
    operation({
      id: 'approveTemplate',
      method: 'post',
      path: '/api/templates/{templateId}/versions/{version}/approve',
      tag: 'templates',
      summary: 'Approve a version in review with an electronic signature, meaning Approved (D1, B1, B5)',
      description:
        'The approver types their password again, holds the authority to approve templates and is not ' +
        'the version’s author (B5).',
      access: 'session',
      params: versionParams,
      body: object({ password: password('The approver’s own password, typed again (B1)') }, ['password']),
      responses: { 200: version('The version, approved') },
      problems: [409, 423],
      handle: async ({ principal, params, body }) =>
        ok(await engine.templates.approve(principal, params.templateId, params.version, body)),
    }),
    operation({
      id: 'rejectTemplate',
      method: 'post',
      path: '/api/templates/{templateId}/versions/{version}/reject',
      tag: 'templates',
      summary: 'Reject a version in review back to draft: signed, meaning Rejected, with a reason (B3)',
      access: 'session',
      params: versionParams,
      body: object(
        {
          password: password('The reviewer’s own password, typed again (B1)'),
          reason: requiredText(LIMITS.reason, 'Why it is rejected'),
        },
        ['password', 'reason'],
      ),
      responses: { 200: version('The version, a draft again') },
      problems: [409, 423],
      handle: async ({ principal, params, body }) =>
        ok(await engine.templates.reject(principal, params.templateId, params.version, body)),
    }),
    operation({
      id: 'makeTemplateEffective',
      method: 'post',
      path: '/api/templates/{templateId}/versions/{version}/effective',
      tag: 'templates',
      summary: 'Make an approved version effective: new records start from it (D1, D2)',
      description:
        'Its forms and process are deployed, pinned to each other, and the version effective before it ' +
        'is superseded, in one transaction. Records started before stay on their version.',
      access: 'session',
      params: versionParams,
      responses: { 200: version('The version, effective') },
      problems: [409],
      handle: async ({ principal, params }) =>
        ok(await engine.templates.makeEffective(principal, params.templateId, params.version)),
    }),
    operation({
      id: 'retireTemplate',
      method: 'post',
      path: '/api/templates/{templateId}/versions/{version}/retire',
      tag: 'templates',
      summary: 'Retire a version: no new record starts from it; records in flight finish on it',
      access: 'session',
      params: versionParams,
      body: object({ reason: requiredText(LIMITS.reason, 'Why it is retired') }, ['reason']),
      responses: { 200: version('The version, retired') },
      problems: [409],
      handle: async ({ principal, params, body }) =>
        ok(await engine.templates.retire(principal, params.templateId, params.version, body)),
    }),
    operation({
      id: 'exportTemplate',
      method: 'get',
      path: '/api/templates/{templateId}/versions/{version}/export',
      tag: 'templates',
      summary: 'A version as a package again: a .tgz of its files exactly as imported',
      description: 'Importing the archive gives the same content hash: it is the same version.',
      access: 'session',
      params: versionParams,
      responses: {
        200: { description: 'The package, as a download', content: { 'application/gzip': TGZ } },
      },
      handle: async ({ principal, params }) => {
        const exported = await engine.templates.export(principal, params.templateId, params.version);
        return download(exported.tgz, 'application/gzip', exported.fileName);
      },
    }),
    operation({
      id: 'templateFiles',
      method: 'get',
      path: '/api/templates/{templateId}/versions/{version}/files',
      tag: 'templates',
      summary: 'The files of a version as text, with the content hash a draft save names as its base',
      access: 'session',
      params: versionParams,
      responses: { 200: json('The files', ref('TemplateFiles')) },
      handle: async ({ principal, params }) => {
        const { version: view, files } = await engine.templates.files(
          principal,
          params.templateId,
          params.version,
        );
        return ok({
          templateId: view.templateId,
          version: view.version,
          status: view.status,
          contentHash: view.contentHash,
          files,
        });
      },
    }),
    operation({
      id: 'diffTemplate',
      method: 'get',
      path: '/api/templates/{templateId}/diff',
      tag: 'templates',
      summary: 'What changed between two versions: manifest values, process elements, form fields (G1)',
      access: 'session',
      params: object({ templateId }, ['templateId']),
      query: object(
        {
          from: templateVersion('The older version, e.g. the effective one'),
          to: templateVersion('The newer version, e.g. the one in review'),
        },
        ['from', 'to'],
      ),
      responses: { 200: json('The differences', ref('TemplateDiff')) },
      handle: async ({ principal, params, query }) =>
        ok(await engine.templates.diff(principal, params.templateId, query.from, query.to)),
    }),
  ];
}
