import assert from 'node:assert/strict';
import {
  AccountLockedError,
  AuthenticationError,
  InputError,
  NotAllowedError,
  PasswordChangeRequiredError,
  type Principal,
} from '../src/index.ts';
import {
  createColleague,
  demoPassword,
  loginAs,
  startTestEngine,
  type TestContext,
} from './support/testEngine.ts';

describe('Feature: identity and access', () => {
  let ctx: TestContext;
  let adrian: Principal;
  const adminSignature = () => ({ password: demoPassword('adrian'), reason: 'New starter' });

  before(async () => {
    ctx = await startTestEngine({
      lockoutThreshold: 5,
      inactivityMinutes: 15,
      passwordPolicy: { maxAgeDays: 90 },
    });
    adrian = await loginAs(ctx.engine, 'adrian');
  });
  after(() => ctx.close());

  const newUser = (username: string, roles: string[], password?: string) =>
    createColleague(ctx, username, roles, password);

  it('A1: user names are unique and never reused, even after deactivation', async () => {
    const { user } = await newUser('hana', ['operator']);
    await assert.rejects(
      ctx.engine.identity.createUser(
        adrian,
        { username: 'HANA', printedName: 'Someone Else', roles: [] },
        adminSignature(),
      ),
      /taken; user names are never reused/,
    );
    await ctx.engine.identity.setActive(adrian, user.id, false, 'Left the company');
    await assert.rejects(
      ctx.engine.identity.createUser(
        adrian,
        { username: 'hana', printedName: 'Someone Else', roles: [] },
        adminSignature(),
      ),
      /taken/,
    );
  });

  it('A1: a user is deactivated, never deleted; the printed name and id go with every act', async () => {
    const { user, principal, password } = await newUser('ivan', ['operator']);
    const record = await ctx.engine.records.create(principal, { kind: 'batch', title: 'B', content: {} });
    await assert.rejects(ctx.engine.identity.setActive(adrian, user.id, false, ''), InputError);
    const after = await ctx.engine.identity.setActive(adrian, user.id, false, 'Left the company');
    assert.equal(after.active, false);
    await assert.rejects(ctx.engine.identity.authenticate(principal.sessionId), AuthenticationError);
    await assert.rejects(ctx.engine.identity.login({ username: 'ivan', password }), AuthenticationError);
    await assert.rejects(
      ctx.asOwner((db) => db.raw('DELETE FROM users WHERE id = ?', [user.id])),
      /DELETE on users is not allowed/,
    );
    await assert.rejects(
      ctx.engine.database.knex.raw('DELETE FROM users WHERE id = ?', [user.id]),
      /permission denied|not allowed/,
    );
    const events = await ctx.engine.audit.trail(adrian, { recordId: record.id });
    assert.deepEqual([events[0]!.actorId, events[0]!.actorName], [user.id, 'Test ivan']);
    const deactivation = (await ctx.engine.audit.trail(adrian, { recordId: user.id })).find(
      (e) => e.type === 'user.deactivated',
    );
    assert.equal(deactivation!.reason, 'Left the company');
    assert.deepEqual(deactivation!.payload.changes, [{ path: '/active', old: true, new: false }]);
  });

  it('refuses blank, over-long and unstorable text whoever calls, changing nothing', async () => {
    const before = (await ctx.engine.identity.listUsers(adrian)).length;
    for (const [input, pointer] of [
      [{ username: 'blank', printedName: '   ' }, '/printedName'],
      [{ username: 'long', printedName: 'x'.repeat(201) }, '/printedName'],
      [{ username: 'nul', printedName: 'Null\u0000Byte' }, '/printedName'],
      [{ username: 'surrogate', printedName: 'Half \ud800' }, '/printedName'],
    ] as const) {
      await assert.rejects(
        ctx.engine.identity.createUser(adrian, { ...input, roles: [] }, adminSignature()),
        (e: InputError) => {
          assert.equal(e.errors[0]!.pointer, pointer);
          return true;
        },
      );
    }
    await assert.rejects(
      ctx.engine.identity.defineRole(
        adrian,
        { name: 'Bad Name', title: 'x', description: '', permissions: [] },
        adminSignature(),
      ),
      /role name is not valid/,
    );
    assert.equal((await ctx.engine.identity.listUsers(adrian)).length, before);
  });

  it('A2: every command checks authority', async () => {
    const olivia = await loginAs(ctx.engine, 'olivia');
    const petra = await loginAs(ctx.engine, 'petra');
    await assert.rejects(ctx.engine.identity.listUsers(olivia), NotAllowedError);
    await assert.rejects(
      ctx.engine.identity.createUser(
        olivia,
        { username: 'zed', printedName: 'Z', roles: [] },
        { password: demoPassword('olivia') },
      ),
      NotAllowedError,
    );
    await assert.rejects(
      ctx.engine.identity.setUserRoles(olivia, adrian.userId, [], { password: demoPassword('olivia') }),
      NotAllowedError,
    );
    await assert.rejects(ctx.engine.identity.resetPassword(olivia, adrian.userId, 'x'), NotAllowedError);
    await assert.rejects(ctx.engine.records.create(petra, { kind: 'batch', title: 'B' }), NotAllowedError);
    const record = await ctx.engine.records.create(olivia, { kind: 'batch', title: 'B' });
    await assert.rejects(
      ctx.engine.records.update(petra, record.id, { version: 1, changes: [{ path: '/a', value: 1 }] }),
      NotAllowedError,
    );
    await assert.rejects(ctx.engine.records.voidRecord(olivia, record.id, 'why'), NotAllowedError);
    await assert.rejects(
      ctx.engine.signatures.sign(olivia, record.id, {
        meaning: 'Released',
        password: demoPassword('olivia'),
      }),
      NotAllowedError,
    );
    await assert.rejects(
      ctx.engine.records.create(adrian, { kind: 'batch', title: 'B' }),
      NotAllowedError,
      'administrators perform no GMP acts',
    );
  });

  it('A3: granting, changing and revoking roles is audited with old and new, and e-signed', async () => {
    const { user } = await newUser('jules', ['operator']);
    await assert.rejects(
      ctx.engine.identity.setUserRoles(adrian, user.id, ['qa'], { password: 'not-my-password' }),
      AuthenticationError,
    );
    assert.deepEqual((await ctx.engine.identity.getUser(adrian, user.id)).roles, ['operator']);
    await ctx.engine.identity.setUserRoles(adrian, user.id, ['qa'], {
      password: demoPassword('adrian'),
      reason: 'Moved to QA',
    });
    await ctx.engine.identity.setUserRoles(adrian, user.id, [], {
      password: demoPassword('adrian'),
      reason: 'Leave of absence',
    });
    const events = await ctx.engine.audit.trail(adrian, { recordId: user.id });
    const changes = events.filter((e) => e.type === 'user.roles_changed');
    assert.deepEqual(
      changes.map((e) => e.payload.changes),
      [[{ path: '/roles', old: ['operator'], new: ['qa'] }], [{ path: '/roles', old: ['qa'], new: [] }]],
    );
    assert.deepEqual(
      changes.map((e) => e.reason),
      ['Moved to QA', 'Leave of absence'],
    );
    const signatures = events.filter((e) => e.type === 'signature.applied');
    assert.equal(signatures.length, 3, 'creation and both changes are signed');
    assert.ok(signatures.every((e) => e.actorId === adrian.userId && e.payload.meaning === 'Approved'));
    await assert.rejects(
      ctx.engine.identity.setUserRoles(adrian, adrian.userId, ['qa'], adminSignature()),
      /own roles/,
    );
    await assert.rejects(
      ctx.engine.identity.setUserRoles(adrian, user.id, ['superuser'], adminSignature()),
      /Unknown role: superuser/,
    );
  });

  it('A3: defining a role is audited and e-signed', async () => {
    await ctx.engine.identity.defineRole(
      adrian,
      { name: 'trainer', title: 'Trainer', description: 'Trains', permissions: ['audit.read'] },
      adminSignature(),
    );
    await assert.rejects(
      ctx.engine.identity.defineRole(
        adrian,
        { name: 'auditor', title: 'Auditor', description: '', permissions: ['everything' as never] },
        adminSignature(),
      ),
      /Unknown permission: everything/,
    );
    const roles = await ctx.engine.identity.listRoles(adrian);
    assert.deepEqual(roles.find((r) => r.name === 'trainer')!.permissions, ['audit.read']);
  });

  it('A4: the password policy refuses short, simple, personal and recently used passwords', async () => {
    const { principal, password } = await newUser('kira', ['operator'], 'Kettle-Blue-917');
    for (const [candidate, keyword] of [
      ['Sh0rt!', 'minLength'],
      ['alllowercaseletters', 'complexity'],
      ['Kira-Is-Here-2026', 'personal'],
      ['Kettle-Blue-917', 'history'],
    ] as const) {
      await assert.rejects(
        ctx.engine.identity.changePassword(principal, password, candidate),
        (e: InputError) => {
          assert.ok(
            e.errors.some((x) => x.keyword === keyword),
            `${candidate}: ${JSON.stringify(e.errors)}`,
          );
          return true;
        },
      );
    }
  });

  it('A4: a password older than the maximum age must be changed before anything else', async () => {
    const { password } = await newUser('lena', ['operator']);
    ctx.clock.advance(91 * 24 * 60);
    try {
      const { sessionId, mustChangePassword } = await ctx.engine.identity.login({
        username: 'lena',
        password,
      });
      assert.equal(mustChangePassword, true);
      await assert.rejects(ctx.engine.identity.authenticate(sessionId), PasswordChangeRequiredError);
      const p = await ctx.engine.identity.authenticate(sessionId, { allowPasswordChange: true });
      await ctx.engine.identity.changePassword(p, password, 'Fresh-Password-77');
      await ctx.engine.identity.authenticate(sessionId);
    } finally {
      ctx.clock.advance(-91 * 24 * 60);
    }
  });

  it('A4: five failed logins lock the account and raise a security event; the right password no longer helps', async () => {
    const { user, principal, password } = await newUser('milo', ['operator']);
    for (let i = 0; i < 5; i++) {
      await assert.rejects(
        ctx.engine.identity.login({ username: 'milo', password: 'wrong' }),
        AuthenticationError,
      );
    }
    await assert.rejects(ctx.engine.identity.login({ username: 'milo', password }), AccountLockedError);
    await assert.rejects(
      ctx.engine.identity.authenticate(principal.sessionId),
      AuthenticationError,
      'open sessions end at once',
    );
    const events = await ctx.engine.audit.trail(adrian, { recordId: user.id });
    const locked = events.filter((e) => e.type === 'auth.locked');
    assert.equal(locked.length, 1);
    assert.equal(locked[0]!.payload.failedAttempts, 5);
    assert.ok(events.some((e) => e.type === 'auth.login_refused' && e.payload.why === 'locked'));
  });

  it('A5: inactivity locks the session; going on needs the full id and password again', async () => {
    const olivia = await loginAs(ctx.engine, 'olivia');
    ctx.clock.advance(14);
    await ctx.engine.identity.authenticate(olivia.sessionId);
    ctx.clock.advance(16);
    await assert.rejects(
      ctx.engine.identity.authenticate(olivia.sessionId),
      /locked after 15 minutes without activity/,
    );
    await assert.rejects(ctx.engine.identity.authenticate(olivia.sessionId), /session has ended/);
    const again = await loginAs(ctx.engine, 'olivia');
    assert.notEqual(again.sessionId, olivia.sessionId);
  });

  it('A6: an administrator reset issues a one-time password that must be changed at the next login', async () => {
    const { user, principal } = await newUser('nora', ['operator']);
    await assert.rejects(ctx.engine.identity.resetPassword(adrian, user.id, ''), InputError);
    const { oneTimePassword } = await ctx.engine.identity.resetPassword(adrian, user.id, 'Forgot password');
    await assert.rejects(
      ctx.engine.identity.authenticate(principal.sessionId),
      AuthenticationError,
      'old sessions end',
    );
    const login = await ctx.engine.identity.login({ username: 'nora', password: oneTimePassword });
    assert.equal(login.mustChangePassword, true);
    await assert.rejects(ctx.engine.identity.authenticate(login.sessionId), PasswordChangeRequiredError);
    const limited = await ctx.engine.identity.authenticate(login.sessionId, { allowPasswordChange: true });
    await ctx.engine.identity.changePassword(limited, oneTimePassword, 'Nobody-Else-Knows-1');
    const full = await ctx.engine.identity.authenticate(login.sessionId);
    assert.equal(full.userId, user.id);
    await assert.rejects(ctx.engine.identity.resetPassword(adrian, adrian.userId, 'mine'), NotAllowedError);
  });

  it('A6: nobody can sign as someone else: a signature is always the session user’s own, with their own password', async () => {
    const olivia = await loginAs(ctx.engine, 'olivia');
    const quinn = await loginAs(ctx.engine, 'quinn');
    const record = await ctx.engine.records.create(olivia, { kind: 'batch', title: 'B' });
    await assert.rejects(
      ctx.engine.signatures.sign(quinn, record.id, { meaning: 'Reviewed', password: demoPassword('petra') }),
      AuthenticationError,
    );
    const sig = await ctx.engine.signatures.sign(quinn, record.id, {
      meaning: 'Reviewed',
      password: demoPassword('quinn'),
    });
    assert.equal(sig.signerId, quinn.userId);
  });

  it('A7: accounts are personal: each act on a shared device needs the person’s own sign-in and password', async () => {
    const olivia = await loginAs(ctx.engine, 'olivia');
    const oscar = await loginAs(ctx.engine, 'oscar');
    const record = await ctx.engine.records.create(olivia, { kind: 'batch', title: 'B' });
    // A second person on the same tablet cannot act through the first one's session with their own password.
    await assert.rejects(
      ctx.engine.signatures.sign(olivia, record.id, {
        meaning: 'Performed',
        password: demoPassword('oscar'),
      }),
      AuthenticationError,
    );
    await ctx.engine.signatures.sign(olivia, record.id, {
      meaning: 'Performed',
      password: demoPassword('olivia'),
    });
    await assert.rejects(
      ctx.engine.signatures.sign(olivia, record.id, {
        meaning: 'Verified',
        password: demoPassword('olivia'),
      }),
      NotAllowedError,
    );
    await assert.rejects(
      ctx.engine.signatures.sign(oscar, record.id, { meaning: 'Verified', password: '' }),
      InputError,
    );
    const verified = await ctx.engine.signatures.sign(oscar, record.id, {
      meaning: 'Verified',
      password: demoPassword('oscar'),
    });
    assert.equal(verified.manifestation.printedName, 'Oscar Osei');
    const users = await ctx.engine.identity.listUsers(adrian);
    assert.equal(new Set(users.map((u) => u.username)).size, users.length);
  });
});
