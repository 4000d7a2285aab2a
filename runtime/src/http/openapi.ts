import { COMPONENTS, ref } from './components.ts';
import type { Operation, ResponseSpec } from './operation.ts';
import { PROBLEMS } from './problem.ts';
import type { Schema } from './schema.ts';
import { NOTHING } from './validation.ts';
import { DEFAULT_BODY_LIMIT_KB } from './jsonBody.ts';

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'The input is not valid: malformed JSON, or `errors` lists each field that is wrong',
  401: 'No valid token or session, or a password typed to sign is wrong',
  403: 'Not allowed, or the password must be changed first',
  404: 'Nothing exists under this id',
  405: 'The method is not allowed on this resource',
  409: 'Changed by someone else at the same time, or taken already',
  415: 'The request body is not application/json',
  423: 'The account is locked; an administrator must reset its password',
  429: 'Too many failed attempts from this address',
  500: 'Unexpected error; the request id identifies it in the log',
};

const problemResponse = (status: number, op: Operation) => ({
  description:
    status === 413
      ? `The request body is larger than ${op.bodyLimitKb ?? DEFAULT_BODY_LIMIT_KB} kB`
      : (PROBLEM_DESCRIPTIONS[status] ?? PROBLEMS.internal.title),
  content: { 'application/problem+json': { schema: ref('Problem') } },
});

/** The problems an operation can meet, from what it takes and who may call it. */
function problemStatuses(op: Operation): number[] {
  const statuses = new Set([400, 500, ...(op.problems ?? [])]);
  if (op.access !== 'public') [401, 403].forEach((s) => statuses.add(s));
  if (op.params) statuses.add(404);
  if (op.method !== 'get') [413, 415].forEach((s) => statuses.add(s));
  return [...statuses].sort((a, b) => a - b);
}

function responses(op: Operation) {
  const out: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(op.responses) as [string, ResponseSpec][]) {
    out[status] = {
      description: spec.description,
      ...(spec.content && {
        content: Object.fromEntries(Object.entries(spec.content).map(([type, schema]) => [type, { schema }])),
      }),
    };
  }
  for (const status of problemStatuses(op)) out[status] = problemResponse(status, op);
  return out;
}

function parameters(where: 'path' | 'query', schema: Schema | undefined) {
  const properties = (schema?.properties ?? {}) as Record<string, Schema>;
  const required = (schema?.required ?? []) as string[];
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.includes(name),
    ...(typeof property.description === 'string' && { description: property.description }),
    schema: property,
  }));
}

function requestBody(op: Operation) {
  if (op.body) return { required: true, content: { 'application/json': { schema: op.body } } };
  if (op.method === 'get') return undefined;
  return { required: false, content: { 'application/json': { schema: NOTHING } } };
}

/**
 * The OpenAPI 3.1 document of the API, built from the same operation declarations the router
 * mounts, so it describes every route, and with the very schemas the requests are validated with.
 */
export function openApiDocument(operations: Operation[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const item = (paths[op.path] ??= {});
    item[op.method] = {
      operationId: op.id,
      tags: [op.tag],
      summary: op.summary,
      ...(op.description && { description: op.description }),
      ...(op.access === 'public' && { security: [] }),
      parameters: [...parameters('path', op.params), ...parameters('query', op.query)],
      ...(requestBody(op) && { requestBody: requestBody(op) }),
      responses: responses(op),
    };
    for (const [method, refusal] of Object.entries(op.refuses ?? {})) {
      item[method] = {
        operationId: refusal.id,
        tags: [op.tag],
        summary: 'Refused',
        description: refusal.reason,
        security: [],
        parameters: parameters('path', op.params),
        responses: { 405: problemResponse(405, op), 500: problemResponse(500, op) },
      };
    }
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Attest API',
      version,
      summary: 'GMP records, electronic signatures, audit trails, users and roles',
      description:
        'Errors are RFC 9457 problem documents (application/problem+json) with a `requestId` that ' +
        'also comes back in the `x-request-id` header. Log in at /api/auth/login and send the ' +
        'token as `Authorization: Bearer <token>`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    tags: [
      { name: 'auth', description: 'Sessions and one’s own password' },
      { name: 'users', description: 'User administration (A1–A6)' },
      { name: 'roles', description: 'Roles and their permissions (A2, A3)' },
      {
        name: 'records',
        description: 'GMP records started from templates, and their audit trails (C1–C5, D2)',
      },
      { name: 'signatures', description: 'Electronic signatures (B1–B7)' },
      { name: 'processes', description: 'BPMN process definitions, their versions and instances' },
      {
        name: 'tasks',
        description: 'User tasks, their forms and values, and incidents of process instances',
      },
      { name: 'forms', description: 'Form versions: Form.io definitions compiled to JSON Schema (E4, F4)' },
      {
        name: 'templates',
        description:
          'Template packages and their lifecycle: draft, review, approval, effective, retired (D1–D3)',
      },
      {
        name: 'designer',
        description:
          'What the designer asks before saving: models and forms checked, sample values previewed (D1, G1)',
      },
      { name: 'audit', description: 'Signed checkpoints of the audit trail, kept outside the database (C3)' },
      {
        name: 'devices',
        description: 'Devices (scales, PLCs, instruments): plugin, settings, room, calibration, status (E6)',
      },
      {
        name: 'equipment',
        description: 'Rooms and equipment: status, cleaning, calibration, qualification, logbook (F2)',
      },
      {
        name: 'materials',
        description:
          'Materials, approved suppliers and specifications (signed); lots, their status, containers and stock (F3)',
      },
      {
        name: 'plugins',
        description:
          'Plugins (device connectors, service handlers): registered with version and hash, enabled by signature (G2)',
      },
      { name: 'platform', description: 'Health and this document' },
    ],
    security: [{ bearer: [] }],
    paths,
    components: {
      schemas: COMPONENTS,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
