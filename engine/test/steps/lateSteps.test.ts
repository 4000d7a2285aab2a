import assert from 'node:assert/strict';
import type { Principal } from '../../src/index.ts';
import { effectivePackage, orderedBatch } from '../changes/fixtures.ts';
import { loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';

describe('Feature: a step completed after its due date is an exception on the record', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;

  before(async () => {
    ctx = await startTestEngine();
    olivia = await loginAs(ctx.engine, 'olivia');
    quinn = await loginAs(ctx.engine, 'quinn');
    const pkg = orderedBatch('lb');
    await effectivePackage(ctx.engine, quinn, await loginAs(ctx.engine, 'petra'), {
      ...pkg,
      process: pkg.process.replace(
        '<userTask id="dispense" name="Dispense"',
        '<userTask id="dispense" name="Dispense" attest:dueDate="duration(&quot;PT1H&quot;)"',
      ),
    });
  });
  after(() => ctx.close());

  const data = { title: 'Batch 41', temperature: 5, notes: '' };
  const dispensing = async () => {
    const record = await ctx.engine.records.start(olivia, { template: 'lb', title: 'Batch 41' });
    const [task] = await ctx.engine.tasks.list(olivia, { instanceId: record.instanceId! });
    return { record, task: task! };
  };

  it('Given a step due in an hour, when it is completed in time, then no exception; when completed 90 minutes late, then a medium, non-blocking late_step exception says how late', async () => {
    const inTime = await dispensing();
    await ctx.engine.tasks.complete(olivia, inTime.task.id, { data });
    assert.deepEqual((await ctx.engine.records.dossier(quinn, inTime.record.id)).exceptions, []);

    const late = await dispensing();
    assert.ok(late.task.dueAt);
    ctx.clock.advance(150);
    await ctx.engine.tasks.complete(olivia, late.task.id, { data });
    const [exception, ...more] = (await ctx.engine.records.dossier(quinn, late.record.id)).exceptions;
    assert.deepEqual(more, []);
    assert.deepEqual(
      [exception?.type, exception?.severity, exception?.blocking, exception?.status, exception?.taskId],
      ['late_step', 'medium', false, 'open', late.task.id],
    );
    assert.match(exception!.message, /^“Dispense” was completed 1 h 3\d min after it was due \(\d{4}-/);
    assert.equal(exception!.raisedBy?.username, 'olivia');
    const details = (await ctx.engine.exceptions.get(quinn, exception!.id)).details;
    assert.equal(details.dueAt, late.task.dueAt);
    assert.ok((details.minutesLate as number) >= 90);
    const verified = await ctx.engine.verify();
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });
});
