import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { SECURITY_SUBJECT, type Principal } from '@attest/engine';
import { createColleague, demoPassword, loginAs } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type ApiResponse, type TestApi } from './support/api.ts';
import { changesNothingTo, expectInput as expectInputAt } from './support/refusals.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- schemas and bodies are walked generically */

interface Endpoint {
  id: string;
  method: string;
  template: string;
  operation: any;
  body: any | undefined;
}

/** A valid body for every operation that takes one: each test breaks exactly one thing in it. */
const VALID_BODIES: Record<string, object> = {
  login: { username: 'olivia', password: 'a password' },
  changePassword: { currentPassword: 'a password', newPassword: 'another password' },
  setLanguage: { language: 'zh-CN' },
  createUser: {
    username: 'valid.name',
    printedName: 'Valid Name',
    email: 'valid@example.com',
    roles: ['operator'],
    signature: { password: 'a password', reason: 'New starter' },
  },
  setUserRoles: { roles: ['operator'], signature: { password: 'a password', reason: 'Promotion' } },
  deactivateUser: { reason: 'Left' },
  reactivateUser: { reason: 'Back' },
  resetPassword: { reason: 'Forgot it' },
  unlockUser: { reason: 'Locked by guesses' },
  proposeUserRoles: { roles: ['operator'], signature: { password: 'a password', reason: 'Promotion' } },
  proposeRole: {
    title: 'Auditor',
    description: 'Reads',
    permissions: ['audit.read'],
    signature: { password: 'a password' },
  },
  approveSecurityChange: { signature: { password: 'a password' } },
  rejectSecurityChange: { signature: { password: 'a password', reason: 'Not needed' } },
  defineRole: {
    title: 'Auditor',
    description: 'Reads',
    permissions: ['audit.read'],
    signature: { password: 'a password' },
  },
  signRecord: { meaning: 'Performed', password: 'a password', reason: 'Done', override: false },
  withdrawSignature: { password: 'a password', reason: 'Wrong step' },
  reopenRecord: { reason: 'Late lab result', password: 'a password' },
  registerDevice: {
    code: 'BAL-0042',
    name: 'Floor scale',
    kind: 'scale',
    plugin: '@attest/scale-mtsics',
    settings: { transport: 'tcp', host: '10.0.4.21', port: 4305 },
    room: 'Dispensing 2',
    line: null,
    calibrationDue: '2099-06-30',
    status: 'in_service',
    reason: 'Installed',
  },
  changeDevice: {
    code: 'BAL-0042',
    name: 'Floor scale',
    kind: 'scale',
    plugin: '@attest/scale-mtsics',
    settings: { transport: 'tcp', host: '10.0.4.21', port: 4305 },
    room: 'Dispensing 3',
    line: null,
    calibrationDue: '2099-06-30',
    status: 'in_service',
    reason: 'Moved',
    version: 1,
  },
  enablePlugin: { password: 'a password', reason: 'Validated, VAL-0042' },
  disablePlugin: { password: 'a password', reason: 'Interface retired' },
  changeRecord: {
    kind: 'add',
    formKey: 'cleaning',
    name: 'Extra cleaning check',
    reason: 'Spill next to the balance',
    password: 'a password',
  },
  disposeException: { action: 'assess', comment: 'Checked the data logger', password: 'a password' },
  deployProcess: { xml: '<definitions />' },
  correlateMessage: { name: 'Lab result', correlationKey: 'S-1', variables: { result: 'pass' } },
  broadcastSignal: { name: 'Line stop', variables: { line: 3 } },
  importForm: { key: 'dispensing', definition: { components: [] } },
  verifyTaskValues: { username: 'oscar', password: 'a password', pointers: ['/lot'] },
  writeDevice: {
    channel: 'setPoint',
    value: 42.5,
    reason: 'Inlet air temperature per batch instruction',
    password: 'a password',
  },
  takeTaskReading: {
    pointer: '/netWeight',
    deviceId: '00000000-0000-4000-8000-00000000beef',
    action: 'read',
    reason: 'Container was not fully emptied',
  },
  migrateInstance: {
    targetDefinitionId: '00000000-0000-4000-8000-00000000beef',
    mapping: { review: 'qaReview' },
    dryRun: true,
  },
  approveTemplate: { password: 'a password' },
  rejectTemplate: { password: 'a password', reason: 'The review step lacks a form' },
  retireTemplate: { reason: 'Replaced' },
  saveTemplateDraft: { files: { 'manifest.json': '{}' }, baseHash: null },
  checkProcess: { xml: '<definitions />', forms: { report: { components: [] } } },
  checkForm: { definition: { components: [] } },
  previewForm: { definition: { components: [] }, data: {}, variables: { batch: 'B-1' } },
  registerRoom: { code: 'R-104', name: 'Granulation 1', class: 'D', status: 'cleared', reason: 'Qualified' },
  changeRoom: { name: 'Granulation 1', class: 'C', status: 'cleared', reason: 'Reclassified', version: 1 },
  registerEquipment: {
    code: 'MX-01',
    name: 'Mixer',
    type: 'high-shear mixer',
    room: 'R-104',
    status: 'clean',
    calibrationDue: '2099-06-30',
    qualificationDue: '2099-12-31',
    cleanHoldHours: 72,
    dailyCheckRequired: false,
    reason: 'Installed and qualified',
  },
  changeEquipment: {
    name: 'Mixer',
    type: 'high-shear mixer',
    room: 'R-105',
    cleanHoldHours: 48,
    dailyCheckRequired: true,
    reason: 'Moved',
    version: 1,
  },
  importEquipment: {
    csv: 'code,name,type,room,status,calibrationDue,qualificationDue,cleanHoldHours,dailyCheckRequired\n',
    reason: 'First load',
  },
  recordEquipmentEvent: {
    type: 'calibrated',
    reason: 'Annual calibration',
    password: 'a password',
    calibrationDue: '2099-06-30',
    certificate: 'CAL-2026-118',
    qualificationDue: '2099-12-31',
    report: 'PQ-2026-07',
    passed: true,
    status: 'dirty',
  },
  startRecord: {
    template: 'deviation',
    title: 'Spill in room 4',
    variables: { affectedBatches: ['B-7'] },
    raisedFrom: 'DEV-2026-0001',
  },
  createMaterial: {
    code: 'PCM',
    name: 'Paracetamol',
    type: 'api',
    baseUnit: 'kg',
    storageConditions: 'Below 25 °C',
    retestMonths: 24,
    shelfLifeMonths: 36,
    samplingPlan: 'sqrt_n_plus_1',
    lotNumberPattern: '{material}-{YY}-{seq:4}',
    reason: 'First listing',
  },
  changeMaterial: {
    code: 'PCM',
    name: 'Paracetamol',
    type: 'api',
    baseUnit: 'kg',
    storageConditions: 'Below 30 °C',
    retestMonths: 24,
    shelfLifeMonths: 36,
    samplingPlan: 'sqrt_n_plus_1',
    lotNumberPattern: '{material}-{YY}-{seq:4}',
    reason: 'Stability data',
    version: 1,
  },
  importMaterials: { csv: 'code,name,type,baseUnit,samplingPlan,lotNumberPattern\n', reason: 'First load' },
  setMaterialSupplier: {
    supplierCode: 'SUP-A',
    supplierName: 'Acme',
    status: 'approved',
    password: 'a password',
    reason: 'Audit passed',
    version: 1,
  },
  approveSpecification: {
    specification: [
      {
        name: 'Assay',
        method: 'HPLC',
        unit: '%',
        limits: { min: 98, max: 102 },
        allowedResults: ['conforms'],
      },
    ],
    password: 'a password',
    reason: 'Monograph',
    version: 1,
  },
  receiveLot: {
    material: 'PCM',
    supplier: 'SUP-A',
    supplierLot: 'ACME-1',
    containers: [{ quantity: 25 }],
    expiryDate: '2099-01-01',
    location: 'WH-A-01',
  },
  changeLotStatus: {
    status: 'released',
    version: 1,
    password: 'a password',
    reason: 'Conforms',
    sampleQuantity: 0.1,
  },
  moveLot: {
    kind: 'adjustment',
    quantity: -1,
    container: 'PCM-26-0001-C01',
    reason: 'Stocktake',
    instanceId: '00000000-0000-4000-8000-00000000beef',
    taskId: 'dispense',
  },
};

/** Request bodies larger than the default are allowed where a whole file is sent. */
const BODY_LIMITS_KB: Record<string, number> = {
  deployProcess: 3907,
  importForm: 4096,
  saveTaskValues: 1024,
  completeTask: 1024,
  checkTaskValues: 1024,
  importTemplate: 8192,
  saveTemplateDraft: 8192,
  checkProcess: 8192,
  checkForm: 4096,
  previewForm: 5120,
  importEquipment: 2048,
  importMaterials: 1024,
};

const clone = <T>(value: T): T => structuredClone(value);

const getAt = (target: any, pointer: string): any =>
  pointer
    .split('/')
    .slice(1)
    .reduce((node, key) => node?.[key], target);

function setAt(target: any, pointer: string, value: unknown): any {
  const copy = clone(target);
  const keys = pointer.split('/').slice(1);
  let node = copy;
  for (const key of keys.slice(0, -1)) node = node[key] ??= {};
  if (value === undefined) delete node[keys.at(-1)!];
  else node[keys.at(-1)!] = value;
  return copy;
}

/** A closed object; process variables are the one open object, named by the model. */
const isClosed = (schema: any) => schema.type === 'object' && schema.additionalProperties === false;

/** Every property of a body schema, nested closed objects included, with its JSON pointer. */
function properties(schema: any, pointer = ''): { pointer: string; schema: any; required: boolean }[] {
  return Object.entries(schema.properties ?? {}).flatMap(([key, sub]: [string, any]) => [
    { pointer: `${pointer}/${key}`, schema: sub, required: (schema.required ?? []).includes(key) },
    ...(isClosed(sub) ? properties(sub, `${pointer}/${key}`) : []),
  ]);
}

const WRONG_TYPE: Record<string, unknown> = {
  string: 12345,
  boolean: 'yes',
  array: 'operator',
  object: 'x',
  integer: 'one',
  // A value of one of several types (a device write: a number, true or false, or text).
  oneOf: { a: 1 },
  number: 'ten',
};

/** The type a field takes besides null: `['string', 'null']` is a string that may also be null. */
const typeOf = (schema: any): string =>
  schema.oneOf && !schema.type ? 'oneOf' : [schema.type].flat().find((t: string) => t !== 'null');
const nullable = (schema: any) => [schema.type].flat().includes('null');

describe('Feature: bad input gets a clear problem and changes nothing', () => {
  let api: TestApi;
  let adrian: Principal;
  let admin: string;
  let endpoints: Endpoint[];
  const ids = { user: '', record: '', signature: '' };

  before(async () => {
    api = await startTestApi();
    const { engine } = api.ctx;
    adrian = await loginAs(engine, 'adrian');
    const olivia = await loginAs(engine, 'olivia');
    const record = await engine.records.create(olivia, { kind: 'batch', title: 'Granulation', content: {} });
    const signature = await engine.signatures.sign(olivia, record.id, {
      meaning: 'Performed',
      password: demoPassword('olivia'),
    });
    ids.user = (await engine.identity.listUsers(adrian)).find((u) => u.username === 'oscar')!.id;
    ids.record = record.id;
    ids.signature = signature.id;
    admin = await api.login('adrian');
    endpoints = Object.entries(api.document.paths).flatMap(([template, item]) =>
      Object.entries(item as Record<string, any>)
        .filter(([, operation]) => Object.keys(operation.responses).some((s) => s.startsWith('2')))
        .map(([method, operation]) => ({
          id: operation.operationId,
          method: method.toUpperCase(),
          template,
          operation,
          body: operation.requestBody?.content['application/json'].schema,
        })),
    );
  });
  after(() => api.close());

  /** A well-formed value for each path parameter, by its name. */
  const goodPathValue = (param: string, template: string): string => {
    switch (param) {
      case 'name':
        return 'operator';
      case 'key':
        return 'approval';
      case 'templateId':
        return 'deviation';
      case 'version':
        return '1.0.0';
      case 'record':
        return ids.record;
      case 'batch':
        return 'B-1';
      case 'code':
        return template.startsWith('/api/materials') ? 'PCM' : 'MX-01';
      case 'number':
        return 'PCM-26-0001';
      default:
        return template.startsWith('/api/users')
          ? ids.user
          : template.startsWith('/api/records')
            ? ids.record
            : ids.signature;
    }
  };
  /** Malformed values for each path parameter, by its name: each must be refused before the database. */
  const badPathValues = (param: string): string[] => {
    switch (param) {
      case 'key':
        return ['1approval', "x' OR '1'='1", 'a b', 'k'.repeat(201), '%00'];
      case 'name':
        return ['X', "x' OR '1'='1", 'a'.repeat(64), '1role', '%00'];
      case 'templateId':
        return ['1deviation', 'Deviation', "x' OR '1'='1", 'a b', 'd'.repeat(41), '%00'];
      case 'version':
        return ['1', '1.0', '01.0.0', '1.0.0-rc.1', "1' OR '1'='1", '%00'];
      case 'record':
        return [`urn:uuid:${ids.record}`, `${ids.record}'--`, "1' OR '1'='1", 'a b', 'R'.repeat(101), '%00'];
      case 'batch':
        return [' ', 'b'.repeat(101), '%00'];
      case 'code':
        return ['mx-01', "MX' OR '1'='1", 'A B', 'M'.repeat(41), 'M/1', '%00'];
      case 'number':
        return ['pcm', 'P', "X' OR '1'='1", 'A B', 'P'.repeat(61), 'PCM/1', '%00'];
      case 'plugin':
        return ['X', "x' OR '1'='1", '.hidden', '@scope', 'p'.repeat(215), '%00'];
      default:
        return [
          'not-a-uuid',
          '1',
          `urn:uuid:${ids.record}`,
          `${ids.record}'--`,
          "1' OR '1'='1",
          '%00',
          `${ids.record}x`,
        ];
    }
  };
  const pathParams = (template: string) => [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  /** The endpoint's path with well-formed parameters, or the raw (encoded) values given. */
  const pathOf = (e: Endpoint, raw: Record<string, string> = {}) =>
    pathParams(e.template).reduce(
      (path, param) => path.replace(`{${param}}`, raw[param] ?? goodPathValue(param, e.template)),
      e.template,
    );
  const tokenFor = (e: Endpoint) => (e.operation.security?.length === 0 ? undefined : admin);
  const withBody = () => endpoints.filter((e) => e.body);
  const withFields = () => endpoints.filter((e) => e.body?.required?.length > 0);

  const snapshot = async () => {
    const { identity, audit, signatures } = api.ctx.engine;
    return {
      users: await identity.listUsers(adrian),
      roles: await identity.listRoles(adrian),
      signatures: await signatures.list(adrian, ids.record),
      events: await audit.trail(adrian, { limit: 1_000_000 }),
    };
  };

  /** Runs the requests, each of which must be refused, and checks that nothing changed at all. */
  const changesNothing = changesNothingTo(snapshot);

  /** A 400 input problem that points at the field, for the given reason when one is named. */
  const expectInput = (response: ApiResponse, what: string, pointer: string, keyword?: string) =>
    expectInputAt(response, pointer, keyword, what);

  it('has a valid example body for every operation that takes one', () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    assert.deepEqual(
      withFields()
        .map((e) => e.id)
        .sort(),
      Object.keys(VALID_BODIES).sort(),
    );
    for (const e of withFields()) {
      assert.ok(ajv.validate(e.body, VALID_BODIES[e.id]), `${e.id}: ${ajv.errorsText(ajv.errors)}`);
    }
  });

  it('refuses malformed JSON (400), other content types (415) and bodies over 100 kB (413) everywhere', async () => {
    await changesNothing(async () => {
      for (const e of withBody()) {
        const send = (raw: string, headers?: Record<string, string>) =>
          api.request(e.method, pathOf(e), { token: tokenFor(e), raw, ...(headers && { headers }) });
        for (const raw of ['{"username": ', '{"a":1}}', "{'a': 1}", '"just a string"', 'NaN']) {
          assertProblem(await send(raw), 400, 'malformed-json');
        }
        assertProblem(
          await send('username=olivia', { 'content-type': 'text/plain' }),
          415,
          'unsupported-media-type',
        );
        assertProblem(
          await send('<a>1</a>', { 'content-type': 'application/xml' }),
          415,
          'unsupported-media-type',
        );
        const limitKb = BODY_LIMITS_KB[e.id] ?? 100;
        const large = JSON.stringify({ ...VALID_BODIES[e.id], filler: 'x'.repeat((limitKb + 1) * 1024) });
        assertProblem(await send(large), 413, 'payload-too-large');
        expectInput(await send('[]'), e.id, '', 'type');
      }
    });
  });

  it('refuses unknown fields everywhere, nested ones and __proto__ included', async () => {
    await changesNothing(async () => {
      for (const e of withBody()) {
        const base = VALID_BODIES[e.id] ?? {};
        const send = (body: unknown) => api.request(e.method, pathOf(e), { token: tokenFor(e), body });
        expectInput(await send({ ...base, isAdmin: true }), e.id, '/isAdmin', 'additionalProperties');
        for (const nested of properties(e.body).filter((p) => isClosed(p.schema))) {
          const body = setAt(base, `${nested.pointer}/extra`, 1);
          expectInput(await send(body), e.id, `${nested.pointer}/extra`, 'additionalProperties');
        }
        const raw = JSON.stringify(base).replace(
          /^\{/,
          '{"__proto__":{"admin":true}' + (Object.keys(base).length ? ',' : ''),
        );
        const polluted = await api.request(e.method, pathOf(e), { token: tokenFor(e), raw });
        expectInput(polluted, e.id, '/__proto__', 'additionalProperties');
      }
    });
  });

  it('refuses wrong types and missing fields everywhere, each with a pointer to the field', async () => {
    await changesNothing(async () => {
      for (const e of withFields()) {
        const base = VALID_BODIES[e.id]!;
        for (const field of properties(e.body)) {
          const send = (body: unknown) => api.request(e.method, pathOf(e), { token: tokenFor(e), body });
          const wrong = setAt(base, field.pointer, WRONG_TYPE[typeOf(field.schema)]);
          const keyword = typeOf(field.schema) === 'oneOf' ? 'oneOf' : 'type';
          expectInput(await send(wrong), `${e.id} ${field.pointer}`, field.pointer, keyword);
          if (!nullable(field.schema)) {
            expectInput(
              await send(setAt(base, field.pointer, null)),
              `${e.id} ${field.pointer}`,
              field.pointer,
              'type',
            );
          }
          if (field.required) {
            expectInput(await send(setAt(base, field.pointer, undefined)), e.id, field.pointer, 'required');
          }
        }
      }
    });
  });

  it('refuses over-long strings everywhere', async () => {
    await changesNothing(async () => {
      for (const e of withFields()) {
        const base = VALID_BODIES[e.id]!;
        for (const field of properties(e.body)) {
          const send = (body: unknown) => api.request(e.method, pathOf(e), { token: tokenFor(e), body });
          const { schema } = field;
          if (typeOf(schema) === 'string' && schema.maxLength) {
            const long = setAt(base, field.pointer, 'x'.repeat(schema.maxLength + 1));
            expectInput(await send(long), `${e.id} ${field.pointer}`, field.pointer, 'maxLength');
          }
          if (schema.type === 'array' && schema.items.maxLength) {
            const long = setAt(base, field.pointer, ['x'.repeat(schema.items.maxLength + 1)]);
            expectInput(await send(long), e.id, `${field.pointer}/0`, 'maxLength');
          }
          if (schema.type === 'array') {
            const many = setAt(
              base,
              field.pointer,
              Array(schema.maxItems + 1).fill(getAt(base, field.pointer)[0]),
            );
            expectInput(await send(many), e.id, field.pointer, 'maxItems');
          }
        }
      }
    });
  });

  it('refuses text that PostgreSQL cannot store (NUL, lone surrogates) rather than failing on it', async () => {
    await changesNothing(async () => {
      for (const value of ['oli\u0000via', 'oli\ud800via']) {
        const login = await api.request('POST', '/api/auth/login', {
          body: { username: value, password: 'x' },
        });
        expectInput(login, 'login', '/username', 'pattern');
      }
      const reason = await api.request('POST', `/api/users/${ids.user}/deactivate`, {
        token: admin,
        body: { reason: 'Left\u0000' },
      });
      expectInput(reason, 'deactivate', '/reason', 'pattern');
      const field = await api.request('GET', `/api/records/${ids.record}/audit?field=/a%00b`, {
        token: admin,
      });
      expectInput(field, 'audit', '/field', 'pattern');
    });
  });

  it('refuses ids in paths that are not UUIDs, and other malformed path parameters, with 400, before any database sees them', async () => {
    await changesNothing(async () => {
      for (const e of endpoints.filter((x) => x.template.includes('{'))) {
        for (const param of pathParams(e.template)) {
          for (const value of badPathValues(param)) {
            const path = pathOf(e, { [param]: encodeURIComponent(value).replace('%2500', '%00') });
            const response = await api.request(e.method, path, {
              token: tokenFor(e),
              body: VALID_BODIES[e.id],
            });
            expectInput(response, `${e.id} ${value}`, `/${param}`);
          }
          const undecodable = pathOf(e, { [param]: '%E0%A4%A' });
          const response = await api.request(e.method, undecodable, {
            token: tokenFor(e),
            body: VALID_BODIES[e.id],
          });
          assertProblem(response, 400, 'bad-request');
        }
      }
    });
  });

  it('refuses unknown query parameters everywhere, and bad audit filters', async () => {
    await changesNothing(async () => {
      for (const e of endpoints) {
        const response = await api.request(e.method, `${pathOf(e)}?debug=1`, {
          token: tokenFor(e),
          body: VALID_BODIES[e.id],
        });
        expectInput(response, e.id, '/debug', 'additionalProperties');
      }
      const audits = endpoints.filter((e) => e.template.endsWith('/audit'));
      assert.equal(audits.length, 4);
      const cases: [string, string, string][] = [
        ['actor=olivia', '/actor', 'format'],
        [`actor=${ids.user}&actor=${ids.user}`, '/actor', 'type'],
        ["actor=' OR 1=1 --", '/actor', 'format'],
        ['from=yesterday', '/from', 'format'],
        ['to=2026-13-45T00:00:00Z', '/to', 'format'],
        ['from=2026-01-01', '/from', 'format'],
        ['from=2016-12-31T23:59:60Z', '/from', 'format'],
        ['field=temperature', '/field', 'format'],
        [`field=/${'x'.repeat(500)}`, '/field', 'maxLength'],
        ['format=xml', '/format', 'enum'],
      ];
      for (const e of audits) {
        for (const [query, pointer, keyword] of cases) {
          const response = await api.request('GET', `${pathOf(e)}?${query}`, { token: admin });
          expectInput(response, `${e.id} ${query}`, pointer, keyword);
        }
      }
    });
  });

  it('treats SQL metacharacters as plain data', async () => {
    const injection = "x' OR '1'='1";
    await changesNothing(async () => {
      const created = await api.request('POST', '/api/users', {
        token: admin,
        body: { ...VALID_BODIES.createUser, username: injection },
      });
      expectInput(created, 'createUser', '/username', 'pattern');
      const role = await api.request('PUT', `/api/roles/${encodeURIComponent(injection)}`, {
        token: admin,
        body: VALID_BODIES.defineRole,
      });
      expectInput(role, 'defineRole', '/name', 'pattern');
      const field = await api.request(
        'GET',
        `/api/records/${ids.record}/audit?field=${encodeURIComponent(`/a${injection}`)}`,
        {
          token: admin,
        },
      );
      assert.deepEqual(field.body.events, []);
    });

    const before = await snapshot();
    const login = await api.request('POST', '/api/auth/login', {
      body: { username: injection, password: injection },
    });
    assertProblem(login, 401, 'unauthenticated');
    const after = await snapshot();
    assert.deepEqual(after.users, before.users);
    const added = after.events.slice(before.events.length);
    assert.deepEqual(
      added.map((e) => [e.recordId, e.type, e.payload.username]),
      [[SECURITY_SUBJECT.id, 'auth.login_failed', injection.toLowerCase()]],
    );
  });

  it('refuses every protected operation without a good token: none, expired, forged, alg none, deactivated user', async () => {
    const { user: dora } = await createColleague(api.ctx, 'dora', ['operator']);
    const doraToken = await api.login('dora', 'Quartz-Lamp-4829');
    await api.ctx.engine.identity.setActive(adrian, dora.id, false, 'Left the company');
    const claims = jwt.decode(admin) as { sub: string; sid: string };
    const now = Math.floor(api.ctx.clock.now().getTime() / 1000);
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const bad: Record<string, string | undefined> = {
      none: undefined,
      expired: jwt.sign({ sid: claims.sid, iat: now - 1000, exp: now - 1 }, api.jwtSecret, {
        subject: claims.sub,
      }),
      'wrong secret': jwt.sign({ sid: claims.sid }, 'x'.repeat(64), { subject: claims.sub, expiresIn: 600 }),
      'alg none': `${part({ alg: 'none', typ: 'JWT' })}.${part({ ...claims, exp: now + 600 })}.`,
      garbage: 'a.b.c',
      'deactivated user': doraToken,
    };
    const protectedEndpoints = endpoints.filter((e) => tokenFor(e));
    assert.ok(protectedEndpoints.length >= 18);
    await changesNothing(async () => {
      for (const e of protectedEndpoints) {
        for (const [what, token] of Object.entries(bad)) {
          const response = await api.request(e.method, pathOf(e), {
            ...(token !== undefined && { token }),
            body: VALID_BODIES[e.id],
          });
          assert.equal(response.status, 401, `${e.id} with ${what} token: ${response.text}`);
          assertProblem(response, 401, 'unauthenticated');
        }
      }
    });
  });
});
