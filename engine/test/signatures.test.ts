import assert from 'node:assert/strict';
import {
  AccountLockedError,
  AuthenticationError,
  InputError,
  NotAllowedError,
  type Principal,
} from '../src/index.ts';
import {
  createColleague,
  demoPassword,
  loginAs,
  startTestEngine,
  type TestContext,
} from './support/testEngine.ts';

describe('Feature: electronic signatures', () => {
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
  });
  after(() => ctx.close());

  const newRecord = (by: Principal = olivia) =>
    ctx.engine.records.create(by, { kind: 'batch', title: 'Granulation', content: { temperature: 60 } });
  const sign = (
    who: Principal,
    recordId: string,
    meaning: string,
    extra: { reason?: string; override?: boolean } = {},
  ) =>
    ctx.engine.signatures.sign(who, recordId, {
      meaning,
      password: demoPassword(who.username as 'olivia'),
      ...extra,
    });

  it('B1: signing always asks for the password again; a wrong one signs nothing and counts towards lockout', async () => {
    const record = await newRecord();
    await assert.rejects(
      ctx.engine.signatures.sign(quinn, record.id, { meaning: 'Reviewed', password: '' }),
      InputError,
    );
    await assert.rejects(
      ctx.engine.signatures.sign(quinn, record.id, { meaning: 'Reviewed', password: 'wrong' }),
      AuthenticationError,
    );
    assert.equal((await ctx.engine.signatures.list(quinn, record.id)).length, 0);
    const failure = (await ctx.engine.audit.trail(quinn, { recordId: quinn.userId })).at(-1)!;
    assert.deepEqual([failure.type, failure.payload.failedAttempts], ['auth.signature_failed', 1]);

    const { principal: ruth } = await createColleague(ctx, 'ruth', ['qa']);
    for (let i = 0; i < 5; i++) {
      await assert.rejects(
        ctx.engine.signatures.sign(ruth, record.id, { meaning: 'Reviewed', password: 'wrong' }),
        AuthenticationError,
      );
    }
    await assert.rejects(
      ctx.engine.signatures.sign(ruth, record.id, { meaning: 'Reviewed', password: 'Quartz-Lamp-4829' }),
      AccountLockedError,
    );
    await assert.rejects(
      ctx.engine.identity.login({ username: 'ruth', password: 'Quartz-Lamp-4829' }),
      AccountLockedError,
    );
    assert.equal((await ctx.engine.signatures.list(quinn, record.id)).length, 0);
  });

  it('B2: the manifestation carries printed name, user id, date and time with zone, and meaning', async () => {
    const record = await newRecord();
    const sig = await sign(quinn, record.id, 'Reviewed');
    assert.equal(sig.manifestation.printedName, 'Quinn Quaye');
    assert.equal(sig.manifestation.userId, 'quinn');
    assert.equal(sig.manifestation.meaning, 'Reviewed');
    assert.match(sig.manifestation.signedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(
      sig.manifestation.text,
      /^Reviewed by Quinn Quaye \(quinn\) on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/,
    );
    const [listed] = await ctx.engine.signatures.list(olivia, record.id);
    assert.deepEqual(listed!.manifestation, sig.manifestation);
    await assert.rejects(sign(quinn, record.id, 'Blessed'), /Unknown meaning "Blessed"/);
  });

  it('B3: rejection, override, void and a correction after first entry need a reason', async () => {
    const record = await newRecord();
    await assert.rejects(sign(quinn, record.id, 'Rejected'), /reason is required to sign a rejection/);
    await assert.rejects(
      sign(olivia, record.id, 'Performed', { override: true }),
      /reason is required to sign an override/,
    );
    const rejected = await sign(quinn, record.id, 'Rejected', { reason: 'Temperature record incomplete' });
    assert.equal(rejected.reason, 'Temperature record incomplete');
    const override = await sign(olivia, record.id, 'Performed', {
      override: true,
      reason: 'Probe replaced, reading confirmed',
    });
    assert.equal(override.reason, 'Probe replaced, reading confirmed');

    const other = await newRecord();
    await ctx.engine.records.update(olivia, other.id, {
      version: 1,
      changes: [{ path: '/pressure', value: 2.1 }],
    });
    await assert.rejects(
      ctx.engine.records.update(olivia, other.id, {
        version: 2,
        changes: [{ path: '/temperature', value: 61 }],
      }),
      /reason is required to change a value after its first entry/,
    );
    await ctx.engine.records.update(olivia, other.id, {
      version: 2,
      changes: [{ path: '/temperature', value: 61 }],
      reason: 'Transcription error',
    });
    await assert.rejects(ctx.engine.records.voidRecord(quinn, other.id, '  '), /reason is required to void/);
  });

  it('B4: a signature stores the hash of the content it signed; a later change is flagged against it', async () => {
    const record = await newRecord();
    const sig = await sign(olivia, record.id, 'Performed');
    assert.equal(sig.recordVersion, 1);
    assert.equal(sig.contentChanged, false);
    await ctx.engine.records.update(olivia, record.id, {
      version: 1,
      changes: [{ path: '/temperature', value: 65 }],
      reason: 'Late entry corrected',
    });
    const [after] = await ctx.engine.signatures.list(quinn, record.id);
    assert.equal(after!.contentHash, sig.contentHash);
    assert.equal(after!.contentChanged, true);
  });

  it('B4: a signature cannot be copied or moved to another record without verify noticing', async () => {
    const a = await newRecord();
    const b = await newRecord();
    const sig = await sign(quinn, a.id, 'Reviewed');
    assert.equal((await ctx.engine.verify()).ok, true);
    await ctx.asOwner((db) => db.raw('UPDATE signatures SET record_id = ? WHERE id = ?', [b.id, sig.id]));
    const report = await ctx.engine.verify();
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.mismatches.map((m) => [m.table, m.id]),
      [['signatures', sig.id]],
    );
    await ctx.asOwner((db) => db.raw('UPDATE signatures SET record_id = ? WHERE id = ?', [a.id, sig.id]));
    assert.equal((await ctx.engine.verify()).ok, true);
  });

  it('B5: the verifier is not the performer, the reviewer and approver are not the author', async () => {
    const record = await newRecord();
    await sign(olivia, record.id, 'Performed');
    await assert.rejects(sign(olivia, record.id, 'Verified'), /verifier must be a different person/);
    await sign(oscar, record.id, 'Verified');
    const own = await newRecord(quinn);
    await assert.rejects(sign(quinn, own.id, 'Reviewed'), /Nobody may review their own record/);
    await assert.rejects(sign(quinn, own.id, 'Approved'), /Nobody may review their own record/);
    const performedByQa = await newRecord();
    await sign(quinn, performedByQa.id, 'Performed');
    await assert.rejects(sign(quinn, performedByQa.id, 'Approved'), /approver must be a different person/);
    await sign(petra, performedByQa.id, 'Approved');
  });

  it('B6: only a qualified person may sign a release', async () => {
    const record = await newRecord();
    await assert.rejects(sign(quinn, record.id, 'Released'), NotAllowedError);
    const released = await sign(petra, record.id, 'Released');
    assert.equal(released.manifestation.meaning, 'Released');
  });

  it('B7: signatures are never deleted; withdrawing one is a new signed event', async () => {
    const record = await newRecord();
    const sig = await sign(quinn, record.id, 'Reviewed');
    await assert.rejects(
      ctx.engine.signatures.withdraw(olivia, sig.id, { password: demoPassword('olivia'), reason: 'x' }),
      /Only the signer/,
    );
    await assert.rejects(
      ctx.engine.signatures.withdraw(quinn, sig.id, { password: demoPassword('quinn'), reason: '' }),
      /reason is required/,
    );
    await assert.rejects(
      ctx.engine.signatures.withdraw(quinn, sig.id, {
        password: 'wrong',
        reason: 'Reviewed the wrong batch',
      }),
      AuthenticationError,
    );
    const withdrawn = await ctx.engine.signatures.withdraw(quinn, sig.id, {
      password: demoPassword('quinn'),
      reason: 'Reviewed the wrong batch',
    });
    assert.equal(withdrawn.withdrawn!.reason, 'Reviewed the wrong batch');
    const types = (await ctx.engine.audit.trail(quinn, { recordId: record.id })).map((e) => e.type);
    assert.deepEqual(types, ['record.created', 'signature.applied', 'signature.withdrawn']);
    await assert.rejects(
      ctx.engine.database.knex.raw('DELETE FROM signatures WHERE id = ?', [sig.id]),
      /permission denied|not allowed/,
    );
    await assert.rejects(
      ctx.asOwner((db) => db.raw('DELETE FROM signatures WHERE id = ?', [sig.id])),
      /DELETE on signatures is not allowed/,
    );
    assert.equal((await ctx.engine.signatures.list(quinn, record.id)).length, 1);
    assert.equal((await ctx.engine.verify()).ok, true);
  });
});
