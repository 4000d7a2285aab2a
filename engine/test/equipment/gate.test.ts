import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ConflictError, type Principal } from '../../src/index.ts';
import { GateRefusal } from '../../src/steps/gates.ts';
import { demoPassword, loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';
import { asked, granulationRoom, mixer, stepDoes } from './support.ts';

describe('Feature: the equipment gate (F2) — only clean, qualified, calibrated, checked equipment that no other batch holds may be used', () => {
  let ctx: TestContext;
  let quinn: Principal;
  let olivia: Principal;
  const batch = randomUUID();
  const other = randomUUID();

  before(async () => {
    ctx = await startTestEngine();
    quinn = await loginAs(ctx.engine, 'quinn');
    olivia = await loginAs(ctx.engine, 'olivia');
    await ctx.engine.equipment.rooms.register(quinn, granulationRoom());
  });
  after(() => ctx.close());

  /** Registers a piece of equipment and returns what the gate says to a batch asking to use it. */
  async function refusalOf(over: Parameters<typeof mixer>[0]): Promise<GateRefusal | null> {
    const code = `EQ-${randomUUID().slice(0, 8).toUpperCase()}`;
    await ctx.engine.equipment.register(quinn, mixer({ code, ...over }));
    try {
      await ctx.engine.equipment.check(ctx.engine.database.knex, asked(ctx, code, 'use', batch));
      return null;
    } catch (error) {
      assert.ok(error instanceof GateRefusal, String(error));
      return error;
    }
  }

  it('F2: refuses dirty, maintained, out-of-service, calibration-due, qualification-due and unchecked equipment, each in words', async () => {
    const dirty = await refusalOf({ status: 'dirty', name: 'Mixer' });
    assert.equal(dirty?.refusal, 'dirty');
    assert.match(dirty!.message, /^Mixer EQ-\w+ is dirty: it must be cleaned before use$/);
    assert.equal((await refusalOf({ status: 'maintenance' }))?.refusal, 'maintenance');
    assert.equal((await refusalOf({ status: 'out_of_service' }))?.refusal, 'out_of_service');
    const calibration = await refusalOf({ calibrationDue: '2020-01-31' });
    assert.equal(calibration?.refusal, 'calibration_due');
    assert.match(calibration!.message, /calibration of Mixer EQ-\w+ fell due on 2020-01-31/);
    assert.equal((await refusalOf({ qualificationDue: '2020-01-31' }))?.refusal, 'qualification_due');
    assert.equal((await refusalOf({ dailyCheckRequired: true }))?.refusal, 'daily_check');
    assert.equal(await refusalOf({ calibrationDue: null, qualificationDue: null }), null);
  });

  it('refuses equipment whose clean-hold time has passed, and a code nobody registered', async () => {
    await ctx.engine.equipment.register(quinn, mixer({ code: 'MX-HOLD', cleanHoldHours: 1 }));
    const question = asked(ctx, 'MX-HOLD', 'use', batch);
    await ctx.engine.equipment.check(ctx.engine.database.knex, question);
    ctx.clock.advance(61);
    await assert.rejects(
      ctx.engine.equipment.check(ctx.engine.database.knex, asked(ctx, 'MX-HOLD', 'use', batch)),
      (e: Error) =>
        e instanceof GateRefusal &&
        e.refusal === 'clean_expired' &&
        /clean-hold time has passed/.test(e.message),
    );
    for (const code of ['MX-404', 'not a code'])
      await assert.rejects(
        ctx.engine.equipment.check(ctx.engine.database.knex, asked(ctx, code, 'use', batch)),
        (e: Error) => e instanceof GateRefusal && e.refusal === 'unknown',
      );
  });

  it('a daily check passed today lets it be used; a failed one takes it out of service', async () => {
    await ctx.engine.equipment.register(quinn, mixer({ code: 'BAL-07', dailyCheckRequired: true }));
    await stepDoes(ctx, olivia, asked(ctx, 'BAL-07', 'check', batch, true));
    await ctx.engine.equipment.check(ctx.engine.database.knex, asked(ctx, 'BAL-07', 'use', batch));
    await stepDoes(ctx, olivia, asked(ctx, 'BAL-07', 'check', batch, false));
    const scale = await ctx.engine.equipment.get(olivia, 'BAL-07');
    assert.deepEqual([scale.status, scale.usable?.refusal], ['out_of_service', 'out_of_service']);
  });

  it('use, release, clean: in use for one batch, refused to another, dirty after release, clean again with its clean-hold time', async () => {
    await ctx.engine.equipment.register(quinn, mixer({ code: 'MX-01' }));
    await stepDoes(ctx, olivia, asked(ctx, 'MX-01', 'use', batch));
    await stepDoes(ctx, olivia, asked(ctx, 'MX-01', 'use', batch));
    await assert.rejects(
      stepDoes(ctx, olivia, asked(ctx, 'MX-01', 'use', other)),
      (e: Error) =>
        e instanceof GateRefusal && e.refusal === 'in_use' && /in use by another batch/.test(e.message),
    );
    await assert.rejects(
      stepDoes(ctx, olivia, asked(ctx, 'MX-01', 'release', other)),
      /not in use by this batch/,
    );
    await stepDoes(ctx, olivia, asked(ctx, 'MX-01', 'release', batch));
    assert.equal((await ctx.engine.equipment.get(olivia, 'MX-01')).usable?.refusal, 'dirty');
    await stepDoes(ctx, olivia, asked(ctx, 'MX-01', 'clean', other));
    const clean = await ctx.engine.equipment.get(olivia, 'MX-01');
    assert.equal(clean.status, 'clean');
    const held = Date.parse(clean.cleanUntil!) - Date.parse(clean.updatedAt);
    assert.ok(Math.abs(held - 72 * 3_600_000) < 1000, `clean for 72 hours from its cleaning, not ${held} ms`);
  });

  it('two batches taking the same equipment at once: exactly one gets it', async () => {
    await ctx.engine.equipment.register(quinn, mixer({ code: 'MX-02' }));
    const batches = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const results = await Promise.allSettled(
      batches.map((b) => stepDoes(ctx, olivia, asked(ctx, 'MX-02', 'use', b))),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results.filter((x) => x.status === 'rejected'))
      assert.equal(((r as PromiseRejectedResult).reason as GateRefusal).refusal, 'in_use');
    const taken = await ctx.engine.equipment.get(quinn, 'MX-02');
    const winner = batches[results.findIndex((r) => r.status === 'fulfilled')];
    assert.deepEqual([taken.status, taken.inUse?.instanceId, taken.version], ['in_use', winner, 2]);
  });

  it('rooms: line clearance takes a cleared room for one batch; released, it waits to be cleaned', async () => {
    const room = (action: 'use' | 'release' | 'clean', instanceId: string) => ({
      code: 'R-104',
      action,
      instanceId,
      taskId: instanceId,
      at: ctx.clock.now(),
    });
    const actor = { userId: olivia.userId, printedName: olivia.printedName };
    const does = (q: ReturnType<typeof room>) =>
      ctx.engine.database.knex.transaction(async (trx) => {
        await ctx.engine.equipment.checkRoom(trx, q);
        await ctx.engine.equipment.applyRoom(trx, q, actor);
      });
    await does(room('use', batch));
    await assert.rejects(
      does(room('use', other)),
      (e: Error) => e instanceof GateRefusal && e.refusal === 'in_use',
    );
    await does(room('release', batch));
    await assert.rejects(
      does(room('use', other)),
      (e: Error) => e instanceof GateRefusal && e.refusal === 'to_clean',
    );
    await does(room('clean', other));
    await does(room('use', other));
    assert.equal((await ctx.engine.equipment.rooms.get(quinn, 'R-104')).inUse?.instanceId, other);
  });

  it('a person’s acts follow the equipment’s state: maintenance ends dirty; cleaning does not return equipment out of service', async () => {
    await ctx.engine.equipment.register(quinn, mixer({ code: 'MX-03' }));
    const act = (type: string, over: Record<string, unknown> = {}) =>
      ctx.engine.equipment.act(quinn, 'MX-03', { type, reason: 'Planned', ...over });
    assert.equal((await act('maintenance_started')).status, 'maintenance');
    await assert.rejects(act('maintenance_started'), /under maintenance already/);
    await assert.rejects(
      act('cleaned'),
      (e: Error) => e instanceof ConflictError && /under maintenance/.test(e.message),
    );
    assert.equal((await act('maintenance_ended')).status, 'dirty');
    assert.equal((await act('status_set', { status: 'out_of_service' })).status, 'out_of_service');
    await assert.rejects(act('cleaned'), /out of service: cleaning does not return it to use/);
    assert.equal((await act('status_set', { status: 'dirty' })).status, 'dirty');
    assert.equal((await act('cleaned')).status, 'clean');
    const calibrated = await act('calibrated', {
      calibrationDue: '2099-09-30',
      certificate: 'CAL-2026-118',
      password: demoPassword('quinn'),
    });
    assert.deepEqual([calibrated.calibrationDue, calibrated.status], ['2099-09-30', 'clean']);
  });
});
