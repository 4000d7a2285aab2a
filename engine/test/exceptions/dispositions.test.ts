import assert from 'node:assert/strict';
import { AuthenticationError, ConflictError, NotAllowedError, type Principal } from '../../src/index.ts';
import { demoPassword, loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';
import { effectiveExceptionTemplates } from './fixtures.ts';

describe('Feature: exceptions that gate — QA assesses each, then accepts it or raises a deviation (F4, F5)', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  let petra: Principal;
  const password = (who: 'olivia' | 'quinn' | 'petra') => demoPassword(who);

  before(async () => {
    ctx = await startTestEngine();
    olivia = await loginAs(ctx.engine, 'olivia');
    quinn = await loginAs(ctx.engine, 'quinn');
    petra = await loginAs(ctx.engine, 'petra');
    await effectiveExceptionTemplates(ctx.engine, quinn, petra);
  });
  after(() => ctx.close());

  /** A record whose first step recorded 12 °C: one blocking exception, open. */
  async function breached(template: 'br' | 'pr', by: Principal = olivia) {
    const record = await ctx.engine.records.start(by, { template, title: 'Batch 42' });
    const [task] = await ctx.engine.tasks.list(by, { instanceId: record.instanceId! });
    await ctx.engine.tasks.complete(by, task!.id, {
      data: { title: 'Batch 42', temperature: 12, notes: '' },
      confirmed: ['/temperature'],
    });
    const dossier = await ctx.engine.records.dossier(quinn, record.id);
    assert.equal(dossier.exceptions.length, 1);
    const [exception] = dossier.exceptions;
    assert.deepEqual([exception!.blocking, exception!.status], [true, 'open']);
    return { record, exception: exception! };
  }

  const reviewTask = async (instanceId: string) =>
    (await ctx.engine.tasks.list(quinn, { instanceId })).find((t) => t.elementId === 'review')!;

  const dispose = (
    who: Principal,
    id: string,
    action: 'assess' | 'accept' | 'raiseDeviation',
    comment = `${action}: checked`,
  ) =>
    ctx.engine.exceptions.dispose(who, id, {
      action,
      comment,
      password: password(who.username as 'quinn' | 'petra'),
    });

  it('F4: a blocking exception holds the review step and a review signature on the record until QA decides; the refusal names it', async () => {
    const { record, exception } = await breached('br');
    const review = await reviewTask(record.instanceId!);
    const complete = () =>
      ctx.engine.tasks.complete(quinn, review.id, { signature: { password: password('quinn') } });
    await assert.rejects(complete(), (e: Error) => {
      assert.ok(e instanceof ConflictError, String(e));
      assert.match(
        e.message,
        /blocking exception is not dispositioned: “Temperature.*above the action limit/,
      );
      assert.ok(e.message.includes(exception.id), 'the refusal names the exception');
      return true;
    });
    for (const meaning of ['Reviewed', 'Approved', 'Released'] as const) {
      await assert.rejects(
        ctx.engine.signatures.sign(petra, record.id, { meaning, password: password('petra') }),
        /blocking exception is not dispositioned/,
        `a ${meaning} signature on the record is held back too`,
      );
    }
    await dispose(
      quinn,
      exception.id,
      'assess',
      'Probe placed at the door; product temperature within range.',
    );
    await assert.rejects(
      complete(),
      /blocking exception is not dispositioned: .*assessed/,
      'assessed is not decided',
    );
    const accepted = await dispose(
      petra,
      exception.id,
      'accept',
      'Product unaffected: 20 minutes, data logger.',
    );
    assert.equal(accepted.status, 'accepted');
    assert.deepEqual(
      accepted.dispositions.map((d) => [d.action, d.by.username, d.signature.meaning]),
      [
        ['assessed', 'quinn', 'Reviewed'],
        ['accepted', 'petra', 'Approved'],
      ],
    );
    assert.match(accepted.dispositions[1]!.signature.text, /^Approved by Petra Pohl \(petra\) on /);
    const done = await complete();
    assert.equal(done.status, 'completed');
    assert.equal((await ctx.engine.records.view(quinn, record.id)).status, 'closed');
    const verified = await ctx.engine.verify();
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });

  it('F4: a record whose process ended with a blocking exception is held, not closed, and closes when QA decides', async () => {
    const { record, exception } = await breached('pr');
    assert.equal((await ctx.engine.records.view(quinn, record.id)).status, 'held');
    const held = await ctx.engine.records.list(quinn, { status: 'held' });
    assert.ok(
      held.records.some((r) => r.id === record.id),
      'the list finds it by its status',
    );
    await dispose(quinn, exception.id, 'assess');
    assert.equal((await ctx.engine.records.view(quinn, record.id)).status, 'held');
    await dispose(quinn, exception.id, 'accept');
    assert.equal((await ctx.engine.records.view(quinn, record.id)).status, 'closed');
  });

  it('F5: QA raises a deviation for an exception: a deviation record raised from the batch, linked, and the exception holds no longer', async () => {
    const { record, exception } = await breached('br');
    await dispose(quinn, exception.id, 'assess', 'Cold chain broken for 3 hours.');
    const decided = await dispose(quinn, exception.id, 'raiseDeviation', 'Needs an investigation.');
    assert.equal(decided.status, 'deviation');
    const deviation = decided.dispositions[1]!.deviation!;
    assert.match(deviation.number, /^DEV-\d{4}-\d{4}$/);
    const opened = await ctx.engine.records.view(quinn, deviation.id);
    assert.equal(opened.raisedFrom?.number, record.number, 'raised from the batch record');
    const dossier = await ctx.engine.records.dossier(quinn, record.id);
    assert.equal(dossier.exceptions[0]!.dispositions[1]!.deviation?.number, deviation.number);
    const review = await reviewTask(record.instanceId!);
    const done = await ctx.engine.tasks.complete(quinn, review.id, {
      signature: { password: password('quinn') },
    });
    assert.equal(done.status, 'completed');
    const trail = await ctx.engine.audit.trail(quinn, { recordId: record.id });
    assert.deepEqual(
      trail.filter((e) => e.type === 'exception.dispositioned').map((e) => e.payload.action),
      ['assessed', 'deviation'],
      "the record's audit trail shows the decisions",
    );
    assert.equal((await ctx.engine.verify()).ok, true);
  });

  it('F4, B5: decisions go in order, each signed with the password, once, and never by whoever raised the exception', async () => {
    const { exception } = await breached('br', quinn);
    await assert.rejects(dispose(quinn, exception.id, 'assess'), (e: Error) => {
      assert.ok(e instanceof NotAllowedError);
      assert.match(e.message, /a second person is required/);
      return true;
    });
    await assert.rejects(dispose(petra, exception.id, 'accept'), /to be assessed first/);
    await assert.rejects(
      dispose(olivia, exception.id, 'assess'),
      NotAllowedError,
      'an operator decides nothing',
    );
    await assert.rejects(
      ctx.engine.exceptions.dispose(petra, exception.id, {
        action: 'assess',
        comment: 'ok',
        password: 'not-her-password',
      }),
      AuthenticationError,
    );
    await assert.rejects(
      ctx.engine.exceptions.dispose(petra, exception.id, {
        action: 'assess',
        comment: '  ',
        password: password('petra'),
      }),
      /comment/,
    );
    const after = await ctx.engine.exceptions.get(quinn, exception.id);
    assert.deepEqual([after.status, after.dispositions.length], ['open', 0], 'nothing was written');
    await dispose(petra, exception.id, 'assess');
    await assert.rejects(dispose(petra, exception.id, 'assess'), /assessed already/);
    await dispose(petra, exception.id, 'accept');
    await assert.rejects(dispose(petra, exception.id, 'accept'), /accepted already/);
    const signatures = await ctx.engine.signatures.list(quinn, exception.id, 'exception');
    assert.deepEqual(
      signatures.map((s) => [s.meaning, s.contentChanged]),
      [
        ['Reviewed', true],
        ['Approved', false],
      ],
      'each decision is a signature in the exception’s own chain; the assessment preceded the acceptance',
    );
  });

  it('F4: the database refuses an exception moved back, its facts changed, or a decision rewritten or removed', async () => {
    const { exception } = await breached('br');
    await dispose(quinn, exception.id, 'assess');
    await dispose(petra, exception.id, 'accept');
    const { knex } = ctx.engine.database;
    // The runtime's own connection: the triggers and its grants refuse it all.
    await assert.rejects(
      knex('exceptions').where({ id: exception.id }).update({ status: 'open' }),
      /cannot become/,
    );
    await assert.rejects(
      knex('exceptions').where({ id: exception.id }).update({ blocking: false }),
      /only its status changes/,
    );
    await assert.rejects(
      knex('exception_dispositions').where({ exception_id: exception.id }).update({ comment: 'nothing' }),
    );
    await assert.rejects(knex('exception_dispositions').where({ exception_id: exception.id }).del());
    // The database owner who takes the trigger away to move it back is caught by verify.
    await ctx.asOwner(async (db) => {
      await db.raw('ALTER TABLE exceptions DISABLE TRIGGER exceptions_move_one_way');
      await db('exceptions').where({ id: exception.id }).update({ status: 'open' });
    });
    try {
      const report = await ctx.engine.verify();
      assert.equal(report.ok, false);
      assert.ok(
        report.mismatches.some((m) => m.table === 'exceptions' && m.id === exception.id),
        JSON.stringify(report.mismatches),
      );
    } finally {
      await ctx.asOwner(async (db) => {
        await db('exceptions').where({ id: exception.id }).update({ status: 'accepted' });
        await db.raw('ALTER TABLE exceptions ENABLE TRIGGER exceptions_move_one_way');
      });
    }
    assert.equal((await ctx.engine.verify()).ok, true);
  });
});
