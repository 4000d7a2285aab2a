import assert from 'node:assert/strict';
import { loginAs, startTestEngine, type TestContext } from './support/testEngine.ts';

describe('smoke', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await startTestEngine();
  });
  after(() => ctx.close());
  it('logs in, creates a record, signs, verifies', async () => {
    const olivia = await loginAs(ctx.engine, 'olivia');
    const rec = await ctx.engine.records.create(olivia, {
      kind: 'deviation',
      title: 'Spill',
      content: { where: 'Room 4' },
    });
    const quinn = await loginAs(ctx.engine, 'quinn');
    const sig = await ctx.engine.signatures.sign(quinn, rec.id, {
      meaning: 'Reviewed',
      password: 'Attest-Review-1',
    });
    assert.equal(sig.manifestation.printedName, 'Quinn Quaye');
    await ctx.engine.audit.seal();
    const report = await ctx.engine.verify();
    console.log(report);
    assert.ok(report.ok);
  });
});
