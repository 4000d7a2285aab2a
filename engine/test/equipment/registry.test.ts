import assert from 'node:assert/strict';
import { ConflictError, NotAllowedError, type Principal } from '../../src/index.ts';
import { effectiveExceptionTemplates } from '../exceptions/fixtures.ts';
import { refusal } from '../support/refusal.ts';
import { verifyTampered } from '../support/tampering.ts';
import { demoPassword, loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';
import { asked, granulationRoom, mixer, stepDoes } from './support.ts';

describe('Feature: rooms and equipment as master records, and the equipment logbook (21 CFR 211.182)', () => {
  let ctx: TestContext;
  let quinn: Principal;
  let olivia: Principal;
  const count = async () => Number((await ctx.engine.database.knex('equipment').count({ n: '*' }))[0]!.n);

  before(async () => {
    ctx = await startTestEngine();
    quinn = await loginAs(ctx.engine, 'quinn');
    olivia = await loginAs(ctx.engine, 'olivia');
    await effectiveExceptionTemplates(ctx.engine, quinn, await loginAs(ctx.engine, 'petra'));
  });
  after(() => ctx.close());

  it('registers rooms and equipment with a reason, refusing what is wrong with every problem named and writing nothing', async () => {
    const room = await ctx.engine.equipment.rooms.register(quinn, granulationRoom());
    assert.deepEqual([room.code, room.class, room.status, room.version], ['R-104', 'D', 'cleared', 1]);
    await refusal(ctx.engine.equipment.rooms.register(quinn, granulationRoom()), ConflictError);
    const bad = await refusal(
      ctx.engine.equipment.register(
        quinn,
        mixer({
          code: 'mx 1',
          room: 'R-999',
          status: 'in_use',
          calibrationDue: '2099-02-30',
          cleanHoldHours: -4,
          dailyCheckRequired: 'yes',
          reason: ' ',
        }),
      ),
    );
    assert.deepEqual(
      bad.errors.map((e) => e.pointer),
      ['/code', '/status', '/calibrationDue', '/cleanHoldHours', '/dailyCheckRequired', '/reason'],
    );
    const noRoom = await refusal(ctx.engine.equipment.register(quinn, mixer({ room: 'R-999' })));
    assert.deepEqual(noRoom.errors, [
      { pointer: '/room', keyword: 'enum', message: 'must be a registered room' },
    ]);
    await refusal(ctx.engine.equipment.register(olivia, mixer()), NotAllowedError);
    assert.equal(await count(), 0, 'nothing written');

    const equipment = await ctx.engine.equipment.register(quinn, mixer());
    assert.deepEqual(
      [equipment.code, equipment.status, equipment.version, equipment.usable, equipment.calibrationDue],
      ['MX-01', 'clean', 1, null, '2099-06-30'],
    );
    const [registered] = await ctx.engine.equipment.logbook(olivia, 'MX-01');
    assert.deepEqual(
      [registered?.type, registered?.reason, registered?.details.room],
      ['equipment.registered', 'Installed and qualified, IQ/OQ-MX01', 'R-104'],
    );
  });

  it('changes equipment on the version read, with old and new of each field; a stale or empty change is refused', async () => {
    await ctx.engine.equipment.rooms.register(
      quinn,
      granulationRoom({ code: 'R-105', name: 'Granulation 2' }),
    );
    const body = {
      name: 'Mixer',
      type: 'high-shear mixer',
      room: 'R-105',
      cleanHoldHours: 48,
      dailyCheckRequired: false,
      reason: 'Moved to granulation 2',
      version: 1,
    };
    const changed = await ctx.engine.equipment.change(quinn, 'MX-01', body);
    assert.deepEqual([changed.room, changed.cleanHoldHours, changed.version], ['R-105', 48, 2]);
    const last = (await ctx.engine.equipment.logbook(quinn, 'MX-01')).at(-1)!;
    assert.deepEqual(
      [last.type, last.reason, last.changes],
      [
        'equipment.changed',
        'Moved to granulation 2',
        [
          { path: '/room', old: 'R-104', new: 'R-105' },
          { path: '/cleanHoldHours', old: 72, new: 48 },
        ],
      ],
    );
    await assert.rejects(
      ctx.engine.equipment.change(quinn, 'MX-01', body),
      (e: Error) => e instanceof ConflictError && /changed since version 1/.test(e.message),
    );
    await assert.rejects(
      ctx.engine.equipment.change(quinn, 'MX-01', { ...body, version: 2 }),
      /Nothing of equipment MX-01/,
    );
    await refusal(ctx.engine.equipment.change(quinn, 'MX-01', { ...body, reason: '', version: 2 }));
  });

  it('imports the first load from CSV: every row checked first, all or nothing, problems by line', async () => {
    const header =
      'code,name,type,room,status,calibrationDue,qualificationDue,cleanHoldHours,dailyCheckRequired';
    const bad = await refusal(
      ctx.engine.equipment.import(quinn, {
        csv: [
          header,
          'GR-01,Granulator,granulator,R-104,clean,2099-01-31,,24,no',
          'GR-02,"Granulator, fluid bed",granulator,R-999,shiny,2099-13-01,,,maybe',
          'GR-01,Granulator again,granulator,R-104,dirty,,,,no',
          'MX-01,Mixer,mixer,R-104,dirty,,,,no',
        ].join('\r\n'),
        reason: 'First load from the equipment list',
      }),
    );
    assert.deepEqual(
      bad.errors.map((e) => e.message),
      [
        'line 3: status must be one of clean, dirty, maintenance, out_of_service',
        'line 3: calibrationDue must be a date, YYYY-MM-DD, or null',
        'line 3: dailyCheckRequired must be true or false',
        'line 4: code is on line 2 already',
        'line 3: room R-999 is not a registered room',
        'line 5: equipment MX-01 is registered already',
      ],
    );
    assert.ok(bad.errors.every((e) => e.pointer === '/csv'));
    assert.equal(await count(), 1, 'nothing of it written');
    const loaded = await ctx.engine.equipment.import(quinn, {
      csv: `\uFEFF${header}\nGR-01,Granulator,granulator,R-104,clean,2099-01-31,,24,no\nBAL-01,"Balance ""A""",scale,R-104,dirty,,,,yes\n`,
      reason: 'First load from the equipment list',
    });
    assert.deepEqual(
      loaded.map((e) => [e.code, e.name, e.status, e.dailyCheckRequired, e.cleanHoldHours]),
      [
        ['BAL-01', 'Balance "A"', 'dirty', true, null],
        ['GR-01', 'Granulator', 'clean', false, 24],
      ],
    );
  });

  it('the logbook lists every event in order with who, when, which batch (its record number) and what', async () => {
    const record = await ctx.engine.records.start(olivia, { template: 'br', title: 'Batch 7' });
    const batch = record.instanceId!;
    await stepDoes(ctx, olivia, asked(ctx, 'MX-01', 'use', batch));
    await stepDoes(ctx, olivia, asked(ctx, 'MX-01', 'release', batch));
    await ctx.engine.equipment.act(quinn, 'MX-01', { type: 'cleaned', reason: 'Cleaned per SOP-CL-004' });
    await ctx.engine.equipment.act(quinn, 'MX-01', {
      type: 'calibrated',
      calibrationDue: '2099-12-31',
      certificate: 'CAL-2026-118',
      reason: 'Annual calibration',
      password: demoPassword('quinn'),
    });
    const entries = await ctx.engine.equipment.logbook(olivia, 'MX-01');
    assert.deepEqual(
      entries.map((e) => [e.type, e.by.printedName, e.batch?.recordNumber ?? null]),
      [
        ['equipment.registered', 'Quinn Quaye', null],
        ['equipment.changed', 'Quinn Quaye', null],
        ['equipment.used', 'Olivia Ortega', record.number],
        ['equipment.released', 'Olivia Ortega', record.number],
        ['equipment.cleaned', 'Quinn Quaye', null],
        ['signature.applied', 'Quinn Quaye', null],
        ['equipment.calibrated', 'Quinn Quaye', null],
      ],
    );
    assert.deepEqual(
      entries.map((e) => e.seq),
      entries.map((_, i) => i + 1),
    );
    const calibrated = entries.at(-1)!;
    assert.deepEqual(
      [calibrated.details.certificate, calibrated.changes, calibrated.reason],
      [
        'CAL-2026-118',
        [{ path: '/calibrationDue', old: '2099-06-30', new: '2099-12-31' }],
        'Annual calibration',
      ],
    );
    assert.equal(entries[3]!.changes.find((c) => c.path === '/status')?.new, 'dirty');
    const printout = await ctx.engine.equipment.logbookPrintout(olivia, 'MX-01');
    assert.deepEqual(
      printout.rows.slice(2, 5).map((r) => [r.what, r.batch, r.by]),
      [
        ['Used', record.number, 'Olivia Ortega'],
        ['Released after use: now dirty', record.number, 'Olivia Ortega'],
        [printout.rows[4]!.what, null, 'Quinn Quaye'],
      ],
    );
    assert.match(printout.rows[4]!.what, /^Cleaned, clean until \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    assert.deepEqual(
      printout.rows.map((r) => r.at),
      entries.map((e) => e.at),
    );
  });

  it('a signed act needs the password again: a wrong one writes nothing', async () => {
    const before = (await ctx.engine.equipment.logbook(quinn, 'MX-01')).length;
    await assert.rejects(
      ctx.engine.equipment.act(quinn, 'MX-01', {
        type: 'qualified',
        qualificationDue: '2100-01-31',
        report: 'PQ-2026-07',
        reason: 'Requalified',
        password: 'not my password',
      }),
    );
    const missing = await refusal(
      ctx.engine.equipment.act(quinn, 'MX-01', {
        type: 'qualified',
        qualificationDue: '2020-01-31',
        reason: '',
      }),
    );
    assert.deepEqual(
      missing.errors.map((e) => e.pointer),
      ['/reason', '/password', '/qualificationDue', '/report'],
    );
    assert.equal((await ctx.engine.equipment.logbook(quinn, 'MX-01')).length, before);
  });

  it('attest verify: equipment and rooms match their trails, and a row changed around them is found', async () => {
    const clean = await ctx.engine.verify();
    assert.deepEqual([clean.ok, clean.mismatches], [true, []]);
    const tampered = await verifyTampered(ctx, (db) =>
      db('equipment').where({ code: 'MX-01' }).update({ status: 'clean', calibration_due: '2199-01-01' }),
    );
    assert.deepEqual(
      tampered.mismatches.map((m) => [m.table, m.problem]),
      [['equipment', 'MX-01: calibration_due differs from its audit trail']],
    );
    const room = await verifyTampered(ctx, (db) =>
      db('rooms').where({ code: 'R-104' }).update({ status: 'cleared', class: 'A' }),
    );
    assert.deepEqual(
      room.mismatches.map((m) => m.problem),
      ['R-104: class differs from its audit trail'],
    );
  });
});
