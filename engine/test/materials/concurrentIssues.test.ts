import assert from 'node:assert/strict';
import type { Principal } from '../../src/index.ts';
import { GateRefusal } from '../../src/steps/gates.ts';
import { materialWithSupplier, releasedLot } from '../support/materials.ts';
import { loginAs, onServer, startTestEngine, type TestContext } from '../support/testEngine.ts';

describe('Feature: stock and lot numbers stay exact when many people work one material at once (PostgreSQL server)', function () {
  let ctx: TestContext;
  let quinn: Principal;
  let olivia: Principal;

  before(async function () {
    if (!onServer()) this.skip();
    ctx = await startTestEngine();
    quinn = await loginAs(ctx.engine, 'quinn');
    olivia = await loginAs(ctx.engine, 'olivia');
    await materialWithSupplier(ctx, quinn);
  });
  after(async () => {
    if (ctx) await ctx.close();
  });

  it('32 concurrent issues of 1 kg from a lot of 20 kg: 20 succeed, 12 are refused, no oversell', async () => {
    const lot = await releasedLot(ctx, olivia, quinn, { material: 'PCM', containers: [8, 12] });
    const knex = ctx.engine.database.knex;
    const answer = await ctx.engine.materials.checkLot(knex, {
      code: lot.lotNumber,
      material: 'PCM',
      instanceId: '00000000-0000-4000-8000-0000000000bb',
      at: ctx.clock.now(),
    });
    const results = await Promise.allSettled(
      Array.from({ length: 32 }, (_, i) =>
        knex.transaction((trx) =>
          ctx.engine.materials.issue(trx, {
            lot: answer,
            quantity: 1,
            unit: 'kg',
            instanceId: '00000000-0000-4000-8000-0000000000bb',
            taskId: `dispense-${i}`,
            actor: { userId: olivia.userId, printedName: olivia.printedName },
            at: ctx.clock.now(),
          }),
        ),
      ),
    );
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(results.length - refused.length, 20);
    assert.ok(
      refused.every((r) => (r as PromiseRejectedResult).reason instanceof GateRefusal),
      String((refused[0] as PromiseRejectedResult | undefined)?.reason),
    );
    const after = await ctx.engine.materials.lots.get(olivia, lot.lotNumber);
    assert.deepEqual(
      [
        after.stock,
        after.containers.map((c) => c.stock),
        after.transactions.filter((t) => t.kind === 'issue').length,
      ],
      [0, [0, 0], 20],
    );
    assert.deepEqual((await ctx.engine.verify()).mismatches, []);
  });

  it('16 concurrent receipts of one material get lot numbers 1 to 16, none twice, none skipped', async () => {
    await materialWithSupplier(ctx, quinn, {
      code: 'LAC',
      name: 'Lactose',
      lotNumberPattern: '{material}{seq:3}',
    });
    const lots = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        ctx.engine.materials.lots.receive(olivia, {
          material: 'LAC',
          supplier: 'SUP-A',
          supplierLot: `ACME-${i}`,
          containers: [{ quantity: 5 }],
          location: 'WH-A-02',
        }),
      ),
    );
    assert.deepEqual(
      lots.map((l) => l.lotNumber).sort(),
      Array.from({ length: 16 }, (_, i) => `LAC${String(i + 1).padStart(3, '0')}`),
    );
  });
});
