import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { Principal } from '@attest/engine';
import { startServer } from '../../src/server.ts';
import { demoPassword, loginAs } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';
import { changesNothingTo, expectInput } from './support/refusals.ts';

const YY = String(new Date().getUTCFullYear() % 100).padStart(2, '0');
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

describe('Feature: materials and lots over HTTP — every bad input refused with a problem, nothing written', () => {
  let api: TestApi;
  let qa: string;
  let operator: string;
  let adrian: Principal;
  const lot1 = `PCM-${YY}-0001`;

  before(async () => {
    api = await startTestApi();
    adrian = await loginAs(api.ctx.engine, 'adrian');
    qa = await api.login('quinn');
    operator = await api.login('olivia');
  });
  after(() => api.close());

  const as = (token: string) => ({
    get: (path: string) => api.request('GET', path, { token }),
    post: (path: string, body: unknown) => api.request('POST', path, { token, body }),
    put: (path: string, body: unknown) => api.request('PUT', path, { token, body }),
  });
  const state = async () => ({
    events: await api.ctx.engine.audit.trail(adrian, { limit: 1_000_000 }),
    lots: await api.ctx.engine.database.knex('lot_transactions').count({ n: '*' }),
  });
  const changesNothing = changesNothingTo(state, 'a refused request wrote something');
  const material = {
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
  };
  const supplier = (code: string, status: string, version: number) => ({
    supplierCode: code,
    supplierName: `${code} Chemicals`,
    status,
    password: demoPassword('quinn'),
    reason: 'Supplier audit',
    version,
  });
  const receipt = (over: Record<string, unknown> = {}) => ({
    material: 'PCM',
    supplier: 'SUP-A',
    supplierLot: 'ACME-7781',
    containers: [{ quantity: 10 }, { quantity: 10 }],
    location: 'WH-A-01',
    ...over,
  });

  it('keeps materials: created and changed with reasons, suppliers set and the specification approved by signed acts', async () => {
    const created = await as(qa).post('/api/materials', material);
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get('location'), '/api/materials/PCM');
    const changed = await as(qa).put('/api/materials/PCM', {
      ...material,
      storageConditions: 'Below 30 °C',
      version: 1,
    });
    assert.equal(changed.body.version, 2);
    assertProblem(
      await as(qa).put('/api/materials/PCM', { ...material, name: 'APAP', version: 1 }),
      409,
      'conflict',
    );
    assertProblem(
      await as(operator).post('/api/materials', { ...material, code: 'LAC' }),
      403,
      'not-allowed',
    );
    for (const [code, status, version] of [
      ['SUP-A', 'approved', 2],
      ['SUP-X', 'blocked', 3],
    ] as const) {
      const set = await as(qa).post('/api/materials/PCM/suppliers', supplier(code, status, version));
      assert.equal(set.status, 200, set.text);
    }
    const wrong = await as(qa).post('/api/materials/PCM/suppliers', {
      ...supplier('SUP-B', 'approved', 4),
      password: 'nope',
    });
    assertProblem(wrong, 401, 'unauthenticated');
    const spec = await as(qa).post('/api/materials/PCM/specification', {
      specification: [
        { name: 'Assay', method: 'HPLC', unit: '%', limits: { min: 98, max: 102 } },
        { name: 'Identity', method: 'IR', allowedResults: ['conforms'] },
      ],
      password: demoPassword('quinn'),
      reason: 'Monograph 2026',
      version: 4,
    });
    assert.equal(spec.status, 200, spec.text);
    assert.deepEqual(
      [spec.body.specificationVersion, spec.body.suppliers.map((s: { status: string }) => s.status)],
      [1, ['approved', 'blocked']],
    );
    const imported = await as(qa).post('/api/materials/import', {
      csv: 'code,name,type,baseUnit,samplingPlan,lotNumberPattern,shelfLifeMonths\nLAC,Lactose,excipient,kg,all,{material}{seq:5},36\n',
      reason: 'First load',
    });
    assert.equal(imported.status, 201, imported.text);
    assert.deepEqual(
      (await as(operator).get('/api/materials')).body.materials.map((m: { code: string }) => m.code),
      ['LAC', 'PCM'],
    );
  });

  it('refuses bad material input: malformed and unknown codes, bad CSV lines, with nothing written', async () => {
    await changesNothing(async () => {
      expectInput(await as(qa).post('/api/materials', { ...material, code: 'pcm 1' }), '/code', 'pattern');
      expectInput(
        await as(qa).post('/api/materials', { ...material, retestMonths: -1 }),
        '/retestMonths',
        'minimum',
      );
      expectInput(
        await as(qa).post('/api/materials', { ...material, code: 'APAP', lotNumberPattern: 'APAP/{seq:4}' }),
        '/lotNumberPattern',
        'pattern',
      );
      assertProblem(await as(qa).get('/api/materials/NOPE'), 404, 'not-found');
      expectInput(await as(qa).get('/api/materials/no%20pe'), '/code', 'pattern');
      const csv = await as(qa).post('/api/materials/import', {
        csv: 'code,name,type,baseUnit,samplingPlan,lotNumberPattern\nMGS,Stearate,glue,kg,all,{material}{seq:4}\n',
        reason: 'First load',
      });
      expectInput(csv, '/csv/lines/2/type', 'enum');
      expectInput(
        await as(qa).post('/api/materials/PCM/specification', {
          specification: [{ name: 'Assay', method: 'HPLC', limits: { min: 102, max: 98 } }],
          password: demoPassword('quinn'),
          reason: 'x',
          version: 5,
        }),
        '/specification/0/limits',
      );
    });
  });

  it('receives a lot; refuses a blocked or unknown supplier, negative or non-numeric quantities, an unknown material', async () => {
    await changesNothing(async () => {
      expectInput(await as(operator).post('/api/lots', receipt({ supplier: 'SUP-X' })), '/supplier', 'enum');
      expectInput(await as(operator).post('/api/lots', receipt({ supplier: 'SUP-Q' })), '/supplier', 'enum');
      expectInput(await as(operator).post('/api/lots', receipt({ material: 'NOPE' })), '/material', 'enum');
      expectInput(
        await as(operator).post('/api/lots', receipt({ material: 'no pe' })),
        '/material',
        'pattern',
      );
      const negative = await as(operator).post('/api/lots', receipt({ containers: [{ quantity: -5 }] }));
      expectInput(negative, '/containers/0/quantity', 'exclusiveMinimum');
      const text = await as(operator).post('/api/lots', receipt({ containers: [{ quantity: '5 kg' }] }));
      expectInput(text, '/containers/0/quantity', 'type');
      expectInput(
        await as(operator).post('/api/lots', receipt({ expiryDate: '2026-02-30' })),
        '/expiryDate',
        'format',
      );
    });
    const lot = await as(operator).post('/api/lots', receipt());
    assert.equal(lot.status, 201, lot.text);
    assert.deepEqual(
      [
        lot.body.lotNumber,
        lot.body.status,
        lot.body.stock,
        lot.body.containers.length,
        lot.headers.get('location'),
      ],
      [lot1, 'quarantine', 20, 2, `/api/lots/${lot1}`],
    );
  });

  it('refuses a status change out of order, saying what is allowed; release and rejection are QA’s signed acts', async () => {
    await changesNothing(async () => {
      const recall = await as(qa).post(`/api/lots/${lot1}/status`, {
        status: 'recalled',
        version: 1,
        password: demoPassword('quinn'),
        reason: 'x',
      });
      assert.match(
        assertProblem(recall, 409, 'conflict').detail,
        /is in quarantine: it cannot go to recalled; from quarantine it may go to sampled or released or rejected or returned only/,
      );
      assertProblem(
        await as(operator).post(`/api/lots/${lot1}/status`, {
          status: 'released',
          version: 1,
          password: demoPassword('olivia'),
        }),
        403,
        'not-allowed',
      );
      expectInput(
        await as(qa).post(`/api/lots/${lot1}/status`, {
          status: 'rejected',
          version: 1,
          password: demoPassword('quinn'),
        }),
        '/reason',
        'required',
      );
      expectInput(
        await as(qa).post(`/api/lots/${lot1}/status`, { status: 'frozen', version: 1 }),
        '/status',
        'enum',
      );
      assertProblem(
        await as(qa).post('/api/lots/NOPE-1/status', { status: 'sampled', version: 1, sampleQuantity: 1 }),
        404,
        'not-found',
      );
    });
    const sampled = await as(operator).post(`/api/lots/${lot1}/status`, {
      status: 'sampled',
      version: 1,
      sampleQuantity: 0.5,
    });
    assert.equal(sampled.status, 200, sampled.text);
    assert.equal(sampled.body.stock, 19, '√2+1 rounds up past 2: both containers sampled');
    const released = await as(qa).post(`/api/lots/${lot1}/status`, {
      status: 'released',
      version: 2,
      password: demoPassword('quinn'),
    });
    assert.equal(released.body.status, 'released');
    await changesNothing(async () => {
      const back = await as(qa).post(`/api/lots/${lot1}/status`, {
        status: 'quarantine',
        version: 3,
        password: demoPassword('quinn'),
        reason: 'Back',
      });
      assert.match(
        assertProblem(back, 409, 'conflict').detail,
        /from released it may go to recalled or returned only/,
      );
    });
  });

  it('moves stock only by transactions: refuses issue beyond stock, a wrong container, a missing reason; proposes FEFO', async () => {
    await changesNothing(async () => {
      const beyond = await as(operator).post(`/api/lots/${lot1}/transactions`, {
        kind: 'issue',
        quantity: 19.5,
      });
      assert.match(assertProblem(beyond, 409, 'conflict').detail, /holds 19 kg: 19.5 kg cannot be taken/);
      expectInput(
        await as(operator).post(`/api/lots/${lot1}/transactions`, { kind: 'issue', quantity: -1 }),
        '/quantity',
      );
      expectInput(
        await as(operator).post(`/api/lots/${lot1}/transactions`, { kind: 'issue', quantity: 'one' }),
        '/quantity',
        'type',
      );
      expectInput(
        await as(operator).post(`/api/lots/${lot1}/transactions`, { kind: 'destruction', quantity: 1 }),
        '/reason',
      );
      expectInput(
        await as(operator).post(`/api/lots/${lot1}/transactions`, {
          kind: 'issue',
          quantity: 1,
          container: `PCM-${YY}-9999-C01`,
        }),
        '/container',
        'enum',
      );
      expectInput(await as(operator).get(`/api/lots?status=frozen`), '/status', 'enum');
      assertProblem(await as(operator).get('/api/lots/NOPE-1'), 404, 'not-found');
    });
    const issued = await as(operator).post(`/api/lots/${lot1}/transactions`, {
      kind: 'issue',
      quantity: 9.6,
      instanceId: '00000000-0000-4000-8000-0000000000aa',
      taskId: 'dispense',
    });
    assert.equal(issued.status, 200, issued.text);
    assert.deepEqual(
      issued.body.containers.map((c: { stock: number }) => c.stock),
      [0, 9.4],
    );
    const later = await as(operator).post('/api/lots', receipt({ expiryDate: inDays(20) }));
    await as(qa).post(`/api/lots/${later.body.lotNumber}/status`, {
      status: 'released',
      version: 1,
      password: demoPassword('quinn'),
    });
    const fefo = await as(operator).get('/api/materials/PCM/fefo');
    assert.deepEqual(fefo.body.lot, {
      lotNumber: later.body.lotNumber,
      expiryDate: inDays(20),
      available: 20,
      unit: 'kg',
    });
    const released = await as(operator).get('/api/lots?material=PCM&status=released');
    assert.equal(released.body.lots.length, 2);
    const detail = await as(qa).get(`/api/lots/${lot1}`);
    assert.deepEqual(
      detail.body.trail.map((e: { type: string }) => e.type),
      ['lot.received', 'lot.sampled', 'signature.applied', 'lot.released', 'lot.issue'],
    );
    assert.deepEqual((await api.ctx.engine.verify()).mismatches, []);
  });

  it('marks a lot expired by the server’s own sweep once its expiry date has passed in the plant zone', async () => {
    const lot = await as(operator).post('/api/lots', receipt({ expiryDate: inDays(1) }));
    assert.equal(lot.body.status, 'quarantine');
    api.ctx.clock.advance(3 * 24 * 60);
    const reader = await api.login('quinn');
    const server = await startServer({
      engine: api.ctx.engine,
      port: 0,
      host: '127.0.0.1',
      jwtSecret: randomBytes(32).toString('hex'),
      logger: pino({ level: 'silent' }),
      lotExpiryIntervalMs: 50,
    });
    const status = async () =>
      (await as(reader).get(`/api/lots/${lot.body.lotNumber}`)).body.status as string;
    try {
      for (let i = 0; i < 100 && (await status()) !== 'expired'; i++) await sleep(20);
    } finally {
      await server.close();
    }
    assert.equal(await status(), 'expired');
    const detail = await as(reader).get(`/api/lots/${lot.body.lotNumber}`);
    assert.deepEqual(
      [detail.body.trail.at(-1).type, detail.body.trail.at(-1).actorName],
      ['lot.expired', 'Attest (system)'],
    );
  });
});
