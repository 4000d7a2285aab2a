import assert from 'node:assert/strict';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  type Principal,
} from '../../src/index.ts';
import { demoPassword, loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';
import { aheadBatch, effectivePackage, orderedBatch } from './fixtures.ts';

type ChangeInput = Parameters<TestContext['engine']['records']['change']>[2];

describe('Feature: a later step done ahead of the flow where the template allows it, as a signed override exception (F1)', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let oscar: Principal;
  let quinn: Principal;
  let petra: Principal;

  before(async () => {
    ctx = await startTestEngine();
    olivia = await loginAs(ctx.engine, 'olivia');
    oscar = await loginAs(ctx.engine, 'oscar');
    quinn = await loginAs(ctx.engine, 'quinn');
    petra = await loginAs(ctx.engine, 'petra');
    await effectivePackage(ctx.engine, quinn, petra, aheadBatch('ab'));
    await effectivePackage(ctx.engine, quinn, petra, orderedBatch('kb'));
  });
  after(() => ctx.close());

  const REASON = 'The mixer is free now and the cleaning crew leaves at 14:00';
  const data = (temperature: number, title = 'Batch 21') => ({ title, temperature, notes: '' });
  const ahead = (who: Principal, recordId: string, input: Partial<ChangeInput> = {}) =>
    ctx.engine.records.change(who, recordId, {
      kind: 'outOfOrder',
      elementId: 'clean',
      reason: REASON,
      password: demoPassword(who.username as 'olivia'),
      ...input,
    } as ChangeInput);
  const openSteps = async (instanceId: string) =>
    (await ctx.engine.tasks.list(olivia, { instanceId })).concat(
      await ctx.engine.tasks.list(quinn, { instanceId }),
    );
  const stepAt = async (instanceId: string, elementId: string) =>
    (await openSteps(instanceId)).find((t) => t.elementId === elementId);
  const trailLength = async (instanceId: string) =>
    (await ctx.engine.processes.history(quinn, instanceId)).length;

  it('F1: override — the step is done ahead with a reason and a signature, recorded as a blocking exception; when the flow reaches it, its values complete it there', async () => {
    const record = await ctx.engine.records.start(olivia, { template: 'ab', title: 'Batch 21' });
    const instanceId = record.instanceId!;
    const view = await ctx.engine.records.view(quinn, record.id);
    assert.deepEqual(view.stepsAhead, [
      { elementId: 'clean', name: 'Clean the mixer', candidateRoles: ['operator'] },
    ]);

    const done = await ahead(olivia, record.id);
    const early = (await stepAt(instanceId, 'clean'))!;
    assert.equal(early.id, done.taskId);
    assert.equal(early.origin, 'early');
    assert.deepEqual(
      (await openSteps(instanceId)).map((t) => t.elementId).sort(),
      ['clean', 'dispense'],
      'the flow still waits at the first step; the step done ahead is open beside it',
    );
    assert.deepEqual((await ctx.engine.records.view(quinn, record.id)).stepsAhead, [], 'offered once');

    const dossier = await ctx.engine.records.dossier(quinn, record.id);
    const exception = dossier.exceptions.find((e) => e.id === done.exceptionId)!;
    assert.deepEqual(
      [exception.type, exception.severity, exception.blocking, exception.status, exception.taskId],
      ['out_of_order', 'high', true, 'open', done.taskId],
    );
    assert.match(
      exception.message,
      /^Step done ahead of the flow: “Clean the mixer” in AB-\d{4}-\d{4}, while the process waited at “Dispense”: The mixer/,
    );
    const details = (await ctx.engine.exceptions.get(quinn, done.exceptionId)).details;
    assert.deepEqual(details.waitingAt, ['Dispense'], 'the step the flow waited at is recorded');
    const signature = (await ctx.engine.signatures.list(quinn, done.exceptionId)).find(
      (s) => s.id === done.signatureId,
    );
    assert.deepEqual(
      [signature?.meaning, signature?.signerId, signature?.reason],
      ['Performed', olivia.userId, REASON],
    );

    // The step done ahead is done like any other: its values, its own signature.
    await ctx.engine.tasks.complete(olivia, early.id, {
      data: data(6),
      signature: { password: demoPassword('olivia') },
    });
    assert.equal(await stepAt(instanceId, 'clean'), undefined);
    await ctx.engine.tasks.complete(olivia, (await stepAt(instanceId, 'dispense'))!.id, { data: data(5) });
    await ctx.engine.tasks.complete(oscar, (await stepAt(instanceId, 'mix'))!.id, {
      data: data(7),
      signature: { password: demoPassword('oscar') },
    });

    // The flow reached the cleaning: the values done ahead completed it, and QA review waits.
    assert.deepEqual(
      (await openSteps(instanceId)).map((t) => t.elementId),
      ['review'],
    );
    const instance = await ctx.engine.processes.get(quinn, instanceId);
    assert.equal(instance.variables.temperature, 6, 'the flow carries the values done ahead');
    const trail = await ctx.engine.processes.history(quinn, instanceId);
    const takenUp = trail.find((e) => e.type === 'task.completed' && e.payload.doneAhead);
    assert.deepEqual(takenUp?.payload.doneAhead, { taskId: early.id, by: olivia.userId });
    const after = await ctx.engine.records.dossier(quinn, record.id);
    assert.deepEqual(
      after.steps.map((s) => [s.elementId, s.origin, s.status]),
      [
        ['dispense', 'flow', 'completed'],
        ['clean', 'early', 'completed'],
        ['mix', 'flow', 'completed'],
        ['review', 'flow', 'open'],
      ],
      'the cleaning is shown once, as done ahead, with its values',
    );
    const clean = after.steps.find((s) => s.elementId === 'clean')!;
    assert.deepEqual(
      [clean.change?.kind, clean.change?.reason, clean.completedBy?.username],
      ['outOfOrder', REASON, 'olivia'],
    );
    assert.ok(clean.values.some((v) => v.pointer === '/temperature' && v.value === 6));

    // Blocking: QA's review is refused until the override is dispositioned.
    const review = (await stepAt(instanceId, 'review'))!;
    const reviewed = () =>
      ctx.engine.tasks.complete(quinn, review.id, { signature: { password: demoPassword('quinn') } });
    await assert.rejects(
      reviewed(),
      (e: Error) => e instanceof ConflictError && /Step done ahead/.test(e.message),
    );
    for (const action of ['assess', 'accept'] as const) {
      await ctx.engine.exceptions.dispose(quinn, done.exceptionId, {
        action,
        comment: `${action}: cleaning ahead does not touch the product`,
        password: demoPassword('quinn'),
      });
    }
    await reviewed();
    assert.equal((await ctx.engine.processes.get(quinn, instanceId)).status, 'completed');
    const verified = await ctx.engine.verify();
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });

  it('F1: override — while the step is being done ahead, the flow reaching it waits for those values; its own task is not completed apart', async () => {
    const record = await ctx.engine.records.start(olivia, { template: 'ab', title: 'Batch 22' });
    const instanceId = record.instanceId!;
    const done = await ahead(olivia, record.id);
    await ctx.engine.tasks.complete(olivia, (await stepAt(instanceId, 'dispense'))!.id, { data: data(5) });
    await ctx.engine.tasks.complete(oscar, (await stepAt(instanceId, 'mix'))!.id, {
      data: data(7),
      signature: { password: demoPassword('oscar') },
    });
    const both = (await openSteps(instanceId)).filter((t) => t.elementId === 'clean');
    assert.deepEqual(both.map((t) => t.origin).sort(), ['early', 'flow']);
    const flow = both.find((t) => t.origin === 'flow')!;
    assert.equal(
      await ahead(olivia, record.id).catch((e: Error) => e.message),
      `The process has reached “Clean the mixer”: do it from its task ${flow.id}`,
    );
    const length = await trailLength(instanceId);
    await assert.rejects(
      ctx.engine.tasks.complete(olivia, flow.id, {
        data: data(6),
        signature: { password: demoPassword('olivia') },
      }),
      (e: Error) => e instanceof ConflictError && e.message.includes(`task ${done.taskId}`),
    );
    assert.equal(await trailLength(instanceId), length, 'the refusal wrote nothing');

    await ctx.engine.tasks.complete(olivia, done.taskId, {
      data: data(6),
      signature: { password: demoPassword('olivia') },
    });
    assert.deepEqual(
      (await openSteps(instanceId)).map((t) => t.elementId),
      ['review'],
      'both completed at once; the flow went on',
    );
    const verified = await ctx.engine.verify();
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });

  it('F1: blocked — a step the template does not allow, a person not of its roles, a step already reached or done ahead, a wrong password: refused, nothing written', async () => {
    const record = await ctx.engine.records.start(olivia, { template: 'ab', title: 'Batch 23' });
    const instanceId = record.instanceId!;
    const length = await trailLength(instanceId);
    await assert.rejects(
      ahead(olivia, record.id, { elementId: 'mix' }),
      (e: Error) => e instanceof ConflictError && /may not be done out of order/.test(e.message),
    );
    await assert.rejects(
      ahead(olivia, record.id, { elementId: 'nowhere' }),
      (e: Error) => e instanceof InputError && /has no step nowhere/.test(e.message),
    );
    await assert.rejects(ahead(quinn, record.id), NotAllowedError, 'QA is not among the step’s roles');
    await assert.rejects(ahead(olivia, record.id, { password: 'wrong' }), AuthenticationError);
    await assert.rejects(ahead(olivia, record.id, { reason: ' ' }), InputError);
    await assert.rejects(
      ahead(olivia, record.id, { elementId: 'dispense' }),
      (e: Error) => e instanceof ConflictError && /may not be done out of order/.test(e.message),
      'the step the flow waits at is not done ahead either',
    );
    assert.equal(await trailLength(instanceId), length);
    assert.equal((await ctx.engine.records.dossier(quinn, record.id)).exceptions.length, 0);

    await ahead(olivia, record.id);
    await assert.rejects(
      ahead(olivia, record.id),
      (e: Error) => e instanceof ConflictError && /being done ahead already/.test(e.message),
    );
    const early = (await stepAt(instanceId, 'clean'))!;
    await ctx.engine.tasks.complete(olivia, early.id, {
      data: data(6),
      signature: { password: demoPassword('olivia') },
    });
    await assert.rejects(
      ahead(olivia, record.id),
      (e: Error) => e instanceof ConflictError && /was done ahead already/.test(e.message),
    );

    // A template without attest:outOfOrder offers no step ahead and refuses every one.
    const kept = await ctx.engine.records.start(olivia, { template: 'kb', title: 'Batch 24' });
    assert.deepEqual((await ctx.engine.records.view(quinn, kept.id)).stepsAhead, []);
    for (const elementId of ['mix', 'review']) {
      await assert.rejects(
        ahead(olivia, kept.id, { elementId }),
        (e: Error) => e instanceof ConflictError && /keeps the model’s order/.test(e.message),
      );
    }
  });
});
