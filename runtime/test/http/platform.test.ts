import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { onServer, startTestEngine, type TestContext } from '../../../engine/test/support/testEngine.ts';
import { apiDocument } from '../../src/http/app.ts';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- the OpenAPI document is walked generically */

/** Every schema inside a request body or a parameter, with where it sits. */
function requestSchemas(document: any): { where: string; schema: any }[] {
  const found: { where: string; schema: any }[] = [];
  const walk = (schema: any, where: string) => {
    found.push({ where, schema });
    for (const [key, sub] of Object.entries(schema.properties ?? {})) walk(sub, `${where}/${key}`);
    if (schema.items) walk(schema.items, `${where}/items`);
  };
  for (const [path, item] of Object.entries<any>(document.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      const body = op.requestBody?.content['application/json']?.schema;
      if (body) walk(body, `${method} ${path} body`);
      for (const p of op.parameters ?? []) walk(p.schema, `${method} ${path} ${p.in} ${p.name}`);
    }
  }
  return found;
}

describe('Feature: the platform around the API', () => {
  let ctx: TestContext;
  let api: TestApi;
  const logLines: string[] = [];

  before(async () => {
    ctx = await startTestEngine();
    const failing = {
      ...ctx.engine,
      identity: {
        ...ctx.engine.identity,
        login: async () => {
          throw new Error('connection to postgres://attest:s3cret@db failed');
        },
      },
    };
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          logLines.push(String(chunk));
          done();
        },
      }),
    );
    api = await startTestApi({ ctx: { ...ctx, engine: failing }, logger });
  });
  after(async () => {
    await api.close();
    await ctx.close();
  });

  it('reports its health and database without a login', async () => {
    const response = await api.request('GET', '/api/health');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {
      status: 'ok',
      database: onServer() ? 'postgres' : 'embedded',
      version: '0.1.0',
    });
    assert.equal((await api.request('HEAD', '/api/health')).status, 200);
  });

  it('serves an OpenAPI 3.1 document describing every route', async () => {
    const { document } = api;
    const operations = Object.entries<any>(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(operations.sort(), [
      'DELETE /api/users/{id}',
      'GET /api/audit/checkpoint-key',
      'GET /api/auth/me',
      'GET /api/batches/{batch}/deviations',
      'GET /api/devices',
      'GET /api/devices/state',
      'GET /api/devices/{id}',
      'GET /api/devices/{id}/audit',
      'GET /api/devices/{id}/live',
      'GET /api/equipment',
      'GET /api/equipment/{code}',
      'GET /api/equipment/{code}/label',
      'GET /api/equipment/{code}/logbook',
      'GET /api/exceptions/{id}',
      'GET /api/forms',
      'GET /api/forms/{key}',
      'GET /api/health',
      'GET /api/incidents',
      'GET /api/instances/{id}',
      'GET /api/instances/{id}/history',
      'GET /api/jobs/failed',
      'GET /api/lots',
      'GET /api/lots/{number}',
      'GET /api/lots/{number}/labels',
      'GET /api/materials',
      'GET /api/materials/{code}',
      'GET /api/materials/{code}/fefo',
      'GET /api/metrics',
      'GET /api/openapi.json',
      'GET /api/plugins',
      'GET /api/plugins/{plugin}/audit',
      'GET /api/processes',
      'GET /api/ready',
      'GET /api/records',
      'GET /api/records/{id}/audit',
      'GET /api/records/{id}/signatures',
      'GET /api/records/{record}',
      'GET /api/records/{record}/dossier',
      'GET /api/records/{record}/printout',
      'GET /api/review-lead-times',
      'GET /api/review-queue',
      'GET /api/roles',
      'GET /api/rooms',
      'GET /api/rooms/{code}',
      'GET /api/security-changes',
      'GET /api/task-events',
      'GET /api/tasks',
      'GET /api/tasks/{id}',
      'GET /api/tasks/{id}/devices',
      'GET /api/tasks/{id}/form',
      'GET /api/tasks/{id}/review',
      'GET /api/templates',
      'GET /api/templates/{templateId}/diff',
      'GET /api/templates/{templateId}/versions/{version}',
      'GET /api/templates/{templateId}/versions/{version}/export',
      'GET /api/templates/{templateId}/versions/{version}/files',
      'GET /api/templates/{templateId}/versions/{version}/history',
      'GET /api/users',
      'GET /api/users/{id}',
      'GET /api/users/{id}/audit',
      'POST /api/audit/checkpoints',
      'POST /api/auth/login',
      'POST /api/auth/logout',
      'POST /api/auth/password',
      'POST /api/auth/refresh',
      'POST /api/designer/form-check',
      'POST /api/designer/form-preview',
      'POST /api/designer/process-check',
      'POST /api/devices',
      'POST /api/devices/{id}/writes',
      'POST /api/equipment',
      'POST /api/equipment/import',
      'POST /api/equipment/{code}/events',
      'POST /api/exceptions/{id}/dispositions',
      'POST /api/forms',
      'POST /api/incidents/{id}/retry',
      'POST /api/instances/{id}/migrate',
      'POST /api/lots',
      'POST /api/lots/{number}/status',
      'POST /api/lots/{number}/transactions',
      'POST /api/materials',
      'POST /api/materials/import',
      'POST /api/materials/{code}/specification',
      'POST /api/materials/{code}/suppliers',
      'POST /api/messages',
      'POST /api/plugins/{plugin}/disable',
      'POST /api/plugins/{plugin}/enable',
      'POST /api/processes',
      'POST /api/processes/{key}/instances',
      'POST /api/records',
      'POST /api/records/{id}/changes',
      'POST /api/records/{id}/signatures',
      'POST /api/records/{record}/reopenings',
      'POST /api/roles/{name}/proposals',
      'POST /api/rooms',
      'POST /api/security-changes/{id}/approve',
      'POST /api/security-changes/{id}/reject',
      'POST /api/signals',
      'POST /api/signatures/{id}/withdraw',
      'POST /api/tasks/{id}/check',
      'POST /api/tasks/{id}/claim',
      'POST /api/tasks/{id}/complete',
      'POST /api/tasks/{id}/readings',
      'POST /api/tasks/{id}/verification',
      'POST /api/templates',
      'POST /api/templates/{templateId}/versions/{version}/approve',
      'POST /api/templates/{templateId}/versions/{version}/effective',
      'POST /api/templates/{templateId}/versions/{version}/reject',
      'POST /api/templates/{templateId}/versions/{version}/retire',
      'POST /api/templates/{templateId}/versions/{version}/submit',
      'POST /api/users',
      'POST /api/users/{id}/deactivate',
      'POST /api/users/{id}/reactivate',
      'POST /api/users/{id}/reset-password',
      'POST /api/users/{id}/roles/proposals',
      'POST /api/users/{id}/unlock',
      'PUT /api/auth/language',
      'PUT /api/devices/{id}',
      'PUT /api/equipment/{code}',
      'PUT /api/materials/{code}',
      'PUT /api/roles/{name}',
      'PUT /api/rooms/{code}',
      'PUT /api/tasks/{id}/values',
      'PUT /api/templates/{templateId}/versions/{version}/draft',
      'PUT /api/users/{id}/roles',
    ]);
    const raw = document as any;
    assert.equal(raw.openapi, '3.1.0');
    assert.equal(raw.jsonSchemaDialect, 'https://json-schema.org/draft/2020-12/schema');
    assert.deepEqual(raw.paths['/api/health'].get.security, []);
  });

  it('builds the same document from the declarations alone, for the generated wire types', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(apiDocument())), api.document);
  });

  it('closes every request schema and bounds every string in it', () => {
    const schemas = requestSchemas(api.document);
    assert.ok(schemas.length > 50);
    for (const { where, schema } of schemas) {
      // Process variables and a migration's element ids are named by the model, so their objects
      // are open: they are bounded instead, a mapping's names and values too.
      // Form data and Form.io definitions are named by the form's author: bounded, checked by the engine.
      // A template package's files and forms are named by its author too: bounded, checked by the engine.
      // Comments on values outside their limits are keyed by the values' pointers: names and texts bounded.
      // A device's settings are named by its plugin's schema: bounded, checked by the engine against it.
      if (schema.type === 'object' && /body\/(variables|data|definition|settings)$/.test(where))
        assert.ok(schema.maxProperties > 0, where);
      else if (schema.type === 'object' && /body\/(sources|na|files|forms)$/.test(where)) {
        assert.ok(schema.maxProperties > 0, where);
        assert.ok(schema.propertyNames.maxLength > 0, where);
      } else if (schema.type === 'object' && /body\/(mapping|comments)$/.test(where)) {
        assert.ok(schema.maxProperties > 0, where);
        assert.ok(schema.propertyNames.maxLength > 0 && schema.additionalProperties.maxLength > 0, where);
      } else if (schema.type === 'object') assert.equal(schema.additionalProperties, false, where);
      if ([schema.type].flat().includes('string'))
        assert.ok(schema.maxLength > 0 || schema.enum, `${where} has no maxLength`);
    }
    for (const { where, schema } of schemas.filter((s) => /(path|query) (id|actor)$/.test(s.where))) {
      assert.equal(schema.format, 'uuid', where);
    }
    const newUser = (api.document as any).paths['/api/users'].post.requestBody.content['application/json']
      .schema;
    assert.deepEqual(
      [
        newUser.properties.printedName.maxLength,
        newUser.properties.signature.properties.password.maxLength,
        newUser.properties.signature.properties.reason.maxLength,
      ],
      [200, 256, 1000],
    );
  });

  it('answers unknown routes under /api with a 404 problem, and unknown methods with 405', async () => {
    const missing = await api.request('GET', '/api/nothing/here');
    assert.equal(assertProblem(missing, 404, 'not-found').instance, '/api/nothing/here');
    const patch = await api.request('PATCH', '/api/health');
    assertProblem(patch, 405, 'method-not-allowed');
    assert.equal(patch.headers.get('allow'), 'GET, HEAD');
  });

  it('sends a strict Content-Security-Policy: no inline code, no eval, never framed', async () => {
    const response = await api.request('GET', '/api/health');
    const csp = response.headers.get('content-security-policy')!;
    const directives = Object.fromEntries(
      csp.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')];
      }),
    );
    assert.deepEqual(directives, {
      'default-src': "'self'",
      'script-src': "'self'",
      'script-src-attr': "'none'",
      'style-src': "'self'",
      'img-src': "'self' data:",
      'object-src': "'none'",
      'base-uri': "'none'",
      'frame-ancestors': "'none'",
      'form-action': "'self'",
    });
    assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('x-powered-by'), null);
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  it('echoes a sane incoming request id and replaces anything else', async () => {
    const kept = await api.request('GET', '/api/nothing', { headers: { 'x-request-id': 'lb-1234.abc' } });
    assert.equal(kept.headers.get('x-request-id'), 'lb-1234.abc');
    assert.equal(kept.body.requestId, 'lb-1234.abc');
    const replaced = await api.request('GET', '/api/health', { headers: { 'x-request-id': 'a b<script>' } });
    assert.match(replaced.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
  });

  it('answers an unexpected error with a 500 problem that reveals nothing, and logs it with the request id', async () => {
    const response = await api.request('POST', '/api/auth/login', {
      body: { username: 'olivia', password: 'whatever' },
      headers: { 'x-request-id': 'trace-500' },
    });
    const problem = assertProblem(response, 500, 'internal');
    assert.doesNotMatch(JSON.stringify(problem), /s3cret|postgres/);
    const logged = logLines.map((line) => JSON.parse(line)).find((l) => l.req?.id === 'trace-500');
    assert.equal(logged.level, 50);
    assert.match(logged.err.message, /s3cret/);
    assert.equal(JSON.stringify(logged).includes('authorization'), false);
  });
});
