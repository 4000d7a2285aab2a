import assert from 'node:assert/strict';
import { appendEvents, ConflictError, SECURITY_SUBJECT, type Principal } from '../src/index.ts';
import { demoPassword, loginAs, startTestEngine, type TestContext } from './support/testEngine.ts';

describe('Feature: the audit trail', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  before(async () => {
    ctx = await startTestEngine();
    olivia = await loginAs(ctx.engine, 'olivia');
    quinn = await loginAs(ctx.engine, 'quinn');
  });
  after(() => ctx.close());

  const trail = (recordId: string) => ctx.engine.audit.trail(quinn, { recordId });
  const newRecord = (content: Record<string, unknown> = {}) =>
    ctx.engine.records.create(olivia, { kind: 'batch', title: 'Batch 7 dispensing', content });

  it('C1: records who, when (server UTC), what field, old and new value, and why', async () => {
    const before = Date.now();
    const record = await newRecord({ weight: 100.02 });
    await ctx.engine.records.update(olivia, record.id, {
      version: 1,
      changes: [{ path: '/weight', value: 100.04 }],
      reason: 'Scale re-tared',
    });
    const events = await trail(record.id);
    assert.deepEqual(
      events.map((e) => e.type),
      ['record.created', 'record.updated'],
    );
    const changed = events[1]!;
    assert.equal(changed.actorId, olivia.userId);
    assert.equal(changed.actorName, 'Olivia Ortega');
    assert.match(changed.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Date.parse(changed.at) >= before - 1000 && Date.parse(changed.at) <= Date.now() + 1000);
    assert.deepEqual(changed.payload.changes, [{ path: '/weight', old: 100.02, new: 100.04 }]);
    assert.equal(changed.reason, 'Scale re-tared');
    assert.deepEqual(
      events.map((e) => e.seq),
      [1, 2],
    );
    assert.equal(events[1]!.prevHash, events[0]!.hash);
  });

  it('C1: filters the trail by field path, user and time', async () => {
    const record = await newRecord({ a: 1, b: 2 });
    await ctx.engine.records.update(olivia, record.id, {
      version: 1,
      changes: [{ path: '/a', value: 3 }],
      reason: 'typo',
    });
    await ctx.engine.records.update(olivia, record.id, {
      version: 2,
      changes: [{ path: '/b', value: 4 }],
      reason: 'typo',
    });
    const onA = await ctx.engine.audit.trail(quinn, { recordId: record.id, field: '/a' });
    assert.deepEqual(
      onA.map((e) => e.seq),
      [2],
    );
    assert.equal(
      (await ctx.engine.audit.trail(quinn, { recordId: record.id, actorId: quinn.userId })).length,
      0,
    );
    assert.equal(
      (await ctx.engine.audit.trail(quinn, { recordId: record.id, from: new Date(Date.now() + 60_000) }))
        .length,
      0,
    );
  });

  it('C2: a record is voided with a reason, never deleted; its earlier values stay readable', async () => {
    const record = await newRecord({ lot: 'L-1' });
    await assert.rejects(ctx.engine.records.voidRecord(quinn, record.id, ''), /reason is required/);
    await ctx.engine.records.voidRecord(quinn, record.id, 'Entered on the wrong batch');
    const voided = await ctx.engine.records.get(quinn, record.id);
    assert.equal(voided.status, 'voided');
    assert.deepEqual(voided.content, { lot: 'L-1' });
    await assert.rejects(
      ctx.asOwner((db) => db.raw('DELETE FROM records WHERE id = ?', [record.id])),
      /DELETE on records is not allowed/,
    );
  });

  it('C3: the runtime role can neither update, delete nor truncate the audit trail', async () => {
    const record = await newRecord();
    const knex = ctx.engine.database.knex;
    for (const sql of [
      'UPDATE events SET reason = ? WHERE record_id = ?',
      'DELETE FROM events WHERE reason = ? OR record_id = ?',
    ]) {
      await assert.rejects(knex.raw(sql, ['x', record.id]), /permission denied|not allowed/);
    }
    await assert.rejects(knex.raw('TRUNCATE events'), /permission denied|not allowed/);
    await assert.rejects(knex.raw('ALTER TABLE events DISABLE TRIGGER events_append_only'), /must be owner/);
    assert.equal((await trail(record.id)).length, 1);
  });

  it('C3: even the owner is refused by the trigger; an edit around it is caught by verify, naming the record', async () => {
    const record = await newRecord({ weight: 1 });
    await ctx.engine.records.update(olivia, record.id, {
      version: 1,
      changes: [{ path: '/weight', value: 2 }],
      reason: 'r',
    });
    await assert.rejects(
      ctx.asOwner((db) => db.raw('UPDATE events SET reason = ? WHERE record_id = ?', ['x', record.id])),
      /UPDATE on events is not allowed/,
    );
    await assert.rejects(
      ctx.asOwner((db) => db.raw('TRUNCATE events')),
      /TRUNCATE on events is not allowed/,
    );
    assert.equal((await ctx.engine.verify()).ok, true);

    await ctx.asOwner(async (db) => {
      await db.raw('ALTER TABLE events DISABLE TRIGGER events_append_only');
      await db.raw(
        `UPDATE events SET payload = jsonb_set(payload, '{changes,0,new}', '3') WHERE record_id = ? AND seq = 2`,
        [record.id],
      );
      await db.raw('ALTER TABLE events ENABLE TRIGGER events_append_only');
    });
    const report = await ctx.engine.verify();
    assert.equal(report.ok, false);
    assert.deepEqual(
      { recordId: report.breaks[0]!.recordId, seq: report.breaks[0]!.seq },
      { recordId: record.id, seq: 2 },
    );
    assert.match(report.breaks[0]!.problem, /does not match its hash/);
    // Put it back so later scenarios start from an intact trail.
    await ctx.asOwner(async (db) => {
      await db.raw('ALTER TABLE events DISABLE TRIGGER events_append_only');
      await db.raw(
        `UPDATE events SET payload = jsonb_set(payload, '{changes,0,new}', '2') WHERE record_id = ? AND seq = 2`,
        [record.id],
      );
      await db.raw('ALTER TABLE events ENABLE TRIGGER events_append_only');
    });
    assert.equal((await ctx.engine.verify()).ok, true);
  });

  it('C3: removing the newest events of a record is caught through the sealed ledger', async () => {
    const record = await newRecord({ x: 1 });
    await ctx.engine.records.update(olivia, record.id, { version: 1, changes: [{ path: '/y', value: 1 }] });
    assert.ok(await ctx.engine.audit.seal());
    const removed = await ctx.asOwner(async (db) => {
      const { rows } = await db.raw('SELECT * FROM events WHERE record_id = ? AND seq = 2', [record.id]);
      await db.raw('ALTER TABLE events DISABLE TRIGGER events_append_only');
      await db.raw('DELETE FROM events WHERE record_id = ? AND seq = 2', [record.id]);
      await db.raw('ALTER TABLE events ENABLE TRIGGER events_append_only');
      return rows[0];
    });
    const report = await ctx.engine.verify();
    assert.equal(report.ok, false);
    const brk = report.breaks.find((b) => b.recordId === record.id);
    assert.match(brk!.problem, /seq 2 was sealed/);
    assert.ok(
      report.mismatches.some((m) => m.id === record.id),
      'the record no longer matches its trail',
    );
    await ctx.asOwner((db) => db('events').insert(removed));
    assert.equal((await ctx.engine.verify()).ok, true);
  });

  it('C3: two writers appending to the same record at once: one wins, the other gets a conflict', async () => {
    const record = await newRecord();
    const append = () =>
      ctx.engine.database.knex.transaction((trx) =>
        appendEvents(
          trx,
          ctx.clock,
          { id: record.id, type: 'record' },
          { userId: olivia.userId, printedName: olivia.printedName },
          [{ type: 'record.commented' }],
        ),
      );
    if (ctx.engine.database.kind === 'postgres') {
      const results = await Promise.allSettled(Array.from({ length: 8 }, append));
      const won = results.filter((r) => r.status === 'fulfilled').length;
      assert.ok(won >= 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof ConflictError);
      const seqs = (await trail(record.id)).map((e) => e.seq);
      assert.deepEqual(
        seqs,
        Array.from({ length: 1 + won }, (_, i) => i + 1),
      );
    } else {
      // One connection serialises writers; both appends land, in order.
      await Promise.all([append(), append()]);
      assert.deepEqual(
        (await trail(record.id)).map((e) => e.seq),
        [1, 2, 3],
      );
    }
  });

  it('C4: logins, failures, lockouts, logouts, password and role changes are audited', async () => {
    const { sessionId } = await ctx.engine.identity.login({
      username: 'oscar',
      password: demoPassword('oscar'),
    });
    const oscar = await ctx.engine.identity.authenticate(sessionId);
    await assert.rejects(ctx.engine.identity.login({ username: 'oscar', password: 'wrong' }));
    await assert.rejects(ctx.engine.identity.login({ username: 'nobody', password: 'wrong' }));
    await ctx.engine.identity.changePassword(oscar, demoPassword('oscar'), 'Another-Secret-42');
    await ctx.engine.identity.logout(oscar);
    const adrian = await loginAs(ctx.engine, 'adrian');
    await ctx.engine.identity.setUserRoles(adrian, oscar.userId, ['operator', 'qa'], {
      password: demoPassword('adrian'),
      reason: 'Promoted',
    });
    const types = (await ctx.engine.audit.trail(quinn, { recordId: oscar.userId })).map((e) => e.type);
    for (const t of [
      'auth.login',
      'auth.login_failed',
      'user.password_changed',
      'auth.logout',
      'user.roles_changed',
      'signature.applied',
    ]) {
      assert.ok(types.includes(t), `${t} is in ${types.join(', ')}`);
    }
    const unknown = await ctx.engine.audit.trail(quinn, { recordId: SECURITY_SUBJECT.id });
    assert.ok(unknown.some((e) => e.type === 'auth.login_failed' && e.payload.username === 'nobody'));
    assert.equal((await ctx.engine.verify()).ok, true);
  });
});
