import assert from 'node:assert/strict';
import {
  AuthenticationError,
  ConflictError,
  NotAllowedError,
  NotFoundError,
  type Principal,
} from '../../src/index.ts';
import { GateRefusal } from '../../src/steps/gates.ts';
import { materialWithSupplier, paracetamol, releasedLot } from '../support/materials.ts';
import { refusal } from '../support/refusal.ts';
import { verifyTampered } from '../support/tampering.ts';
import { demoPassword, loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const YY = String(new Date().getUTCFullYear() % 100).padStart(2, '0');

describe('Feature: materials — master data with reasons, suppliers and specifications by signed acts', () => {
  let ctx: TestContext;
  let quinn: Principal;
  let olivia: Principal;

  before(async () => {
    ctx = await startTestEngine();
    quinn = await loginAs(ctx.engine, 'quinn');
    olivia = await loginAs(ctx.engine, 'olivia');
  });
  after(() => ctx.close());

  const count = async (table: string) =>
    Number((await ctx.engine.database.knex(table).count({ n: '*' }))[0]!.n);

  it('creates a material, refusing what is wrong with every problem named, and audits it', async () => {
    const e = await refusal(
      ctx.engine.materials.create(
        quinn,
        paracetamol({
          code: 'pcm 1',
          type: 'powder' as never,
          baseUnit: 'lb' as never,
          retestMonths: -2,
          samplingPlan: 'some' as never,
          lotNumberPattern: '{material}-{YY}',
        }),
      ),
    );
    assert.deepEqual(
      e.errors.map((x) => x.pointer),
      ['/code', '/type', '/baseUnit', '/retestMonths', '/samplingPlan'],
      'a bad code leaves the pattern unchecked',
    );
    const p = await refusal(
      ctx.engine.materials.create(quinn, paracetamol({ lotNumberPattern: '{material}-{YY}' })),
    );
    assert.match(p.errors[0]!.message, /exactly one \{seq:N\}/);
    await refusal(ctx.engine.materials.create(olivia, paracetamol()), NotAllowedError);
    assert.equal(await count('materials'), 0, 'nothing written');

    const material = await ctx.engine.materials.create(quinn, paracetamol());
    assert.deepEqual(
      [material.code, material.version, material.specificationVersion, material.suppliers],
      ['PCM', 1, 0, []],
    );
    await refusal(ctx.engine.materials.create(quinn, paracetamol()), ConflictError);
    const [created] = await ctx.engine.audit.trail(quinn, { recordId: material.id });
    assert.deepEqual([created!.type, created!.reason], ['material.created', 'First listing of the material']);
  });

  it('changes a material with a reason, old and new of each field; a stale version is refused', async () => {
    const changed = await ctx.engine.materials.change(quinn, 'PCM', {
      ...paracetamol({ storageConditions: 'Below 30 °C', reason: 'Stability data, ST-0091' }),
      version: 1,
    });
    assert.equal(changed.version, 2);
    const last = (await ctx.engine.audit.trail(quinn, { recordId: changed.id })).at(-1)!;
    assert.deepEqual(last.payload.changes, [
      { path: '/storageConditions', old: 'Below 25 °C, dry', new: 'Below 30 °C' },
    ]);
    await refusal(
      ctx.engine.materials.change(quinn, 'PCM', { ...paracetamol({ name: 'APAP' }), version: 1 }),
      ConflictError,
    );
    await refusal(ctx.engine.materials.change(quinn, 'PCM', { ...paracetamol({ reason: '' }), version: 2 }));
  });

  it('sets a supplier’s approval and approves a specification only by a signed act with the password', async () => {
    const spec = [
      { name: 'Assay', method: 'HPLC, USP', unit: '%', limits: { min: 98, max: 102 } },
      { name: 'Identity', method: 'IR', unit: null, allowedResults: ['conforms'] },
    ];
    await refusal(
      ctx.engine.materials.approveSpecification(quinn, 'PCM', {
        specification: spec,
        password: 'wrong',
        reason: 'Monograph 2026',
        version: 2,
      }),
      AuthenticationError,
    );
    const bad = await refusal(
      ctx.engine.materials.approveSpecification(quinn, 'PCM', {
        specification: [
          { name: 'Assay', method: 'HPLC', limits: { min: 102, max: 98 } },
          { name: 'X', method: 'Y' },
        ],
        password: demoPassword('quinn'),
        reason: 'Monograph 2026',
        version: 2,
      }),
    );
    assert.deepEqual(
      bad.errors.map((x) => x.pointer),
      ['/specification/0/limits', '/specification/1'],
    );
    await refusal(
      ctx.engine.materials.approveSpecification(olivia, 'PCM', {
        specification: spec,
        password: demoPassword('olivia'),
        reason: 'x',
        version: 2,
      }),
      NotAllowedError,
    );
    const approved = await ctx.engine.materials.approveSpecification(quinn, 'PCM', {
      specification: spec,
      password: demoPassword('quinn'),
      reason: 'Monograph 2026',
      version: 2,
    });
    assert.deepEqual([approved.specificationVersion, approved.version], [1, 3]);
    assert.ok(approved.specificationSignatureId);
    const withSupplier = await ctx.engine.materials.setSupplier(quinn, 'PCM', {
      supplierCode: 'SUP-B',
      supplierName: 'Blocked Chemicals',
      status: 'blocked',
      password: demoPassword('quinn'),
      reason: 'Failed audit SA-2026-002',
      version: 3,
    });
    assert.deepEqual(
      withSupplier.suppliers.map((s) => [s.code, s.status]),
      [['SUP-B', 'blocked']],
    );
    const types = (await ctx.engine.audit.trail(quinn, { recordId: approved.id })).map((e) => e.type);
    assert.deepEqual(types.slice(-4), [
      'signature.applied',
      'material.specification_approved',
      'signature.applied',
      'material.supplier_set',
    ]);
    assert.deepEqual((await ctx.engine.verify()).mismatches, []);
  });

  it('imports materials from CSV all or nothing, naming each problem by its line', async () => {
    const header = 'code,name,type,baseUnit,retestMonths,shelfLifeMonths,samplingPlan,lotNumberPattern';
    const before = await count('materials');
    const e = await refusal(
      ctx.engine.materials.importCsv(quinn, {
        csv: `${header}\nLAC,Lactose,excipient,kg,,36,all,{material}{YY}{seq:3}\nMGS,"Magnesium stearate, veg",glue,kg,x,24,first,{material}{seq:4}\nLAC,Again,excipient,kg,,,all,{material}{seq:4}\n`,
        reason: 'First load',
      }),
    );
    assert.deepEqual(
      e.errors.map((x) => x.pointer),
      ['/csv/lines/3/type', '/csv/lines/3/retestMonths', '/csv/lines/4/code'],
    );
    assert.equal(await count('materials'), before, 'nothing written');
    const imported = await ctx.engine.materials.importCsv(quinn, {
      csv: `${header}\r\nLAC,Lactose,excipient,kg,,36,all,{material}{YY}{seq:3}\r\nMGS,"Magnesium stearate, veg",excipient,kg,12,24,first,{material}{seq:4}\r\n`,
      reason: 'First load',
    });
    assert.deepEqual(
      imported.map((m) => [m.code, m.name, m.retestMonths]),
      [
        ['LAC', 'Lactose', null],
        ['MGS', 'Magnesium stearate, veg', 12],
      ],
    );
  });
});

describe('Feature: lots — receipt, status lifecycle, transactions and the material gate (F3)', () => {
  let ctx: TestContext;
  let quinn: Principal;
  let olivia: Principal;

  before(async () => {
    ctx = await startTestEngine();
    quinn = await loginAs(ctx.engine, 'quinn');
    olivia = await loginAs(ctx.engine, 'olivia');
    await materialWithSupplier(ctx, quinn);
    await ctx.engine.materials.setSupplier(quinn, 'PCM', {
      supplierCode: 'SUP-X',
      supplierName: 'Blocked Ltd',
      status: 'blocked',
      password: demoPassword('quinn'),
      reason: 'Failed audit',
      version: 2,
    });
    await materialWithSupplier(ctx, quinn, {
      code: 'LAC',
      name: 'Lactose',
      type: 'excipient',
      retestMonths: null,
    });
  });
  after(() => ctx.close());

  const lots = () => ctx.engine.materials.lots;
  const receipt = (over: Record<string, unknown> = {}) => ({
    material: 'PCM',
    supplier: 'SUP-A',
    supplierLot: 'ACME-7781',
    containers: [{ quantity: 25 }, { quantity: 25 }, { quantity: 25 }, { quantity: 25 }, { quantity: 10 }],
    expiryDate: null,
    location: 'WH-A-01',
    ...over,
  });
  const question = (code: string, material: string | null = 'PCM') => ({
    code,
    material,
    instanceId: '00000000-0000-4000-8000-0000000000aa',
    at: ctx.clock.now(),
  });
  const gateRefusal = async (code: string, material: string | null = 'PCM') => {
    try {
      await ctx.engine.materials.checkLot(ctx.engine.database.knex, question(code, material));
    } catch (error) {
      assert.ok(error instanceof GateRefusal, String(error));
      return error;
    }
    assert.fail(`${code} was accepted`);
  };

  it('receives a lot into quarantine: number by pattern, containers, dates from the material, a receipt per container', async () => {
    const before = Number((await ctx.engine.database.knex('lots').count({ n: '*' }))[0]!.n);
    const bad = await refusal(
      lots().receive(
        olivia,
        receipt({
          containers: [{ quantity: -1 }, { quantity: '5' }, { quantity: 0 }],
          expiryDate: '2026-02-30',
        }),
      ),
    );
    assert.deepEqual(
      bad.errors.map((x) => x.pointer),
      ['/containers/0/quantity', '/containers/1/quantity', '/containers/2/quantity', '/expiryDate'],
    );
    assert.match((await refusal(lots().receive(olivia, receipt({ supplier: 'SUP-X' })))).message, /blocked/);
    assert.match(
      (await refusal(lots().receive(olivia, receipt({ supplier: 'SUP-Z' })))).message,
      /not a supplier/,
    );
    await refusal(lots().receive(olivia, receipt({ material: 'NOPE' })));
    assert.equal(Number((await ctx.engine.database.knex('lots').count({ n: '*' }))[0]!.n), before);

    const lot = await lots().receive(olivia, receipt());
    assert.equal(lot.lotNumber, `PCM-${YY}-0001`);
    assert.deepEqual(
      [lot.status, lot.stock, lot.unit, lot.containers.map((c) => c.code).at(-1), lot.transactions.length],
      ['quarantine', 110, 'kg', `PCM-${YY}-0001-C05`, 5],
    );
    const today = new Date().toISOString().slice(0, 10);
    assert.ok(lot.expiryDate > today && lot.retestDate! > today && lot.retestDate! < lot.expiryDate);
    assert.equal((await lots().receive(olivia, receipt())).lotNumber, `PCM-${YY}-0002`);
  });

  it('samples by the plan (√5+1 → 4 of 5 containers), then QA releases with a signature; out-of-order changes are refused', async () => {
    const number = `PCM-${YY}-0001`;
    const out = await refusal(
      lots().changeStatus(quinn, number, {
        status: 'recalled',
        version: 1,
        password: demoPassword('quinn'),
        reason: 'x',
      }),
      ConflictError,
    );
    assert.match(
      out.message,
      /in quarantine: it cannot go to recalled; from quarantine it may go to sampled or released or rejected or returned only/,
    );
    await refusal(
      lots().changeStatus(olivia, number, {
        status: 'released',
        version: 1,
        password: demoPassword('olivia'),
      }),
      NotAllowedError,
    );
    await refusal(
      lots().changeStatus(olivia, number, { status: 'sampled', version: 1, sampleQuantity: 'a lot' }),
    );
    const sampled = await lots().changeStatus(olivia, number, {
      status: 'sampled',
      version: 1,
      sampleQuantity: 0.05,
    });
    assert.deepEqual(
      [sampled.status, sampled.transactions.filter((t) => t.kind === 'sample').length, sampled.stock],
      ['sampled', 4, 109.8],
    );
    await refusal(
      lots().changeStatus(quinn, number, { status: 'rejected', version: 2, password: demoPassword('quinn') }),
    );
    const released = await lots().changeStatus(quinn, number, {
      status: 'released',
      version: 2,
      password: demoPassword('quinn'),
    });
    assert.equal(released.status, 'released');
    assert.ok(released.signatureId);
    const back = await refusal(
      lots().changeStatus(quinn, number, {
        status: 'quarantine',
        version: 3,
        password: demoPassword('quinn'),
        reason: 'x',
      }),
      ConflictError,
    );
    assert.match(
      back.message,
      /is released: it cannot go to quarantine; from released it may go to recalled or returned only/,
    );
    const types = released.trail.map((e) => e.type);
    assert.deepEqual(types, ['lot.received', 'lot.sampled', 'signature.applied', 'lot.released']);
  });

  it('F3: refuses a quarantined lot, another material, an unknown code, a lot past expiry or retest, with words a person understands', async () => {
    const q = await gateRefusal(`PCM-${YY}-0002`);
    assert.equal(q.refusal, 'status');
    assert.equal(q.message, `Lot PCM-${YY}-0002 is in quarantine: only a released lot may be used`);
    assert.equal((await gateRefusal(`PCM-${YY}-0001`, 'LAC')).refusal, 'wrong_material');
    assert.equal((await gateRefusal('NO-SUCH-LOT')).refusal, 'unknown');
    assert.equal((await gateRefusal('  ')).refusal, 'unknown');
    const answer = await ctx.engine.materials.checkLot(
      ctx.engine.database.knex,
      question(`PCM-${YY}-0001-C02`),
    );
    assert.deepEqual(
      [answer.lotNumber, answer.containerCode, answer.fefo],
      [`PCM-${YY}-0001`, `PCM-${YY}-0001-C02`, null],
    );
    // Past its retest date (24 months), and past its expiry (36 months) before the sweep has marked it.
    const later = (months: number) => ({
      ...question(`PCM-${YY}-0001`),
      at: new Date(Date.now() + months * 31 * 86_400_000),
    });
    const knex = ctx.engine.database.knex;
    const retest = await ctx.engine.materials.checkLot(knex, later(25)).catch((e: unknown) => e);
    assert.ok(retest instanceof GateRefusal && retest.refusal === 'retest_due', String(retest));
    assert.match(
      retest.message,
      /was due for retest on \d{4}-\d{2}-\d{2}: it may not be used until it is retested/,
    );
    const expired = await ctx.engine.materials.checkLot(knex, later(37)).catch((e: unknown) => e);
    assert.ok(expired instanceof GateRefusal && expired.refusal === 'expired', String(expired));
    assert.match(
      expired.message,
      new RegExp(`^Lot PCM-${YY}-0001 expired on \\d{4}-\\d{2}-\\d{2}: it may not be used$`),
    );
  });

  it('F3: proposes the released lot that expires first (FEFO) and names it when another is scanned', async () => {
    const late = await releasedLot(ctx, olivia, quinn, {
      material: 'PCM',
      containers: [10],
      expiryDate: inDays(60),
    });
    const early = await releasedLot(ctx, olivia, quinn, {
      material: 'PCM',
      containers: [10],
      expiryDate: inDays(30),
    });
    const proposed = await ctx.engine.materials.propose(ctx.engine.database.knex, 'PCM', ctx.clock.now());
    assert.deepEqual(proposed, {
      lotNumber: early.lotNumber,
      expiryDate: inDays(30),
      available: 10,
      unit: 'kg',
    });
    const answer = await ctx.engine.materials.checkLot(ctx.engine.database.knex, question(late.lotNumber));
    assert.deepEqual(answer.fefo, { lotNumber: early.lotNumber, expiryDate: inDays(30) });
    assert.equal(
      (await ctx.engine.materials.checkLot(ctx.engine.database.knex, question(early.lotNumber))).fefo,
      null,
    );
    assert.deepEqual(await ctx.engine.materials.fefo(olivia, 'PCM'), proposed);
  });

  it('issues to a batch through the gate, refuses beyond stock, and an empty lot is refused at the scan', async () => {
    const knex = ctx.engine.database.knex;
    const lot = await releasedLot(ctx, olivia, quinn, {
      material: 'PCM',
      containers: [1, 1],
      expiryDate: '2096-01-01',
    });
    const answer = await ctx.engine.materials.checkLot(knex, question(lot.lotNumber));
    const issue = (quantity: number, unit = 'kg') =>
      knex.transaction((trx) =>
        ctx.engine.materials.issue(trx, {
          lot: answer,
          quantity,
          unit,
          instanceId: '00000000-0000-4000-8000-0000000000aa',
          taskId: 'weigh-1',
          actor: { userId: olivia.userId, printedName: olivia.printedName },
          at: ctx.clock.now(),
        }),
      );
    await issue(1500, 'g');
    const beyond = await issue(0.6).then(
      () => assert.fail('issued beyond stock'),
      (e: unknown) => e,
    );
    assert.ok(beyond instanceof GateRefusal && beyond.refusal === 'empty', String(beyond));
    assert.match(beyond.message, /holds 0.5 kg: 0.6 kg cannot be taken/);
    await issue(0.5);
    const after = await lots().get(olivia, lot.lotNumber);
    assert.deepEqual(
      [
        after.stock,
        after.containers.map((c) => c.stock),
        after.transactions.filter((t) => t.kind === 'issue').length,
      ],
      [0, [0, 0], 3],
    );
    assert.equal((await gateRefusal(lot.lotNumber)).refusal, 'empty');
  });

  it('moves quantities only by recorded transactions: adjustment and destruction with a reason, never beyond stock', async () => {
    const number = `PCM-${YY}-0001`;
    await refusal(lots().move(olivia, number, { kind: 'adjustment', quantity: 1 }));
    await refusal(lots().move(olivia, number, { kind: 'destruction', quantity: -1, reason: 'x' }));
    await refusal(lots().move(olivia, number, { kind: 'issue', quantity: '1' }));
    await refusal(lots().move(olivia, number, { kind: 'issue', quantity: 1, container: 'PCM-XX-C01' }));
    await refusal(lots().move(olivia, number, { kind: 'issue', quantity: 1000 }), ConflictError);
    await refusal(lots().move(olivia, 'NOPE-1', { kind: 'issue', quantity: 1 }), NotFoundError);
    await refusal(lots().move(olivia, `PCM-${YY}-0002`, { kind: 'issue', quantity: 1 }), ConflictError);
    await lots().move(olivia, number, {
      kind: 'destruction',
      quantity: 0.8,
      reason: 'Container 1 damaged',
      container: `${number}-C01`,
    });
    await lots().move(olivia, number, {
      kind: 'adjustment',
      quantity: -0.5,
      reason: 'Count after stocktake',
    });
    const lot = await lots().move(olivia, number, {
      kind: 'return',
      quantity: 0.3,
      container: `${number}-C05`,
      instanceId: '00000000-0000-4000-8000-0000000000aa',
    });
    assert.equal(lot.stock, 108.8);
    assert.equal(lot.containers[0]!.stock, 23.65, '25 − 0.05 sampled − 0.8 destroyed − 0.5 adjusted');
    assert.deepEqual((await ctx.engine.verify()).mismatches, []);
  });

  it('the runtime’s database role cannot edit stock: no UPDATE or DELETE of a transaction', async () => {
    const knex = ctx.engine.database.knex;
    await assert.rejects(knex('lot_transactions').update({ quantity: 1000 }), /permission denied/);
    await assert.rejects(knex('lot_transactions').delete(), /permission denied/);
    await assert.rejects(knex('lot_containers').update({ number: 9 }), /permission denied/);
  });

  it('attest verify finds a lot row, a transaction or a supplier changed around the engine', async () => {
    const clean = await ctx.engine.verify();
    assert.deepEqual(clean.mismatches, []);
    const number = `PCM-${YY}-0002`;
    let report = await verifyTampered(ctx, (db) =>
      db('lots').where({ lot_number: number }).update({ status: 'released' }),
    );
    assert.ok(
      report.mismatches.some((m) => m.table === 'lots' && /status differs/.test(m.problem)),
      JSON.stringify(report.mismatches),
    );
    report = await verifyTampered(ctx, (db) =>
      db('lots').where({ lot_number: number }).update({ expiry_date: '2099-12-31' }),
    );
    assert.ok(report.mismatches.some((m) => m.table === 'lots' && /expiry_date/.test(m.problem)));
    report = await verifyTampered(ctx, (db) =>
      db('lot_transactions').where({ kind: 'receipt' }).orderBy('id').limit(1).update({ quantity: 1000 }),
    );
    assert.ok(report.mismatches.some((m) => m.table === 'lot_transactions' && /quantity/.test(m.problem)));
    report = await verifyTampered(ctx, (db) =>
      db('material_suppliers').where({ supplier_code: 'SUP-X' }).update({ status: 'approved' }),
    );
    assert.ok(report.mismatches.some((m) => m.table === 'material_suppliers'));
  });

  it('expires lots past their expiry date in the plant zone by a system event; recall and return are signed', async () => {
    await refusal(
      lots().changeStatus(quinn, `PCM-${YY}-0001`, {
        status: 'recalled',
        version: 3,
        password: demoPassword('quinn'),
      }),
    );
    const recalled = await lots().changeStatus(quinn, `PCM-${YY}-0001`, {
      status: 'recalled',
      version: 3,
      password: demoPassword('quinn'),
      reason: 'Supplier recall notice RN-55',
    });
    assert.equal(recalled.status, 'recalled');
    const returned = await lots().changeStatus(quinn, `PCM-${YY}-0001`, {
      status: 'returned',
      version: 4,
      password: demoPassword('quinn'),
      reason: 'Sent back to the supplier',
    });
    assert.equal(returned.status, 'returned');
    assert.match(
      (
        await refusal(
          lots().changeStatus(quinn, returned.lotNumber, {
            status: 'released',
            version: 5,
            password: demoPassword('quinn'),
          }),
          ConflictError,
        )
      ).message,
      /its lifecycle has ended/,
    );
    const expired = await lots().expireDue(new Date(Date.now() + 37 * 31 * 86_400_000));
    assert.ok(expired.includes(`PCM-${YY}-0002`));
    const lot = await lots().get(quinn, `PCM-${YY}-0002`);
    assert.deepEqual(
      [lot.status, lot.trail.at(-1)!.type, lot.trail.at(-1)!.actorName],
      ['expired', 'lot.expired', 'Attest (system)'],
    );
  });
});
