import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  type Principal,
} from '../../src/index.ts';
import { verifyDatabase } from '../../src/verify/verifyDatabase.ts';
import { effectiveExceptionTemplates } from '../exceptions/fixtures.ts';
import { demoPassword, loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';

const ROLLED_BACK = new Error('rolled back');

describe('Feature: reopening a closed record — privileged, reasoned, e-signed, visible in its history (D4)', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  let petra: Principal;

  before(async () => {
    ctx = await startTestEngine();
    olivia = await loginAs(ctx.engine, 'olivia');
    quinn = await loginAs(ctx.engine, 'quinn');
    petra = await loginAs(ctx.engine, 'petra');
    await effectiveExceptionTemplates(ctx.engine, quinn, petra);
  });
  after(() => ctx.close());

  /** A batch record whose step recorded 5 °C (within limits) and whose QA review Quinn signed: closed. */
  async function closedRecord() {
    const record = await ctx.engine.records.start(olivia, { template: 'br', title: 'Batch 7' });
    const [step] = await ctx.engine.tasks.list(olivia, { instanceId: record.instanceId! });
    await ctx.engine.tasks.complete(olivia, step!.id, {
      data: { title: 'Batch 7', temperature: 5, notes: '' },
    });
    const [review] = await ctx.engine.tasks.list(quinn, { instanceId: record.instanceId! });
    await ctx.engine.tasks.complete(quinn, review!.id, { signature: { password: demoPassword('quinn') } });
    assert.equal((await ctx.engine.records.view(quinn, record.id)).status, 'closed');
    return record;
  }

  const reopen = (
    who: Principal,
    id: string,
    reason: unknown = 'Late lab result to attach',
    password?: string,
  ) =>
    ctx.engine.records.reopen(who, id, {
      reason,
      password: password ?? demoPassword(who.username as 'quinn' | 'petra' | 'olivia'),
    });

  it('D4: reopening a closed record needs records.reopen, a reason and the password; refused, nothing changes', async () => {
    const record = await closedRecord();
    await assert.rejects(reopen(olivia, record.id), (e: Error) => {
      assert.ok(e instanceof NotAllowedError, String(e));
      assert.match(e.message, /olivia may not reopen closed records/);
      return true;
    });
    await assert.rejects(reopen(petra, record.id), NotAllowedError, 'the qualified person does not hold it');
    for (const reason of ['', '   ', null]) {
      await assert.rejects(reopen(quinn, record.id, reason), (e: Error) => {
        assert.ok(e instanceof InputError, String(e));
        assert.equal((e as InputError).errors?.[0]?.pointer, '/reason');
        return true;
      });
    }
    await assert.rejects(reopen(quinn, record.id, 'Late lab result', 'not my password'), AuthenticationError);
    assert.equal((await ctx.engine.records.view(quinn, record.id)).status, 'closed');
    const dossier = await ctx.engine.records.dossier(quinn, record.id);
    assert.deepEqual(dossier.reopenings, []);
    assert.ok(!dossier.audit.some((e) => e.type === 'record.reopened'));
    assert.ok(!dossier.signatures.some((s) => s.meaning === 'Reopened'));
  });

  it('D4: QA reopens a closed record: e-signed Reopened with the reason in the record’s chain, visible in its history, status reopened', async () => {
    const record = await closedRecord();
    const reopened = await reopen(quinn, record.number, 'Late lab result to attach');
    assert.equal(reopened.status, 'reopened');
    assert.ok(
      (await ctx.engine.records.list(quinn, { status: 'reopened' })).records.some((r) => r.id === record.id),
    );
    const dossier = await ctx.engine.records.dossier(quinn, record.id);
    const signature = dossier.signatures.find((s) => s.meaning === 'Reopened')!;
    assert.ok(signature, 'the reopening is signed');
    assert.deepEqual(
      [signature.recordType, signature.recordId, signature.reason, signature.manifestation.printedName],
      ['record', record.id, 'Late lab result to attach', 'Quinn Quaye'],
    );
    assert.match(signature.manifestation.text, /^Reopened by Quinn Quaye \(quinn\) on /);
    const event = dossier.audit.find((e) => e.type === 'record.reopened')!;
    assert.ok(event, 'the reopening is in the record’s audit trail');
    assert.equal(event.reason, 'Late lab result to attach');
    assert.equal(event.actorName, 'Quinn Quaye');
    assert.deepEqual([event.payload.previousStatus, event.payload.signatureId], ['closed', signature.id]);
    const applied = dossier.audit.find(
      (e) => e.type === 'signature.applied' && e.payload.signatureId === signature.id,
    );
    assert.ok(applied && applied.seq < event.seq, 'the signature precedes the event it signs for');
    assert.deepEqual(
      dossier.reopenings.map((r) => [r.reason, r.previousStatus, r.by.username, r.signatureId, r.closedBy]),
      [['Late lab result to attach', 'closed', 'quinn', signature.id, null]],
    );
    await assert.rejects(
      ctx.engine.signatures.withdraw(quinn, signature.id, {
        password: demoPassword('quinn'),
        reason: 'Undo',
      }),
      /The signature of a reopening is not withdrawn/,
    );
    const verified = await ctx.engine.verify();
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });

  it('D4: the signatures given before the reopening are flagged as preceding it; the reopening’s and later ones are not', async () => {
    const record = await closedRecord();
    await reopen(quinn, record.id);
    await ctx.engine.signatures.sign(petra, record.id, {
      meaning: 'Approved',
      password: demoPassword('petra'),
    });
    const { signatures, reopenings } = await ctx.engine.records.dossier(quinn, record.id);
    const [reopening] = reopenings;
    const byMeaning = Object.fromEntries(signatures.map((s) => [s.meaning, s.precedesReopening]));
    assert.deepEqual(
      byMeaning.Reviewed,
      { reopeningId: reopening!.id, at: reopening!.at },
      'the review step’s',
    );
    assert.equal(byMeaning.Reopened, null);
    assert.equal(byMeaning.Approved, null);
    assert.deepEqual(
      (await ctx.engine.signatures.list(quinn, record.id)).map((s) => [
        s.meaning,
        s.precedesReopening !== null,
      ]),
      [
        ['Reviewed', true],
        ['Reopened', false],
        ['Approved', false],
      ],
    );
  });

  it('D4: a reopened record closes again only with a new Approved signature by someone other than who reopened it', async () => {
    const record = await closedRecord();
    await reopen(quinn, record.id);
    await assert.rejects(
      ctx.engine.signatures.sign(quinn, record.id, { meaning: 'Approved', password: demoPassword('quinn') }),
      /quinn reopened .* and may not approve it again: a second person is required/,
    );
    await ctx.engine.signatures.sign(petra, record.id, {
      meaning: 'Reviewed',
      password: demoPassword('petra'),
    });
    assert.equal(
      (await ctx.engine.records.view(quinn, record.id)).status,
      'reopened',
      'a review does not close it',
    );
    const approval = await ctx.engine.signatures.sign(petra, record.id, {
      meaning: 'Approved',
      password: demoPassword('petra'),
    });
    assert.equal((await ctx.engine.records.view(quinn, record.id)).status, 'closed');
    const [reopening] = (await ctx.engine.records.dossier(quinn, record.id)).reopenings;
    assert.equal(reopening!.closedBy?.signatureId, approval.id);
    await assert.rejects(
      ctx.engine.signatures.sign(petra, record.id, { meaning: 'Released', password: demoPassword('petra') }),
      ConflictError,
      'closed again, it takes no further signature',
    );
    // Withdrawing the approval that closed it leaves it reopened again.
    await ctx.engine.signatures.withdraw(petra, approval.id, {
      password: demoPassword('petra'),
      reason: 'Signed too early',
    });
    assert.equal((await ctx.engine.records.view(quinn, record.id)).status, 'reopened');
  });

  it('D4: only a closed record is reopened, and only once at a time: open, held and reopened records are refused', async () => {
    const open = await ctx.engine.records.start(olivia, { template: 'br', title: 'Batch 8' });
    await assert.rejects(reopen(quinn, open.id), (e: Error) => {
      assert.ok(e instanceof ConflictError, String(e));
      assert.match(e.message, /is open, not closed: only a closed record is reopened/);
      return true;
    });
    const held = await ctx.engine.records.start(olivia, { template: 'pr', title: 'Batch 9' });
    const [step] = await ctx.engine.tasks.list(olivia, { instanceId: held.instanceId! });
    await ctx.engine.tasks.complete(olivia, step!.id, {
      data: { title: 'Batch 9', temperature: 12, notes: '' },
      confirmed: ['/temperature'],
    });
    await assert.rejects(reopen(quinn, held.id), /is held, not closed/);
    const record = await closedRecord();
    await reopen(quinn, record.id);
    await assert.rejects(reopen(quinn, record.id), (e: Error) => {
      assert.ok(e instanceof ConflictError, String(e));
      assert.match(e.message, /is reopened already \(by Quinn Quaye on /);
      return true;
    });
    const results = await Promise.allSettled([
      reopen(quinn, (await closedRecord()).id),
      reopen(quinn, record.id),
    ]);
    assert.equal(results[1].status, 'rejected');
    assert.equal(
      (await ctx.engine.records.dossier(quinn, record.id)).reopenings.length,
      1,
      'one reopening, not two',
    );
  });

  it('D4: the database refuses to rewrite or remove a reopening, and verify detects one changed behind its back', async () => {
    const record = await closedRecord();
    await reopen(quinn, record.id, 'Label reconciliation to correct');
    const knex = ctx.engine.database.knex;
    await assert.rejects(
      knex('record_reopenings').where({ record_id: record.id }).update({ reason: 'Nothing' }),
    );
    await assert.rejects(knex('record_reopenings').where({ record_id: record.id }).delete());
    await assert.rejects(
      ctx.asOwner((db) =>
        db('record_reopenings').where({ record_id: record.id }).update({ reason: 'Nothing' }),
      ),
      /refuse|append|never|not allowed|changed/i,
      'even the owner of the schema is refused',
    );
    let report: Awaited<ReturnType<typeof verifyDatabase>> | undefined;
    await ctx
      .asOwner((db) =>
        (db as Knex).transaction(async (trx) => {
          await trx.raw('SET LOCAL session_replication_role = replica');
          await trx('record_reopenings').where({ record_id: record.id }).update({ reason: 'Nothing to see' });
          report = await verifyDatabase(trx as unknown as Knex);
          throw ROLLED_BACK;
        }),
      )
      .catch((error: unknown) => {
        if (error !== ROLLED_BACK) throw error;
      });
    assert.equal(report!.ok, false);
    assert.deepEqual(report!.breaks, []);
    assert.match(
      report!.mismatches.find((m) => m.table === 'record_reopenings')?.problem ?? '',
      /reason differs from its audit trail/,
    );
    assert.equal((await ctx.engine.verify()).ok, true, 'the rollback left it untouched');
  });
});
