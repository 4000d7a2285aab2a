import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, type Principal } from '../../src/index.ts';
import { demoPassword, loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';
import { effectiveOrderedBatch } from './fixtures.ts';

describe('Feature: step order — a later step cannot be done before the model reaches it (F1)', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let oscar: Principal;
  let quinn: Principal;

  before(async () => {
    ctx = await startTestEngine();
    olivia = await loginAs(ctx.engine, 'olivia');
    oscar = await loginAs(ctx.engine, 'oscar');
    quinn = await loginAs(ctx.engine, 'quinn');
    const petra = await loginAs(ctx.engine, 'petra');
    await effectiveOrderedBatch(ctx.engine, quinn, petra);
  });
  after(() => ctx.close());

  const data = { title: 'Batch 9', temperature: 5, notes: '' };

  /** Every act on a step by its task id: each must be refused for a task that is not open. */
  const acts = (taskId: string) => ({
    claim: () => ctx.engine.tasks.claim(olivia, taskId),
    complete: () => ctx.engine.tasks.complete(olivia, taskId, { data }),
    sign: () =>
      ctx.engine.tasks.complete(olivia, taskId, { data, signature: { password: demoPassword('olivia') } }),
    save: () => ctx.engine.tasks.saveValues(olivia, taskId, { data }),
    verify: () =>
      ctx.engine.tasks.verify(olivia, taskId, { username: 'oscar', password: demoPassword('oscar') }),
  });

  async function refusedEverywhere(taskId: string, refusal: RegExp, type: new (...args: never[]) => Error) {
    for (const [name, act] of Object.entries(acts(taskId))) {
      await assert.rejects(
        act(),
        (e: Error) => e instanceof type && refusal.test(e.message),
        `${name} of ${taskId}`,
      );
    }
  }

  it('F1: blocked — only the step the flow reached has a task; the later steps have none to complete, save, sign, verify or claim', async () => {
    const record = await ctx.engine.records.start(olivia, { template: 'ob', title: 'Batch 9' });
    const open = await ctx.engine.tasks.list(quinn, { instanceId: record.instanceId! });
    const forOlivia = await ctx.engine.tasks.list(olivia, { instanceId: record.instanceId! });
    assert.deepEqual(
      [...open, ...forOlivia].map((t) => t.elementId),
      ['dispense'],
      'mix and review do not exist yet, for anyone',
    );
    const dossier = await ctx.engine.records.dossier(quinn, record.id);
    assert.deepEqual(
      dossier.steps.map((s) => s.elementId),
      ['dispense'],
    );
    const instance = await ctx.engine.processes.get(quinn, record.instanceId!);
    assert.deepEqual(
      instance.activeElements.filter((a) => a.waitsFor === 'task').map((a) => a.elementId),
      ['dispense'],
    );
    // An id nobody was given (a later step's, guessed) is no task at all.
    await refusedEverywhere(randomUUID(), /There is no task/, NotFoundError);
    const trail = (await ctx.engine.processes.history(quinn, record.instanceId!)).length;

    // The first step done, its task is closed to every act: the order goes one way.
    const dispense = open.find((t) => t.elementId === 'dispense') ?? forOlivia[0]!;
    await ctx.engine.tasks.complete(olivia, dispense.id, { data });
    const afterFirst = (await ctx.engine.processes.history(quinn, record.instanceId!)).length;
    assert.ok(afterFirst > trail);
    await refusedEverywhere(dispense.id, /The task is completed already/, ConflictError);
    assert.equal(
      (await ctx.engine.processes.history(quinn, record.instanceId!)).length,
      afterFirst,
      'the refusals wrote nothing',
    );
    const next = await ctx.engine.tasks.list(olivia, { instanceId: record.instanceId! });
    assert.deepEqual(
      next.map((t) => t.elementId),
      ['mix'],
      'the next step exists now',
    );
    await assert.rejects(
      ctx.engine.tasks.complete(oscar, next[0]!.id, { data, signature: { password: 'wrong' } }),
      'a wrong password completes nothing either',
    );
  });

  it('F1: blocked — a step withdrawn by the flow (cancelled) or skipped by a run-time change takes no act', async () => {
    const stopped = await ctx.engine.records.start(olivia, { template: 'ob', title: 'Batch 10' });
    const [cancelled] = await ctx.engine.tasks.list(olivia, { instanceId: stopped.instanceId! });
    await ctx.engine.processes.messages.correlate(quinn, {
      name: 'Stop dispensing',
      correlationKey: stopped.number,
      reason: 'Order cancelled',
    });
    await refusedEverywhere(cancelled!.id, /The task is cancelled already/, ConflictError);

    const skippedIn = await ctx.engine.records.start(olivia, { template: 'ob', title: 'Batch 11' });
    const [skipped] = await ctx.engine.tasks.list(olivia, { instanceId: skippedIn.instanceId! });
    await ctx.engine.records.change(quinn, skippedIn.id, {
      kind: 'skip',
      taskId: skipped!.id,
      reason: 'Dispensed on the paper batch record during the outage',
      password: demoPassword('quinn'),
    });
    await refusedEverywhere(skipped!.id, /The task is skipped already/, ConflictError);
  });
});
