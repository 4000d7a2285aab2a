import assert from 'node:assert/strict';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  type Principal,
} from '../../src/index.ts';
import { demoPassword, loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';
import { effectiveOrderedBatch } from './fixtures.ts';

describe('Feature: run-time changes to a running record — skip, repeat, add — each a signed, reasoned exception (D7)', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  let petra: Principal;

  before(async () => {
    ctx = await startTestEngine();
    olivia = await loginAs(ctx.engine, 'olivia');
    quinn = await loginAs(ctx.engine, 'quinn');
    petra = await loginAs(ctx.engine, 'petra');
    await effectiveOrderedBatch(ctx.engine, quinn, petra);
  });
  after(() => ctx.close());

  const data = (temperature: number) => ({ title: 'Batch 7', temperature, notes: '' });
  const started = async () => {
    const record = await ctx.engine.records.start(olivia, { template: 'ob', title: 'Batch 7' });
    return { record, step: (elementId: string) => openStep(record.instanceId!, elementId) };
  };
  const openStep = async (instanceId: string, elementId: string) =>
    (await ctx.engine.tasks.list(quinn, { instanceId }))
      .concat(await ctx.engine.tasks.list(olivia, { instanceId }))
      .find((t) => t.elementId === elementId);
  const change = (
    who: Principal,
    recordId: string,
    input: Partial<Parameters<TestContext['engine']['records']['change']>[2]>,
  ) =>
    ctx.engine.records.change(who, recordId, {
      kind: 'skip',
      reason: 'Balance out of service; dispensed under the paper SOP, see logbook p. 12',
      password: demoPassword(who.username as 'quinn'),
      ...input,
    } as Parameters<TestContext['engine']['records']['change']>[2]);
  const accept = async (exceptionId: string) => {
    for (const action of ['assess', 'accept'] as const) {
      await ctx.engine.exceptions.dispose(petra, exceptionId, {
        action,
        comment: `${action}: the change is justified`,
        password: demoPassword('petra'),
      });
    }
  };

  it('D7: skip — the open step is withdrawn without values, the flow goes on from it, and the record shows the signed, reasoned change as a blocking exception', async () => {
    const { record, step } = await started();
    const dispense = (await step('dispense'))!;
    const done = await change(quinn, record.id, { kind: 'skip', taskId: dispense.id });

    assert.ok(await step('mix'), 'the next step waits now');
    const dossier = await ctx.engine.records.dossier(quinn, record.id);
    const skipped = dossier.steps.find((s) => s.taskId === dispense.id)!;
    assert.deepEqual([skipped.status, skipped.values.length], ['skipped', 0], 'withdrawn, no fake values');
    assert.equal(skipped.completedBy?.username, 'quinn');
    assert.deepEqual(
      [skipped.change?.kind, skipped.change?.reason, skipped.change?.by?.username],
      ['skip', 'Balance out of service; dispensed under the paper SOP, see logbook p. 12', 'quinn'],
    );
    const exception = dossier.exceptions.find((e) => e.id === done.exceptionId)!;
    assert.deepEqual(
      [exception.type, exception.severity, exception.blocking, exception.status, exception.taskId],
      ['run_time_change', 'high', true, 'open', dispense.id],
    );
    assert.match(
      exception.message,
      /^Step skipped by a run-time change: “Dispense” in OB-\d{4}-\d{4}: Balance/,
    );
    const signature = (await ctx.engine.signatures.list(quinn, done.exceptionId)).find(
      (s) => s.id === done.signatureId,
    );
    assert.deepEqual(
      [signature?.meaning, signature?.signerId, signature?.reason, signature?.contentChanged],
      [
        'Approved',
        quinn.userId,
        'Balance out of service; dispensed under the paper SOP, see logbook p. 12',
        false,
      ],
    );
    const trail = await ctx.engine.processes.history(quinn, record.instanceId!);
    const event = trail.find((e) => e.type === 'task.skipped')!;
    assert.deepEqual(
      [event.payload.taskId, event.actorId, event.payload.exceptionId],
      [dispense.id, quinn.userId, done.exceptionId],
    );

    await assert.rejects(
      ctx.engine.exceptions.dispose(quinn, done.exceptionId, {
        action: 'assess',
        comment: 'fine',
        password: demoPassword('quinn'),
      }),
      NotAllowedError,
      'nobody dispositions their own change',
    );
    const verified = await ctx.engine.verify();
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });

  it('D7: repeat — a completed step gets a new task of the same element and form; its values stand beside the first ones and the flow does not move', async () => {
    const { record, step } = await started();
    const dispense = (await step('dispense'))!;
    await ctx.engine.tasks.complete(olivia, dispense.id, { data: data(5) });
    const mix = (await step('mix'))!;
    const before = await ctx.engine.processes.get(quinn, record.instanceId!);

    const done = await change(quinn, record.id, {
      kind: 'repeat',
      taskId: dispense.id,
      reason: 'Wrong container tared; weigh again',
    });
    const again = (await ctx.engine.tasks.list(olivia, { instanceId: record.instanceId! })).find(
      (t) => t.id === done.taskId,
    )!;
    assert.deepEqual(
      [again.elementId, again.origin, again.formKey, again.name],
      ['dispense', 'repeat', 'report', 'Dispense'],
    );
    const after = await ctx.engine.processes.get(quinn, record.instanceId!);
    assert.deepEqual(after.activeElements, before.activeElements, 'no token moved');
    assert.equal((await step('mix'))!.id, mix.id, 'the next step still waits, unchanged');

    await assert.rejects(
      change(quinn, record.id, { kind: 'repeat', taskId: dispense.id }),
      /A repeat of this step is open already/,
      'a second submit does not make a second repeat',
    );
    const form = await ctx.engine.tasks.form(olivia, again.id);
    assert.equal(form.form.key, 'report');
    await ctx.engine.tasks.complete(olivia, again.id, { data: data(6) });

    const dossier = await ctx.engine.records.dossier(quinn, record.id);
    const both = dossier.steps.filter((s) => s.elementId === 'dispense');
    assert.deepEqual(
      both.map((s) => [s.origin, s.status, s.values.find((v) => v.pointer === '/temperature')?.value]),
      [
        ['flow', 'completed', 5],
        ['repeat', 'completed', 6],
      ],
    );
    assert.deepEqual([both[1]!.change?.kind, both[1]!.change?.repeatOf], ['repeat', dispense.id]);
    const instance = await ctx.engine.processes.get(quinn, record.instanceId!);
    assert.equal(instance.variables.temperature, 5, 'the repeat’s values change no process variable');
    assert.deepEqual(instance.activeElements, before.activeElements);
    assert.deepEqual(before.activeElements, [{ elementId: 'mix', waitsFor: 'task' }]);
    const verified = await ctx.engine.verify();
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });

  it('D7: add — a step with one of the template’s forms changes no flow, and the record cannot be reviewed or close while it is open', async () => {
    const { record, step } = await started();
    await ctx.engine.tasks.complete(olivia, (await step('dispense'))!.id, { data: data(5) });
    const done = await change(quinn, record.id, {
      kind: 'add',
      formKey: 'closure',
      name: 'Extra cleaning check',
      reason: 'Spill during dispensing; the area is checked again',
    });
    const added = (await ctx.engine.tasks.list(olivia, { instanceId: record.instanceId! })).find(
      (t) => t.id === done.taskId,
    )!;
    assert.deepEqual(
      [added.elementId, added.origin, added.formKey, added.name],
      ['added:closure', 'added', 'closure', 'Extra cleaning check'],
    );
    const detail = await ctx.engine.tasks.get(olivia, added.id);
    assert.deepEqual(
      detail.signature,
      { meaning: 'Performed', rejectable: false },
      'an added step is signed',
    );
    await ctx.engine.tasks.complete(olivia, (await step('mix'))!.id, {
      data: data(5),
      signature: { password: demoPassword('olivia') },
    });
    await accept(done.exceptionId);

    const review = (await step('review'))!;
    const completeReview = () =>
      ctx.engine.tasks.complete(quinn, review.id, { signature: { password: demoPassword('quinn') } });
    await assert.rejects(completeReview(), (e: Error) => {
      assert.ok(e instanceof ConflictError, String(e));
      assert.match(e.message, /step repeated or added by a run-time change is open: “Extra cleaning check”/);
      return true;
    });
    await assert.rejects(
      ctx.engine.signatures.sign(petra, record.id, { meaning: 'Approved', password: demoPassword('petra') }),
      /run-time change is open/,
    );
    await assert.rejects(
      ctx.engine.tasks.complete(olivia, added.id, { data: { closed: true } }),
      /your password is required/,
    );
    await ctx.engine.tasks.complete(olivia, added.id, {
      data: { closed: true },
      signature: { password: demoPassword('olivia') },
    });
    const closed = await completeReview();
    assert.equal(closed.status, 'completed');
    assert.equal((await ctx.engine.records.view(quinn, record.id)).status, 'closed');
    const dossier = await ctx.engine.records.dossier(quinn, record.id);
    const shown = dossier.steps.find((s) => s.taskId === added.id)!;
    assert.deepEqual(
      [shown.origin, shown.status, shown.change?.kind, shown.values[0]?.value],
      ['added', 'completed', 'add', true],
    );
    const verified = await ctx.engine.verify();
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });

  it('D7: refusals — without the permission, a reason or the right password, on a wrong step, form or kind, twice, or on a record no longer running — each changes nothing; an added step ends with its process', async () => {
    const { record, step } = await started();
    const dispense = (await step('dispense'))!;
    const other = await started();
    const otherStep = (await other.step('dispense'))!;
    const events = async () => (await ctx.engine.processes.history(quinn, record.instanceId!)).length;
    const count = await events();

    await assert.rejects(change(olivia, record.id, { taskId: dispense.id }), NotAllowedError);
    await assert.rejects(change(quinn, record.id, { taskId: dispense.id, reason: '  ' }), InputError);
    await assert.rejects(
      change(quinn, record.id, { taskId: dispense.id, password: 'not-my-password' }),
      AuthenticationError,
    );
    await assert.rejects(
      change(quinn, record.id, { kind: 'redo' as 'skip', taskId: dispense.id }),
      InputError,
    );
    await assert.rejects(
      change(quinn, record.id, { taskId: otherStep.id }),
      NotFoundError,
      'a step of another record',
    );
    await assert.rejects(
      change(quinn, record.id, { kind: 'repeat', taskId: dispense.id }),
      /only a completed step is repeated/,
    );
    await assert.rejects(
      change(quinn, record.id, { kind: 'add', formKey: 'nothing', name: 'X' }),
      (e: Error) =>
        e instanceof InputError && /has no form nothing \(its forms: closure, report\)/.test(e.message),
    );
    await assert.rejects(change(quinn, record.id, { kind: 'add', formKey: 'closure', name: '' }), InputError);
    assert.equal(await events(), count, 'nothing was written');

    await change(quinn, record.id, { taskId: dispense.id });
    await assert.rejects(
      change(quinn, record.id, { taskId: dispense.id }),
      /The step is skipped already/,
      'a second submit of the same skip',
    );
    await assert.rejects(
      change(quinn, record.id, { kind: 'repeat', taskId: dispense.id }),
      /The step is skipped: only a completed step is repeated/,
    );

    // A record that does not run any more (here cancelled by the message that stops it) takes no
    // change, and the step added before is withdrawn with it: no token waited on it.
    const added = await change(quinn, other.record.id, { kind: 'add', formKey: 'closure', name: 'Check' });
    await ctx.engine.processes.messages.correlate(quinn, {
      name: 'Stop dispensing',
      correlationKey: other.record.number,
      reason: 'Order cancelled',
    });
    assert.equal((await ctx.engine.records.view(quinn, other.record.id)).status, 'cancelled');
    const withdrawn = (await ctx.engine.records.dossier(quinn, other.record.id)).steps;
    assert.deepEqual(
      withdrawn.map((s) => [s.taskId === added.taskId ? 'added' : s.elementId, s.status]),
      [
        ['dispense', 'cancelled'],
        ['added', 'cancelled'],
      ],
    );
    await assert.rejects(
      change(quinn, other.record.id, { kind: 'add', formKey: 'closure', name: 'Late check' }),
      /is not running \(its process is terminated\)/,
    );
    const verified = await ctx.engine.verify();
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });
});
