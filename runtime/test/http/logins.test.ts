import assert from 'node:assert/strict';
import { demoPassword, startTestEngine, type TestContext } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';

/** The default throttle, as a plant runs it: two free failures per account, twenty per address. */
const PLANT_THROTTLE = {
  accountFreeFailures: 2,
  addressFreeFailures: 20,
  windowMinutes: 15,
  backoffSeconds: 2,
  maxBackoffSeconds: 900,
};

describe('Feature: logins that protect without locking everyone out', () => {
  let ctx: TestContext;
  let api: TestApi;

  before(async () => {
    ctx = await startTestEngine({ lockoutThreshold: 5, loginThrottle: PLANT_THROTTLE });
    api = await startTestApi({ ctx });
  });
  // Each scenario starts once earlier failures are out of the window.
  beforeEach(() => ctx.clock.advance(PLANT_THROTTLE.windowMinutes + 1));
  after(async () => {
    await api.close();
    await ctx.close();
  });

  const login = (username: string, password: string, client = api) =>
    client.request('POST', '/api/auth/login', { body: { username, password } });
  const adrianRow = () => ctx.asOwner((db) => db('users').where({ username: 'adrian' }).first());

  it('A4: a shift change of 21 people signing in at once at one terminal all get in', async () => {
    const people = Array.from({ length: 21 }, (_, i) => `shift${String(i).padStart(2, '0')}`);
    for (const username of people) {
      await ctx.engine.identity.bootstrapUser({
        username,
        printedName: `Shift Worker ${username}`,
        roles: ['operator'],
        password: 'Harbour-Kettle-5172',
        mustChangePassword: false,
      });
    }
    const responses = await Promise.all(people.map((u) => login(u, 'Harbour-Kettle-5172')));
    assert.deepEqual(
      responses.map((r) => r.status),
      people.map(() => 200),
    );
  });

  it('A4: two logins of one person at the same moment both succeed, and neither counts as a failure', async () => {
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => login('olivia', demoPassword('olivia'))),
    );
    assert.deepEqual(
      responses.map((r) => r.status),
      responses.map(() => 200),
      responses.map((r) => r.text).join('\n'),
    );
    const row = await ctx.asOwner((db) => db('users').where({ username: 'olivia' }).first());
    assert.equal(row.failed_logins, 0);
  });

  it('A4: guesses at an administrator are slowed (429 with Retry-After) long before the lockout', async () => {
    for (let i = 0; i < 2; i++) assertProblem(await login('adrian', `guess-${i}`), 401, 'unauthenticated');
    const held = await login('adrian', 'guess-2');
    assertProblem(held, 429, 'too-many-requests');
    assert.ok(Number(held.headers.get('retry-after')) >= 1);
    // Held back, even the right password is not tried: the wait tells a guesser nothing.
    assertProblem(await login('adrian', demoPassword('adrian')), 429, 'too-many-requests');
    assert.equal((await adrianRow()).failed_logins, 2);
    assert.equal((await adrianRow()).locked_at, null);

    ctx.clock.advance(0.05);
    assertProblem(await login('adrian', 'guess-3'), 401, 'unauthenticated');
    const longer = await login('adrian', 'guess-4');
    assertProblem(longer, 429, 'too-many-requests');
    assert.ok(Number(longer.headers.get('retry-after')) >= 3, 'the wait doubles');

    ctx.clock.advance(0.1);
    assert.equal((await login('adrian', demoPassword('adrian'))).status, 200);
    assert.equal((await adrianRow()).failed_logins, 0);
    // Another account from the same address was never held back.
    assert.equal((await login('quinn', demoPassword('quinn'))).status, 200);
  });

  it('A4: failures from one address beyond its allowance hold that address back, whoever is tried', async () => {
    for (let i = 0; i < 20; i++) {
      assertProblem(await login(`nobody${i}`, 'guess'), 401, 'unauthenticated');
    }
    const held = await login('petra', demoPassword('petra'));
    assertProblem(held, 429, 'too-many-requests');
    assert.ok(Number(held.headers.get('retry-after')) >= 1);
    ctx.clock.advance(0.05);
    assert.equal((await login('petra', demoPassword('petra'))).status, 200);
  });

  it('A4: every runtime process on the database counts the same failures', async () => {
    const other = await startTestApi({ ctx });
    try {
      for (let i = 0; i < 2; i++) assertProblem(await login('oscar', 'guess', api), 401, 'unauthenticated');
      assertProblem(await login('oscar', demoPassword('oscar'), other), 429, 'too-many-requests');
      ctx.clock.advance(0.05);
      assert.equal((await login('oscar', demoPassword('oscar'), other)).status, 200);
    } finally {
      await other.close();
    }
  });

  it('A4: a locked administrator is unlocked by another administrator, reasoned and audited', async () => {
    const alma = await ctx.engine.identity.bootstrapUser({
      username: 'alma',
      printedName: 'Alma Amsel',
      roles: ['admin'],
      password: 'Lantern-Meadow-3381',
      mustChangePassword: false,
    });
    for (let i = 0; i < 5; i++) {
      ctx.clock.advance(1);
      assertProblem(await login('adrian', `guess-${i}`), 401, 'unauthenticated');
    }
    ctx.clock.advance(1);
    assertProblem(await login('adrian', demoPassword('adrian')), 423, 'locked');
    const adrian = await adrianRow();

    const operator = await api.login('olivia');
    const path = `/api/users/${adrian.id}/unlock`;
    const body = { reason: 'Locked by guesses from the night shift terminal' };
    assertProblem(await api.request('POST', path, { token: operator, body }), 403, 'not-allowed');
    const almaToken = (await login('alma', 'Lantern-Meadow-3381')).body.token as string;
    const unlocked = await api.request('POST', path, { token: almaToken, body });
    assert.equal(unlocked.status, 200, unlocked.text);
    assert.equal(unlocked.body.locked, false);

    const token = (await login('adrian', demoPassword('adrian'))).body.token as string;
    assert.ok(token);
    const trail = await api.request('GET', `/api/users/${adrian.id}/audit`, { token });
    const event = trail.body.events.find((e: { type: string }) => e.type === 'user.unlocked');
    assert.equal(event.actorId, alma.id);
    assert.equal(event.reason, body.reason);
    assert.deepEqual(event.payload.changes[0], { path: '/locked', old: true, new: false });
  });
});
